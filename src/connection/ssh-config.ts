/**
 * OpenSSH client configuration (ssh_config(5)) as `ssh` reads it: `Host` sections matched against the
 * host name given (`*`, `?`, `!negated` patterns), `Match` sections (`all`, `host`, `originalhost`,
 * `user`, `localuser`), keywords in any case with `key value` or `key=value`, quoted values, and the
 * first value obtained for a keyword wins (IdentityFile accumulates). Options given on the command
 * line (Ansible's `-o Port=…`, `ansible_ssh_common_args`) are lines before the file's, so they win.
 * Pure: lines in, the options for one host out; reading files (and `Include`) is `readSshConfig`.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { MiB, readTextFile } from "../core/files.ts";

/** One `keyword arguments` line, with where it was written (for messages). */
export interface SshConfigLine {
  keyword: string;
  args: string[];
  file: string;
  line: number;
}

/** What the configuration says for one host (the keywords lago-provision reads). */
export interface SshOptions {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  proxyCommand?: string;
  userKnownHostsFiles?: string[];
  strictHostKeyChecking?: string;
  forwardAgent?: boolean;
  identitiesOnly?: boolean;
  /** Keywords that applied to this host and that lago-provision cannot honour: `file:line keyword`. */
  unsupported: { keyword: string; where: string; refuse: boolean }[];
}

export class SshConfigError extends Error {}

/** Split a config line into words: blanks separate, "double quotes" group, `=` may follow the keyword. */
export function splitConfigLine(text: string): string[] {
  const line = text.trim();
  const m = /^([^\s=]+)\s*(?:=\s*|\s+)?(.*)$/.exec(line);
  if (!m || !m[1]) return [];
  const words = [m[1]];
  let word = "";
  let started = false;
  let quoted = false;
  for (const c of m[2]) {
    if (c === '"') {
      quoted = !quoted;
      started = true;
    } else if (!quoted && (c === " " || c === "\t")) {
      if (started) words.push(word);
      word = "";
      started = false;
    } else {
      word += c;
      started = true;
    }
  }
  if (quoted) throw new SshConfigError("unbalanced quotes");
  if (started) words.push(word);
  return words;
}

/** Parse configuration text (without following `Include`). Comments and blank lines are skipped. */
export function parseSshConfig(text: string, file: string): SshConfigLine[] {
  const lines: SshConfigLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith("#")) return;
    let words: string[];
    try {
      words = splitConfigLine(trimmed);
    } catch (e) {
      throw new SshConfigError(`${file}:${i + 1}: ${(e as Error).message}`);
    }
    if (words.length) {
      lines.push({ keyword: words[0].toLowerCase(), args: words.slice(1), file, line: i + 1 });
    }
  });
  return lines;
}

/**
 * Read a configuration file and the files it `Include`s (relative names are under `base`: ~/.ssh for
 * the user's file, /etc/ssh for the system's; `*` and `?` in the last part of a name are expanded), as
 * one list of lines in reading order.
 */
export function readSshConfig(
  path: string,
  home: string,
  base = join(home, ".ssh"),
  depth = 0,
): SshConfigLine[] {
  if (depth > 16) throw new SshConfigError(`${path}: Include nested too deeply`);
  const out: SshConfigLine[] = [];
  const text = readTextFile(path, { what: "ssh configuration", maxBytes: 4 * MiB });
  for (const line of parseSshConfig(text, path)) {
    if (line.keyword !== "include") {
      out.push(line);
      continue;
    }
    for (const arg of line.args) {
      const name = arg.replace(/^~(?=\/)/, home);
      const full = isAbsolute(name) ? name : join(base, name);
      for (const file of glob(full)) out.push(...readSshConfig(file, home, base, depth + 1));
    }
  }
  return out;
}

function glob(path: string): string[] {
  const dir = dirname(path);
  const base = path.slice(dir.length + 1);
  if (!/[*?]/.test(base)) return existsSync(path) ? [path] : [];
  if (!existsSync(dir)) return [];
  const re = patternRegExp(base);
  return readdirSync(dir).sort().filter((f) => re.test(f)).map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

const patternRegExp = (pattern: string) =>
  new RegExp(
    `^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".")}$`,
    "i",
  );

/** ssh's pattern lists: a match of any pattern, and of no `!negated` one. */
export function matchPatternList(name: string, patterns: string[]): boolean {
  let matched = false;
  for (const p of patterns.flatMap((x) => x.split(",")).filter(Boolean)) {
    const negated = p.startsWith("!");
    if (patternRegExp(negated ? p.slice(1) : p).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Keywords whose settings change nothing for lago-provision (it holds one connection per host). */
const NO_EFFECT = new Set([
  "addkeystoagent",
  "batchmode",
  "canonicaldomains",
  "canonicalizefallbacklocal",
  "canonicalizehostname",
  "canonicalizemaxdots",
  "canonicalizepermittedcnames",
  "checkhostip",
  "clearallforwardings",
  "compression",
  "connectionattempts",
  "connecttimeout", // Ansible passes its own ConnectTimeout (ansible_ssh_timeout, 10 s) before it
  "controlmaster",
  "controlpath",
  "controlpersist",
  "dynamicforward",
  "escapechar",
  "exitonforwardfailure",
  "forwardx11",
  "forwardx11timeout",
  "forwardx11trusted",
  "gssapiauthentication",
  "gssapidelegatecredentials",
  "hashknownhosts",
  "ignoreunknown",
  "ipqos",
  "kbdinteractiveauthentication",
  "localforward",
  "loglevel",
  "numberofpasswordprompts",
  "passwordauthentication",
  "permitlocalcommand",
  "localcommand",
  "preferredauthentications",
  "pubkeyauthentication",
  "remoteforward",
  "requesttty",
  "sendenv",
  "serveralivecountmax",
  "serveraliveinterval",
  "setenv",
  "streamlocalbindunlink",
  "tcpkeepalive",
  "updatehostkeys",
  "usekeychain",
  "verifyhostkeydns",
  "visualhostkey",
  "globalknownhostsfile",
]);
/** Keywords lago-provision cannot honour and that decide where or how it connects: refused. */
const REFUSED = new Set(["certificatefile", "pkcs11provider", "securitykeyprovider", "hostkeyalias"]);

export interface EvaluateContext {
  /** The host name given to ssh (Ansible's ansible_host, else the inventory name). */
  host: string;
  /** The local user (for `Match localuser`, `%u`). */
  localUser: string;
}

/**
 * The options for `host`: every line of the sections that apply, first value winning. `Match`
 * criteria lago-provision cannot evaluate (`exec`, `canonical`, `final`, `tagged`) make their
 * section not apply, and are named among `unsupported`.
 */
export function evaluateSshConfig(lines: SshConfigLine[], ctx: EvaluateContext): SshOptions {
  const out: SshOptions = { identityFiles: [], unsupported: [] };
  const seen = new Set<string>();
  let applies = true;
  // `Host` matches the name given; `Match host` the name after HostName (known once it is set).
  const target = () => (out.hostName ?? ctx.host).replaceAll("%h", ctx.host);
  for (const l of lines) {
    const where = `${l.file}:${l.line}`;
    if (l.keyword === "host") {
      applies = matchPatternList(ctx.host, l.args);
      continue;
    }
    if (l.keyword === "match") {
      applies = evaluateMatch(l, ctx, target(), out);
      continue;
    }
    if (!applies) continue;
    const first = !seen.has(l.keyword);
    seen.add(l.keyword);
    const value = l.args.join(" ");
    switch (l.keyword) {
      case "identityfile":
        out.identityFiles.push(value);
        break;
      case "hostname":
        if (first) out.hostName = value;
        break;
      case "user":
        if (first) out.user = value;
        break;
      case "port":
        if (first) {
          const port = Number(value);
          if (!Number.isInteger(port) || port < 1 || port > 65535) {
            throw new SshConfigError(`${where}: Port should be a number from 1 to 65535, got '${value}'`);
          }
          out.port = port;
        }
        break;
      case "proxyjump":
        if (first) out.proxyJump = value;
        break;
      case "proxycommand":
        if (first) out.proxyCommand = value;
        break;
      case "userknownhostsfile":
        if (first) out.userKnownHostsFiles = l.args;
        break;
      case "stricthostkeychecking":
        if (first) out.strictHostKeyChecking = value.toLowerCase();
        break;
      case "forwardagent":
        if (first) out.forwardAgent = /^(yes|true)$/i.test(value);
        break;
      case "identitiesonly":
        if (first) out.identitiesOnly = /^(yes|true)$/i.test(value);
        break;
      default:
        if (!NO_EFFECT.has(l.keyword) && first) {
          out.unsupported.push({
            keyword: l.keyword,
            where,
            refuse: REFUSED.has(l.keyword),
          });
        }
    }
  }
  return out;
}

function evaluateMatch(l: SshConfigLine, ctx: EvaluateContext, target: string, out: SshOptions): boolean {
  const args = [...l.args];
  let result = true;
  while (args.length) {
    const raw = args.shift()!.toLowerCase();
    const negated = raw.startsWith("!");
    const criterion = negated ? raw.slice(1) : raw;
    if (criterion === "all") continue;
    const value = args.shift() ?? "";
    let ok: boolean;
    if (criterion === "host") ok = matchPatternList(target, [value]);
    else if (criterion === "originalhost") ok = matchPatternList(ctx.host, [value]);
    else if (criterion === "user") ok = matchPatternList(out.user ?? ctx.localUser, [value]);
    else if (criterion === "localuser") ok = matchPatternList(ctx.localUser, [value]);
    else {
      out.unsupported.push({ keyword: `match ${criterion}`, where: `${l.file}:${l.line}`, refuse: false });
      return false;
    }
    if (negated ? ok : !ok) result = false;
  }
  return result;
}

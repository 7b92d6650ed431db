/**
 * `ansible_ssh_args`, `ansible_ssh_common_args` and `ansible_ssh_extra_args`: options Ansible passes on
 * the `ssh` command line, read as ssh reads them. `-o Key=Value`, `-J`, `-p`, `-l`, `-i`, `-F`, `-A`
 * become configuration lines (they come before the configuration file's, so they win); `-C`, `-q`,
 * `-v`, `-T` change nothing for lago-provision; anything else is refused by name. A ProxyCommand that
 * only relays through another host (`ssh -W %h:%p bastion`, `ssh bastion nc %h %p`) is the jump host
 * it names.
 */
import type { SshConfigLine } from "../../connection/ssh-config.ts";
import { ShlexError, shlexSplit } from "./shlex.ts";

export class SshArgsError extends Error {}

export interface SshArgs {
  lines: SshConfigLine[];
  /** `-F FILE`: the configuration file to read instead of ~/.ssh/config. */
  configFile?: string;
}

const NO_EFFECT_FLAGS = new Set(["-C", "-q", "-v", "-vv", "-vvv", "-T", "-4"]);

/** The options in one variable's value (`variable` names it in messages). */
export function parseSshArgs(text: string, variable: string): SshArgs {
  let words: string[];
  try {
    words = shlexSplit(text);
  } catch (e) {
    if (e instanceof ShlexError) {
      throw new SshArgsError(`${variable}: cannot be read as a command line: ${e.message.toLowerCase()}`);
    }
    throw e;
  }
  const out: SshArgs = { lines: [] };
  const line = (keyword: string, ...args: string[]) =>
    out.lines.push({ keyword, args, file: variable, line: 1 });
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const value = (flag: string) => {
      const v = w.length > 2 ? w.slice(2) : words[++i];
      if (v === undefined) throw new SshArgsError(`${variable}: ${flag} needs a value`);
      return v;
    };
    if (NO_EFFECT_FLAGS.has(w)) continue;
    if (w.startsWith("-o")) {
      const option = value("-o");
      const m = /^\s*([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(option);
      if (!m) throw new SshArgsError(`${variable}: each -o option should be Key=Value`);
      line(m[1].toLowerCase(), ...splitValue(m[2]));
    } else if (w.startsWith("-J")) line("proxyjump", value("-J"));
    else if (w.startsWith("-p")) line("port", value("-p"));
    else if (w.startsWith("-l")) line("user", value("-l"));
    else if (w.startsWith("-i")) line("identityfile", value("-i"));
    else if (w.startsWith("-F")) out.configFile = value("-F");
    else if (w === "-A") line("forwardagent", "yes");
    else if (w === "-a") line("forwardagent", "no");
    else {
      throw new SshArgsError(
        `${variable}: ${
          w.startsWith("-") ? `the ssh option '${w}'` : "a word that is not an ssh option"
        } is not supported (lago-provision connects with its own SSH client): ` +
          `remove it, or see docs/from-ansible.md for the options it honours`,
      );
    }
  }
  return out;
}

/** UserKnownHostsFile takes several files; other values are one word (quotes already removed). */
const splitValue = (value: string) => value.trim().split(/\s+/).filter(Boolean);

/**
 * The jump host of a ProxyCommand that only relays (`ssh -W %h:%p [-p P] [-l U] [user@]bastion`,
 * `ssh bastion nc %h %p`, `ssh -q bastion -W %h:%p`), as ProxyJump writes it (`user@bastion:port`);
 * undefined for any other command.
 */
export function proxyCommandJump(command: string): string | undefined {
  let words: string[];
  try {
    words = shlexSplit(command);
  } catch {
    return undefined;
  }
  if (!/(^|\/)ssh$/.test(words[0] ?? "")) return undefined;
  let relay = false;
  let host: string | undefined;
  let user: string | undefined;
  let port: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if (w === "-W" && words[i + 1] === "%h:%p") relay = true, i++;
    else if (w === "-q" || w === "-T" || w === "-C") continue;
    else if (w === "-p") port = words[++i];
    else if (w === "-l") user = words[++i];
    else if (host === undefined && !w.startsWith("-")) host = w;
    else if (host !== undefined && w === "nc" && words[i + 1] === "%h" && words[i + 2] === "%p") {
      relay = true;
      i += 2;
    } else return undefined;
  }
  if (!relay || !host) return undefined;
  const [u, h] = host.includes("@")
    ? [host.slice(0, host.indexOf("@")), host.slice(host.indexOf("@") + 1)]
    : [user, host];
  return `${u ? `${u}@` : ""}${h}${port ? `:${port}` : ""}`;
}

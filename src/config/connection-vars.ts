/**
 * How to reach a host, from its inventory variables, the way Ansible's ssh connection and OpenSSH
 * decide it: Ansible's variable names (old ones too: `ansible_ssh_host`, `ansible_ssh_port`,
 * `ansible_ssh_user`, `ansible_private_key_file`; when two name one setting, the later in Ansible's
 * list wins, as in Ansible), the options of `ansible_ssh_args` / `ansible_ssh_common_args` /
 * `ansible_ssh_extra_args`, then `~/.ssh/config` (or `-F FILE`) and /etc/ssh/ssh_config, first value
 * winning, so inventory values win over the configuration files. Nothing is ignored silently: what
 * cannot be honoured is refused, or warned about when it changes nothing that matters.
 */
import { existsSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { readPrivateKey } from "../connection/credentials.ts";
import type { ConnectionSettings } from "../connection/settings.ts";
import {
  evaluateSshConfig,
  readSshConfig,
  SshConfigError,
  type SshConfigLine,
  type SshOptions,
} from "../connection/ssh-config.ts";
import { UserError } from "../core/errors.ts";
import { kindOf } from "../core/kind.ts";
import { writeStderr } from "../runtime.ts";
import { renderString } from "../vars/template.ts";
import { parseSshArgs, proxyCommandJump, SshArgsError } from "./ansible/ssh-args.ts";
import type { Inventory, Vars } from "./model.ts";

export interface ConnectionOptions {
  /** To resolve `jump_host` when it names an inventory host. */
  inventory?: Inventory;
  /** Default login user (default: the current user, or root). */
  user?: string;
  /** Home directory for `~` and the default known_hosts (default: the current user's). */
  home?: string;
  /**
   * The OpenSSH configuration to apply (default: ~/.ssh/config then /etc/ssh/ssh_config, as `ssh`
   * reads them; `[]` for none). `-F FILE` in a host's ssh arguments replaces it for that host.
   */
  sshConfig?: SshConfigLine[];
  /** Where warnings go (default: standard error, each said once). */
  warn?: (message: string) => void;
}

/** Ansible's names for each setting, in its order: when several are set, the last one wins. */
const NAMES = {
  host: ["ansible_host", "ansible_ssh_host"],
  port: ["ansible_port", "ansible_ssh_port"],
  user: ["ansible_user", "ansible_ssh_user"],
  key: ["ansible_private_key_file", "ansible_ssh_private_key_file"],
  hostKeyChecking: ["ansible_host_key_checking", "ansible_ssh_host_key_checking"],
  becomeUser: ["ansible_become_user", "ansible_sudo_user"],
};

/** Connection variables whose setting has no effect here: said once, never silently dropped. */
const NOT_USED: Record<string, string> = {
  ansible_ssh_executable: "lago-provision uses its own SSH client, not an ssh program",
  ansible_scp_extra_args: "files travel over the SSH connection itself, not scp",
  ansible_sftp_extra_args: "files travel over the SSH connection itself, not sftp",
  ansible_scp_executable: "files travel over the SSH connection itself, not scp",
  ansible_sftp_executable: "files travel over the SSH connection itself, not sftp",
  ansible_sftp_batch_mode: "files travel over the SSH connection itself, not sftp",
  ansible_scp_if_ssh: "files travel over the SSH connection itself, not scp",
  ansible_ssh_transfer_method: "files travel over the SSH connection itself",
  ansible_ssh_retries: "a host that cannot be reached is reported unreachable (re-run with --retry-failed)",
  ansible_ssh_use_tty: "commands run without a terminal",
  ansible_sshpass_prompt: "passwords come from ansible_password_env, not sshpass",
};

const said = new Set<string>();
const warnOnce = (message: string) => {
  if (!said.has(message)) said.add(message), writeStderr(`warning: ${message}\n`);
};

/** The user's and the system's OpenSSH configuration, as `ssh` reads them (read once per home). */
const defaultConfigs = new Map<string, SshConfigLine[]>();
export function defaultSshConfig(home: string): SshConfigLine[] {
  let lines = defaultConfigs.get(home);
  if (!lines) {
    lines = [];
    for (
      const [file, base] of [[join(home, ".ssh", "config"), join(home, ".ssh")], [SYSTEM_CONFIG, "/etc/ssh"]]
    ) {
      if (existsSync(file)) lines.push(...readConfig(file, home, base));
    }
    defaultConfigs.set(home, lines);
  }
  return lines;
}

const SYSTEM_CONFIG = "/etc/ssh/ssh_config";

function readConfig(file: string, home: string, base?: string): SshConfigLine[] {
  try {
    return readSshConfig(file, home, base);
  } catch (e) {
    if (e instanceof SshConfigError) throw new UserError(e.message);
    const { code, path } = e as { code?: string; path?: string };
    if (code) throw new UserError(`cannot read the ssh configuration ${path ?? file}: ${code}`);
    throw e;
  }
}

/**
 * How to reach a host, from its (inventory) variables. Templates in connection variables are
 * rendered with the host's own variables. Defaults as ssh's: port 22, the current user,
 * ~/.ssh/known_hosts; host keys checked strictly.
 */
export function resolveConnection(
  name: string,
  vars: Vars,
  options: ConnectionOptions = {},
): ConnectionSettings {
  return resolve(name, vars, options, []);
}

function resolve(name: string, vars: Vars, options: ConnectionOptions, via: string[]): ConnectionSettings {
  const where = `host '${name}'`;
  const warn = (m: string) => (options.warn ?? warnOnce)(`${where}: ${m}`);
  const fail = (m: string, hint?: string): never => {
    throw new UserError(`${where}: ${m}`, hint);
  };
  const get = (key: string): unknown => {
    const v = vars[key];
    return typeof v === "string" ? renderString(v, vars, `${where} ${key}`) : v;
  };
  /** The last of Ansible's names for a setting that is set, and its value. */
  const pick = (keys: string[]) => {
    const key = [...keys].reverse().find((k) => get(k) !== undefined && get(k) !== null);
    return key === undefined ? undefined : { key, value: get(key) };
  };
  const str = (key: string, value: unknown): string => {
    if (typeof value !== "string" || value === "") {
      fail(`${key} should be a non-empty string, got ${kindOf(value)}`);
    }
    return value as string;
  };
  const text = (keys: string[]) => {
    const p = pick(keys);
    return p && str(p.key, p.value);
  };
  const home = options.home ?? homedir();
  const localUser = options.user ?? currentUser();
  const expand = (path: string, remote: { host: string; user: string }) =>
    path.replace(/^~(?=$|\/)/, home).replace(
      /%([%dhru])/g,
      (_m, t: string) =>
        t === "%" ? "%" : t === "d" ? home : t === "u" ? localUser : t === "h" ? remote.host : remote.user,
    );

  const connection = connectionType(get("ansible_connection"), fail);
  for (const [key, why] of Object.entries(NOT_USED)) {
    if (get(key) !== undefined) warn(`${key} is not used: ${why}`);
  }
  checkBecome(get, warn, fail);

  const host = text(NAMES.host) ?? name;
  const port = pick(NAMES.port);
  const portNumber = port && portOf(port.key, port.value, fail);
  const user = text(NAMES.user);
  const key = text(NAMES.key);
  const timeout = get("ansible_ssh_timeout") ?? get("ansible_timeout");

  // The ssh command line Ansible would build: its ssh_args, its own -o options, then the extra args.
  const args = (variable: string) => {
    const v = get(variable);
    if (v === undefined || v === null || v === "") return { lines: [] };
    try {
      return parseSshArgs(str(variable, v), variable);
    } catch (e) {
      if (e instanceof SshArgsError) fail(e.message);
      throw e;
    }
  };
  const sshArgs = args("ansible_ssh_args");
  const common = args("ansible_ssh_common_args");
  const extra = args("ansible_ssh_extra_args");
  const own: SshConfigLine[] = [];
  const ownLine = (keyword: string, value: string | number | undefined) => {
    if (value !== undefined) own.push({ keyword, args: [String(value)], file: "inventory", line: 1 });
  };
  ownLine("port", portNumber);
  ownLine("identityfile", key);
  ownLine("user", user);
  const configFile = extra.configFile ?? common.configFile ?? sshArgs.configFile;
  const fileLines = configFile === undefined
    ? (options.sshConfig ?? defaultSshConfig(home))
    : existsSync(expand(configFile, { host, user: user ?? localUser }))
    ? readConfig(expand(configFile, { host, user: user ?? localUser }), home)
    : fail(`the ssh configuration file ${configFile} (-F) does not exist`);
  const ssh: SshOptions = evaluateSshConfig(
    [...sshArgs.lines, ...own, ...common.lines, ...extra.lines, ...fileLines],
    { host, localUser },
  );
  for (const u of ssh.unsupported) {
    const message = `${u.where}: '${u.keyword}' applies to ${host} and lago-provision cannot honour it`;
    if (u.refuse) fail(message, "remove it for this host, or see docs/from-ansible.md");
    else warn(message);
  }

  const remote = { host, user: ssh.user ?? localUser };
  const resolvedHost = ssh.hostName ? ssh.hostName.replaceAll("%h", host).replaceAll("%%", "%") : host;
  const identity = key !== undefined
    ? expand(key, remote)
    : [...ssh.identityFiles, ...DEFAULT_IDENTITIES].map((f) => expand(f, remote)).find((f) =>
      usableKey(f, name)
    );
  const knownHosts = text(["known_hosts_file"]) ?? ssh.userKnownHostsFiles?.[0];
  const knownHostsFile = knownHosts === undefined
    ? join(home, ".ssh", "known_hosts")
    : expand(knownHosts, remote);
  if (knownHostsFile === "/dev/null") {
    fail(
      "UserKnownHostsFile /dev/null would hide a host whose key changed",
      "remove it: lago-provision records host keys (--accept-new-host-keys) and refuses a changed one",
    );
  }
  const settings: ConnectionSettings = {
    name,
    connection,
    host: resolvedHost,
    port: ssh.port ?? 22,
    user: ssh.user ?? localUser,
    keyFile: identity,
    passwordEnv: text(["ansible_password_env"]) ?? text(["ssh_password_env"]),
    knownHostsFile,
    hostKeyChecking: hostKeyChecking(get, text, ssh, warn, fail),
    become: becomeFlag(get("ansible_become"), fail),
    becomeUser: text(NAMES.becomeUser) ?? "root",
  };
  if (timeout !== undefined) {
    if (!(Number(timeout) > 0)) {
      fail(`the connection timeout should be a number of seconds, got ${kindOf(timeout)}`);
    }
    settings.connectTimeoutMs = Number(timeout) * 1000;
  }
  if (ssh.forwardAgent) settings.forwardAgent = true;
  if (ssh.identitiesOnly) settings.identitiesOnly = true;
  const jump = text(["jump_host"]) ?? jumpOf(ssh, fail);
  if (jump) settings.jump = jumpSettings(jump, settings, options, [...via, name]);
  for (const k of ["keyFile", "passwordEnv"] as const) if (settings[k] === undefined) delete settings[k];
  return settings;
}

/** The keys ssh tries when none is named (OpenSSH 9's order). */
const DEFAULT_IDENTITIES = [
  "~/.ssh/id_rsa",
  "~/.ssh/id_ecdsa",
  "~/.ssh/id_ecdsa_sk",
  "~/.ssh/id_ed25519",
  "~/.ssh/id_ed25519_sk",
  "~/.ssh/id_xmss",
  "~/.ssh/id_dsa",
];

/**
 * A key file ssh would offer without being told to: it exists and can be used (an encrypted one only
 * through a running agent). ssh skips the others without a word, and so does lago-provision.
 */
function usableKey(file: string, host: string): boolean {
  if (!existsSync(file)) return false;
  try {
    readPrivateKey(file, host);
    return true;
  } catch (e) {
    if (e instanceof UserError) return false;
    throw e;
  }
}

function connectionType(value: unknown, fail: (m: string) => never): "ssh" | "local" {
  if (value === undefined || value === null) return "ssh";
  if (value === "local" || value === "ansible.builtin.local") return "local";
  if (["ssh", "smart", "paramiko", "paramiko_ssh", "ansible.builtin.ssh"].includes(String(value))) {
    return "ssh";
  }
  return fail(
    "ansible_connection should be one of ssh, local: lago-provision connects over SSH (ssh), or runs on " +
      "this machine (local)",
  );
}

/** sudo is how lago-provision becomes another user (`sudo -n`): other methods and options are refused. */
function checkBecome(
  get: (k: string) => unknown,
  warn: (m: string) => void,
  fail: (m: string, h?: string) => never,
) {
  const method = get("ansible_become_method");
  if (method !== undefined && method !== "sudo" && method !== "ansible.builtin.sudo") {
    fail(
      "ansible_become_method should be sudo: lago-provision becomes another user with sudo -n",
      "use sudo (give the login user passwordless sudo), or log in as the user directly (ansible_user)",
    );
  }
  for (const key of ["ansible_become_exe", "ansible_sudo_exe"]) {
    const v = get(key);
    if (v !== undefined && v !== "sudo") fail(`${key} should be sudo: sudo is run as sudo`);
  }
  for (const key of ["ansible_become_flags", "ansible_sudo_flags"]) {
    if (get(key) !== undefined) warn(`${key} is not used: sudo always runs as sudo -n -H -u USER`);
  }
}

function hostKeyChecking(
  get: (k: string) => unknown,
  text: (keys: string[]) => string | undefined,
  ssh: SshOptions,
  warn: (m: string) => void,
  fail: (m: string) => never,
): "strict" | "accept-new" {
  const own = text(["host_key_checking"]);
  if (own === "strict" || own === "accept-new") return own;
  if (own !== undefined) fail("host_key_checking should be one of strict, accept-new, got something else");
  const ansible = [...NAMES.hostKeyChecking].reverse().map(get).find((v) => v !== undefined);
  const off = (why: string) => {
    warn(`${why} is taken as accept-new: an unknown host key is recorded, a changed one is still refused`);
    return "accept-new" as const;
  };
  if (ansible !== undefined && /^(false|no|0|off)$/i.test(String(ansible))) {
    return off("host key checking off");
  }
  const strict = ssh.strictHostKeyChecking;
  if (strict === "accept-new") return "accept-new";
  if (strict === "no" || strict === "off" || strict === "false") {
    return off(`StrictHostKeyChecking ${strict}`);
  }
  return "strict";
}

function jumpOf(ssh: SshOptions, fail: (m: string, h?: string) => never): string | undefined {
  if (ssh.proxyJump !== undefined) {
    if (ssh.proxyJump === "none") return undefined;
    if (ssh.proxyJump.includes(",")) {
      fail("ProxyJump names a chain of jump hosts: one jump host is supported");
    }
    return ssh.proxyJump;
  }
  if (ssh.proxyCommand === undefined || ssh.proxyCommand === "none") return undefined;
  return proxyCommandJump(ssh.proxyCommand) ?? fail(
    "its ProxyCommand is not supported: only a relay through a jump host (ssh -W %h:%p bastion) is",
    "reach the host through a jump host instead: ProxyJump user@bastion (or jump_host)",
  );
}

function portOf(key: string, value: unknown, fail: (m: string) => never): number {
  const n = typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 65535) {
    fail(
      `${key} should be an integer from 1 to 65535, got ${
        typeof n === "number" ? "a number out of that range" : kindOf(value)
      }`,
    );
  }
  return n as number;
}

function becomeFlag(value: unknown, fail: (m: string) => never): boolean {
  const flag = typeof value === "string" ? /^(true|yes|1|on)$/i.test(value) : value ?? false;
  if (typeof flag !== "boolean") fail("ansible_become should be true or false");
  return flag as boolean;
}

/** `jump_host` / ProxyJump: an inventory host (with its own settings), or `[user@]host[:port]`. */
function jumpSettings(spec: string, target: ConnectionSettings, options: ConnectionOptions, via: string[]) {
  const host = options.inventory?.hosts.find((h) => h.name === spec);
  if (host) {
    if (via.includes(spec)) throw new UserError(`jump_host loop: ${[...via, spec].join(" → ")}`);
    return resolve(spec, host.vars, options, via);
  }
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec);
  if (!m) {
    throw new UserError(
      `host '${target.name}': jump_host should be user@host:port or the name of an inventory host`,
    );
  }
  // ssh reads its configuration for the jump host too (its user, port, key).
  const vars: Vars = {
    ansible_host: m[2].replace(/^\[(.*)\]$/, "$1"),
    known_hosts_file: target.knownHostsFile,
    host_key_checking: target.hostKeyChecking,
  };
  if (m[3]) vars.ansible_port = Number(m[3]);
  if (m[1]) vars.ansible_user = m[1];
  if (via.includes(spec)) throw new UserError(`jump host loop: ${[...via, spec].join(" → ")}`);
  return { ...resolve(spec, vars, options, via), become: false, becomeUser: "root" };
}

function currentUser(): string {
  try {
    return userInfo().username || "root";
  } catch {
    return "root";
  }
}

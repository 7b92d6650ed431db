/**
 * The local files a connection needs, read and judged before any host is contacted: the private key
 * (`ansible_ssh_private_key_file`) and known_hosts (`known_hosts_file`). A file that cannot serve is
 * one UserError naming the host, the variable, the file and the fix, never ssh2's bare complaint.
 * Each file is read once per process, however many hosts share it.
 */
import { Buffer } from "node:buffer";
import ssh2 from "ssh2";
import { MiB, readRegularFile } from "../core/files.ts";
import { UserError } from "../core/errors.ts";
import { env } from "../runtime.ts";
import { readKnownHosts } from "./known-hosts.ts";
import type { ConnectionSettings } from "./settings.ts";

/** Private keys are a few KiB; a larger "key" is some other file. */
const MAX_KEY_BYTES = MiB;

/** A usable key file, or "agent": encrypted, so the ssh-agent (which holds it unlocked) signs instead. */
export type PrivateKey = Buffer | "agent";

const keys = new Map<string, PrivateKey | UserError>();

/**
 * The private key in `file` for host `host`: checked to be a private key ssh2 can use. An encrypted
 * key is left to the ssh-agent when one is running (as OpenSSH does); without one it is refused,
 * since nothing could give its passphrase.
 */
export function readPrivateKey(file: string, host: string): PrivateKey {
  let known = keys.get(file);
  if (!known) {
    try {
      known = parsePrivateKey(file, host);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      known = e;
    }
    keys.set(file, known);
  }
  if (known instanceof UserError) throw known;
  return known;
}

function parsePrivateKey(file: string, host: string): PrivateKey {
  const variable = `host '${host}': ansible_ssh_private_key_file`;
  const data = Buffer.from(readRegularFile(file, {
    what: `${variable}: private key`,
    maxBytes: MAX_KEY_BYTES,
    hint: "name a private key file such as ~/.ssh/id_ed25519",
  }));
  if (data.toString("latin1").trim() === "") {
    throw new UserError(
      `${variable}: private key ${file} is empty`,
      "name a private key file such as ~/.ssh/id_ed25519",
    );
  }
  const head = data.subarray(0, 4096).toString("latin1");
  const parsed = ssh2.utils.parseKey(data);
  const encrypted = /ENCRYPTED/.test(head) ||
    (parsed instanceof Error && /encrypted|passphrase/i.test(parsed.message));
  if (encrypted) {
    if (env().SSH_AUTH_SOCK) return "agent";
    throw new UserError(
      `${variable}: private key ${file} is encrypted with a passphrase, and no ssh-agent is running to unlock it`,
      `load it into an agent (eval $(ssh-agent); ssh-add ${file}), or use a key without a passphrase for automation`,
    );
  }
  if (parsed instanceof Error) {
    throw new UserError(
      `${variable}: ${file} is not a private key ssh can use (${parsed.message.toLowerCase()})`,
      "name a private key in OpenSSH, PEM or PuTTY format, such as ~/.ssh/id_ed25519",
    );
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key.isPrivateKey()) {
    throw new UserError(
      `${variable}: ${file} is a public key (${key.type}); the private key is needed`,
      `name the private half${file.endsWith(".pub") ? `, probably ${file.slice(0, -4)}` : ""}`,
    );
  }
  return data;
}

/**
 * Read every local file `s` (and its jump host) needs, so a bad one stops the run before any host is
 * contacted. Throws the first problem as a UserError.
 */
export function checkConnectionFiles(s: ConnectionSettings): void {
  if (s.connection === "local") return;
  if (s.keyFile) readPrivateKey(s.keyFile, s.name);
  readKnownHosts(s.knownHostsFile);
  if (s.jump) checkConnectionFiles(s.jump);
}

/** Forget what was read (tests that rewrite a key file). */
export function forgetCredentials(): void {
  keys.clear();
}

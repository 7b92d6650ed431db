/**
 * OpenSSH known_hosts: lookup (plain, wildcard and negated patterns, hashed `|1|salt|hash` entries,
 * `[host]:port` form, `@revoked` and `@cert-authority` markers) and appending new keys. Pure parsing is separate from the file I/O so it is tested with data.
 */
import { Buffer } from "node:buffer";
import { createHash, createHmac } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MiB, pathExists, readRegularFile } from "../core/files.ts";
import { matchPatternList } from "./ssh-config.ts";

export interface KnownKey {
  type: string; // ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256 ...
  key: string; // base64 of the public key blob
}

/** The name OpenSSH uses for a host: `host` on port 22, `[host]:port` otherwise. */
export const hostPattern = (host: string, port: number): string => port === 22 ? host : `[${host}]:${port}`;

/** A names field: a hashed name (`|1|salt|hash`), or ssh's pattern list (`*`, `?`, `!negated`). */
function matchesName(field: string, name: string): boolean {
  if (field.startsWith("|1|")) {
    const [, , salt, hash] = field.split("|");
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  return matchPatternList(name, [field]);
}

/** What known_hosts says about one host: its keys, keys revoked, and CA lines that vouch for it. */
export interface KnownHostsLookup {
  keys: KnownKey[];
  /** `@revoked` keys (a key here is refused even with accept-new), with their line numbers. */
  revoked: (KnownKey & { line: number })[];
  /** Line numbers of `@cert-authority` entries that apply to the host. */
  certAuthorities: number[];
}

/** Look a host up in known_hosts text as ssh does (the host name, or `[host]:port` off port 22). */
export function lookupKnownHosts(text: string, host: string, port: number): KnownHostsLookup {
  const name = hostPattern(host, port).toLowerCase();
  const found: KnownHostsLookup = { keys: [], revoked: [], certAuthorities: [] };
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const words = line.split(/\s+/);
    const marker = words[0].startsWith("@") ? words.shift() : undefined;
    const [names, type, key] = words;
    if (!names || !type || !key || !matchesName(names, name)) return;
    if (marker === "@revoked") found.revoked.push({ type, key, line: i + 1 });
    else if (marker === "@cert-authority") found.certAuthorities.push(i + 1);
    else if (marker === undefined) found.keys.push({ type, key });
  });
  return found;
}

/** Keys recorded for a host in known_hosts text (lines with a marker such as @revoked are not). */
export function findKnownKeys(text: string, host: string, port: number): KnownKey[] {
  return lookupKnownHosts(text, host, port).keys;
}

/** known_hosts of a large organisation: a hundred thousand lines fit. */
const MAX_KNOWN_HOSTS_BYTES = 64 * MiB;

/** The file's text; "" when it does not exist yet (accept-new creates it). A directory or FIFO is refused. */
export function readKnownHosts(file: string): string {
  if (!pathExists(file)) return "";
  return new TextDecoder().decode(readRegularFile(file, {
    what: "known_hosts file",
    maxBytes: MAX_KNOWN_HOSTS_BYTES,
    hint: "known_hosts_file should name a file of host keys (default ~/.ssh/known_hosts)",
  }));
}

export function recordKnownKey(file: string, host: string, port: number, key: KnownKey): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${hostPattern(host, port)} ${key.type} ${key.key}\n`, { mode: 0o600 });
}

/** SHA256 fingerprint as OpenSSH prints it, for error messages. */
export function fingerprint(keyBase64: string): string {
  return "SHA256:" +
    createHash("sha256").update(Buffer.from(keyBase64, "base64")).digest("base64").replace(/=+$/, "");
}

/** The key type written inside an SSH public key blob (first length-prefixed string). */
export function keyTypeOfBlob(blob: Uint8Array): string {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const len = view.getUint32(0);
  return new TextDecoder().decode(blob.subarray(4, 4 + len));
}

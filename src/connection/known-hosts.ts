/**
 * OpenSSH known_hosts: lookup (plain and hashed `|1|salt|hash` entries, `[host]:port` form) and
 * appending new keys. Pure parsing is separate from the file I/O so it is tested with data.
 */
import { Buffer } from "node:buffer";
import { createHash, createHmac } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MiB, pathExists, readRegularFile } from "../core/files.ts";

export interface KnownKey {
  type: string; // ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256 ...
  key: string; // base64 of the public key blob
}

/** The name OpenSSH uses for a host: `host` on port 22, `[host]:port` otherwise. */
export const hostPattern = (host: string, port: number): string => port === 22 ? host : `[${host}]:${port}`;

function matchesName(field: string, name: string): boolean {
  if (field.startsWith("|1|")) {
    const [, , salt, hash] = field.split("|");
    const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return mac === hash;
  }
  return field.split(",").some((n) => n === name);
}

/** Keys recorded for a host in known_hosts text (markers such as @revoked are skipped). */
export function findKnownKeys(text: string, host: string, port: number): KnownKey[] {
  const name = hostPattern(host, port);
  const keys: KnownKey[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#") || trimmed.startsWith("@")) continue;
    const [names, type, key] = trimmed.split(/\s+/);
    if (names && type && key && matchesName(names, name)) keys.push({ type, key });
  }
  return keys;
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

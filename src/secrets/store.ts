/**
 * The local secrets store: one encrypted file beside the inventory holding the installation's secrets
 * (docs/secrets.md). AES-256-GCM with a key derived from a passphrase by scrypt; a versioned JSON
 * envelope whose header is authenticated too; written atomically with mode 0600. A value, once in the
 * store, is never replaced: adding names is the only change there is.
 *
 * The secrets stage (src/session/secrets-stage.ts) opens and completes it before a run changes any
 * host; reads are remembered per process, so the key is derived once per run.
 *
 * @example
 * ```ts
 * const { contents, generated } = ensureSecrets("inventory/lago-secrets.enc", CORE_SECRETS);
 * contents.secrets.SECRET_KEY_BASE.value; // 128 hex characters, the same on every later call
 * ```
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import process from "node:process";
import { z } from "zod";
import { UserError } from "../core/errors.ts";
import { firstIssue } from "../core/schema-issue.ts";
import { MiB, pathExists, readTextFile } from "../core/files.ts";
import { generateSecret, normalizeSecret } from "./formats.ts";
import { forgetPassphrase, PASSPHRASE_ENV, passphraseFor } from "./passphrase.ts";

export const STORE_FORMAT = "lago-provision-secrets";
export const STORE_VERSION = 1;

export interface KdfParams {
  name: "scrypt";
  /** base64, 16 random bytes, new for every store. */
  salt: string;
  N: number;
  r: number;
  p: number;
}

/** The file as written: everything but `ciphertext` is readable, and all of it is authenticated. */
export interface Envelope {
  format: typeof STORE_FORMAT;
  version: number;
  kdf: KdfParams;
  cipher: "aes-256-gcm";
  /** base64, 12 random bytes, new for every write. */
  iv: string;
  /** base64, the 16-byte GCM authentication tag. */
  tag: string;
  ciphertext: string;
}

export interface StoredSecret {
  value: string;
  /** ISO time it entered the store. */
  created: string;
  /** "generated", or "imported from HOST:PATH". */
  source: string;
}

/** The decrypted content. */
export interface StoreContents {
  secrets: Record<string, StoredSecret>;
}

export interface StoreOptions {
  /** The passphrase itself (tests, the CLI); default: LAGO_SECRETS_PASSPHRASE or a prompt. */
  passphrase?: string;
  /** scrypt cost for a new store; default N=2^17, r=8, p=1 (about a second, 128 MiB). */
  kdf?: Pick<KdfParams, "N" | "r" | "p">;
}

const DEFAULT_KDF = { N: 2 ** 17, r: 8, p: 1 };
/** The largest scrypt N a store may name (with the memory and work bounds below). */
const MAX_N = 2 ** 20;
const KEY_BYTES = 32;

const errno = (e: unknown) => (e as { code?: string }).code;
const b64 = (data: Uint8Array) => Buffer.from(data).toString("base64");
const unb64 = (text: string) => Buffer.from(text, "base64");

/** The authenticated header: changing the KDF parameters or the version breaks the tag. */
const additionalData = (e: Pick<Envelope, "format" | "version" | "kdf" | "cipher">) =>
  Buffer.from(
    JSON.stringify([e.format, e.version, e.kdf.name, e.kdf.salt, e.kdf.N, e.kdf.r, e.kdf.p, e.cipher]),
  );

function deriveKey(passphrase: string, kdf: KdfParams): Buffer {
  const cost = kdfCostProblem(kdf);
  if (cost) throw new UserError(`unsupported key derivation parameters: ${cost}`);
  return scryptSync(passphrase, unb64(kdf.salt), KEY_BYTES, {
    N: kdf.N,
    r: kdf.r,
    p: kdf.p,
    // Also scrypt's own limit, whatever the checks above let through.
    maxmem: MAX_SCRYPT_MEMORY + MiB,
  });
}

/** Encrypt contents into an envelope (a fresh IV every time). */
export function seal(contents: StoreContents, key: Buffer, kdf: KdfParams): Envelope {
  const header = { format: STORE_FORMAT, version: STORE_VERSION, kdf, cipher: "aes-256-gcm" } as const;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(additionalData(header));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(contents), "utf8"), cipher.final()]);
  return { ...header, iv: b64(iv), tag: b64(cipher.getAuthTag()), ciphertext: b64(ciphertext) };
}

/** Decrypt an envelope; null when the key is wrong or anything in the file was changed. */
export function unseal(envelope: Envelope, key: Buffer): StoreContents | null {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, unb64(envelope.iv));
    decipher.setAAD(additionalData(envelope));
    decipher.setAuthTag(unb64(envelope.tag));
    const plain = Buffer.concat([decipher.update(unb64(envelope.ciphertext)), decipher.final()]);
    return JSON.parse(plain.toString("utf8")) as StoreContents;
  } catch {
    return null;
  }
}

/** A store holds a few KiB of secrets; anything much larger is some other file. */
const MAX_STORE_BYTES = MiB;
/** What a file may ask of scrypt: its memory (128·N·r bytes) and its work (N·r·p), before deriving. */
const MAX_SCRYPT_MEMORY = 256 * MiB;
const MAX_SCRYPT_WORK = 4 * DEFAULT_KDF.N * DEFAULT_KDF.r * DEFAULT_KDF.p;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const base64Bytes = (min: number, max = min) =>
  z.string().regex(BASE64, { error: "should be base64" }).refine((t) => {
    const n = unb64(t).length;
    return n >= min && n <= max;
  }, {
    error: min === max ? `should be ${min} bytes in base64` : `should be ${min} to ${max} bytes in base64`,
  });

const kdfSchema = z.object({
  name: z.literal("scrypt"),
  salt: base64Bytes(16, 64),
  N: z.number().int(),
  r: z.number().int(),
  p: z.number().int(),
}).strict();

const envelopeSchema = z.object({
  format: z.literal(STORE_FORMAT),
  version: z.literal(STORE_VERSION),
  kdf: kdfSchema,
  cipher: z.literal("aes-256-gcm"),
  iv: base64Bytes(12),
  tag: base64Bytes(16),
  ciphertext: z.string().regex(BASE64, { error: "should be base64" }),
}).strict();

/**
 * Why scrypt must not run with these parameters, or undefined. Bounds memory and work so that a
 * tampered file cannot make the controller allocate gigabytes or spin for minutes.
 */
export function kdfCostProblem(k: { N: unknown; r: unknown; p: unknown }): string | undefined {
  const { N, r, p } = k;
  const int = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
  if (!int(N) || N < 2 || (N & (N - 1)) !== 0 || N > MAX_N) {
    return `N should be a power of 2 up to 2^20, got ${show(N)}`;
  }
  if (!int(r) || r < 1 || r > 32) return `r should be an integer from 1 to 32, got ${show(r)}`;
  if (!int(p) || p < 1 || p > 16) return `p should be an integer from 1 to 16, got ${show(p)}`;
  if (128 * N * r > MAX_SCRYPT_MEMORY) {
    return `N=${N}, r=${r} would need ${(128 * N * r) / MiB} MiB of memory (at most ${
      MAX_SCRYPT_MEMORY / MiB
    })`;
  }
  if (N * r * p > MAX_SCRYPT_WORK) {
    return `N·r·p = ${N * r * p} is more work than allowed (${MAX_SCRYPT_WORK})`;
  }
}

const show = (
  v: unknown,
) => (typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : String(v).slice(0, 40));

/** Parse and check the envelope's shape and cost before any expensive key derivation. */
export function parseEnvelope(text: string, path: string): Envelope {
  const bad = (why: string) =>
    new UserError(
      `${path} is not a lago-provision secrets store (${why})`,
      "restore it from your backup; never replace it with new secrets while hosts hold the old ones",
    );
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(text);
  } catch {
    throw bad(text.trim() === "" ? "it is empty" : "not JSON");
  }
  if (!e || typeof e !== "object" || Array.isArray(e) || e.format !== STORE_FORMAT) {
    throw bad(`format is not "${STORE_FORMAT}"`);
  }
  if (e.version !== STORE_VERSION) {
    throw new UserError(
      `${path} has store version ${show(e.version)}; this lago-provision reads version ${STORE_VERSION}`,
      "use the lago-provision release that wrote it (or a newer one)",
    );
  }
  const kdf = e.kdf as Record<string, unknown> | null;
  if (!kdf || typeof kdf !== "object") throw bad("kdf: should be an object");
  const cost = kdfCostProblem(kdf as { N: unknown; r: unknown; p: unknown });
  if (cost) throw bad(`unsupported key derivation parameters: ${cost}`);
  const parsed = envelopeSchema.safeParse(e);
  if (!parsed.success) {
    throw bad(firstIssue(parsed.error));
  }
  return parsed.data;
}

interface Opened {
  /** The file text the contents were read from (a changed file is read again). */
  text: string;
  contents: StoreContents;
  key: Buffer;
  kdf: KdfParams;
}

/** Per absolute path: what was decrypted, and a decryption failure (reported the same to every host). */
const opened = new Map<string, Opened>();
const failed = new Map<string, UserError>();

/** Forget remembered stores and passphrase (tests; a CLI command that starts over). */
export function forgetStores(): void {
  opened.clear();
  failed.clear();
  forgetPassphrase();
}

export const storeExists = (path: string): boolean => pathExists(resolve(path));

/** Decrypt the store at `path`, or null when there is none. Throws one clear error on a wrong passphrase. */
export function readStore(path: string, opts: StoreOptions = {}): StoreContents | null {
  const o = openStore(resolve(path), opts);
  return o ? o.contents : null;
}

function openStore(path: string, opts: StoreOptions): Opened | null {
  // A dangling link exists too: reading it says so, rather than creating a new store beside it.
  if (!pathExists(path)) return null;
  const text = readTextFile(path, {
    what: "secrets store",
    maxBytes: MAX_STORE_BYTES,
    hint: "restore the store from your backup (it must be the file `secrets init` wrote)",
  });
  const known = opened.get(path);
  if (known && known.text === text) return known;
  const previous = failed.get(path);
  if (previous) throw previous;
  const envelope = parseEnvelope(text, path);
  for (let attempt = 1;; attempt++) {
    const pass = opts.passphrase !== undefined
      ? { value: opts.passphrase, prompted: false }
      : passphraseFor(path, false);
    // The same passphrase and salt give the same key: derive once per file, not once per host.
    const key = known && known.kdf.salt === envelope.kdf.salt && opts.passphrase === undefined
      ? known.key
      : deriveKey(pass.value, envelope.kdf);
    const contents = unseal(envelope, key);
    if (contents) {
      const entry = { text, contents, key, kdf: envelope.kdf };
      opened.set(path, entry);
      return entry;
    }
    if (pass.prompted && attempt < 3) {
      forgetPassphrase();
      continue;
    }
    const error = new UserError(
      `cannot decrypt the secrets store ${path}: wrong passphrase, or the file was modified`,
      pass.prompted || opts.passphrase !== undefined
        ? "use the passphrase the store was created with"
        : `check ${PASSPHRASE_ENV}: it must be the passphrase the store was created with`,
    );
    if (opts.passphrase === undefined) failed.set(path, error);
    throw error;
  }
}

/**
 * Add secrets to the store (creating it when missing). A name already there keeps its value: the
 * same value is fine, a different one is refused before anything is written.
 */
export function addSecrets(
  path: string,
  additions: Record<string, { value: string; source: string }>,
  opts: StoreOptions = {},
): { contents: StoreContents; added: string[] } {
  return updateStore(resolve(path), opts, (current) => {
    const clashes = Object.keys(additions).filter((name) => {
      const have = current.secrets[name];
      return have && have.value !== normalizeSecret(name, additions[name].value);
    });
    if (clashes.length > 0) {
      throw new UserError(
        `${path} already holds different values for ${clashes.join(", ")}; nothing was written`,
        "a stored secret is never replaced (see docs/secrets.md): find out which value the installation's data was encrypted with",
      );
    }
    const now = new Date().toISOString();
    const added = Object.keys(additions).filter((name) => !current.secrets[name]);
    for (const name of added) {
      current.secrets[name] = {
        value: normalizeSecret(name, additions[name].value),
        created: now,
        source: additions[name].source,
      };
    }
    return added;
  });
}

/** The store with every one of `names` in it: the missing ones are generated (and the store created). */
export function ensureSecrets(
  path: string,
  names: readonly string[],
  opts: StoreOptions = {},
): { contents: StoreContents; generated: string[] } {
  const abs = resolve(path);
  const existing = openStore(abs, opts);
  if (existing && names.every((n) => existing.contents.secrets[n])) {
    return { contents: existing.contents, generated: [] };
  }
  const { contents, added } = updateStore(abs, opts, (current) => {
    const now = new Date().toISOString();
    const missing = names.filter((n) => !current.secrets[n]);
    for (const name of missing) {
      current.secrets[name] = { value: generateSecret(name), created: now, source: "generated" };
    }
    return missing;
  });
  return { contents, generated: added };
}

/**
 * Read (under a lock, so two processes cannot both add), change with `fn`, write atomically. A new
 * store is linked into place, never renamed over one that appeared meanwhile.
 */
function updateStore(
  path: string,
  opts: StoreOptions,
  fn: (current: StoreContents) => string[],
): { contents: StoreContents; added: string[] } {
  return withLock(path, () => {
    const before = openStore(path, opts);
    const contents: StoreContents = structuredClone(before?.contents ?? { secrets: {} });
    const added = fn(contents);
    if (added.length === 0 && before) return { contents: before.contents, added };
    let key: Buffer;
    let kdf: KdfParams;
    if (before) ({ key, kdf } = before);
    else {
      const pass = opts.passphrase ?? passphraseFor(path, true).value;
      kdf = { name: "scrypt", salt: b64(randomBytes(16)), ...DEFAULT_KDF, ...opts.kdf };
      key = deriveKey(pass, kdf);
    }
    const text = JSON.stringify(seal(contents, key, kdf), null, 2) + "\n";
    writeAtomically(path, text, !before);
    opened.set(path, { text, contents, key, kdf });
    return { contents, added };
  });
}

/** Temp file beside the target (mode 0600, synced), then rename; `create` refuses to replace a file. */
function writeAtomically(path: string, text: string, create: boolean): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, 0o600);
    if (create) linkSync(tmp, path);
    else renameSync(tmp, path);
  } catch (e) {
    if (errno(e) === "EEXIST") {
      throw new UserError(`${path} appeared while this run was creating it; run again to use it`);
    }
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  syncDir(dirname(path));
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform syncs directories; the rename is atomic either way.
  }
}

const LOCK_WAIT_MS = 10_000;

/** An exclusive lock file beside the store, waited for synchronously (plans cannot await). */
function withLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx", 0o600));
      break;
    } catch (e) {
      if (errno(e) === "ENOENT") {
        throw new UserError(`cannot create the secrets store: the folder ${dirname(path)} does not exist`);
      }
      if (errno(e) !== "EEXIST") throw e;
      if (Date.now() > deadline) {
        throw new UserError(
          `${lock} has been held for ${LOCK_WAIT_MS / 1000} s by another lago-provision`,
          `if none is running (one was killed), remove ${lock} (created ${
            statSync(lock).mtime.toISOString()
          })`,
        );
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

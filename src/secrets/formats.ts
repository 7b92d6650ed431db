/**
 * The installation's secrets and their formats (docs/secrets.md, lago-stack.md "Secrets"): how each is
 * generated, what a well-formed value looks like, and the upstream placeholders that are not values.
 *
 * @example
 * ```ts
 * const key = generateSecret("LAGO_RSA_PRIVATE_KEY"); // base64 of a 2048-bit RSA PEM, one line
 * formatProblem("SECRET_KEY_BASE", "abc"); // "should be 128 hexadecimal characters ..."
 * ```
 */
import { Buffer } from "node:buffer";
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, randomInt } from "node:crypto";

/** The five secrets every Lago installation has, in the order they are written. */
export const CORE_SECRETS = [
  "LAGO_RSA_PRIVATE_KEY",
  "SECRET_KEY_BASE",
  "LAGO_ENCRYPTION_PRIMARY_KEY",
  "LAGO_ENCRYPTION_DETERMINISTIC_KEY",
  "LAGO_ENCRYPTION_KEY_DERIVATION_SALT",
] as const;

/**
 * Other secrets often kept with them (looked for by `secrets import` and `secrets status`): the bundled
 * database's and Redis's passwords, the first organization's admin password and the /metrics and
 * /sidekiq basic auth password (playbooks/site.yml makes all four).
 */
export const KNOWN_EXTRA_SECRETS = [
  "POSTGRES_PASSWORD",
  "REDIS_PASSWORD",
  "LAGO_ORG_USER_PASSWORD",
  "OPS_BASIC_AUTH_PASSWORD",
] as const;

/** An environment variable name a secret may have. */
export const SECRET_NAME = /^[A-Z][A-Z0-9_]*$/;

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `length` characters from [A-Za-z0-9], each uniform (randomInt rejects instead of taking a modulo). */
export function randomAlnum(length = 32): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

/**
 * What `openssl genrsa 2048 | openssl base64 -A` gives with OpenSSL 3: a PKCS#8 PEM of a 2048-bit RSA
 * key, base64-encoded on one line. Lago decodes it with `OpenSSL::PKey::RSA.new(Base64.decode64(...))`.
 */
export function generateRsaKey(): string {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return Buffer.from(privateKey).toString("base64");
}

/** A new value for a secret: its documented format for the five, 32 alphanumerics for any other. */
export function generateSecret(name: string): string {
  switch (name) {
    case "LAGO_RSA_PRIVATE_KEY":
      return generateRsaKey();
    case "SECRET_KEY_BASE":
      return randomBytes(64).toString("hex");
    default:
      return randomAlnum(32);
  }
}

/**
 * The form a value is compared and stored in. The RSA key's base64 may arrive wrapped over several
 * lines (`openssl genrsa | base64` without -A); base64 ignores the line breaks, so it is the same key.
 */
export function normalizeSecret(name: string, value: string): string {
  return name === "LAGO_RSA_PRIVATE_KEY" ? value.replace(/\s+/g, "") : value;
}

/** Names whose values are normalized by dropping whitespace (the host-side probe does the same). */
export const WHITESPACE_FREE = ["LAGO_RSA_PRIVATE_KEY"];

/** sha256 (hex) of a secret's normalized value: what hosts report instead of values. */
export const secretHash = (name: string, value: string): string =>
  createHash("sha256").update(normalizeSecret(name, value)).digest("hex");

/** A hash as shown to people: enough to tell values apart, far too little to guess one. */
export const shortHash = (hash: string): string => hash.slice(0, 8);

/** Values from upstream examples and docs that only stand in for a secret (lago-stack.md, the seed). */
export const PLACEHOLDERS = [
  "changeme",
  "azerty123456",
  "your-secret-key-base-hex-64",
  "your-encryption-primary-key",
  "your-encryption-deterministic-key",
  "your-encryption-derivation-salt",
];

const placeholderHashes = new Set(PLACEHOLDERS.map((p) => createHash("sha256").update(p).digest("hex")));

/** True when a host reported the hash of a placeholder (or of an empty value) rather than of a secret. */
export const isPlaceholderHash = (hash: string): boolean => placeholderHashes.has(hash);

export const isPlaceholder = (value: string): boolean => value === "" || PLACEHOLDERS.includes(value);

/**
 * Why a value is not in the secret's format, or null when it is. Imported values are checked with it:
 * a malformed RSA key fails every webhook, a multi-line value breaks env files.
 */
export function formatProblem(name: string, value: string): string | null {
  if (isPlaceholder(value)) return "is an upstream placeholder, not a secret";
  if (/[\r\n\0]/.test(value)) return "spans several lines (env files need it on one line)";
  switch (name) {
    case "LAGO_RSA_PRIVATE_KEY": {
      const pem = Buffer.from(value, "base64").toString("utf8");
      if (!pem.startsWith("-----BEGIN ")) {
        return "should be a PEM private key encoded in base64 on one line (openssl genrsa 2048 | openssl base64 -A)";
      }
      try {
        const key = createPrivateKey(pem);
        if (key.asymmetricKeyType !== "rsa") return `should be an RSA key, not ${key.asymmetricKeyType}`;
      } catch (e) {
        return `is not a readable private key (${(e as Error).message})`;
      }
      return null;
    }
    case "SECRET_KEY_BASE":
      return /^[0-9a-f]{128}$/.test(value)
        ? null
        : "should be 128 hexadecimal characters (openssl rand -hex 64)";
    default:
      return value.length >= 16 ? null : "should be at least 16 characters long";
  }
}

/** The encrypted store: round trip, one clear error for a wrong passphrase, tampering detected, 0600. */
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { UserError } from "../../../src/core/types.ts";
import {
  addSecrets,
  ensureSecrets,
  type Envelope,
  forgetStores,
  readStore,
  STORE_FORMAT,
} from "../../../src/secrets/store.ts";

// Never a prompt here, even when the tests run in a terminal.
vi.mock("node:tty", () => ({ isatty: () => false }));

const PASS = "a long enough passphrase";
const CHEAP = { N: 1024, r: 8, p: 1 };
const opts = { passphrase: PASS, kdf: CHEAP };
let dir: string;
const at = (name = "store.enc") => join(dir, name);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lago-store-"));
  forgetStores();
});
afterEach(() => forgetStores());

const sample = { SECRET_KEY_BASE: { value: "f".repeat(128), source: "test" } };
const thrown = (fn: () => unknown): UserError => {
  try {
    fn();
  } catch (e) {
    return e as UserError;
  }
  throw new Error("did not throw");
};
const envelopeOf = (path: string): Envelope => JSON.parse(readFileSync(path, "utf8"));

describe("secrets store", () => {
  it("round-trips through a 0600 file whose envelope shows no value", () => {
    addSecrets(at(), sample, opts);
    forgetStores();
    expect(readStore(at(), { passphrase: PASS })!.secrets.SECRET_KEY_BASE).toMatchObject({
      value: "f".repeat(128),
      source: "test",
    });
    expect(statSync(at()).mode & 0o777).toBe(0o600);
    const text = readFileSync(at(), "utf8");
    expect(text).not.toContain("fff");
    expect(text).not.toContain("SECRET_KEY_BASE");
    const e = envelopeOf(at());
    expect(Object.keys(e).sort()).toEqual(["cipher", "ciphertext", "format", "iv", "kdf", "tag", "version"]);
    expect(e).toMatchObject({
      format: STORE_FORMAT,
      version: 1,
      cipher: "aes-256-gcm",
      kdf: { name: "scrypt", ...CHEAP },
    });
    expect(readdirSync(dir)).toEqual(["store.enc"]); // no temp or lock file left behind
  });

  it("reports a missing store as null", () => {
    expect(readStore(at(), opts)).toBeNull();
  });

  it("refuses a wrong passphrase with one clear error", () => {
    addSecrets(at(), sample, opts);
    forgetStores();
    expect(() => readStore(at(), { passphrase: "not the passphrase" })).toThrow(
      `cannot decrypt the secrets store ${at()}: wrong passphrase, or the file was modified`,
    );
  });

  it("reports the same error to every later reader without asking again (environment passphrase)", () => {
    addSecrets(at(), sample, opts);
    forgetStores();
    process.env.LAGO_SECRETS_PASSPHRASE = "wrong wrong wrong";
    try {
      const first = thrown(() => readStore(at()));
      expect(first.message).toContain("wrong passphrase");
      expect(first.hint).toContain("check LAGO_SECRETS_PASSPHRASE");
      expect(thrown(() => readStore(at()))).toBe(first);
    } finally {
      delete process.env.LAGO_SECRETS_PASSPHRASE;
    }
  });

  const tamper: [string, (e: Envelope) => void][] = [
    ["a flipped ciphertext byte", (e) => {
      const b = Buffer.from(e.ciphertext, "base64");
      b[3] ^= 1;
      e.ciphertext = b.toString("base64");
    }],
    ["another tag", (e) => (e.tag = Buffer.alloc(16, 7).toString("base64"))],
    ["another iv", (e) => (e.iv = Buffer.alloc(12, 7).toString("base64"))],
    ["a weaker KDF cost in the header", (e) => (e.kdf.N = 512)],
  ];
  for (const [what, change] of tamper) {
    it(`detects ${what} (GCM tag over ciphertext and header)`, () => {
      addSecrets(at(), sample, opts);
      forgetStores();
      const e = envelopeOf(at());
      change(e);
      writeFileSync(at(), JSON.stringify(e));
      expect(() => readStore(at(), { passphrase: PASS })).toThrow(
        "wrong passphrase, or the file was modified",
      );
    });
  }

  const malformed: [string, string, string][] = [
    ["not JSON", "hello", "is not a lago-provision secrets store (not JSON)"],
    ["another format", JSON.stringify({ format: "vault" }), 'format is not "lago-provision-secrets"'],
    ["a newer version", JSON.stringify({ format: STORE_FORMAT, version: 2 }), "has store version 2"],
    [
      "a KDF asking for too much memory",
      JSON.stringify({
        format: STORE_FORMAT,
        version: 1,
        kdf: { name: "scrypt", salt: "", N: 2 ** 30, r: 8, p: 1 },
      }),
      "unsupported key derivation parameters",
    ],
  ];
  // A real envelope with one field changed: each is refused before scrypt runs (a 4 GiB cost used to hang).
  const real = () => {
    addSecrets(at("real.enc"), sample, opts);
    forgetStores();
    return envelopeOf(at("real.enc")) as unknown as Record<string, any>;
  };
  const tampered: [string, (e: Record<string, any>) => void, string][] = [
    ["a salt that is a number", (e) => (e.kdf.salt = 5), "(kdf/salt: Invalid input: expected string"],
    ["a short salt", (e) => (e.kdf.salt = "AAAA"), "(kdf/salt: should be 16 to 64 bytes in base64)"],
    ["N as a string", (e) => (e.kdf.N = "1024"), 'N should be a power of 2 up to 2^20, got "1024"'],
    ["r of 0", (e) => (e.kdf.r = 0), "r should be an integer from 1 to 32, got 0"],
    ["p of 1.5", (e) => (e.kdf.p = 1.5), "p should be an integer from 1 to 16, got 1.5"],
    [
      "a 4 GiB scrypt cost",
      (e) => Object.assign(e.kdf, { N: 2 ** 20, r: 32 }),
      "would need 4096 MiB of memory",
    ],
    [
      "16 times the default work",
      (e) => Object.assign(e.kdf, { N: 2 ** 17, r: 8, p: 16 }),
      "is more work than allowed",
    ],
    ["an iv that is a number", (e) => (e.iv = 12), "(iv: Invalid input: expected string, received number)"],
    ["an iv of 4 bytes", (e) => (e.iv = "AAAAAA=="), "(iv: should be 12 bytes in base64)"],
    ["a tag that is not base64", (e) => (e.tag = "%%%"), "(tag: should be base64)"],
    ["no ciphertext", (e) => delete e.ciphertext, "(ciphertext: Invalid input"],
    ["an unknown key", (e) => (e.note = "hi"), '(top level: Unrecognized key: "note")'],
    ["kdf null", (e) => (e.kdf = null), "(kdf: should be an object)"],
  ];
  for (const [what, change, error] of tampered) {
    it(`refuses ${what} before deriving a key, writing nothing`, () => {
      const e = real();
      change(e);
      writeFileSync(at(), JSON.stringify(e));
      const before = readFileSync(at(), "utf8");
      expect(() => ensureSecrets(at(), ["SECRET_KEY_BASE", "OTHER"], opts)).toThrow(
        `${at()} is not a lago-provision secrets store (`,
      );
      expect(() => readStore(at(), opts)).toThrow(error);
      expect(readFileSync(at(), "utf8")).toBe(before);
      expect(readdirSync(dir).sort()).toEqual(["real.enc", "store.enc"]);
    });
  }

  it.each([
    ["a directory", (p: string) => mkdirSync(p), "is a directory, not a file"],
    ["a FIFO", (p: string) => execFileSync("mkfifo", [p]), "is a FIFO (named pipe), not a file"],
    [
      "a dangling link",
      (p: string) => symlinkSync("nowhere", p),
      "is a symbolic link to a file that does not exist",
    ],
    ["2 MiB", (p: string) => writeFileSync(p, "x".repeat(2 * 1024 * 1024)), "is too large (2 MiB"],
  ])("refuses a store that is %s, writing nothing", (_what, make, error) => {
    make(at());
    expect(() => ensureSecrets(at(), ["A_KEY"], opts)).toThrow(`secrets store ${at()} ${error}`);
    expect(readdirSync(dir)).toEqual(["store.enc"]);
  });

  it("will not create a store with a cost it would refuse to read", () => {
    expect(() => ensureSecrets(at(), ["A_KEY"], { passphrase: PASS, kdf: { N: 2 ** 20, r: 32, p: 1 } }))
      .toThrow(
        "unsupported key derivation parameters",
      );
    expect(readdirSync(dir)).toEqual([]);
  });

  for (const [what, text, error] of malformed) {
    it(`names the problem with ${what}`, () => {
      writeFileSync(at(), text);
      expect(() => readStore(at(), opts)).toThrow(error);
    });
  }

  it("adds names but never replaces a value", () => {
    addSecrets(at(), sample, opts);
    addSecrets(at(), { SECRET_KEY_BASE: { value: "f".repeat(128), source: "again" } }, opts); // same value: fine
    expect(() => addSecrets(at(), { SECRET_KEY_BASE: { value: "0".repeat(128), source: "x" } }, opts))
      .toThrow(
        "already holds different values for SECRET_KEY_BASE; nothing was written",
      );
    const { added } = addSecrets(at(), { REDIS_PASSWORD: { value: "r".repeat(32), source: "x" } }, opts);
    expect(added).toEqual(["REDIS_PASSWORD"]);
    forgetStores();
    const s = readStore(at(), { passphrase: PASS })!.secrets;
    expect(s.SECRET_KEY_BASE).toMatchObject({ value: "f".repeat(128), source: "test" });
    expect(Object.keys(s).sort()).toEqual(["REDIS_PASSWORD", "SECRET_KEY_BASE"]);
  });

  it("stores a wrapped RSA value on one line", () => {
    addSecrets(at(), { LAGO_RSA_PRIVATE_KEY: { value: "TFMw\ndExT\n", source: "t" } }, opts);
    expect(readStore(at(), opts)!.secrets.LAGO_RSA_PRIVATE_KEY.value).toBe("TFMwdExT");
  });

  it("generates once: a second ensure (another host, another run) reads the same values", () => {
    const first = ensureSecrets(at(), ["SECRET_KEY_BASE", "REDIS_PASSWORD"], opts);
    expect(first.generated).toEqual(["SECRET_KEY_BASE", "REDIS_PASSWORD"]);
    const again = ensureSecrets(at(), ["SECRET_KEY_BASE", "REDIS_PASSWORD"], opts);
    expect(again.generated).toEqual([]);
    forgetStores();
    const fresh = ensureSecrets(at(), ["SECRET_KEY_BASE"], { passphrase: PASS });
    expect(fresh.contents.secrets.SECRET_KEY_BASE.value).toBe(first.contents.secrets.SECRET_KEY_BASE.value);
    expect(fresh.contents.secrets.SECRET_KEY_BASE.source).toBe("generated");
  });

  it("keeps its salt and changes its iv when it grows", () => {
    ensureSecrets(at(), ["A_KEY"], opts);
    const before = envelopeOf(at());
    ensureSecrets(at(), ["A_KEY", "B_KEY"], opts);
    const after = envelopeOf(at());
    expect(after.kdf.salt).toBe(before.kdf.salt);
    expect(after.iv).not.toBe(before.iv);
  });

  it("needs a passphrase: no environment variable and no terminal is one clear error", () => {
    delete process.env.LAGO_SECRETS_PASSPHRASE;
    addSecrets(at(), sample, opts);
    forgetStores();
    expect(() => readStore(at())).toThrow("needs a passphrase and there is no terminal to ask it on");
  });

  it("refuses a short passphrase for a new store", () => {
    process.env.LAGO_SECRETS_PASSPHRASE = "short";
    try {
      expect(() => ensureSecrets(at(), ["A_KEY"])).toThrow("too short for a new secrets store");
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      delete process.env.LAGO_SECRETS_PASSPHRASE;
    }
  });

  it("cannot create a store in a folder that does not exist", () => {
    expect(() => ensureSecrets(join(dir, "nope", "s.enc"), ["A_KEY"], opts)).toThrow(
      `the folder ${join(dir, "nope")} does not exist`,
    );
  });
});

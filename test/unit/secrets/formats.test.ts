/** Generated secrets are in Lago's formats (lago-stack.md "Secrets"), and OpenSSL agrees about the key. */
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CORE_SECRETS,
  formatProblem,
  generateSecret,
  isPlaceholderHash,
  normalizeSecret,
  randomAlnum,
  secretHash,
} from "../../../src/secrets/formats.ts";

const rsa = generateSecret("LAGO_RSA_PRIVATE_KEY");

describe("generated secrets", () => {
  it("LAGO_RSA_PRIVATE_KEY: one line of base64 of a 2048-bit RSA private key PEM, as openssl genrsa writes", () => {
    expect(rsa).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const pem = Buffer.from(rsa, "base64").toString("utf8");
    expect(pem.split("\n")[0]).toBe(`-----BEGIN ${"PRIVATE"} KEY-----`); // PKCS#8, like OpenSSL 3
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe("rsa");
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it("LAGO_RSA_PRIVATE_KEY passes `openssl rsa -check` after base64 -d", () => {
    const r = spawnSync("sh", ["-c", "base64 -d | openssl rsa -check -noout"], {
      input: rsa,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("RSA key ok");
  });

  it("SECRET_KEY_BASE: 128 hex characters", () => {
    expect(generateSecret("SECRET_KEY_BASE")).toMatch(/^[0-9a-f]{128}$/);
  });

  it("the encryption keys and any other name: 32 letters and digits", () => {
    for (const name of [...CORE_SECRETS.slice(2), "POSTGRES_PASSWORD", "REDIS_PASSWORD"]) {
      expect(generateSecret(name)).toMatch(/^[A-Za-z0-9]{32}$/);
    }
  });

  it("every value is new", () => {
    const values = Array.from({ length: 50 }, () => generateSecret("LAGO_ENCRYPTION_PRIMARY_KEY"));
    expect(new Set(values).size).toBe(50);
  });

  it("alphanumerics are drawn uniformly (no modulo bias): every character shows up, none dominates", () => {
    const counts = new Map<string, number>();
    for (const c of randomAlnum(62 * 400)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // 400 expected each; a modulo over bytes would give the first 8 characters about 25% more.
    for (const n of counts.values()) expect(n).toBeGreaterThan(300), expect(n).toBeLessThan(500);
  });

  it("generated values pass their own format check", () => {
    for (const name of CORE_SECRETS) expect(formatProblem(name, generateSecret(name))).toBeNull();
  });
});

describe("format checks (for imported values)", () => {
  const cases: [string, string, string | null][] = [
    ["SECRET_KEY_BASE", "your-secret-key-base-hex-64", "is an upstream placeholder"],
    ["SECRET_KEY_BASE", "ab".repeat(32), "should be 128 hexadecimal characters"],
    ["LAGO_ENCRYPTION_PRIMARY_KEY", "short", "at least 16 characters"],
    ["POSTGRES_PASSWORD", "changeme", "placeholder"],
    ["POSTGRES_PASSWORD", "line one\nline two", "spans several lines"],
    ["LAGO_RSA_PRIVATE_KEY", Buffer.from("not a pem").toString("base64"), "should be a PEM private key"],
    [
      "LAGO_RSA_PRIVATE_KEY",
      Buffer.from(`-----BEGIN ${"PRIVATE"} KEY-----\nAAAA\n`).toString("base64"),
      "is not a readable private key",
    ],
    ["REDIS_PASSWORD", "A".repeat(32), null],
  ];
  for (const [name, value, problem] of cases) {
    it(`${name} ${JSON.stringify(value.slice(0, 30))}: ${problem ?? "fine"}`, () => {
      const found = formatProblem(name, value);
      if (problem === null) expect(found).toBeNull();
      else expect(found).toContain(problem);
    });
  }

  it("a wrapped RSA value is the same key as the one-line form", () => {
    const wrapped = rsa.replace(/(.{76})/g, "$1\n");
    expect(normalizeSecret("LAGO_RSA_PRIVATE_KEY", wrapped)).toBe(rsa);
    expect(secretHash("LAGO_RSA_PRIVATE_KEY", wrapped)).toBe(secretHash("LAGO_RSA_PRIVATE_KEY", rsa));
    expect(normalizeSecret("POSTGRES_PASSWORD", " a b ")).toBe(" a b ");
  });

  it("recognizes placeholders by hash only", () => {
    expect(isPlaceholderHash(secretHash("X", "changeme"))).toBe(true);
    expect(isPlaceholderHash(secretHash("X", "changeme2"))).toBe(false);
  });
});

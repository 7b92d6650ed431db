/**
 * `lago-provision secrets …` through main(), against a `connection: local` host whose env files are in a
 * temp dir: init, status, import, and their refusals. What they print never holds a value.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/main.ts";
import { CORE_SECRETS } from "../../../src/secrets/formats.ts";
import { forgetStores, readStore } from "../../../src/secrets/store.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

const PASS = "unit test passphrase";
let dir: string;
let inventory: string;
let printed: string;

const envFile = () => join(dir, "host.env");
const cli = async (...args: string[]) => {
  printed = "";
  return await main(["secrets", ...args]);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lago-secrets-cli-"));
  inventory = join(dir, "inventory.yml");
  writeFileSync(inventory, "all:\n  hosts:\n    here:\n      ansible_connection: local\n");
  process.env.LAGO_SECRETS_PASSPHRASE = PASS;
  forgetStores();
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    printed += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.LAGO_SECRETS_PASSPHRASE;
  rmSync(dir, { recursive: true, force: true });
});

const upstream: Record<string, string> = {
  LAGO_RSA_PRIVATE_KEY: "", // set below: a real key, wrapped over lines as `openssl genrsa | base64` writes it
  SECRET_KEY_BASE: "ab".repeat(32), // 64 hex characters, as older installs have: kept, with a warning
  LAGO_ENCRYPTION_PRIMARY_KEY: "P".repeat(32),
  LAGO_ENCRYPTION_DETERMINISTIC_KEY: "D".repeat(32),
  LAGO_ENCRYPTION_KEY_DERIVATION_SALT: "S".repeat(32),
};

describe("secrets commands", () => {
  it("init creates the store beside the inventory once", async () => {
    expect(await cli("init", inventory, "--names", "REDIS_PASSWORD")).toBe(0);
    expect(printed).toContain(`created ${join(dir, "lago-secrets.enc")} with 6 new secrets`);
    const first = readStore(join(dir, "lago-secrets.enc"))!.secrets;
    expect(Object.keys(first)).toEqual([...CORE_SECRETS, "REDIS_PASSWORD"]);
    expect(await cli("init", inventory)).toBe(0);
    expect(printed).toContain("nothing to do");
    forgetStores();
    expect(readStore(join(dir, "lago-secrets.enc"))!.secrets).toEqual(first);
    for (const s of Object.values(first)) expect(printed).not.toContain(s.value);
  });

  it("import adopts an upstream .env, status then agrees; nothing printed holds a value", async () => {
    const { generateSecret } = await import("../../../src/secrets/formats.ts");
    upstream.LAGO_RSA_PRIVATE_KEY = generateSecret("LAGO_RSA_PRIVATE_KEY");
    const wrapped = upstream.LAGO_RSA_PRIVATE_KEY.replace(/(.{76})/g, "$1\n");
    writeFileSync(
      envFile(),
      [`LAGO_RSA_PRIVATE_KEY="${wrapped}"`, ...Object.entries(upstream).slice(1).map(([n, v]) => `${n}=${v}`)]
        .join("\n") + "\nPOSTGRES_PASSWORD=changeme\n",
    );
    expect(await cli("import", inventory, "--from", "here", "--file", envFile())).toBe(0);
    expect(printed).toContain(`added ${CORE_SECRETS.join(", ")}`);
    expect(printed).toContain(`skipped POSTGRES_PASSWORD in ${envFile()} (a placeholder)`);
    expect(printed).toContain("warning: SECRET_KEY_BASE");
    const stored = readStore(join(dir, "lago-secrets.enc"))!.secrets;
    for (const [n, v] of Object.entries(upstream)) expect(stored[n].value).toBe(v);
    const importOutput = printed;

    expect(await cli("status", inventory, "--file", envFile())).toBe(0);
    expect(printed).toContain("here: 5 match");
    for (const v of Object.values(upstream)) {
      expect(importOutput + printed).not.toContain(v);
      expect(importOutput + printed).not.toContain(v.slice(0, 16));
    }

    // The host changes one value: status flags it, a new import is refused and writes nothing.
    writeFileSync(envFile(), `SECRET_KEY_BASE=${"cd".repeat(64)}\n`);
    expect(await cli("status", inventory, "--file", envFile(), "--json")).toBe(1);
    expect(JSON.parse(printed).hosts.here.secrets.SECRET_KEY_BASE.state).toBe("differs");
    await expect(cli("import", inventory, "--from", "here", "--file", envFile())).rejects.toThrow(
      "hold different values for SECRET_KEY_BASE",
    );
  });

  it("import refuses files of one host that disagree", async () => {
    writeFileSync(envFile(), `LAGO_ENCRYPTION_PRIMARY_KEY=${"A".repeat(32)}\n`);
    writeFileSync(join(dir, "other.env"), `LAGO_ENCRYPTION_PRIMARY_KEY=${"B".repeat(32)}\n`);
    await expect(
      cli("import", inventory, "--from", "here", "--file", envFile(), "--file", join(dir, "other.env")),
    ).rejects.toThrow(
      `LAGO_ENCRYPTION_PRIMARY_KEY differs between ${envFile()} and ${join(dir, "other.env")}`,
    );
  });

  it("import of a host with nothing says so", async () => {
    await expect(cli("import", inventory, "--from", "here", "--file", envFile())).rejects.toThrow(
      "here has none of",
    );
  });

  it("an unknown --from host gets a suggestion", async () => {
    await expect(cli("import", inventory, "--from", "hree")).rejects.toMatchObject({
      message: `--from: no host 'hree' in ${inventory}`,
      hint: "did you mean 'here'?",
    });
  });

  it("--names must be environment variable names", async () => {
    await expect(cli("init", inventory, "--names", "redis-password")).rejects.toThrow(
      "is not an environment variable name",
    );
  });
});

/**
 * Lago's secrets on real hosts (issue 3, part 3; issues 20 and 19): generated once into the store
 * beside the inventory, identical 0600 files on every host, unchanged by re-runs; a tampered host is
 * refused and left as it is. With the store lost while two hosts hold the set and a third is bare
 * (with or without --limit on the bare one), or with hosts that disagree, the secrets stage refuses
 * before anything: no host changed, no store made, the exact `secrets import` in the error;
 * `secrets import` (here from an upstream-style .env with the RSA key wrapped over lines) brings the
 * installation back and the same run converges with one set everywhere. A play that never runs
 * lago_secrets and prints the values as it fails shows them redacted. No output ever holds a value.
 */
import { Buffer } from "node:buffer";
import { createPrivateKey } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStore } from "../../src/secrets/store.ts";
import { type CliResult, failuresOf, recapOf, resultsOf, runCli } from "./cli.ts";
import { execIn, fileMtime, readFileIn, type Testbed, useTestbed } from "./testbed.ts";

const PASSPHRASE = "an e2e passphrase, long enough";
const DEST = "/opt/lago/secrets.env";
const PLAY = ["-p", "test/e2e/fixtures/secrets.yml"];
/** A change before lago_secrets, and ignore_errors on it (test/e2e/fixtures/secrets-fleet.yml). */
const FLEET = ["-p", "test/e2e/fixtures/secrets-fleet.yml"];
const MARKER = "/root/lago-provision-marker";
const NAMES = [
  "LAGO_RSA_PRIVATE_KEY",
  "SECRET_KEY_BASE",
  "LAGO_ENCRYPTION_PRIMARY_KEY",
  "LAGO_ENCRYPTION_DETERMINISTIC_KEY",
  "LAGO_ENCRYPTION_KEY_DERIVATION_SALT",
  "POSTGRES_PASSWORD",
];

let tb: Testbed;
let dir: string;
let inventory: string;
let store: string;
let hosts: string[];
/** Every stdout and stderr of the CLI in this file, searched for values at the end. */
const outputs: string[] = [];
/** The values as the hosts hold them (read with docker exec, never through the CLI). */
let values: Record<string, string> = {};

async function cli(args: string[]): Promise<CliResult> {
  const r = await runCli(args, { env: { LAGO_SECRETS_PASSPHRASE: PASSPHRASE } });
  outputs.push(r.stdout, r.stderr);
  return r;
}
const apply = (...extra: string[]) => cli(["apply", inventory, ...PLAY, "--json", ...extra]);
const shaOf = async (host: string) => (await execIn(host, ["sha256sum", DEST])).stdout.split(" ")[0];
const shas = () => Promise.all(hosts.map(shaOf));
const parseEnv = (text: string) =>
  Object.fromEntries(
    text.split("\n").filter((l) => /^[A-Z]/.test(l)).map((
      l,
    ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
const taskResults = (r: CliResult) => resultsOf(r).filter((e) => e.task === "Lago secrets");

beforeAll(async () => {
  tb = await useTestbed(3);
  hosts = tb.hosts.map((h) => h.name);
  // The inventory in a folder of its own, so the store lands beside it (the default location).
  dir = mkdtempSync(join(tmpdir(), "lago-secrets-e2e-"));
  inventory = join(dir, "inventory.yml");
  copyFileSync(tb.inventoryPath, inventory);
  store = join(dir, "lago-secrets.enc");
  await Promise.all(hosts.map((h) => execIn(h, ["rm", "-rf", "/opt/lago"])));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("lago_secrets on the testbed", () => {
  it("check mode on bare hosts: would generate, creates nothing", async () => {
    const r = await apply("--check", "--diff");
    expect(r.code, r.stderr).toBe(0);
    const stage = r.events.filter((e) => e.type === "secrets");
    expect(stage).toEqual([{ v: 1, type: "secrets", store, generated: NAMES, check: true }]);
    for (const e of taskResults(r)) {
      expect(e.reason).toContain(`would write ${DEST} with 6 secrets, assuming the secrets stage generates`);
    }
    expect(existsSync(store)).toBe(false);
    for (const h of hosts) {
      expect((await execIn(h, ["test", "-e", "/opt/lago"], { allowFailure: true })).exitCode).toBe(1);
    }
  });

  it("first apply generates once and writes the same 0600 file on every host", async () => {
    const r = await apply("--diff");
    expect(r.code, r.stderr).toBe(0);
    const results = taskResults(r);
    expect(results.map((e) => e.status)).toEqual(["changed", "changed", "changed"]);
    // Generated once, by the secrets stage, before the play.
    expect(r.events.filter((e) => e.type === "secrets")).toEqual([
      { v: 1, type: "secrets", store, generated: NAMES, check: false },
    ]);
    expect(r.events.findIndex((e) => e.type === "secrets")).toBeLessThan(
      r.events.findIndex((e) => e.type === "task_result"),
    );
    expect(statSync(store).mode & 0o777).toBe(0o600);

    const all = await shas();
    expect(new Set(all).size).toBe(1);
    for (const h of hosts) {
      expect((await execIn(h, ["stat", "-c", "%a %U %G", DEST])).stdout.trim()).toBe("600 root root");
    }

    values = parseEnv(await readFileIn(hosts[0], DEST));
    expect(Object.keys(values)).toEqual(NAMES);
    const stored = readStore(store, { passphrase: PASSPHRASE })!.secrets;
    for (const n of NAMES) expect(stored[n].value).toBe(values[n]);

    // The formats of lago-stack.md.
    const key = createPrivateKey(Buffer.from(values.LAGO_RSA_PRIVATE_KEY, "base64").toString("utf8"));
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(values.SECRET_KEY_BASE).toMatch(/^[0-9a-f]{128}$/);
    for (const n of NAMES.slice(2)) expect(values[n]).toMatch(/^[A-Za-z0-9]{32}$/);
    // A later task that prints a registered value shows it redacted.
    const printed = resultsOf(r).filter((e) => e.task !== "Lago secrets").map((e) => e.reason ?? e.msg);
    for (const p of printed) expect(p).toContain("<redacted: SECRET_KEY_BASE>");
  });

  it("three re-runs change nothing; the files stay byte for byte and untouched", async () => {
    const before = await shas();
    const mtimes = await Promise.all(hosts.map((h) => fileMtime(h, DEST)));
    for (let i = 0; i < 3; i++) {
      const r = await apply();
      expect(r.code, r.stderr).toBe(0);
      for (const h of hosts) expect(recapOf(r)[h].changed).toBe(0);
    }
    expect(await shas()).toEqual(before);
    expect(await Promise.all(hosts.map((h) => fileMtime(h, DEST)))).toEqual(mtimes);
    const check = await cli(["apply", inventory, ...PLAY, "--check", "--detailed-exitcode"]);
    expect(check.code, check.stdout).toBe(0);
  });

  it("a host with a different value fails, named with the variable and the way out; its file is left alone", async () => {
    const [, host] = hosts;
    await execIn(host, [
      "sed",
      "-i",
      "s/^LAGO_ENCRYPTION_PRIMARY_KEY=.*/LAGO_ENCRYPTION_PRIMARY_KEY=tamperedTAMPEREDtampered00000000/",
      DEST,
    ]);
    const tampered = await shaOf(host);
    const r = await apply();
    expect(r.code).toBe(1);
    const failed = taskResults(r).find((e) => e.host === host)!;
    expect(failed.status).toBe("failed");
    expect(failed.msg).toContain(
      `${host}: LAGO_ENCRYPTION_PRIMARY_KEY in ${DEST} differs from the secrets store ${store}`,
    );
    expect(failed.msg).toContain(`lago-provision secrets import ${inventory} --from ${host}`);
    expect(failed.msg).not.toContain("tamperedTAMPERED");
    for (const e of taskResults(r).filter((e) => e.host !== host)) expect(e.status).toBe("ok");
    expect(await shaOf(host)).toBe(tampered);

    const status = await cli(["secrets", "status", inventory, "--json"]);
    expect(status.code).toBe(1);
    const report = JSON.parse(status.stdout);
    expect(report.hosts[host].secrets.LAGO_ENCRYPTION_PRIMARY_KEY.state).toBe("differs");
    expect(report.hosts[hosts[0]].secrets.LAGO_ENCRYPTION_PRIMARY_KEY.state).toBe("match");

    // Fixed on the host (here: the file removed), the next run writes the store's values again.
    await execIn(host, ["rm", DEST]);
    const again = await apply();
    expect(again.code, again.stderr).toBe(0);
    expect(new Set(await shas()).size).toBe(1);
  });

  it("store lost, two hosts hold the set, the third is bare: refused before anything, --limit or not", async () => {
    const [h1, h2, h3] = hosts;
    await execIn(h3, ["rm", "-rf", "/opt/lago"]);
    const held = await Promise.all([h1, h2].map(shaOf));
    renameSync(store, `${store}.lost`);
    for (const extra of [[], ["--limit", h3], ["--check"]]) {
      const r = await cli(["apply", inventory, ...FLEET, "--json", ...extra]);
      expect(r.code, r.stdout).toBe(1);
      expect(resultsOf(r), `${extra}: no task ran on any host`).toEqual([]);
      expect(r.stderr).toContain(
        `error: ${h1} (${DEST}), ${h2} (${DEST}) already hold Lago secrets but the secrets store ${store} ` +
          `does not exist; nothing was generated or written on any host`,
      );
      expect(r.stderr).toContain(
        `\`lago-provision secrets import ${inventory} --from ${h1}\`, then run again`,
      );
      expect(existsSync(store)).toBe(false);
      for (const h of hosts) {
        expect((await execIn(h, ["test", "-e", MARKER], { allowFailure: true })).exitCode, h).toBe(1);
      }
      expect((await execIn(h3, ["test", "-e", "/opt/lago"], { allowFailure: true })).exitCode).toBe(1);
      expect(await Promise.all([h1, h2].map(shaOf))).toEqual(held);
    }
  });

  it("two hosts hold different sets: refused, naming them and the keys that differ", async () => {
    const [h1, h2, h3] = hosts;
    const original = await readFileIn(h2, DEST);
    await execIn(h2, ["sed", "-i", `s/^SECRET_KEY_BASE=.*/SECRET_KEY_BASE=${"f".repeat(128)}/`, DEST]);
    const r = await cli(["apply", inventory, ...FLEET, "--json", "--limit", h3]).finally(() =>
      execIn(h2, ["sh", "-c", `cat > ${DEST}`], { input: original })
    );
    expect(r.code, r.stdout).toBe(1);
    expect(resultsOf(r)).toEqual([]);
    expect(r.stderr).toMatch(
      new RegExp(
        `error: the hosts hold different Lago secrets, and the secrets store ${store} does not exist: ` +
          `SECRET_KEY_BASE: ${h1} \\(${DEST}\\) \\(sha256 [0-9a-f]{8}\\) ` +
          `vs ${h2} \\(${DEST}\\) \\(sha256 [0-9a-f]{8}\\); nothing was generated or written on any host`,
      ),
    );
    // Only the keys that differ are named.
    expect(r.stderr).not.toContain("LAGO_ENCRYPTION_PRIMARY_KEY:");
    expect(r.stderr).toContain(
      `\`lago-provision secrets import ${inventory} --from ${h1}\` or \`lago-provision secrets import ${inventory} --from ${h2}\``,
    );
    expect(existsSync(store)).toBe(false);
    expect((await execIn(h3, ["test", "-e", "/opt/lago"], { allowFailure: true })).exitCode).toBe(1);
  });

  it("secrets import from an upstream-style .env brings the same values back; apply is then ok", async () => {
    const [first] = hosts;
    const wrapped = values.LAGO_RSA_PRIVATE_KEY.replace(/(.{76})/g, "$1\n");
    const upstream = [
      "# Lago, as upstream's docs set it up",
      `LAGO_RSA_PRIVATE_KEY="${wrapped}"`,
      `export SECRET_KEY_BASE=${values.SECRET_KEY_BASE}`,
      ...NAMES.slice(2).map((n) => `${n}='${values[n]}'`),
      "",
    ].join("\n");
    await execIn(first, ["sh", "-c", "cat > /opt/lago/.env && rm /opt/lago/secrets.env"], {
      input: upstream,
    });

    const imported = await cli(["secrets", "import", inventory, "--from", first]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`created ${store} from ${first}: added ${NAMES.join(", ")}`);
    const stored = readStore(store, { passphrase: PASSPHRASE })!.secrets;
    for (const n of NAMES) expect(stored[n].value).toBe(values[n]);

    // Importing again adds nothing; the host and the store agree.
    const twice = await cli(["secrets", "import", inventory, "--from", first]);
    expect(twice.stdout).toContain("nothing new");

    // The run that was refused converges now: first the bare host alone, then the whole fleet.
    const [, h2, h3] = hosts;
    const limited = await cli(["apply", inventory, ...FLEET, "--json", "--limit", h3]);
    expect(limited.code, failuresOf(limited)).toBe(0);
    expect(limited.events.filter((e) => e.type === "secrets")).toEqual([]);
    expect(await shaOf(h3)).toBe(await shaOf(h2));
    const r = await cli(["apply", inventory, ...FLEET, "--json"]);
    expect(r.code, failuresOf(r)).toBe(0);
    expect(taskResults(r).map((e) => [e.host, e.status]).sort()).toEqual(
      hosts.map((h) => [h, h === first ? "changed" : "ok"]),
    );
    expect(new Set(await shas()).size).toBe(1);
    for (const h of hosts) expect(parseEnv(await readFileIn(h, DEST)), h).toEqual(values);
    const status = await cli(["secrets", "status", inventory]);
    expect(status.code, status.stdout).toBe(0);
    for (const h of hosts) expect(status.stdout).toContain(`${h}: 6 match`);
  });

  it("a play without lago_secrets that prints the store's values as it fails shows them redacted", async () => {
    const forms = (v: string) => [v, Buffer.from(v).toString("base64"), encodeURIComponent(v)];
    for (const format of [["--json"], []]) {
      const r = await cli(["apply", inventory, "-p", "test/e2e/fixtures/secrets-leak.yml", ...format]);
      expect(r.code, r.stdout).toBe(0);
      const text = r.stdout + r.stderr;
      for (const [name, value] of Object.entries(values)) {
        for (const form of forms(value)) expect(text, `${name} ${format}`).not.toContain(form);
      }
      expect(text).toContain("postgres://lago:<redacted: POSTGRES_PASSWORD>@db:5432/lago");
      if (format.length === 0) continue;
      const failed = resultsOf(r).filter((e) => e.status === "failed");
      expect(failed.length).toBe(3 * hosts.length);
      for (const e of failed) {
        expect(e.ignored).toBe(true);
        for (const name of NAMES) expect(e.msg, `${e.host} ${e.task}`).toContain(`<redacted: ${name}>`);
      }
    }
  });

  it("no output of any command held a secret value", () => {
    const text = outputs.join("\n");
    expect(Object.keys(values)).toHaveLength(NAMES.length);
    for (const [name, value] of Object.entries(values)) {
      expect(text, name).not.toContain(value);
      expect(text, name).not.toContain(value.slice(0, 16));
      if (name === "LAGO_RSA_PRIVATE_KEY") {
        const pem = Buffer.from(value, "base64").toString("utf8").split("\n");
        for (const line of pem.slice(1, -2)) expect(text).not.toContain(line);
      }
    }
  });
});

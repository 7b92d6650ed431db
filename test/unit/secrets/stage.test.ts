/**
 * The secrets stage on a fleet of three local hosts (this machine, each host with its own folder as
 * lago_secrets' dest): one decision before anything is written, whatever --limit, --check or
 * ignore_errors say; one generation; no extra round trip (the survey carries the facts); every value
 * of the store redacted from a play that never runs lago_secrets. test/e2e/secrets.test.ts does the
 * same on real hosts over SSH.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { UserError } from "../../../src/core/errors.ts";
import { forgetStores, readStore } from "../../../src/secrets/store.ts";
import { localPlay } from "../engine/local-play.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

const PASSPHRASE = "a unit-test passphrase, long enough";
const HOSTS = ["a", "b", "c"];

/** A change before the secrets, then lago_secrets with each host's files in its own folder. */
const play = (dir: string) =>
  `- hosts: all
  tasks:
    - name: marker
      copy: { dest: "${dir}/{{ inventory_hostname }}.marker", content: "written\\n" }
    - name: Lago secrets
      lago_secrets:
        dest: "${dir}/{{ inventory_hostname }}/secrets.env"
        adopt_from: ["${dir}/{{ inventory_hostname }}/.env"]
        names: [POSTGRES_PASSWORD]
      register: lago_secret_values
      ignore_errors: true
`;

describe("the secrets stage", () => {
  const local = localPlay(HOSTS);
  const dir = () => local.dir();
  const store = () => join(dir(), "lago-secrets.enc");
  const dest = (h: string) => join(dir(), h, "secrets.env");
  const written = () => HOSTS.filter((h) => existsSync(join(dir(), `${h}.marker`)) || existsSync(dest(h)));
  const refusal = (flags: string[]) =>
    local.run(play(dir()), ...flags).then(
      (r) => ({ message: `no refusal: exit ${r.code}`, hint: "" }),
      (e: UserError) => ({ message: e.message, hint: e.hint ?? "" }),
    );

  beforeEach(() => {
    process.env.LAGO_SECRETS_PASSPHRASE = PASSPHRASE;
    forgetStores();
    for (const h of HOSTS) mkdirSync(join(dir(), h));
  });

  it("bare fleet: generated once, before any task, the same file everywhere; re-run costs no extra round trip", async () => {
    const r = await local.run(play(dir()));
    expect(r.code).toBe(0);
    const stage = r.events.findIndex((e) => e.type === "secrets");
    expect(r.events[stage]).toMatchObject({ store: store(), check: false });
    expect(r.events[stage].generated).toHaveLength(6);
    expect(stage).toBeLessThan(r.events.findIndex((e) => e.type === "task_result"));
    const files = HOSTS.map((h) => readFileSync(dest(h), "utf8"));
    expect(new Set(files).size).toBe(1);
    expect(files[0]).toContain(`SECRET_KEY_BASE=${readStore(store())!.secrets.SECRET_KEY_BASE.value}`);

    const again = await local.run(play(dir()));
    expect(again.events.filter((e) => e.type === "secrets")).toEqual([]);
    expect(again.results.every((e) => e.status === "ok")).toBe(true);
    // Per host: the survey with the facts, then every task's probe: 2 round trips, as without the stage.
    expect(again.roundTrips).toBe(2 * HOSTS.length);
  });

  it("check mode on a bare fleet: reports what apply would generate, creates nothing", async () => {
    const r = await local.run(play(dir()), "--check");
    expect(r.code).toBe(0);
    expect(r.events.filter((e) => e.type === "secrets")).toMatchObject([{ check: true }]);
    const plans = r.results.filter((e) => e.task === "Lago secrets");
    for (const e of plans) expect(e.reason).toContain("assuming the secrets stage generates");
    expect(existsSync(store())).toBe(false);
    expect(written()).toEqual([]);
  });

  it("store lost while a and b hold the set and c is bare: nothing anywhere, --limit, --check or not", async () => {
    await local.run(play(dir()));
    renameSync(store(), `${store()}.lost`);
    rmMarkers();
    for (const h of ["c"]) writeFileSync(dest(h), ""); // an empty file holds nothing
    for (const flags of [[], ["--limit", "c"], ["--check"]]) {
      const r = await refusal(flags);
      expect(r.message, `${flags}`).toBe(
        `a (${dest("a")}), b (${
          dest("b")
        }) already hold Lago secrets but the secrets store ${store()} does not ` +
          `exist; nothing was generated or written on any host`,
      );
      expect(r.hint).toContain(
        `\`lago-provision secrets import ${join(dir(), "inventory.yml")} --from a --file ${dest("a")}\``,
      );
      expect(existsSync(store())).toBe(false);
      expect(HOSTS.filter((h) => existsSync(join(dir(), `${h}.marker`)))).toEqual([]);
      expect(readFileSync(dest("c"), "utf8")).toBe("");
    }
  });

  it("a and b hold different sets: refused, naming them and the keys that differ", async () => {
    await local.run(play(dir()));
    renameSync(store(), `${store()}.lost`);
    rmMarkers();
    writeFileSync(dest("c"), "");
    const b = readFileSync(dest("b"), "utf8");
    writeFileSync(dest("b"), b.replace(/^POSTGRES_PASSWORD=.*$/m, `POSTGRES_PASSWORD=${"z".repeat(32)}`));
    const r = await refusal(["--limit", "c"]);
    expect(r.message, r.message).toMatch(
      new RegExp(
        `does not exist: POSTGRES_PASSWORD: a \\(${dest("a")}\\) \\(sha256 [0-9a-f]{8}\\) vs b \\(${
          dest("b")
        }\\)`,
      ),
    );
    expect(r.message).not.toContain("SECRET_KEY_BASE");
    expect(r.hint).toContain(`--from a --file ${dest("a")}\` or \`lago-provision secrets import`);
    expect(HOSTS.filter((h) => existsSync(join(dir(), `${h}.marker`)))).toEqual([]);
  });

  it("a play without lago_secrets that prints the store's values as it fails shows them redacted", async () => {
    await local.run(play(dir()));
    const values = Object.values(readStore(store())!.secrets).map((s) => s.value);
    const r = await local.run(`- hosts: a
  tasks:
    - name: careless
      shell: "grep -v '^#' ${dest("a")} | tr '\\\\n' ' ' >&2; exit 3"
`);
    expect(r.code).toBe(1);
    const msg = r.results[0].msg as string;
    expect(msg).toContain("LAGO_ENCRYPTION_PRIMARY_KEY=<redacted: LAGO_ENCRYPTION_PRIMARY_KEY>");
    for (const v of values) expect(msg).not.toContain(v.slice(0, 16));
  });

  it("a wrong passphrase stops the run before any host is changed", async () => {
    await local.run(play(dir()));
    rmMarkers();
    forgetStores();
    process.env.LAGO_SECRETS_PASSPHRASE = "not the passphrase at all";
    const r = await refusal([]);
    expect(r.message).toBe(
      `cannot decrypt the secrets store ${store()}: wrong passphrase, or the file was modified`,
    );
    expect(HOSTS.filter((h) => existsSync(join(dir(), `${h}.marker`)))).toEqual([]);
  });

  it("a play without lago_secrets never asks for the passphrase: without it, a warning", async () => {
    await local.run(play(dir()));
    forgetStores();
    delete process.env.LAGO_SECRETS_PASSPHRASE;
    const r = await local.run(`- hosts: a\n  tasks:\n    - debug: { msg: hello }\n`);
    expect(r.code).toBe(0);
    expect(r.events.filter((e) => e.type === "warning").map((e) => e.msg)).toEqual([
      `the secrets store ${store()} is not opened (no LAGO_SECRETS_PASSPHRASE): its values are redacted from ` +
      `the output only where a task registers them`,
    ]);
  });

  const rmMarkers = () => HOSTS.forEach((h) => rmSync(join(dir(), `${h}.marker`), { force: true }));
});

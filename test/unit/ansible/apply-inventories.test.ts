/**
 * apply, plan and lint take inventories and vault passwords as ansible-playbook does: `-i` several
 * times (merged in order, INI and YAML), `--vault-password-file FILE` (a file, or a script it runs),
 * `--vault-id`, or ANSIBLE_VAULT_PASSWORD_FILE. The vaulted value is the one ansible-vault encrypted
 * for the inventory table (test/ansible/inventory.expected.json, password "correct horse"); runs are on
 * a `connection: local` host.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runCli } from "./run-cli.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

const vaulted = JSON.parse(readFileSync("test/ansible/inventory.expected.json", "utf8"))
  .cases["vault-inline-value"].files["hosts.yml"] as string;
const SECRET = "s3cr3t-inline";

let dir = "";
const at = (name: string) => join(dir, name);

const run = (...args: string[]) => runCli(args);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lago-apply-inventories-"));
  // Three sources, as `-i` takes them: YAML with the host, INI adding a group and its vars, a vaulted value.
  writeFileSync(at("hosts.yml"), "all:\n  hosts:\n    here:\n      ansible_connection: local\n");
  writeFileSync(at("groups.ini"), "[web]\nhere\n\n[web:vars]\ngreeting=from-the-ini\n");
  writeFileSync(at("vault.yml"), vaulted.replace("w1:", "here:"));
  writeFileSync(at("pass"), "correct horse\n", { mode: 0o600 });
  writeFileSync(at("pass-script"), "#!/bin/sh\necho 'correct horse'\n");
  chmodSync(at("pass-script"), 0o700);
  writeFileSync(
    at("play.yml"),
    `- hosts: web\n  gather_facts: false\n  tasks:\n    - name: greet\n      debug: { msg: "{{ greeting }}" }\n` +
      `    - name: keep\n      copy: { dest: "${at("kept")}", content: "{{ db_password }}" }\n` +
      `    - name: show\n      debug: { msg: "password {{ db_password }}" }\n`,
  );
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

const inventories = () => ["-i", at("hosts.yml"), "-i", at("groups.ini"), "-i", at("vault.yml")];
const play = () => ["-p", at("play.yml"), "--json", "--no-lock"];
const reasons = (out: string) =>
  out.trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.type === "task_result").map((e) =>
    `${e.task}: ${e.reason}`
  );

describe("apply with several -i and a vault password", () => {
  it("merges every -i in order and decrypts with --vault-password-file; the secret stays redacted", async () => {
    const r = await run("apply", ...inventories(), ...play(), "--vault-password-file", at("pass"));
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(at("kept"), "utf8")).toBe(SECRET);
    expect(reasons(r.out)).toContain("greet: from-the-ini");
    expect(reasons(r.out).find((l) => l.startsWith("show"))).toMatch(/^show: password <redacted: [^>]+>$/);
    expect(r.out + r.err).not.toContain(SECRET);
  });

  it("takes the inventory argument first, then each -i", async () => {
    const r = await run(
      "apply",
      at("hosts.yml"),
      "-i",
      at("groups.ini"),
      "-i",
      at("vault.yml"),
      ...play(),
      "--vault-password-file",
      at("pass"),
    );
    expect(r.code, r.err).toBe(0);
    expect(reasons(r.out)).toContain("greet: from-the-ini");
  });

  it("runs an executable password file and prints what it says", async () => {
    const r = await run("apply", ...inventories(), ...play(), "--vault-password-file", at("pass-script"));
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(at("kept"), "utf8")).toBe(SECRET);
  });

  it("reads ANSIBLE_VAULT_PASSWORD_FILE when no password is given on the command line", async () => {
    vi.stubEnv("ANSIBLE_VAULT_PASSWORD_FILE", at("pass"));
    const r = await run("apply", ...inventories(), ...play());
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(at("kept"), "utf8")).toBe(SECRET);
  });

  it("without a password: one error naming the file and the option, nothing run", async () => {
    vi.stubEnv("ANSIBLE_VAULT_PASSWORD_FILE", "");
    const r = await run("apply", ...inventories(), ...play());
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(
      /vault\.yml:\d+:\d+.*--vault-password-file FILE \(or ANSIBLE_VAULT_PASSWORD_FILE\)/,
    );
    expect(r.out).toBe("");
  });

  it("a wrong password file is one error line naming it", async () => {
    const r = await run("apply", ...inventories(), ...play(), "--vault-password-file", at("missing"));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--vault-password-file: the vault password file .*missing does not exist/);
  });

  it("refuses a command with no inventory at all", async () => {
    const r = await run("apply", ...play());
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(
      "name an inventory: lago-provision apply INVENTORY (or -i INVENTORY, repeatable)",
    );
  });
});

describe("plan with several -i", () => {
  it("saves every inventory in the plan, and apply plan.json uses them all", async () => {
    const saved = at("plan.json");
    const made = await run(
      "plan",
      ...inventories(),
      "-p",
      at("play.yml"),
      "-o",
      saved,
      "--vault-password-file",
      at("pass"),
    );
    expect(made.code, made.err).toBe(0);
    const plan = JSON.parse(readFileSync(saved, "utf8"));
    expect([plan.inventory, ...plan.inventories]).toEqual([
      at("hosts.yml"),
      at("groups.ini"),
      at("vault.yml"),
    ]);
    expect(JSON.stringify(plan)).not.toContain(SECRET);
    const applied = await run("apply", saved, "--json", "--vault-password-file", at("pass"));
    expect(applied.code, applied.err).toBe(0);
    expect(readFileSync(at("kept"), "utf8")).toBe(SECRET);
  });
});

describe("lint with a vault password", () => {
  it("loads a vaulted inventory with --vault-password-file, and says what to give without it", async () => {
    vi.stubEnv("ANSIBLE_VAULT_PASSWORD_FILE", "");
    const without = await run("lint", at("vault.yml"));
    expect(without.out + without.err).toMatch(/--vault-password-file FILE/);
    const withPassword = await run("lint", at("vault.yml"), "--vault-password-file", at("pass"));
    expect(withPassword.out + withPassword.err).not.toMatch(/--vault-password-file FILE/);
    expect(withPassword.out + withPassword.err).not.toContain(SECRET);
  });
});

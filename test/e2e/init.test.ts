/**
 * `lago-provision init` as a new user meets it, in a fresh checkout (the project's playbooks, roles and
 * schemas, no inventory, no store): flags write an inventory that lints clean and that `apply` converges
 * on a bare testbed host to a healthy Lago through nginx; a second init refuses to overwrite it; bad
 * flags give one error and write nothing; a person at a terminal (a real pty) gets the same questions,
 * secrets typed without echo.
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { prepareTestbedHost, testbedLagoVars } from "../../scripts/lib/testbed-lago.ts";
import { readStore } from "../../src/secrets/store.ts";
import { recapOf, repoRoot, runCli } from "./cli.ts";
import { ensureStack, type Stack } from "./stack.ts";
import { curlIn, type Testbed, type TestbedHost, useTestbed } from "./testbed.ts";

const PASSPHRASE = "init-e2e-passphrase-1";
const DOMAIN = "lago-init.test";
const env = { LAGO_SECRETS_PASSPHRASE: PASSPHRASE };

let tb: Testbed;
let stack: Stack;
let host: TestbedHost;
const dirs: string[] = [];

/** A fresh checkout: what `apply` reads from the working directory, and nothing else. */
function checkout(): string {
  const dir = mkdtempSync(join(tmpdir(), "lago-init-e2e-"));
  dirs.push(dir);
  for (const d of ["playbooks", "roles", "schemas"]) {
    cpSync(join(repoRoot, d), join(dir, d), { recursive: true });
  }
  return dir;
}

const initFlags = () => [
  "init",
  "--no-input",
  ...["--host", `${host.name}=127.0.0.1:${host.port}`],
  ...["--ssh-key", tb.keyPath, "--known-hosts", tb.knownHostsPath],
  ...["--domain", DOMAIN, "--tls", "selfsigned"],
  ...["--org-name", "Acme Billing", "--admin-email", "admin@example.com"],
];

afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("init, then apply", () => {
  let dir: string;

  beforeAll(async () => {
    [tb, stack] = await Promise.all([useTestbed(1, { fresh: true }), ensureStack()]);
    host = tb.hosts[0];
    await prepareTestbedHost(host.name);
  });

  it("writes a commented inventory that lints clean, and the store beside it", async () => {
    dir = checkout();
    const r = await runCli(initFlags(), { cwd: dir, env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote inventory/prod.yml: 1 host, https://${DOMAIN} (TLS selfsigned)`);
    expect(r.stdout).toContain("LAGO_SECRETS_PASSPHRASE=... lago-provision apply inventory/prod.yml\n");
    expect(readdirSync(join(dir, "inventory")).sort()).toEqual(["lago-secrets.enc", "prod.yml"]);
    const text = readFileSync(join(dir, "inventory", "prod.yml"), "utf8");
    expect(text).toMatch(/^# yaml-language-server: \$schema=\.\.\/schemas\/inventory\.schema\.json\n/);
    expect(parse(text).all.hosts).toEqual({
      [host.name]: { ansible_host: "127.0.0.1", ansible_port: host.port },
    });
    const store = readStore(join(dir, "inventory", "lago-secrets.enc"), { passphrase: PASSPHRASE })!;
    for (const { value } of Object.values(store.secrets)) expect(text).not.toContain(value);

    const lint = await runCli(["lint", "inventory/prod.yml"], { cwd: dir });
    expect(lint).toMatchObject({ code: 0, stdout: "", stderr: "no problems in 1 file\n" });
  });

  it("apply converges a bare host to a healthy Lago, and a second run changes nothing", async () => {
    // Only what the testbed itself needs (Debian's Docker, the local registry), not part of the answers.
    const { docker_source, docker_insecure_registries, lago_image_registry } = testbedLagoVars(
      tb.knownHostsPath,
      stack.registry.pullAddr,
    );
    writeFileSync(
      join(dir, "testbed-vars.yml"),
      stringify({ docker_source, docker_insecure_registries, lago_image_registry }),
    );
    const apply = ["apply", "inventory/prod.yml", "-e", "@testbed-vars.yml", "--json"];
    const first = await runCli(apply, { cwd: dir, env });
    expect(recapOf(first)[host.name], first.stderr).toMatchObject({ failed: 0, unreachable: 0 });
    expect(first.code).toBe(0);
    const health = await curlIn(host.name, DOMAIN, `https://${DOMAIN}/api/health`);
    expect(health.status, health.body).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ message: "Success", version: "v1.50.0" });

    const again = await runCli([...apply, "--check", "--detailed-exitcode"], { cwd: dir, env });
    expect(recapOf(again)[host.name]).toMatchObject({ changed: 0, failed: 0 });
    expect(again.code).toBe(0);
  });

  it("a second init refuses to overwrite the inventory and leaves the store alone", async () => {
    const before = ["prod.yml", "lago-secrets.enc"].map((f) => readFileSync(join(dir, "inventory", f)));
    const r = await runCli(initFlags(), { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "error: inventory/prod.yml already exists; init never overwrites an inventory\n" +
        "hint: edit it, or give init another path (lago-provision init inventory/staging.yml)\n",
    );
    expect(["prod.yml", "lago-secrets.enc"].map((f) => readFileSync(join(dir, "inventory", f)))).toEqual(
      before,
    );
  });
});

describe("init's bad input: one error, nothing written", () => {
  it.each([
    {
      args: ["--host", "lago.example.com", "--tls", "acme"],
      code: 1,
      stderr: "error: --tls: 'acme' is not one of letsencrypt, selfsigned, provided, none\n",
    },
    {
      args: ["--host", "lago.example.com", "--acme-email", "ops@example.com", "--tls", "selfsigned"],
      code: 1,
      stderr: "error: --acme-email applies only with --tls letsencrypt\n",
    },
    {
      args: ["--host", "a.example.com,b.example.com", "--tls", "none"],
      code: 1,
      stderr: "error: --postgres-host: 2 hosts need one shared PostgreSQL, not one bundled on each\n" +
        "hint: give it, or install on one host\n",
    },
    {
      args: ["--host", "lago.example.com", "--postgres-host", "pg.internal", "--tls", "none"],
      code: 1,
      stderr: "error: --postgres-password-env is required\n" +
        "hint: name the environment variable that holds it (never the value itself): --postgres-password-env NAME\n",
    },
    {
      args: ["--hots", "lago.example.com"],
      code: 2,
      stderr: "error: unknown option '--hots'\n(Did you mean --host?)\n",
    },
  ])("$stderr", async ({ args, code, stderr }) => {
    const dir = checkout();
    const r = await runCli(["init", "--no-input", ...args], { cwd: dir, env });
    expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ code, stderr, stdout: "" });
    expect(existsSync(join(dir, "inventory"))).toBe(false);
  });
});

describe("init's secrets store needs its passphrase before anything is written", () => {
  it.each([
    {
      passphrase: "",
      stderr: (store: string) =>
        `error: the secrets store ${store} needs a passphrase and there is no terminal to ask it on\n` +
        "hint: set LAGO_SECRETS_PASSPHRASE in the environment (from your password manager or CI secret store)\n",
    },
    {
      passphrase: "short",
      stderr: () =>
        "error: LAGO_SECRETS_PASSPHRASE is too short for a new secrets store (5 characters, at least 12)\n" +
        "hint: the store holds the keys to every encrypted record of the installation: use a long random passphrase\n",
    },
  ])("passphrase '$passphrase'", async ({ passphrase, stderr }) => {
    const dir = checkout();
    const args = ["init", "--no-input", "--host", "lago.example.com", "--tls", "none"];
    const r = await runCli(args, { cwd: dir, env: { LAGO_SECRETS_PASSPHRASE: passphrase } });
    expect({ code: r.code, stderr: r.stderr }).toEqual({
      code: 1,
      stderr: stderr(join(realpathSync(dir), "inventory", "lago-secrets.enc")),
    });
    expect(existsSync(join(dir, "inventory"))).toBe(false);
  });
});

/**
 * Runs init in a real pseudo-terminal (util-linux `script`), typing each reply once its prompt shows.
 * Returns everything the terminal showed. A conversation that stalls (a prompt that never comes) is
 * ended after two minutes, so the test fails with the screen instead of hanging.
 */
function converse(
  dir: string,
  replies: [prompt: string, typed: string][],
): Promise<{ code: number; screen: string }> {
  const cli = `${process.execPath} ${join(repoRoot, "dist/src/cli.js")} init`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", cli, "/dev/null"], {
      cwd: dir,
      env: { ...process.env, ...env, NO_COLOR: "1", TERM: "dumb" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const stall = setTimeout(() => child.kill(), 120_000);
    let screen = "";
    let from = 0;
    let answered = 0;
    child.stdout.on("data", (d: Buffer) => {
      screen += d;
      const next = replies[answered];
      if (next && screen.indexOf(next[0], from) >= 0) {
        from = screen.length;
        answered++;
        child.stdin.write(`${next[1]}\r`);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(stall);
      resolve({ code: code ?? -1, screen });
    });
  });
}

describe("init at a terminal", () => {
  it("asks what no flag says, again when an answer is wrong, and a password without echo", async () => {
    const dir = checkout();
    const password = "typed-pg-password-7";
    const { code, screen } = await converse(dir, [
      ["Hosts:", "lago.example.com=203.0.113.10"],
      ["SSH user", ""],
      ["Domain Lago is served on [lago.example.com]", ""],
      ["TLS certificate", "acme"],
      ["is not one of", "none"],
      ["Lago release [v1.50.0]", ""],
      ["organization's name", ""],
      ["PostgreSQL: HOST[:PORT]", "pg.internal"],
      ["PostgreSQL user [lago]", ""],
      ["PostgreSQL database [lago]", ""],
      ["sslmode", ""],
      ["Password of lago", password],
      ["Redis: HOST[:PORT]", ""],
      ["S3 bucket", ""],
    ]);
    expect(code, screen).toBe(0);
    expect(screen).toContain("wrote inventory/prod.yml: 1 host, http://lago.example.com (TLS none)");
    expect(screen).not.toContain(password);
    expect(parse(readFileSync(join(dir, "inventory", "prod.yml"), "utf8")).all.vars).toMatchObject({
      tls_mode: "none",
      lago_domain: "lago.example.com",
      lago_db_external: true,
      lago_postgres_host: "pg.internal",
      lago_disable_signup: false,
    });
    const store = readStore(join(dir, "inventory", "lago-secrets.enc"), { passphrase: PASSPHRASE })!;
    expect(store.secrets.POSTGRES_PASSWORD).toMatchObject({ value: password, source: "given to init" });
  });
});

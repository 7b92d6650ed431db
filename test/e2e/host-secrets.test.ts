/**
 * Secrets stay out of hosts' process lists and logs (issue 19, part 1), on a real testbed host with
 * `become` through sudo (login `deploy`): a playbook that uses secrets in `command`, `shell`,
 * `copy: content`, a template and the lago role's lago.env, while a sampler on the host records the
 * argument vector of every process it sees (/proc/PID/cmdline), then the host's journal (sudo logs each
 * command line there). Neither holds any secret: raw, base64, URL-encoded or its first 16 characters.
 *
 * The shell task sleeps with its secret in its script, so a script sent as an argument (as before
 * scripts went on stdin) stays in the sampler's view long enough to be caught; sudo's journal line
 * catches the short ones.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { failuresOf, recapOf, repoRoot, runCli } from "./cli.ts";
import { leakForms, startHostSampler } from "./host-sampler.ts";
import { execIn, type Testbed, useTestbed } from "./testbed.ts";

let tb: Testbed;
let host: string;
let work: string;
let inventory: string;

const token = (prefix: string) => `${prefix}-${randomBytes(18).toString("base64url")}`;
const SECRETS = {
  // URL-special characters, so its URL-encoded form differs from the raw one.
  db_password: `${token("db")}/p@ss+w=rd`,
  api_token: token("api"),
  smtp_password: token("smtp"),
  // The RSA key as Lago takes it: the PEM, base64 on one line.
  rsa_key: Buffer.from(
    generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }),
  ).toString("base64"),
};

beforeAll(async () => {
  tb = await useTestbed(2);
  host = tb.hosts[1].name;
  work = mkdtempSync(join(tmpdir(), "lago-host-secrets-e2e-"));
  inventory = join(work, "inventory.yml");
  writeFileSync(
    inventory,
    stringify({
      all: {
        hosts: {
          [host]: {
            ansible_host: "127.0.0.1",
            ansible_port: tb.hosts[1].port,
            ansible_user: "deploy",
            ansible_become: true,
            ansible_ssh_private_key_file: tb.keyPath,
          },
        },
        vars: { known_hosts_file: tb.knownHostsPath },
      },
    }),
  );
  // The lago role's own template, defaults and lago.env task, as a role of its own.
  const role = join(work, "roles", "lagoenv");
  for (const d of ["tasks", "templates", "defaults"]) mkdirSync(join(role, d), { recursive: true });
  copyFileSync(join(repoRoot, "roles/lago/templates/lago.env.hbs"), join(role, "templates/lago.env.hbs"));
  copyFileSync(join(repoRoot, "roles/lago/defaults/main.yml"), join(role, "defaults/main.yml"));
  const tasks = parse(readFileSync(join(repoRoot, "roles/lago/tasks/main.yml"), "utf8")) as {
    name: string;
  }[];
  writeFileSync(
    join(role, "tasks/main.yml"),
    stringify(tasks.filter((t) => t.name === "Lago directory" || t.name.startsWith("lago.env"))),
  );
  writeFileSync(join(work, "app.conf.hbs"), "password={{ db_password }}\ntoken={{ api_token }}\n");
  writeFileSync(
    join(work, "play.yml"),
    stringify([{
      name: "secrets on a host",
      hosts: "all",
      vars: {
        lago_dir: "/opt/lago-secrets-e2e",
        lago_smtp_password: "{{ smtp_password }}",
        lago_secret_values: {
          secrets: {
            SECRET_KEY_BASE: "{{ api_token }}",
            LAGO_RSA_PRIVATE_KEY: "{{ rsa_key }}",
            LAGO_ENCRYPTION_PRIMARY_KEY: "{{ api_token }}",
            LAGO_ENCRYPTION_DETERMINISTIC_KEY: "{{ api_token }}",
            LAGO_ENCRYPTION_KEY_DERIVATION_SALT: "{{ api_token }}",
            POSTGRES_PASSWORD: "{{ db_password }}",
            REDIS_PASSWORD: "{{ smtp_password }}",
          },
        },
      },
      tasks: [
        { name: "directory", file: { path: "/opt/secrets-e2e", state: "directory", mode: "0700" } },
        {
          name: "a password in a shell script",
          shell: "printf '%s' '{{ db_password }}' | sha256sum > /opt/secrets-e2e/pw.sha; sleep 1",
        },
        { name: "a token in a command", command: "test -n '{{ api_token }}'" },
        {
          name: "a key on a command's stdin",
          command: { cmd: "sh -c 'base64 -d > /opt/secrets-e2e/key.pem'", stdin: "{{ rsa_key }}" },
        },
        {
          name: "copy content",
          copy: { content: "{{ smtp_password }}\n", dest: "/opt/secrets-e2e/smtp", mode: "0600" },
        },
        {
          name: "template",
          template: { src: join(work, "app.conf.hbs"), dest: "/opt/secrets-e2e/app.conf", mode: "0600" },
        },
      ],
      roles: ["lagoenv"],
    }]),
  );
  writeFileSync(join(work, "secrets.yml"), stringify(SECRETS));
});

afterAll(async () => {
  await execIn(host, ["rm", "-rf", "/opt/secrets-e2e", "/opt/lago-secrets-e2e"], { allowFailure: true });
  rmSync(work, { recursive: true, force: true });
});

describe("secrets on a host through sudo", () => {
  it("reach neither the process list nor the journal, and the files hold them", async () => {
    const since = (await execIn(host, ["date", "+%s"])).stdout.trim();
    await execIn(host, ["rm", "-f", "/opt/secrets-e2e/pw.sha"]);
    const sampler = await startHostSampler(host);
    const r = await runCli([
      "apply",
      inventory,
      "-p",
      join(work, "play.yml"),
      "-e",
      `@${join(work, "secrets.yml")}`,
      "--json",
    ]);
    const cmdlines = await sampler.stop();
    expect(r.code, failuresOf(r)).toBe(0);
    expect(recapOf(r)[host].changed).toBeGreaterThanOrEqual(6);

    // The sampler saw the run: sudo and the frames' bootstrap among its lines.
    expect(cmdlines).toMatch(/sudo -n -H -u root -- sh -c export LC_ALL=C; lago_s=\$\(head -c \d+/);
    expect(cmdlines).toMatch(/sleep 1/);
    const journal =
      (await execIn(host, ["journalctl", "--no-pager", "-o", "cat", "--since", `@${since}`])).stdout;
    // sudo logs each command line (quoted): only the bootstraps.
    expect(journal).toMatch(/COMMAND=\S*sh -c '?export LC_ALL=C; lago_s=/);
    for (const [name, value] of Object.entries(SECRETS)) {
      for (const form of leakForms(value)) {
        expect(cmdlines.includes(form), `${name} in a process's arguments`).toBe(false);
        expect(journal.includes(form), `${name} in the journal`).toBe(false);
        expect(r.stdout.includes(form), `${name} in the output`).toBe(false);
      }
    }

    // The secrets did reach their files.
    const pwSha = (await execIn(host, ["cat", "/opt/secrets-e2e/pw.sha"])).stdout.split(" ")[0];
    const { createHash } = await import("node:crypto");
    expect(pwSha).toBe(createHash("sha256").update(SECRETS.db_password).digest("hex"));
    expect((await execIn(host, ["cat", "/opt/secrets-e2e/smtp"])).stdout).toBe(`${SECRETS.smtp_password}\n`);
    expect((await execIn(host, ["cat", "/opt/secrets-e2e/key.pem"])).stdout).toContain("PRIVATE KEY");
    const env = (await execIn(host, ["cat", "/opt/lago-secrets-e2e/lago.env"])).stdout;
    expect(env).toContain(`POSTGRES_PASSWORD='${SECRETS.db_password}'`);
    expect(env).toContain(`LAGO_RSA_PRIVATE_KEY='${SECRETS.rsa_key}'`);
  });
});

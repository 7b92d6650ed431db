/**
 * The inventory init writes: answers in, YAML text out. Each case's text parses to the expected
 * inventory, passes `lint` together with the project's playbooks and roles, and holds no secret value.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { InitAnswers } from "../../../src/init/answers.ts";
import { inventoryText } from "../../../src/init/inventory.ts";
import { lint } from "../../../src/lint/index.ts";

const single: InitAnswers = {
  hosts: [{ name: "lago.example.com", address: "203.0.113.10" }],
  user: "root",
  domain: "lago.example.com",
  tls: "letsencrypt",
  acmeEmail: "ops@example.com",
  version: "v1.50.0",
};
const fleet: InitAnswers = {
  hosts: [{ name: "web-1", address: "10.0.0.1" }, { name: "web-2", address: "10.0.0.2", port: 2222 }],
  user: "deploy",
  sshKey: "~/.ssh/lago",
  knownHosts: "known_hosts",
  domain: "billing.example.com",
  tls: "provided",
  tlsCert: "certs/chain.pem",
  tlsKey: "certs/key.pem",
  version: "v1.49.0",
  organization: { name: "Acme Inc", adminEmail: "admin@example.com" },
  postgres: { host: "pg.internal", port: 5432, user: "lago", db: "lago", sslmode: "require" },
  redis: { host: "redis.internal", port: 6380, tls: true, password: false },
  s3: {
    bucket: "lago-files",
    region: "eu-west-1",
    endpoint: "https://s3.example.net",
    accessKeyId: "AKIAEXAMPLE",
  },
};

const dir = mkdtempSync(join(tmpdir(), "init-inventory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const text = (a: InitAnswers, name = "prod.yml") =>
  inventoryText(a, {
    path: `inventory/${name}`,
    schema: relative(dir, join(process.cwd(), "schemas", "inventory.schema.json")),
    store: "lago-secrets.enc",
  });

describe("init's inventory", () => {
  it.each<{ name: string; answers: InitAnswers; inventory: unknown }>([
    {
      name: "one host, letsencrypt, everything bundled, sign-up open",
      answers: single,
      inventory: {
        all: {
          hosts: { "lago.example.com": { ansible_host: "203.0.113.10" } },
          vars: {
            ansible_user: "root",
            tls_mode: "letsencrypt",
            lago_domain: "lago.example.com",
            tls_acme_email: "ops@example.com",
            lago_version: "v1.50.0",
            lago_disable_signup: false,
          },
        },
      },
    },
    {
      name: "a fleet on external services, a sudo user, the first organization",
      answers: fleet,
      inventory: {
        all: {
          children: {
            lago_web: {
              hosts: {
                "web-1": { ansible_host: "10.0.0.1" },
                "web-2": { ansible_host: "10.0.0.2", ansible_port: 2222 },
              },
            },
            lago_worker: { hosts: { "web-1": {}, "web-2": {} } },
            lago_clock: { hosts: { "web-1": {} } },
          },
          vars: {
            ansible_user: "deploy",
            ansible_become: true,
            ansible_ssh_private_key_file: "~/.ssh/lago",
            known_hosts_file: "known_hosts",
            tls_mode: "provided",
            lago_domain: "billing.example.com",
            tls_provided_cert: "certs/chain.pem",
            tls_provided_key: "certs/key.pem",
            lago_version: "v1.49.0",
            lago_disable_signup: true,
            lago_create_org: true,
            lago_org_name: "Acme Inc",
            lago_org_user_email: "admin@example.com",
            lago_db_external: true,
            lago_postgres_host: "pg.internal",
            lago_postgres_port: 5432,
            lago_postgres_user: "lago",
            lago_postgres_db: "lago",
            lago_postgres_sslmode: "require",
            lago_redis_external: true,
            lago_redis_host: "redis.internal",
            lago_redis_port: 6380,
            lago_redis_tls: true,
            lago_redis_password: "",
            lago_use_aws_s3: true,
            lago_aws_s3_bucket: "lago-files",
            lago_aws_s3_region: "eu-west-1",
            lago_aws_s3_endpoint: "https://s3.example.net",
            lago_aws_s3_access_key_id: "AKIAEXAMPLE",
            lago_aws_s3_secret_access_key: "{{ lago_secret_values.secrets.LAGO_AWS_S3_SECRET_ACCESS_KEY }}",
          },
        },
      },
    },
    {
      name: "no TLS, external Redis with a password in the store",
      answers: {
        ...single,
        tls: "none",
        acmeEmail: undefined,
        redis: { host: "r", port: 6379, tls: false, password: true },
      },
      inventory: {
        all: {
          hosts: { "lago.example.com": { ansible_host: "203.0.113.10" } },
          vars: {
            ansible_user: "root",
            tls_mode: "none",
            lago_domain: "lago.example.com",
            lago_version: "v1.50.0",
            lago_disable_signup: false,
            lago_redis_external: true,
            lago_redis_host: "r",
            lago_redis_port: 6379,
          },
        },
      },
    },
  ])("$name", ({ answers, inventory }) => {
    const yaml = text(JSON.parse(JSON.stringify(answers)));
    expect(parse(yaml)).toEqual(inventory);
    const file = join(dir, `${answers.hosts[0].name}-${answers.tls}.yml`);
    writeFileSync(file, yaml);
    const { findings } = lint([file, "playbooks", "roles"]);
    expect(findings.filter((f) => f.file === file)).toEqual([]);
  });

  it("explains itself: the apply command, where the secrets are, a comment per section", () => {
    const yaml = text(single);
    expect(yaml).toContain("#   LAGO_SECRETS_PASSPHRASE=... lago-provision apply inventory/prod.yml\n");
    expect(yaml).toContain("# No secret is in this file: they are in the encrypted store lago-secrets.enc");
    for (const section of ["Connection", "TLS", "Lago", "PostgreSQL: bundled", "Redis: bundled", "Files"]) {
      expect(yaml).toMatch(new RegExp(`^    # --- ${section}`, "m"));
    }
    // The first deploy creates the organization, so sign-up is closed and the admin's password is named.
    expect(text(fleet)).toContain(
      "lago_create_org: true  # migrate makes it (password: LAGO_ORG_USER_PASSWORD in the store)\n",
    );
    expect(text(fleet)).toContain(
      "lago_disable_signup: true  # closed: your organization is made by the first deploy\n",
    );
    expect(yaml.split("\n")[0]).toMatch(
      /^# yaml-language-server: \$schema=.*schemas\/inventory\.schema\.json$/,
    );
  });
});

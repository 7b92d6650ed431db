/**
 * The lago role's variables are checked when the files load (src/config/role-vars.ts), before any host:
 * each family of variables in an inventory, in group_vars/, and as `-e`, with the file, line and column
 * of the value; `apply --check` and `lint` report the same line. The role's own defaults pass.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/problems.ts";
import { loadInventory } from "../../../src/config/inventory.ts";
import { extraVarsProblems, readValid } from "../../../src/config/validate.ts";
import { cli, tempRepo } from "../lint/helpers.ts";

/** The problems of an inventory whose one host has `value` (YAML text) for `name`; [] when accepted. */
function refusal(name: string, value: string): string[] {
  const dir = tempRepo({ "hosts.yml": `all:\n  hosts:\n    web1:\n      ${name}: ${value}\n` });
  try {
    loadInventory(`${dir}/hosts.yml`);
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
  }
}

const at = (name: string, message: string) => [`4:${9 + name.length} all/hosts/web1/${name}: ${message}`];
const NUMBER = "should be a positive whole number";
const SWITCH = "should be true or false (a YAML boolean)";
const OPTIONAL = 'should be true, false or "" (unset)';
const MS = 'should be a number of milliseconds or "" (unset)';

const cases: [family: string, name: string, value: string, refused: string[]][] = [
  ["version", "lago_version", "v1.50.0", []],
  [
    "version",
    "lago_version",
    "latest",
    at(
      "lago_version",
      "should be a pinned release tag like v1.50.0, not `latest`, which changes under you and skips the migrations and bridge releases an upgrade needs",
    ),
  ],
  [
    "version",
    "lago_version",
    "1.50.0",
    at(
      "lago_version",
      "should be a pinned release tag like v1.50.0, not `latest`, which changes under you and skips the migrations and bridge releases an upgrade needs",
    ),
  ],
  ["version", "lago_version", '"{{ wanted_release }}"', []],
  ["ports", "lago_api_port", "3001", []],
  ["ports", "lago_api_port", '"3001"', at("lago_api_port", NUMBER)],
  ["ports", "lago_front_port", "0", at("lago_front_port", NUMBER)],
  ["ports", "lago_postgres_port", "5432.5", at("lago_postgres_port", NUMBER)],
  ["ports", "lago_redis_port", '"{{ 6379 }}"', []],
  ["sizes", "lago_database_pool", "-5", at("lago_database_pool", NUMBER)],
  ["sizes", "lago_sidekiq_concurrency", "[10]", at("lago_sidekiq_concurrency", NUMBER)],
  ["sizes", "lago_wait_timeout", "600", []],
  ["switches", "lago_migrate", "false", []],
  ["switches", "lago_clock", '"false"', at("lago_clock", SWITCH)],
  ["switches", "lago_create_org", "1", at("lago_create_org", SWITCH)],
  ["switches", "lago_db_external", "yes", []], // YAML 1.1, as Ansible reads inventories: true
  ["optional switches", "lago_disable_signup", '""', []],
  ["optional switches", "lago_disable_signup", "true", []],
  ["optional switches", "lago_sidekiq_web", '"no"', at("lago_sidekiq_web", OPTIONAL)],
  ["TLS", "lago_disable_ssl", '"true"', []],
  ["TLS", "lago_disable_ssl", "maybe", at("lago_disable_ssl", "should be true or false")],
  ["TLS", "tls_mode", "letsencrypt", []],
  ["TLS", "tls_mode", "acme", at("tls_mode", "should be one of none, selfsigned, letsencrypt, provided")],
  ["timeouts", "lago_database_statement_timeout", "30000", []],
  ["timeouts", "lago_database_lock_timeout", '""', []],
  ["timeouts", "lago_database_idle_tx_timeout", "-1", at("lago_database_idle_tx_timeout", MS)],
  ["timeouts", "lago_database_lock_timeout", "30s", at("lago_database_lock_timeout", MS)],
  ["database", "lago_postgres_sslmode", "verify-full", []],
  [
    "database",
    "lago_postgres_sslmode",
    "strict",
    at("lago_postgres_sslmode", "should be one of , disable, allow, prefer, require, verify-ca, verify-full"),
  ],
  [
    "logs",
    "lago_log_level",
    "verbose",
    at("lago_log_level", "should be one of , debug, info, warn, error, fatal, unknown"),
  ],
  ["storage", "lago_use_gcs", "true", []],
  ["storage", "lago_gcs_credentials", "/etc/key.json", [
    "4:7 all/hosts/web1/lago_gcs_credentials: not read by Lago: lago_gcs_credentials sets LAGO_GCS_CREDENTIALS, which lago-api never reads; set lago_gcs_keyfile_json_path (where the key file is mounted, default /app/gcs_keyfile.json) instead",
  ]],
  ["services", "lago_services", "[api, front]", []],
  ["services", "lago_services", "[api, web]", [
    "4:28 all/hosts/web1/lago_services/1: should be one of api, front, worker, clock, pdf",
  ]],
  ["services", "lago_services", "api", at("lago_services", "should be a list of Lago's services")],
  ["workers", "lago_dedicated_workers", "[events, wallets]", []],
  ["workers", "lago_dedicated_workers", "[mailers]", [
    "4:32 all/hosts/web1/lago_dedicated_workers/0: should be one of events, pdfs, billing, clock, webhook, analytics, ai_agent, payments, alerts, wallets",
  ]],
  ["anything else", "my_own_variable", "whatever", []],
];

describe("the lago role's variables, checked at load", () => {
  it.each(cases)("%s: %s: %s", (_family, name, value, refused) => {
    expect(refusal(name, value)).toEqual(refused);
  });

  it("in group_vars/ too, at the line of the value", () => {
    const dir = tempRepo({
      "hosts.yml": "all:\n  hosts:\n    web1:\n",
      "group_vars/all.yml": "lago_api_port: 3000\nlago_migrate: sure\n",
    });
    expect(() => loadInventory(`${dir}/hosts.yml`)).toThrow(
      /group_vars\/all\.yml:2:15 lago_migrate: should be true or false \(a YAML boolean\)$/,
    );
  });

  it("as -e: the variable named, never its value", () => {
    expect(extraVarsProblems({ lago_api_port: 3000, lago_migrate: true, my_own: "x" })).toEqual([]);
    expect(extraVarsProblems({ lago_api_port: "s3cr3t-port", tls_mode: "acme" })).toEqual([
      "-e lago_api_port: should be a positive whole number",
      "-e tls_mode: should be one of none, selfsigned, letsencrypt, provided",
    ]);
  });

  it("the role's own defaults and vars pass", () => {
    expect(() => readValid("roles/lago/defaults/main.yml", "vars")).not.toThrow();
    expect(() => readValid("roles/lago/vars/main.yml", "vars")).not.toThrow();
    expect(() => readValid("roles/tls/defaults/main.yml", "vars")).not.toThrow();
  });

  it("apply --check and lint report the same line, before any host", async () => {
    const dir = tempRepo({
      "hosts.yml":
        "all:\n  hosts:\n    web1:\n      ansible_host: 192.0.2.1\n      lago_wait_timeout: soon\n",
      "play.yml": "- hosts: all\n  tasks:\n    - debug: { msg: hi }\n",
    });
    const line = "hosts.yml:5:26 all/hosts/web1/lago_wait_timeout: should be a positive whole number";
    // main() throws it (src/cli.ts prints "error: …" and exits with a configuration error's code); the
    // host, at an address nobody answers (TEST-NET), is never contacted.
    const check = await cli(["apply", "hosts.yml", "-p", "play.yml", "--check", "--no-lock"], dir).catch((
      e,
    ) => e);
    expect(check).toBeInstanceOf(ConfigError);
    expect(check.message).toContain(line);
    const lint = await cli(["lint", "hosts.yml"], dir);
    expect(lint.code).not.toBe(0);
    expect(lint.stdout + lint.stderr).toMatch(
      /hosts\.yml:5:26 [\w-]+ \(error\) all\/hosts\/web1\/lago_wait_timeout: should be a positive whole number/,
    );
  });
});

/**
 * The inventory `lago-provision init` writes: answers in, YAML text out (pure). Commented so that the file
 * explains itself, in the layout of inventory/example.yml: hosts, then the variables by role. No secret
 * value is ever in it: secrets are referenced from the encrypted store (`lago_secret_values`).
 *
 * One host runs everything. Several hosts are a fleet (docs/fleet.md): each in lago_web and lago_worker,
 * the first also in lago_clock (exactly one clock), sharing an external PostgreSQL, Redis and S3 bucket.
 */
import { stringify } from "yaml";
import type { HostAnswer, InitAnswers } from "./answers.ts";

export interface InventoryTextOptions {
  /** The inventory's path as the user will type it, for the apply command in the header. */
  path: string;
  /** The JSON Schema, relative to the inventory's folder (editors check the file with it). */
  schema: string;
  /** The secrets store, as the header names it. */
  store: string;
}

/** A YAML scalar as it goes after `key: ` (quoted when it has to be). */
const scalar = (value: unknown): string => stringify(value, { lineWidth: 0 }).trimEnd();

/** `key: value  # comment` lines, or comment lines, at one indentation. */
type Item = [key: string, value: unknown, comment?: string] | string;

function block(indent: number, items: Item[]): string[] {
  const pad = " ".repeat(indent);
  return items.map((item) =>
    typeof item === "string"
      ? item === "" ? "" : `${pad}# ${item}`
      : `${pad}${scalar(item[0])}: ${scalar(item[1])}${item[2] ? `  # ${item[2]}` : ""}`
  );
}

/** How to reach a host, when its name does not say. */
function connection(h: HostAnswer): Item[] {
  return [
    ...(h.address ? [["ansible_host", h.address] as Item] : []),
    ...(h.port ? [["ansible_port", h.port] as Item] : []),
  ];
}

function hostLines(indent: number, hosts: HostAnswer[], withConnection: boolean): string[] {
  const pad = " ".repeat(indent);
  return hosts.flatMap((h) => {
    const vars = withConnection ? connection(h) : [];
    return vars.length
      ? [`${pad}${scalar(h.name)}:`, ...block(indent + 2, vars)]
      : [`${pad}${scalar(h.name)}: {}`];
  });
}

/** A comment line that heads a group of variables, as in inventory/example.yml. */
const section = (title: string): string => `--- ${title} ${"-".repeat(Math.max(3, 96 - title.length))}`;

const secretRef = (name: string) => `{{ lago_secret_values.secrets.${name} }}`;

/** The variables, by role, under `all.vars`. */
export function inventoryVars(a: InitAnswers): Item[] {
  const root = a.user === "root";
  const pg = a.postgres;
  const redis = a.redis;
  const s3 = a.s3;
  return [
    section("Connection (Ansible's names)"),
    ["ansible_user", a.user],
    ...(root ? [] : [["ansible_become", true, "sudo to root on the hosts"] as Item]),
    ...(a.sshKey ? [["ansible_ssh_private_key_file", a.sshKey] as Item] : []),
    ...(a.knownHosts
      ? [["known_hosts_file", a.knownHosts] as Item]
      : ["Host keys are checked against ~/.ssh/known_hosts: the first apply needs --accept-new-host-keys."]),
    "",
    section("TLS: nginx on ports 80 and 443 in front of Lago (docs/tls.md)"),
    [
      "tls_mode",
      a.tls,
      {
        letsencrypt: "certbot, HTTP-01: the domain must resolve to the host, port 80 open",
        selfsigned: "browsers warn: for trials and private networks",
        provided: "your certificate, copied from this machine",
        none: "plain HTTP on port 80, e.g. behind a TLS-terminating load balancer",
      }[a.tls],
    ],
    ["lago_domain", a.domain],
    ...(a.acmeEmail ? [["tls_acme_email", a.acmeEmail, "expiry notices"] as Item] : []),
    ...(a.tlsCert
      ? [
        ["tls_provided_cert", a.tlsCert] as Item,
        [
          "tls_provided_key",
          a.tlsKey,
          "a file's path, not the key (lago-provision-lint: ignore plaintext-secret)",
        ] as Item,
      ]
      : []),
    "",
    section("Lago (docs/lago-role.md)"),
    ["lago_version", a.version, "pinned; later releases: lago-provision upgrade"],
    ...organizationVars(a),
    "",
    ...(pg
      ? [
        section("PostgreSQL: external; its password is POSTGRES_PASSWORD in the secrets store"),
        ["lago_db_external", true],
        ["lago_postgres_host", pg.host],
        ["lago_postgres_port", pg.port],
        ["lago_postgres_user", pg.user],
        ["lago_postgres_db", pg.db],
        ...(pg.sslmode ? [["lago_postgres_sslmode", pg.sslmode] as Item] : []),
      ] as Item[]
      : [section("PostgreSQL: bundled (the db service on the host, its data in a Docker volume)")]),
    "",
    ...(redis
      ? [
        section(
          `Redis: external${
            redis.password ? "; its password is REDIS_PASSWORD in the secrets store" : ", no password"
          }`,
        ),
        ["lago_redis_external", true],
        ["lago_redis_host", redis.host],
        ["lago_redis_port", redis.port],
        ...(redis.tls ? [["lago_redis_tls", true] as Item] : []),
        ...(redis.password ? [] : [
          [
            "lago_redis_password",
            "",
            "it has none (lago-provision-lint: ignore placeholder-secret)",
          ] as Item,
        ]),
      ] as Item[]
      : [section("Redis: bundled (the redis service on the host)")]),
    "",
    ...(s3
      ? [
        section(
          "Files (invoices, exports): S3; the secret key is LAGO_AWS_S3_SECRET_ACCESS_KEY in the store",
        ),
        ["lago_use_aws_s3", true],
        ["lago_aws_s3_bucket", s3.bucket],
        ["lago_aws_s3_region", s3.region],
        ...(s3.endpoint ? [["lago_aws_s3_endpoint", s3.endpoint, "an S3-compatible service"] as Item] : []),
        ["lago_aws_s3_access_key_id", s3.accessKeyId],
        ["lago_aws_s3_secret_access_key", secretRef("LAGO_AWS_S3_SECRET_ACCESS_KEY")],
      ] as Item[]
      : [section("Files (invoices, exports): on the host's disk, in a Docker volume")]),
  ];
}

/**
 * The first organization. Sign-up stays open until it exists: with sign-up closed and no organization,
 * nobody could ever log in.
 */
function organizationVars(a: InitAnswers): Item[] {
  if (!a.organization) {
    return [[
      "lago_disable_signup",
      false,
      "anyone reaching the UI can sign up: set true once your organization exists",
    ]];
  }
  return [
    ["lago_disable_signup", true, "closed: your organization is made by the first deploy"],
    ["lago_create_org", true, "migrate makes it (password: LAGO_ORG_USER_PASSWORD in the store)"],
    ["lago_org_name", a.organization.name],
    ["lago_org_user_email", a.organization.adminEmail, "the admin's login"],
  ];
}

export function inventoryText(a: InitAnswers, o: InventoryTextOptions): string {
  const fleet = a.hosts.length > 1;
  const header = [
    `yaml-language-server: $schema=${o.schema}`,
    `Lago on ${a.domain}, written by \`lago-provision init\`. Deploy it, and again after any change (a`,
    "re-run changes nothing):",
    "",
    `  LAGO_SECRETS_PASSPHRASE=... lago-provision apply ${o.path}`,
    "",
    `No secret is in this file: they are in the encrypted store ${o.store} beside it, opened with`,
    "LAGO_SECRETS_PASSPHRASE. Keep both safe: without them, what Lago encrypted cannot be read again.",
    "Every other variable, with its default: inventory/example.yml.",
  ];
  const lines = [...header.map((l) => `# ${l}`.trimEnd()), "all:"];
  if (fleet) {
    const [clock] = a.hosts;
    lines.push(
      ...block(2, [
        `A fleet (docs/fleet.md): every host runs the web (api, front) and the workers, ${clock.name}`,
        "also the clock (exactly one per fleet). Move hosts between the groups to split them.",
      ]),
      "  children:",
      "    lago_web:",
      "      hosts:",
      ...hostLines(8, a.hosts, true),
      "    lago_worker:",
      "      hosts:",
      ...hostLines(8, a.hosts, false),
      "    lago_clock:",
      "      hosts:",
      ...hostLines(8, [clock], false),
    );
  } else {
    lines.push("  hosts:", ...hostLines(4, a.hosts, true));
  }
  lines.push("  vars:", ...block(4, inventoryVars(a)));
  return lines.map((l) => l.trimEnd()).join("\n") + "\n";
}

/**
 * What `lago-provision init` needs to know, and how it gets it: each answer from its flag, else asked on
 * the terminal (when there is one), else its default, else an error naming the flag. Parsing and the
 * checks between answers are pure; asking is a function passed in, so tests script the conversation.
 *
 * Secrets (an external database's password, the S3 secret key) never come from a flag's value: a flag
 * names the environment variable holding it (`--postgres-password-env PGPASS`), or it is asked without
 * echo. They are returned apart from the answers, for the secrets store only.
 */
import { UserError } from "../core/types.ts";

export const TLS_MODES = ["letsencrypt", "selfsigned", "provided", "none"] as const;
export type TlsMode = typeof TLS_MODES[number];

export interface HostAnswer {
  /** The inventory name. */
  name: string;
  /** ansible_host, when the name is not how to reach it. */
  address?: string;
  /** ansible_port, when not 22. */
  port?: number;
}

export interface ExternalService {
  host: string;
  port: number;
}

export interface InitAnswers {
  hosts: HostAnswer[];
  user: string;
  sshKey?: string;
  knownHosts?: string;
  domain: string;
  tls: TlsMode;
  acmeEmail?: string;
  tlsCert?: string;
  tlsKey?: string;
  version: string;
  /** The first organization and its admin, created by Lago's migrate on the first deploy. */
  organization?: { name: string; adminEmail: string };
  /** Absent: the bundled PostgreSQL (a container on the host). */
  postgres?: ExternalService & { user: string; db: string; sslmode?: string };
  /** Absent: the bundled Redis. */
  redis?: ExternalService & { tls: boolean; password: boolean };
  /** Absent: files on the host's disk (a Docker volume). */
  s3?: { bucket: string; region: string; endpoint?: string; accessKeyId: string };
}

/** Values for the secrets store, by store name. */
export type InitSecrets = Record<string, string>;

/** The command-line flags, as commander gives them. */
export interface InitFlags {
  host?: string[];
  user?: string;
  sshKey?: string;
  knownHosts?: string;
  domain?: string;
  tls?: string;
  acmeEmail?: string;
  tlsCert?: string;
  tlsKey?: string;
  lagoVersion?: string;
  orgName?: string;
  adminEmail?: string;
  postgresHost?: string;
  postgresUser?: string;
  postgresDb?: string;
  postgresSslmode?: string;
  postgresPasswordEnv?: string;
  redisHost?: string;
  redisTls?: boolean;
  redisPasswordEnv?: string;
  s3Bucket?: string;
  s3Region?: string;
  s3Endpoint?: string;
  s3AccessKeyId?: string;
  s3SecretKeyEnv?: string;
}

export interface Question {
  /** The flag that answers it, e.g. "--domain". */
  flag: string;
  /** What is asked, e.g. "Domain Lago is served on". */
  text: string;
  default?: string;
  /** Asked without echo (a password). */
  secret?: boolean;
}

/** Asks one question (after saying what was wrong with the last answer) and returns what was typed. */
export type Ask = (q: Question, problem?: string) => Promise<string>;

export interface GatherOptions {
  /** Absent: nothing is asked (no terminal, or --non-interactive). */
  ask?: Ask;
  /** The environment, for the `--*-env` flags. */
  env: Record<string, string | undefined>;
  /** The default Lago release: the lago role's lago_version, when its roles are here. */
  defaultVersion?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
const DOMAIN = new RegExp(`^(?=.{1,253}$)${LABEL}(\\.${LABEL})+$`, "i");
const VERSION = /^v\d+\.\d+\.\d+$/;
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const USER = /^[a-z_][a-z0-9_.-]*$/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const SSLMODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/** A parser turns typed text into a value, or throws a UserError that says what is wrong. */
type Parser<T> = (text: string) => T;

const fail = (flag: string, what: string, hint?: string): never => {
  throw new UserError(`${flag}: ${what}`, hint);
};
const nonEmpty = (flag: string, what: string): Parser<string> => (t) =>
  t || fail(flag, `${what} is required`);
const email = (flag: string): Parser<string> => (t) =>
  EMAIL.test(t) ? t : fail(flag, `'${t}' is not an e-mail address`);
const oneOf = <T extends string>(flag: string, choices: readonly T[]): Parser<T> => (t) =>
  (choices as readonly string[]).includes(t)
    ? t as T
    : fail(flag, `'${t}' is not one of ${choices.join(", ")}`);
const optional = <T>(parse: Parser<T>): Parser<T | undefined> => (t) => t === "" ? undefined : parse(t);

function port(text: string, flag: string): number {
  const n = Number(text);
  return /^\d+$/.test(text) && n >= 1 && n <= 65535 ? n : fail(flag, `'${text}' is not a port (1 to 65535)`);
}

/** "ADDRESS[:PORT]", an IPv6 address in brackets when a port follows ("[2001:db8::1]:2222"). */
export function parseAddress(text: string, flag: string): { address: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    return {
      address: bracketed[1],
      ...(bracketed[2] === undefined ? {} : { port: port(bracketed[2], flag) }),
    };
  }
  const parts = text.split(":");
  // A bare IPv6 address has several colons and no port.
  if (parts.length !== 2) return { address: text };
  if (parts[0] === "") fail(flag, `'${text}' has no address before the port`);
  return { address: parts[0], port: port(parts[1], flag) };
}

/** "NAME[=ADDRESS[:PORT]]": an inventory name, and how to reach the host when the name does not say. */
export function parseHost(spec: string): HostAnswer {
  const eq = spec.indexOf("=");
  const name = eq < 0 ? spec : spec.slice(0, eq);
  const target = eq < 0 ? "" : spec.slice(eq + 1);
  if (!HOST_NAME.test(name)) {
    fail(
      "--host",
      `'${spec}' does not start with an inventory host name`,
      "NAME or NAME=ADDRESS[:PORT], e.g. --host lago-1=203.0.113.10 or --host lago.example.com",
    );
  }
  if (eq < 0) return { name };
  if (target === "") fail("--host", `'${spec}' has nothing after '='`);
  const { address, port } = parseAddress(target, "--host");
  return { name, address, ...(port === undefined || port === 22 ? {} : { port }) };
}

/** One or more hosts: repeated flags, or names separated by commas or spaces. */
export const parseHosts: Parser<HostAnswer[]> = (text) => {
  const hosts = text.split(/[,\s]+/).filter(Boolean).map(parseHost);
  if (hosts.length === 0) fail("--host", "at least one host is required");
  const twice = hosts.find((h, i) => hosts.findIndex((o) => o.name === h.name) !== i);
  if (twice) fail("--host", `'${twice.name}' is given twice`);
  return hosts;
};

const parseDomain: Parser<string> = (t) =>
  DOMAIN.test(t) ? t.toLowerCase() : fail("--domain", `'${t}' is not a domain name like lago.example.com`);

/** An external server "HOST[:PORT]", or undefined for the bundled one ("" or "bundled"). */
const parseExternal = (flag: string, defaultPort: number): Parser<ExternalService | undefined> => (t) => {
  if (t === "" || t === "bundled") return undefined;
  const { address, port } = parseAddress(t, flag);
  return { host: address, port: port ?? defaultPort };
};

/** Flags that mean nothing with the other answers: an error, not silently ignored. */
function unusedFlags(flags: InitFlags, a: InitAnswers): void {
  const only = (what: string, applies: boolean, list: [keyof InitFlags, string][]) =>
    list.map(([key, flag]) => ({ key, applies, message: `${flag} applies only ${what}` }));
  const rules = [
    ...only("with --tls letsencrypt", a.tls === "letsencrypt", [["acmeEmail", "--acme-email"]]),
    ...only("with --tls provided", a.tls === "provided", [["tlsCert", "--tls-cert"], [
      "tlsKey",
      "--tls-key",
    ]]),
    ...only("with --org-name (the admin is the first organization's)", a.organization !== undefined, [
      ["adminEmail", "--admin-email"],
    ]),
    ...only("to an external PostgreSQL (--postgres-host)", a.postgres !== undefined, [
      ["postgresUser", "--postgres-user"],
      ["postgresDb", "--postgres-db"],
      ["postgresSslmode", "--postgres-sslmode"],
      ["postgresPasswordEnv", "--postgres-password-env"],
    ]),
    ...only("to an external Redis (--redis-host)", a.redis !== undefined, [
      ["redisTls", "--redis-tls"],
      ["redisPasswordEnv", "--redis-password-env"],
    ]),
    ...only("with --s3-bucket", a.s3 !== undefined, [
      ["s3Region", "--s3-region"],
      ["s3Endpoint", "--s3-endpoint"],
      ["s3AccessKeyId", "--s3-access-key-id"],
      ["s3SecretKeyEnv", "--s3-secret-key-env"],
    ]),
  ];
  const unused = rules.find((r) => !r.applies && flags[r.key] !== undefined);
  if (unused) throw new UserError(unused.message);
}

/**
 * Every answer, from its flag, else asked (while the answer does not parse), else its default, in the
 * order a person is asked; then checked against each other. Throws the first problem as a UserError that
 * names the flag.
 */
export async function gatherAnswers(
  flags: InitFlags,
  opts: GatherOptions,
): Promise<{ answers: InitAnswers; secrets: InitSecrets }> {
  async function answer<T>(given: string | undefined, q: Question, parse: Parser<T>): Promise<T> {
    if (given !== undefined) return parse(given.trim());
    if (!opts.ask) {
      if (q.default !== undefined) return parse(q.default);
      throw new UserError(`${q.flag} is required`, "give it on the command line, or run init on a terminal");
    }
    let problem: string | undefined;
    for (;;) {
      const typed = (await opts.ask(q, problem)).trim();
      try {
        return parse(typed === "" && q.default !== undefined ? q.default : typed);
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        problem = e.hint ? `${e.message} (${e.hint})` : e.message;
      }
    }
  }
  /** A secret: from the environment variable its flag names, else asked without echo. */
  async function secret(envName: string | undefined, flag: string, text: string, canBeEmpty = false) {
    if (envName !== undefined) {
      if (!ENV_NAME.test(envName)) fail(flag, `'${envName}' is not an environment variable name`);
      const value = opts.env[envName] ?? "";
      return value || canBeEmpty ? value : fail(flag, `the environment variable ${envName} is not set`);
    }
    if (!opts.ask && canBeEmpty) return "";
    if (!opts.ask) {
      throw new UserError(
        `${flag} is required`,
        `name the environment variable that holds it (never the value itself): ${flag} NAME`,
      );
    }
    const q = { flag, text, secret: true, ...(canBeEmpty ? { default: "" } : {}) };
    return await answer(undefined, q, canBeEmpty ? (t) => t : nonEmpty(flag, "a value"));
  }

  const hosts = await answer(
    flags.host?.length ? flags.host.join(",") : undefined,
    { flag: "--host", text: "Hosts: NAME or NAME=ADDRESS[:PORT], separated by commas" },
    parseHosts,
  );
  const fleet = hosts.length > 1;
  /** A fleet's services are shared: the answer "none" (bundled, the host's disk) is refused. */
  const shared =
    <T>(flag: string, what: string, parse: Parser<T | undefined>): Parser<T | undefined> => (t) => {
      const value = parse(t);
      return value === undefined && fleet
        ? fail(flag, `${hosts.length} hosts need ${what}`, "give it, or install on one host")
        : value;
    };

  const user = await answer(
    flags.user,
    { flag: "--user", text: "SSH user (root, or a user with sudo)", default: "root" },
    (t) => USER.test(t) ? t : fail("--user", `'${t}' is not a user name`),
  );
  const sshKey = flags.sshKey === undefined
    ? undefined
    : nonEmpty("--ssh-key", "a path")(flags.sshKey.trim());
  const knownHosts = flags.knownHosts === undefined
    ? undefined
    : nonEmpty("--known-hosts", "a path")(flags.knownHosts.trim());

  const first = hosts[0].name;
  const domain = await answer(
    flags.domain,
    { flag: "--domain", text: "Domain Lago is served on", ...(DOMAIN.test(first) ? { default: first } : {}) },
    parseDomain,
  );
  const tls = await answer(
    flags.tls,
    {
      flag: "--tls",
      text: `TLS certificate: ${TLS_MODES.join(", ")}`,
      ...(fleet ? {} : { default: "letsencrypt" }),
    },
    (t) => {
      const mode = oneOf("--tls", TLS_MODES)(t);
      if (fleet && mode === "letsencrypt") {
        fail(
          "--tls",
          `letsencrypt on ${hosts.length} hosts: each would ask for the same domain's certificate, and only the host the domain resolves to can answer`,
          "provided (one certificate on every host) or none (behind a TLS-terminating load balancer)",
        );
      }
      return mode;
    },
  );
  const acmeEmail = tls !== "letsencrypt" ? undefined : await answer(
    flags.acmeEmail,
    { flag: "--acme-email", text: "E-mail for Let's Encrypt (expiry notices)" },
    email("--acme-email"),
  );
  const provided = tls !== "provided" ? undefined : {
    tlsCert: await answer(
      flags.tlsCert,
      { flag: "--tls-cert", text: "Certificate chain (a PEM file on this machine)" },
      nonEmpty("--tls-cert", "a path"),
    ),
    tlsKey: await answer(
      flags.tlsKey,
      { flag: "--tls-key", text: "Its private key (a PEM file on this machine)" },
      nonEmpty("--tls-key", "a path"),
    ),
  };
  const version = await answer(
    flags.lagoVersion,
    {
      flag: "--lago-version",
      text: "Lago release",
      ...(opts.defaultVersion ? { default: opts.defaultVersion } : {}),
    },
    (t) => VERSION.test(t) ? t : fail("--lago-version", `'${t}' is not a pinned release like v1.50.0`),
  );

  const orgName = await answer(
    flags.orgName,
    { flag: "--org-name", text: "Your organization's name (empty: none, sign-up stays open)", default: "" },
    (t) => /['"\\\n]/.test(t) ? fail("--org-name", "quotes, backslashes and line breaks are not allowed") : t,
  );
  const organization = orgName === "" ? undefined : {
    name: orgName,
    adminEmail: await answer(
      flags.adminEmail,
      { flag: "--admin-email", text: "Its admin's e-mail (the login; the password is generated)" },
      email("--admin-email"),
    ),
  };

  const secrets: InitSecrets = {};
  const ask = (what: string) => `${what}: HOST[:PORT] of an external server (empty: bundled on the host)`;
  const pg = await answer(
    flags.postgresHost,
    { flag: "--postgres-host", text: ask("PostgreSQL"), default: "" },
    shared(
      "--postgres-host",
      "one shared PostgreSQL, not one bundled on each",
      parseExternal("--postgres-host", 5432),
    ),
  );
  let postgres: InitAnswers["postgres"];
  if (pg) {
    const pgUser = await answer(
      flags.postgresUser,
      { flag: "--postgres-user", text: "PostgreSQL user", default: "lago" },
      nonEmpty("--postgres-user", "a user"),
    );
    const db = await answer(
      flags.postgresDb,
      { flag: "--postgres-db", text: "PostgreSQL database", default: "lago" },
      nonEmpty("--postgres-db", "a database"),
    );
    const sslmode = await answer(
      flags.postgresSslmode,
      { flag: "--postgres-sslmode", text: `sslmode (${SSLMODES.join(", ")}; empty: libpq's)`, default: "" },
      optional(oneOf("--postgres-sslmode", SSLMODES)),
    );
    secrets.POSTGRES_PASSWORD = await secret(
      flags.postgresPasswordEnv,
      "--postgres-password-env",
      `Password of ${pgUser}`,
    );
    postgres = { ...pg, user: pgUser, db, ...(sslmode ? { sslmode } : {}) };
  }

  const rd = await answer(
    flags.redisHost,
    { flag: "--redis-host", text: ask("Redis"), default: "" },
    shared("--redis-host", "one shared Redis, not one bundled on each", parseExternal("--redis-host", 6379)),
  );
  let redis: InitAnswers["redis"];
  if (rd) {
    const password = await secret(
      flags.redisPasswordEnv,
      "--redis-password-env",
      "Redis password (empty: none)",
      true,
    );
    if (password) secrets.REDIS_PASSWORD = password;
    redis = { ...rd, tls: flags.redisTls ?? false, password: password !== "" };
  }

  const bucket = await answer(
    flags.s3Bucket,
    { flag: "--s3-bucket", text: "S3 bucket for Lago's files (empty: the host's disk)", default: "" },
    shared("--s3-bucket", "shared file storage: an S3 (or S3-compatible) bucket", optional((t) => t)),
  );
  let s3: InitAnswers["s3"];
  if (bucket) {
    const region = await answer(
      flags.s3Region,
      { flag: "--s3-region", text: "S3 region", default: "us-east-1" },
      nonEmpty("--s3-region", "a region"),
    );
    const endpoint = await answer(
      flags.s3Endpoint,
      { flag: "--s3-endpoint", text: "S3 endpoint URL (empty: AWS)", default: "" },
      optional((t) => /^https?:\/\/\S+$/.test(t) ? t : fail("--s3-endpoint", `'${t}' is not an http(s) URL`)),
    );
    const accessKeyId = await answer(
      flags.s3AccessKeyId,
      { flag: "--s3-access-key-id", text: "S3 access key id" },
      nonEmpty("--s3-access-key-id", "an access key id"),
    );
    secrets.LAGO_AWS_S3_SECRET_ACCESS_KEY = await secret(
      flags.s3SecretKeyEnv,
      "--s3-secret-key-env",
      "S3 secret access key",
    );
    s3 = { bucket, region, accessKeyId, ...(endpoint ? { endpoint } : {}) };
  }

  const answers: InitAnswers = {
    hosts,
    user,
    ...(sshKey ? { sshKey } : {}),
    ...(knownHosts ? { knownHosts } : {}),
    domain,
    tls,
    ...(acmeEmail ? { acmeEmail } : {}),
    ...provided,
    version,
    ...(organization ? { organization } : {}),
    ...(postgres ? { postgres } : {}),
    ...(redis ? { redis } : {}),
    ...(s3 ? { s3 } : {}),
  };
  unusedFlags(flags, answers);
  return { answers, secrets };
}

/**
 * init's answers: from flags (CI) or a scripted conversation (a person at the terminal), into the
 * answers the inventory is written from, or one error naming the flag.
 */
import { describe, expect, it } from "vitest";
import {
  gatherAnswers,
  type InitAnswers,
  type InitFlags,
  parseHost,
  type Question,
} from "../../../src/init/answers.ts";

const base: InitFlags = { host: ["lago.example.com"], tls: "selfsigned", orgName: "", s3Bucket: "" };
const env = { PGPASS: "pg-secret-value-1", S3KEY: "s3-secret-value-1", EMPTY: "" };
const gather = (flags: InitFlags, ask?: (q: Question, problem?: string) => Promise<string>) =>
  gatherAnswers(flags, { ask, env, defaultVersion: "v1.50.0" });

const single: InitAnswers = {
  hosts: [{ name: "lago.example.com" }],
  user: "root",
  domain: "lago.example.com",
  tls: "selfsigned",
  version: "v1.50.0",
};

describe("init answers from flags", () => {
  it.each<
    { name: string; flags: InitFlags; answers: Partial<InitAnswers>; secrets?: Record<string, string> }
  >([
    { name: "one host, defaults for the rest", flags: base, answers: {} },
    {
      name: "address and port, a sudo user, a key and known_hosts",
      flags: {
        ...base,
        host: ["lago-1=203.0.113.10:2222"],
        domain: "billing.example.com",
        user: "deploy",
        sshKey: "~/.ssh/id_ed25519",
        knownHosts: "inventory/known_hosts",
      },
      answers: {
        hosts: [{ name: "lago-1", address: "203.0.113.10", port: 2222 }],
        domain: "billing.example.com",
        user: "deploy",
        sshKey: "~/.ssh/id_ed25519",
        knownHosts: "inventory/known_hosts",
      },
    },
    {
      name: "letsencrypt with its e-mail, the first organization",
      flags: {
        ...base,
        tls: "letsencrypt",
        acmeEmail: "ops@example.com",
        orgName: "Acme Inc",
        adminEmail: "admin@example.com",
      },
      answers: {
        tls: "letsencrypt",
        acmeEmail: "ops@example.com",
        organization: { name: "Acme Inc", adminEmail: "admin@example.com" },
      },
    },
    {
      name: "provided certificate",
      flags: { ...base, tls: "provided", tlsCert: "certs/chain.pem", tlsKey: "certs/key.pem" },
      answers: { tls: "provided", tlsCert: "certs/chain.pem", tlsKey: "certs/key.pem" },
    },
    {
      name: "a fleet on external services, passwords from the environment",
      flags: {
        ...base,
        host: ["web-1=10.0.0.1,web-2=10.0.0.2", "web-3"],
        domain: "lago.example.com",
        postgresHost: "pg.internal",
        postgresPasswordEnv: "PGPASS",
        postgresSslmode: "require",
        redisHost: "redis.internal:6380",
        redisTls: true,
        s3Bucket: "lago-files",
        s3Endpoint: "https://s3.example.net",
        s3AccessKeyId: "AKIAEXAMPLE",
        s3SecretKeyEnv: "S3KEY",
        lagoVersion: "v1.49.0",
      },
      answers: {
        hosts: [{ name: "web-1", address: "10.0.0.1" }, { name: "web-2", address: "10.0.0.2" }, {
          name: "web-3",
        }],
        version: "v1.49.0",
        postgres: { host: "pg.internal", port: 5432, user: "lago", db: "lago", sslmode: "require" },
        redis: { host: "redis.internal", port: 6380, tls: true, password: false },
        s3: {
          bucket: "lago-files",
          region: "us-east-1",
          endpoint: "https://s3.example.net",
          accessKeyId: "AKIAEXAMPLE",
        },
      },
      secrets: { POSTGRES_PASSWORD: "pg-secret-value-1", LAGO_AWS_S3_SECRET_ACCESS_KEY: "s3-secret-value-1" },
    },
  ])("$name", async ({ flags, answers, secrets }) => {
    expect(await gather(flags)).toEqual({ answers: { ...single, ...answers }, secrets: secrets ?? {} });
  });

  it.each<{ flags: InitFlags; error: string }>([
    { flags: { ...base, host: [] }, error: "--host is required" },
    { flags: { ...base, host: ["lago lago,,"] }, error: "--host: 'lago' is given twice" },
    { flags: { ...base, host: ["-x"] }, error: "--host: '-x' does not start with an inventory host name" },
    { flags: { ...base, host: ["a=10.0.0.1:99999"] }, error: "--host: '99999' is not a port (1 to 65535)" },
    { flags: { ...base, host: ["a="] }, error: "--host: 'a=' has nothing after '='" },
    { flags: { ...base, host: ["lago-1"] }, error: "--domain is required" },
    {
      flags: { ...base, domain: "not a domain" },
      error: "--domain: 'not a domain' is not a domain name like lago.example.com",
    },
    {
      flags: { ...base, tls: "acme" },
      error: "--tls: 'acme' is not one of letsencrypt, selfsigned, provided, none",
    },
    { flags: { ...base, tls: "letsencrypt" }, error: "--acme-email is required" },
    {
      flags: { ...base, tls: "letsencrypt", acmeEmail: "ops" },
      error: "--acme-email: 'ops' is not an e-mail address",
    },
    {
      flags: { ...base, acmeEmail: "ops@example.com" },
      error: "--acme-email applies only with --tls letsencrypt",
    },
    {
      flags: { ...base, lagoVersion: "latest" },
      error: "--lago-version: 'latest' is not a pinned release like v1.50.0",
    },
    { flags: { ...base, orgName: "Acme" }, error: "--admin-email is required" },
    {
      flags: { ...base, adminEmail: "a@example.com" },
      error: "--admin-email applies only with --org-name (the admin is the first organization's)",
    },
    {
      flags: { ...base, orgName: "O'Brien" },
      error: "--org-name: quotes, backslashes and line breaks are not allowed",
    },
    { flags: { ...base, postgresHost: "pg" }, error: "--postgres-password-env is required" },
    {
      flags: { ...base, postgresHost: "pg", postgresPasswordEnv: "EMPTY" },
      error: "--postgres-password-env: the environment variable EMPTY is not set",
    },
    {
      flags: { ...base, postgresHost: "pg", postgresPasswordEnv: "secret value" },
      error: "--postgres-password-env: 'secret value' is not an environment variable name",
    },
    {
      flags: { ...base, postgresUser: "lago" },
      error: "--postgres-user applies only to an external PostgreSQL (--postgres-host)",
    },
    {
      flags: { ...base, redisTls: true },
      error: "--redis-tls applies only to an external Redis (--redis-host)",
    },
    { flags: { ...base, s3Region: "eu-west-1" }, error: "--s3-region applies only with --s3-bucket" },
    {
      flags: {
        ...base,
        s3Bucket: "b",
        s3AccessKeyId: "AK",
        s3SecretKeyEnv: "S3KEY",
        s3Endpoint: "s3.example.net",
      },
      error: "--s3-endpoint: 's3.example.net' is not an http(s) URL",
    },
    {
      flags: { ...base, host: ["a.example.com", "b.example.com"] },
      error: "--postgres-host: 2 hosts need one shared PostgreSQL, not one bundled on each",
    },
    {
      flags: {
        ...base,
        host: ["a.example.com", "b.example.com"],
        postgresHost: "pg",
        postgresPasswordEnv: "PGPASS",
        redisHost: "r",
      },
      error: "--s3-bucket: 2 hosts need shared file storage: an S3 (or S3-compatible) bucket",
    },
    {
      flags: {
        ...base,
        host: ["a.example.com", "b.example.com"],
        tls: "letsencrypt",
        acmeEmail: "o@example.com",
      },
      error:
        "--tls: letsencrypt on 2 hosts: each would ask for the same domain's certificate, and only the host the domain resolves to can answer",
    },
  ])("$error", async ({ flags, error }) => {
    await expect(gather(flags)).rejects.toThrow(error);
  });

  it.each([
    ["lago.example.com", { name: "lago.example.com" }],
    ["db=[2001:db8::1]:2222", { name: "db", address: "2001:db8::1", port: 2222 }],
    ["db=2001:db8::1", { name: "db", address: "2001:db8::1" }],
    ["db=10.0.0.5:22", { name: "db", address: "10.0.0.5" }],
  ])("host %s", (spec, want) => expect(parseHost(spec)).toEqual(want));
});

describe("init answers from a person at the terminal", () => {
  /** A conversation: each question's flag and what the person types. */
  const script = (replies: [flag: string, typed: string][]) => {
    const asked: string[] = [];
    const ask = (q: Question, problem?: string) => {
      asked.push(problem ? `${q.flag} (${problem})` : q.flag);
      const next = replies.shift();
      if (!next) throw new Error(`unexpected question ${q.flag}`);
      expect(next[0]).toBe(q.flag);
      return Promise.resolve(next[1]);
    };
    return { ask, asked };
  };

  it("asks what the flags do not say, in order; Enter takes the default", async () => {
    const { ask, asked } = script([
      ["--host", "lago.example.com=203.0.113.10"],
      ["--user", ""],
      ["--domain", ""],
      ["--tls", ""],
      ["--acme-email", "ops@example.com"],
      ["--lago-version", ""],
      ["--org-name", "Acme"],
      ["--admin-email", "admin@example.com"],
      ["--postgres-host", ""],
      ["--redis-host", ""],
      ["--s3-bucket", ""],
    ]);
    const { answers } = await gather({}, ask);
    expect(answers).toEqual({
      ...single,
      hosts: [{ name: "lago.example.com", address: "203.0.113.10" }],
      tls: "letsencrypt",
      acmeEmail: "ops@example.com",
      organization: { name: "Acme", adminEmail: "admin@example.com" },
    });
    expect(asked).toHaveLength(11);
  });

  it("asks again, saying why, until an answer parses; secrets are asked hidden", async () => {
    const secretQuestions: string[] = [];
    const { ask, asked } = script([
      ["--user", "deploy"],
      ["--domain", "localhost"],
      ["--domain", "lago.example.com"],
      ["--lago-version", "v1.49.0"],
      ["--postgres-host", "pg.internal:5433"],
      ["--postgres-user", ""],
      ["--postgres-db", "billing"],
      ["--postgres-sslmode", "sometimes"],
      ["--postgres-sslmode", "verify-full"],
      ["--postgres-password-env", ""],
      ["--postgres-password-env", "typed-secret-1"],
      ["--redis-host", ""],
    ]);
    const { answers, secrets } = await gather({ ...base, host: ["lago-1"], tls: "none" }, (q, problem) => {
      if (q.secret) secretQuestions.push(q.flag);
      return ask(q, problem);
    });
    expect(asked).toEqual([
      "--user",
      "--domain",
      "--domain (--domain: 'localhost' is not a domain name like lago.example.com)",
      "--lago-version",
      "--postgres-host",
      "--postgres-user",
      "--postgres-db",
      "--postgres-sslmode",
      "--postgres-sslmode (--postgres-sslmode: 'sometimes' is not one of disable, allow, prefer, require, verify-ca, verify-full)",
      "--postgres-password-env",
      "--postgres-password-env (--postgres-password-env: a value is required)",
      "--redis-host",
    ]);
    expect(secretQuestions).toEqual(["--postgres-password-env", "--postgres-password-env"]);
    expect(answers.postgres).toEqual({
      host: "pg.internal",
      port: 5433,
      user: "lago",
      db: "billing",
      sslmode: "verify-full",
    });
    expect(secrets).toEqual({ POSTGRES_PASSWORD: "typed-secret-1" });
  });
});

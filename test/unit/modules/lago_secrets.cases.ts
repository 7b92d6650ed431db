/**
 * lago_secrets plans: real stores in a temp folder (cheap scrypt), host files given as the probe
 * reports them (sha256 per value). test/unit/secrets/module.test.ts checks what tables cannot: no value
 * in any reason, the store untouched in check mode, created once in apply.
 */
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { renderSecretsEnv } from "../../../src/modules/lago_secrets.ts";
import { CORE_SECRETS, secretHash } from "../../../src/secrets/formats.ts";
import type { HostFile, HostSecretFiles } from "../../../src/secrets/host-files.ts";
import { addSecrets } from "../../../src/secrets/store.ts";
import type { ModuleCase, ProbeCase } from "./cases.ts";

export const PASSPHRASE = "correct horse battery staple";
process.env.LAGO_SECRETS_PASSPHRASE = PASSPHRASE;

/** Store values: not in Lago's formats (the module does not judge formats), distinct and recognisable. */
export const VALUES: Record<string, string> = Object.fromEntries(
  CORE_SECRETS.map((n, i) => [n, `value-${i}-${"x".repeat(24)}`]),
);
const FIVE = [...CORE_SECRETS];

const dir = mkdtempSync(join(tmpdir(), "lago-secrets-cases-"));
/** Holds the five. */
export const STORE = join(dir, "five.enc");
/** The five and a secret no `names` lists (an S3 key `init` put there). */
export const EXTRA_STORE = join(dir, "extra.enc");
const S3_KEY = { LAGO_AWS_S3_SECRET_ACCESS_KEY: `s3-${"y".repeat(30)}` };
/** Never created (check mode and refusals must leave it so). */
export const NO_STORE = join(dir, "missing.enc");
/** Created by the apply case that generates. */
export const GEN_STORE = join(dir, "generated.enc");
addSecrets(
  STORE,
  Object.fromEntries(FIVE.map((n) => [n, { value: VALUES[n], source: "test" }])),
  { passphrase: PASSPHRASE, kdf: { N: 1024, r: 8, p: 1 } },
);

addSecrets(
  EXTRA_STORE,
  Object.fromEntries(
    Object.entries({ ...VALUES, ...S3_KEY }).map(([n, v]) => [n, { value: v, source: "test" }]),
  ),
  { passphrase: PASSPHRASE, kdf: { N: 1024, r: 8, p: 1 } },
);

const DEST = "/opt/lago/secrets.env";
const ENV = "/opt/lago/.env";
const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const hashes = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([n, v]) => [n, secretHash(n, v)]));
const pick = (names: string[], values = VALUES) => Object.fromEntries(names.map((n) => [n, values[n]]));

const missing = (path: string): HostFile => ({ path, state: "missing", values: {} });
/** A file holding these values (hashed as the probe reports them). */
const file = (path: string, values: Record<string, string>, mode = "0600", content?: string): HostFile => ({
  path,
  state: "file",
  sha256: sha(content ?? Object.entries(values).map(([n, v]) => `${n}=${v}\n`).join("")),
  mode,
  owner: "root",
  group: "root",
  values: hashes(values),
});
const host = (...files: HostFile[]): HostSecretFiles => ({ dirExists: true, files });
/** dest exactly as the module writes it. */
const upToDate = (mode = "0600") => file(DEST, VALUES, mode, renderSecretsEnv(VALUES, FIVE));

const WRITE = `write ${DEST} mode=0600 owner=root group=root`;
const vars = {
  inventory_hostname: "lago-tb-2",
  inventory_file: "/srv/inv/prod.yml",
  inventory_dir: "/srv/inv",
};
const sensitive = [{ target: DEST, before: "", after: "", sensitive: true }];

export const planCases: ModuleCase[] = [
  {
    name: "store and host agree, dest up to date: nothing to do",
    args: { store: STORE },
    facts: host(upToDate(), missing(ENV)),
    expect: { changed: false, reason: `${DEST} already holds the 5 secrets of ${STORE}`, steps: [] },
  },
  {
    name: "bare host: dest written from the store, 0600 root, sensitive diff",
    args: { store: STORE },
    facts: host(missing(DEST), missing(ENV)),
    expect: {
      changed: true,
      reason: `would create ${DEST} with 5 secrets (mode 0600)`,
      steps: [WRITE],
      diffs: sensitive,
      result: { secrets: VALUES, store: STORE, dest: DEST, generated: [] },
    },
  },
  {
    name: "a store secret no name lists: later tasks read it, the host file does not get it",
    args: { store: EXTRA_STORE },
    facts: host(upToDate(), missing(ENV)),
    expect: {
      changed: false,
      reason: `${DEST} already holds the 5 secrets of ${EXTRA_STORE}`,
      result: { secrets: { ...VALUES, ...S3_KEY } },
    },
  },
  {
    name: "bare host without /opt/lago: the folder is made first",
    args: { store: STORE },
    facts: { dirExists: false, files: [missing(DEST), missing(ENV)] },
    expect: { changed: true, steps: ["mkdir -p /opt/lago", WRITE] },
  },
  {
    name: "upstream .env with the store's values is adopted: dest written beside it, .env untouched",
    args: { store: STORE },
    facts: host(missing(DEST), file(ENV, VALUES, "0644")),
    expect: { changed: true, reason: `would create ${DEST}`, steps: [WRITE] },
  },
  {
    name: "dest with some of the values: rewritten, naming what it lacks",
    args: { store: STORE },
    facts: host(file(DEST, pick(FIVE.slice(0, 3))), missing(ENV)),
    expect: {
      changed: true,
      reason:
        `would rewrite ${DEST} (it lacks LAGO_ENCRYPTION_DETERMINISTIC_KEY, LAGO_ENCRYPTION_KEY_DERIVATION_SALT)`,
      steps: [WRITE],
    },
  },
  {
    name: "right content, loose mode: set back to 0600",
    args: { store: STORE },
    facts: host(upToDate("0644"), missing(ENV)),
    expect: {
      changed: true,
      reason: `would set ${DEST} to mode 0600 root:root (was 0644 root:root)`,
      steps: [WRITE],
    },
  },
  {
    name: "the store given by the lago_secrets_file variable",
    args: {},
    vars: { lago_secrets_file: STORE },
    facts: host(upToDate(), missing(ENV)),
    expect: { changed: false, result: { store: STORE } },
  },
  {
    name:
      "a host value that differs from the store: refused, naming host, variable and file, never the values",
    args: { store: STORE },
    vars,
    facts: host(
      upToDate(),
      file(ENV, { ...VALUES, LAGO_ENCRYPTION_PRIMARY_KEY: "someone-else's-key-0000000000" }),
    ),
    expect: {
      error:
        `lago-tb-2: LAGO_ENCRYPTION_PRIMARY_KEY in ${ENV} differs from the secrets store ${STORE} (sha256 `,
    },
  },
  {
    name: "no store and two files of the host disagree: refused",
    args: { store: NO_STORE },
    vars,
    facts: host(
      file(DEST, pick(["SECRET_KEY_BASE"])),
      file(ENV, { SECRET_KEY_BASE: "another-value-000000000000" }),
    ),
    expect: { error: `lago-tb-2: SECRET_KEY_BASE differs between ${DEST} and ${ENV}` },
  },
  {
    name: "no store while the host has secrets: stop, do not generate",
    args: { store: NO_STORE },
    vars,
    facts: host(missing(DEST), file(ENV, pick(["LAGO_RSA_PRIVATE_KEY", "SECRET_KEY_BASE"]))),
    expect: {
      error:
        `lago-tb-2 already has Lago secrets (${ENV}: LAGO_RSA_PRIVATE_KEY, SECRET_KEY_BASE) but the secrets store ${NO_STORE} does not exist`,
    },
  },
  {
    name: "the store lacks an extra name the host has: import it first",
    args: { store: STORE, names: ["POSTGRES_PASSWORD"] },
    vars,
    facts: host(upToDate(), file(ENV, { POSTGRES_PASSWORD: "pg-password-from-upstream" })),
    expect: { error: `lago-tb-2 has secrets the store ${STORE} does not hold (${ENV}: POSTGRES_PASSWORD)` },
  },
  {
    name: "check mode, no store, bare host: would generate (nothing is created)",
    args: { store: NO_STORE },
    check: true,
    facts: host(missing(DEST), missing(ENV)),
    expect: {
      changed: true,
      reason:
        `would generate 5 secrets (LAGO_RSA_PRIVATE_KEY, SECRET_KEY_BASE, LAGO_ENCRYPTION_PRIMARY_KEY, LAGO_ENCRYPTION_DETERMINISTIC_KEY, LAGO_ENCRYPTION_KEY_DERIVATION_SALT) into ${NO_STORE} and write them to ${DEST}`,
      steps: [],
      diffs: sensitive,
    },
  },
  {
    name: "check mode, an extra name the store lacks: would generate that one",
    args: { store: STORE, names: ["REDIS_PASSWORD"] },
    check: true,
    facts: host(upToDate(), missing(ENV)),
    expect: { changed: true, reason: `would generate 1 secret (REDIS_PASSWORD) into ${STORE}`, steps: [] },
  },
  {
    name: "check mode, upstream placeholders count as absent",
    args: { store: NO_STORE },
    check: true,
    facts: host(missing(DEST), file(ENV, { SECRET_KEY_BASE: "your-secret-key-base-hex-64" })),
    expect: { changed: true, reason: `(placeholders ignored: SECRET_KEY_BASE in ${ENV})` },
  },
  {
    name: "check mode with the store: known values, same plan as apply",
    args: { store: STORE },
    check: true,
    facts: host(missing(DEST), missing(ENV)),
    expect: { changed: true, steps: [WRITE], result: { secrets: VALUES } },
  },
  {
    name: "apply, no store, bare host: generated into the store, then written",
    args: { store: GEN_STORE },
    facts: host(missing(DEST), missing(ENV)),
    expect: {
      changed: true,
      reason: `generated 5 secrets into ${GEN_STORE}; would create ${DEST}`,
      steps: [WRITE],
      result: { generated: FIVE },
    },
  },
  {
    name: "no store argument and no inventory location",
    args: {},
    facts: host(missing(DEST), missing(ENV)),
    expect: { error: "the inventory's location is not known" },
  },
  {
    name: "names must be environment variable names",
    args: { names: ["postgres_password"] },
    expect: { error: "names/0: should be an environment variable name like POSTGRES_PASSWORD" },
  },
  {
    name: "dest must be absolute",
    args: { dest: "secrets.env" },
    expect: { error: "dest: should be an absolute path" },
  },
  {
    name: "there is no rotate option",
    args: { rotate: true },
    expect: { error: 'Unrecognized key: "rotate"' },
  },
];

const F = (path: string, rest = "missing") => `F\t${path}\t${rest}`;
export const probeCases: ProbeCase[] = [
  {
    name: "dest and the upstream .env, hashes only",
    args: {},
    output: {
      stdout: [
        "D\t1",
        F(DEST, `file\t${"a".repeat(64)}\t600\troot\troot`),
        `V\tSECRET_KEY_BASE\t${"b".repeat(64)}`,
        F(ENV),
        "",
      ].join("\n"),
    },
    facts: {
      dirExists: true,
      files: [
        {
          path: DEST,
          state: "file",
          sha256: "a".repeat(64),
          mode: "0600",
          owner: "root",
          group: "root",
          values: { SECRET_KEY_BASE: "b".repeat(64) },
        },
        { path: ENV, state: "missing", values: {} },
      ],
    },
  },
  {
    name: "adopt_from replaces the default list; dest is always read, once",
    args: { dest: "/srv/lago/secrets.env", adopt_from: ["/srv/lago/.env", "/srv/lago/secrets.env"] },
    output: { stdout: ["D\t0", F("/srv/lago/secrets.env"), F("/srv/lago/.env", "other"), ""].join("\n") },
    facts: {
      dirExists: false,
      files: [
        { path: "/srv/lago/secrets.env", state: "missing", values: {} },
        { path: "/srv/lago/.env", state: "other", values: {} },
      ],
    },
  },
];

/**
 * lago_secrets plans: the stores as the secrets stage hands them over (`ctx.secrets`), host files as
 * the probe reports them (sha256 per value). The plan never reads or writes a store file itself.
 * test/unit/secrets/module.test.ts checks what tables cannot: no value in any reason or refusal, and
 * the same plan whatever the run's mode.
 */
import { createHash } from "node:crypto";
import { renderSecretsEnv } from "../../../src/modules/lago_secrets.ts";
import { CORE_SECRETS, secretHash } from "../../../src/secrets/formats.ts";
import type { HostFile, HostSecretFiles } from "../../../src/secrets/host-files.ts";
import type { OpenedStore, SecretsInputs } from "../../../src/secrets/inputs.ts";
import type { ModuleCase, ProbeCase } from "./cases.ts";

/** Store values: not in Lago's formats (the module does not judge formats), distinct and recognisable. */
export const VALUES: Record<string, string> = Object.fromEntries(
  CORE_SECRETS.map((n, i) => [n, `value-${i}-${"x".repeat(24)}`]),
);
const FIVE = [...CORE_SECRETS];

/** Holds the five. */
export const STORE = "/srv/inv/lago-secrets.enc";
/** The five and a secret no `names` lists (an S3 key `init` put there). */
export const EXTRA_STORE = "/srv/inv/extra.enc";
const S3_KEY = { LAGO_AWS_S3_SECRET_ACCESS_KEY: `s3-${"y".repeat(30)}` };
/** Does not exist (yet). */
export const NO_STORE = "/srv/inv/missing.enc";

/** The stage's hand-over: one store. */
const opened = (path: string, store: Partial<OpenedStore>): SecretsInputs =>
  new Map([[path, { values: null, pending: [], generated: [], ...store }]]);
/** The store with the five. */
const five = opened(STORE, { values: VALUES });

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
    secrets: five,
    facts: host(upToDate(), missing(ENV)),
    expect: { changed: false, reason: `${DEST} already holds the 5 secrets of ${STORE}`, steps: [] },
  },
  {
    name: "bare host: dest written from the store, 0600 root, sensitive diff",
    args: { store: STORE },
    secrets: five,
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
    secrets: opened(EXTRA_STORE, { values: { ...VALUES, ...S3_KEY } }),
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
    secrets: five,
    facts: { dirExists: false, files: [missing(DEST), missing(ENV)] },
    expect: { changed: true, steps: ["mkdir -p /opt/lago", WRITE] },
  },
  {
    name: "upstream .env with the store's values is adopted: dest written beside it, .env untouched",
    args: { store: STORE },
    secrets: five,
    facts: host(missing(DEST), file(ENV, VALUES, "0644")),
    expect: { changed: true, reason: `would create ${DEST}`, steps: [WRITE] },
  },
  {
    name: "dest with some of the values: rewritten, naming what it lacks",
    args: { store: STORE },
    secrets: five,
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
    secrets: five,
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
    secrets: five,
    facts: host(upToDate(), missing(ENV)),
    expect: { changed: false, result: { store: STORE } },
  },
  {
    name: "the store beside the inventory by default",
    args: {},
    vars,
    secrets: opened("/srv/inv/lago-secrets.enc", { values: VALUES }),
    facts: host(upToDate(), missing(ENV)),
    expect: { changed: false, result: { store: "/srv/inv/lago-secrets.enc" } },
  },
  {
    name: "names generated by this run's stage are in the result",
    args: { store: STORE },
    secrets: opened(STORE, { values: VALUES, generated: FIVE }),
    facts: host(missing(DEST), missing(ENV)),
    expect: { changed: true, steps: [WRITE], result: { generated: FIVE } },
  },
  {
    name:
      "a host value that differs from the store: refused, naming host, variable and file, never the values",
    args: { store: STORE },
    vars,
    secrets: five,
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
    secrets: opened(NO_STORE, { pending: FIVE }),
    facts: host(
      file(DEST, pick(["SECRET_KEY_BASE"])),
      file(ENV, { SECRET_KEY_BASE: "another-value-000000000000" }),
    ),
    expect: { error: `lago-tb-2: SECRET_KEY_BASE differs between ${DEST} and ${ENV}` },
  },
  {
    name: "no store while the host has secrets: refused (the stage stops the run before; this is the net)",
    args: { store: NO_STORE },
    vars,
    secrets: opened(NO_STORE, {}),
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
    secrets: five,
    facts: host(upToDate(), file(ENV, { POSTGRES_PASSWORD: "pg-password-from-upstream" })),
    expect: { error: `lago-tb-2 has secrets the store ${STORE} does not hold (${ENV}: POSTGRES_PASSWORD)` },
  },
  {
    name: "no store yet, bare host: a change that assumes the stage generates first (check mode)",
    args: { store: NO_STORE },
    secrets: opened(NO_STORE, { pending: FIVE }),
    facts: host(missing(DEST), missing(ENV)),
    expect: {
      changed: true,
      reason:
        `would write ${DEST} with 5 secrets, assuming the secrets stage generates LAGO_RSA_PRIVATE_KEY, SECRET_KEY_BASE, LAGO_ENCRYPTION_PRIMARY_KEY, LAGO_ENCRYPTION_DETERMINISTIC_KEY, LAGO_ENCRYPTION_KEY_DERIVATION_SALT into ${NO_STORE} first`,
      steps: [],
      diffs: sensitive,
      result: { store: NO_STORE, dest: DEST, generated: FIVE },
    },
  },
  {
    name: "an extra name the store lacks: assumes the stage generates that one",
    args: { store: STORE, names: ["REDIS_PASSWORD"] },
    secrets: opened(STORE, { values: VALUES, pending: ["REDIS_PASSWORD"] }),
    facts: host(upToDate(), missing(ENV)),
    expect: {
      changed: true,
      reason: `assuming the secrets stage generates REDIS_PASSWORD into ${STORE} first`,
      steps: [],
    },
  },
  {
    name: "upstream placeholders count as absent",
    args: { store: NO_STORE },
    secrets: opened(NO_STORE, { pending: FIVE }),
    facts: host(missing(DEST), file(ENV, { SECRET_KEY_BASE: "your-secret-key-base-hex-64" })),
    expect: { changed: true, reason: `(placeholders ignored: SECRET_KEY_BASE in ${ENV})` },
  },
  {
    name: "a name the store lacks and the stage did not plan to generate: refused",
    args: { store: STORE, names: ["REDIS_PASSWORD"] },
    secrets: five,
    facts: host(upToDate(), missing(ENV)),
    expect: {
      error: `the secrets store ${STORE} lacks REDIS_PASSWORD, which the secrets stage did not generate`,
    },
  },
  {
    name: "a store the stage did not open: refused",
    args: { store: "/elsewhere/other.enc" },
    secrets: five,
    facts: host(missing(DEST), missing(ENV)),
    expect: { error: "the secrets store /elsewhere/other.enc was not opened before the play" },
  },
  {
    name: "no store argument and no inventory location",
    args: {},
    secrets: five,
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

/**
 * `lago-provision init [INVENTORY]`: from nothing to a working inventory (default inventory/prod.yml).
 * Asks on the terminal what the flags do not say (src/init/answers.ts), writes the commented inventory
 * (src/init/inventory.ts), creates the secrets store beside it with the installation's secrets (and the
 * external services' passwords given to it), and prints the command that deploys. Never overwrites an
 * inventory; an existing store is kept and only completed.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { isatty } from "node:tty";
import { parse } from "yaml";
import { UserError } from "../core/types.ts";
import { gatherAnswers, type InitAnswers, type InitFlags } from "../init/answers.ts";
import { inventoryText } from "../init/inventory.ts";
import { terminalQuestions } from "../init/prompt.ts";
import { cwd, env, writeStdout } from "../runtime.ts";
import { CORE_SECRETS, KNOWN_EXTRA_SECRETS } from "../secrets/formats.ts";
import { storePath } from "../secrets/location.ts";
import { passphraseFor } from "../secrets/passphrase.ts";
import { addSecrets, ensureSecrets, readStore, storeExists } from "../secrets/store.ts";

export const DEFAULT_INVENTORY = "inventory/prod.yml";

export interface InitOptions extends InitFlags {
  /** commander's --no-input: never ask, even on a terminal. */
  input: boolean;
}

/** The lago role's default release, from the roles apply will use (this folder's roles/). */
function defaultVersion(): string | undefined {
  const file = join(cwd(), "roles", "lago", "defaults", "main.yml");
  if (!existsSync(file)) return undefined;
  const version = (parse(readFileSync(file, "utf8")) as Record<string, unknown> | null)?.lago_version;
  return typeof version === "string" ? version : undefined;
}

/** Creates `path` with `text`, refusing (atomically) when it exists. */
function createFile(path: string, text: string): void {
  const temp = `${path}.init-${Date.now()}`;
  writeFileSync(temp, text, { mode: 0o644 });
  try {
    linkSync(temp, path);
  } catch (e) {
    if ((e as { code?: string }).code === "EEXIST") throw refuseOverwrite(path);
    throw e;
  } finally {
    rmSync(temp, { force: true });
  }
}

const refuseOverwrite = (path: string) =>
  new UserError(
    `${path} already exists; init never overwrites an inventory`,
    `edit it, or give init another path (lago-provision init inventory/staging.yml)`,
  );

/** What the installation needs in its store: Lago's five and what site.yml generates besides them. */
const storeNames = (): string[] => [...CORE_SECRETS, ...KNOWN_EXTRA_SECRETS];

function summary(a: InitAnswers): string {
  const hosts = a.hosts.length === 1 ? "1 host" : `a fleet of ${a.hosts.length} hosts`;
  const pg = a.postgres ? `PostgreSQL on ${a.postgres.host}` : "bundled PostgreSQL";
  const redis = a.redis ? `Redis on ${a.redis.host}` : "bundled Redis";
  const files = a.s3 ? `files in S3 bucket ${a.s3.bucket}` : "files on the host";
  const url = `${a.tls === "none" ? "http" : "https"}://${a.domain}`;
  return `${hosts}, ${url} (TLS ${a.tls}), Lago ${a.version}, ${pg}, ${redis}, ${files}`;
}

export async function initCommand(inventory: string | undefined, opts: InitOptions): Promise<number> {
  const path = inventory ?? DEFAULT_INVENTORY;
  // Before any question: nothing to ask if the answer would be thrown away.
  if (existsSync(path)) throw refuseOverwrite(path);
  const version = defaultVersion();
  const terminal = opts.input && isatty(0) && isatty(1) ? terminalQuestions() : undefined;
  let gathered;
  try {
    gathered = await gatherAnswers(opts, {
      ask: terminal?.ask,
      env: env(),
      defaultVersion: version,
    });
  } finally {
    terminal?.close();
  }
  const { answers, secrets } = gathered;

  const dir = dirname(resolve(path));
  const store = storePath(undefined, dir);
  const text = inventoryText(answers, {
    path,
    schema: relative(dir, join(cwd(), "schemas", "inventory.schema.json")),
    store: basename(store),
  });
  // The passphrase before anything is written: a new store's is asked twice (or read from the
  // environment) and checked; an existing store is opened with it.
  const existed = storeExists(store);
  if (existed) readStore(store);
  else passphraseFor(store, true);
  mkdirSync(dir, { recursive: true });
  // Given values first, so they are not generated; a different value already stored is refused.
  const given = Object.fromEntries(
    Object.entries(secrets).map(([name, value]) => [name, { value, source: "given to init" }]),
  );
  if (Object.keys(given).length) addSecrets(store, given);
  const { contents } = ensureSecrets(store, storeNames());
  createFile(path, text);

  const say = (line = "") => writeStdout(`${line}\n`);
  const storeShown = relative(cwd(), store) || store;
  say(`wrote ${path}: ${summary(answers)}`);
  say(
    `${existed ? "completed the existing" : "created the"} secrets store ${storeShown}: ${
      Object.keys(contents.secrets).join(", ")
    }`,
  );
  say("  keep it and its passphrase safe: without them, data Lago encrypted cannot be read again");
  const acceptNew = answers.knownHosts ? "" : " --accept-new-host-keys";
  say();
  say("Deploy (and again after any change; a re-run changes nothing):");
  say(`  LAGO_SECRETS_PASSPHRASE=... lago-provision apply ${path}${acceptNew}`);
  if (acceptNew) say("  (--accept-new-host-keys records each host's SSH key once; a changed key is refused)");
  if (answers.organization) {
    const { adminEmail, name } = answers.organization;
    // The first deploy's migrate makes the organization (lago_create_org); sign-up stays closed.
    say(
      `The first deploy creates ${name} with ${adminEmail} as its admin; the password (LAGO_ORG_USER_PASSWORD)`,
    );
    say("  is in the store: on a Lago host `sudo grep LAGO_ORG_USER_PASSWORD /opt/lago/secrets.env`");
  }
  return 0;
}

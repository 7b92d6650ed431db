/**
 * `secrets init|import|status INVENTORY`: the installation's secrets store (docs/secrets.md).
 * - init: create the store (the five secrets, plus --names) when it is missing; contacts no host.
 * - import --from HOST: adopt the values a host already has (its /opt/lago/secrets.env and .env) into
 *   the store; refused when the store holds different ones. The only command that reads values.
 * - status: for every host, which secrets it has and whether they match the store, by sha256 only;
 *   flags hosts that disagree. Exit 1 when a host conflicts, needs an import or cannot be reached.
 * No value is ever printed: names, paths and short sha256 prefixes only.
 */
import { loadInventory, resolveConnection } from "../config/index.ts";
import type { Inventory, InventoryHost } from "../config/model.ts";
import { suggest } from "../core/suggest.ts";
import { connectTo } from "../connection/connect.ts";
import type { ConnectionSettings } from "../connection/settings.ts";
import { UserError } from "../core/errors.ts";
import { mapLimit } from "../engine/pool.ts";
import { Remote } from "../engine/remote.ts";
import { probeFailed } from "../modules/_util.ts";
import {
  CORE_SECRETS,
  formatProblem,
  isPlaceholder,
  KNOWN_EXTRA_SECRETS,
  SECRET_NAME,
  secretHash,
  shortHash,
} from "../secrets/formats.ts";
import {
  DEFAULT_DEST,
  type HostSecretFiles,
  parseSecretFiles,
  type ReadMode,
  readSecretsCommand,
  UPSTREAM_ENV,
} from "../secrets/host-files.ts";
import { storePathOfHost } from "../secrets/location.ts";
import { reconcile } from "../secrets/reconcile.ts";
import { addSecrets, ensureSecrets, readStore, type StoreContents } from "../secrets/store.ts";
import { writeStdout } from "../runtime.ts";

/** What lago_secrets reads by default: its dest, and upstream Lago's .env. */
export const DEFAULT_FILES = [DEFAULT_DEST, UPSTREAM_ENV];

export interface CommonOptions {
  file: string[];
  names?: string;
  acceptNewHostKeys: boolean;
}

function parseNames(names: string | undefined): string[] {
  const list = (names ?? "").split(",").map((n) => n.trim()).filter(Boolean);
  const bad = list.find((n) => !SECRET_NAME.test(n));
  if (bad) {
    throw new UserError(`--names: '${bad}' is not an environment variable name like POSTGRES_PASSWORD`);
  }
  return list;
}

const unique = <T>(items: Iterable<T>): T[] => [...new Set(items)];
const say = (line: string) => writeStdout(line + "\n");

/** Hosts grouped by the store they use (usually one store for the whole inventory). */
function storesOf(inventory: Inventory): Map<string, InventoryHost[]> {
  const stores = new Map<string, InventoryHost[]>();
  for (const h of inventory.hosts) {
    const path = storePathOfHost(h.vars, inventory.file, h.name);
    stores.set(path, [...(stores.get(path) ?? []), h]);
  }
  return stores;
}

export function initSecrets(inventoryPath: string, opts: { names?: string }): number {
  const inventory = loadInventory(inventoryPath);
  const names = unique([...CORE_SECRETS, ...parseNames(opts.names)]);
  for (const store of storesOf(inventory).keys()) {
    const existed = readStore(store) !== null;
    const { generated } = ensureSecrets(store, names);
    if (!existed) {
      say(`created ${store} with ${generated.length} new secrets: ${generated.join(", ")}`);
      say(
        "  keep its passphrase and a copy of the file safe: without them, data Lago encrypted cannot be read again",
      );
    } else if (generated.length) say(`${store}: added ${generated.join(", ")}`);
    else say(`${store} already holds ${names.join(", ")}; nothing to do`);
  }
  return 0;
}

/** One round trip to a host as root (secrets files are root's, mode 0600), then disconnect. */
async function readHost(
  inventory: Inventory,
  host: InventoryHost,
  files: string[],
  names: string[],
  mode: ReadMode,
  acceptNew: boolean,
): Promise<HostSecretFiles> {
  const settings: ConnectionSettings = resolveConnection(host.name, host.vars, { inventory });
  if (acceptNew) settings.hostKeyChecking = "accept-new";
  const conn = await connectTo(settings);
  try {
    const r = await new Remote(conn, settings.user).run(readSecretsCommand(files, names, mode), {
      become: true,
      becomeUser: "root",
    });
    if (r.exitCode !== 0) throw probeFailed(`${host.name}: reading ${files.join(", ")}`, r);
    return parseSecretFiles(r, mode);
  } finally {
    await conn.close();
  }
}

function hostNamed(inventory: Inventory, name: string): InventoryHost {
  const host = inventory.hosts.find((h) => h.name === name);
  if (host) return host;
  const near = suggest(name, inventory.hosts.map((h) => h.name));
  throw new UserError(
    `--from: no host '${name}' in ${inventory.file}`,
    near ? `did you mean '${near}'?` : `hosts: ${inventory.hosts.map((h) => h.name).join(", ")}`,
  );
}

export async function importSecrets(
  inventoryPath: string,
  opts: CommonOptions & { from: string },
): Promise<number> {
  const inventory = loadInventory(inventoryPath);
  const host = hostNamed(inventory, opts.from);
  const store = storePathOfHost(host.vars, inventory.file, host.name);
  const names = unique([...CORE_SECRETS, ...KNOWN_EXTRA_SECRETS, ...parseNames(opts.names)]);
  const files = opts.file.length ? opts.file : DEFAULT_FILES;
  const stored = readStore(store);
  const read = await readHost(inventory, host, files, names, "value", opts.acceptNewHostKeys);

  // One value per name: files of the host must agree; placeholders are no values.
  const found: Record<string, { value: string; path: string }> = {};
  const problems: string[] = [];
  const skipped: string[] = [];
  for (const file of read.files) {
    for (const [name, value] of Object.entries(file.values)) {
      if (isPlaceholder(value)) {
        skipped.push(`${name} in ${file.path} (a placeholder)`);
        continue;
      }
      const seen = found[name];
      if (seen && secretHash(name, seen.value) !== secretHash(name, value)) {
        problems.push(
          `${name} differs between ${seen.path} and ${file.path} (sha256 ${
            shortHash(secretHash(name, seen.value))
          } vs ${shortHash(secretHash(name, value))})`,
        );
      }
      found[name] ??= { value, path: file.path };
    }
  }
  const warnings: string[] = [];
  for (const [name, { value, path }] of Object.entries(found)) {
    const problem = formatProblem(name, value);
    if (!problem) continue;
    // A key Lago cannot read, or a value an env file cannot hold, is not worth keeping.
    if (name === "LAGO_RSA_PRIVATE_KEY" || problem.startsWith("spans")) {
      problems.push(`${name} in ${path} ${problem}`);
    } else warnings.push(`${name} in ${path} ${problem}; imported as it is, since data may depend on it`);
  }
  const clashes = stored
    ? Object.entries(found).filter(([name, { value }]) =>
      stored.secrets[name] && secretHash(name, stored.secrets[name].value) !== secretHash(name, value)
    ).map(([name, { value, path }]) =>
      `${name} in ${path} (sha256 ${shortHash(secretHash(name, value))}, store ${
        shortHash(secretHash(name, stored.secrets[name].value))
      })`
    )
    : [];
  if (clashes.length) {
    throw new UserError(
      `${host.name} and the store ${store} hold different values for ${
        clashes.join("; ")
      }; nothing was imported`,
      `a stored secret is never replaced. Find out which values the installation's data was encrypted with: ` +
        `if it is ${host.name}'s, move ${store} aside and import again; otherwise fix the host's file. ` +
        `\`lago-provision secrets status ${inventoryPath}\` shows every host`,
    );
  }
  if (problems.length) {
    throw new UserError(
      `${host.name}: ${problems.join("; ")}; nothing was imported`,
      "fix the file on the host first",
    );
  }
  if (Object.keys(found).length === 0) {
    throw new UserError(
      `${host.name} has none of ${names.join(", ")} in ${files.join(", ")}`,
      "nothing to import: `lago-provision apply` generates new secrets for a new installation",
    );
  }
  const additions = Object.fromEntries(
    Object.entries(found).map((
      [n, f],
    ) => [n, { value: f.value, source: `imported from ${host.name}:${f.path}` }]),
  );
  const { added } = addSecrets(store, additions);
  const already = Object.keys(found).filter((n) => !added.includes(n));
  const absent = CORE_SECRETS.filter((n) => !found[n] && !stored?.secrets[n]);
  for (const w of warnings) say(`warning: ${w}`);
  if (skipped.length) say(`skipped ${skipped.join(", ")}`);
  say(
    `${stored ? "imported into" : "created"} ${store} from ${host.name}: ${
      added.length ? `added ${added.join(", ")}` : "nothing new"
    }${already.length ? `; already there: ${already.join(", ")}` : ""}`,
  );
  if (absent.length) say(`not on ${host.name}: ${absent.join(", ")} (the next apply generates them)`);
  return 0;
}

type NameState = "match" | "differs" | "missing" | "not in store" | "placeholder";

interface HostStatus {
  store: string;
  error?: string;
  /** Per name: its state and the short sha256 in each file of the host (and in the store). */
  secrets: Record<string, { state: NameState; files: Record<string, string>; store?: string }>;
}

/** Per name: the host's state against the store (reconcile), and the short hash in each file. */
function hostStatus(
  store: string,
  contents: StoreContents | null,
  read: HostSecretFiles,
  names: string[],
): HostStatus {
  const values = contents
    ? Object.fromEntries(Object.entries(contents.secrets).map(([n, s]) => [n, s.value]))
    : null;
  const r = reconcile(values, read.files, names);
  const status: HostStatus = { store, secrets: {} };
  for (const name of names) {
    const files = Object.fromEntries(
      read.files.filter((f) => f.values[name]).map((f) => [f.path, shortHash(f.values[name])]),
    );
    const state: NameState = r.conflicts.some((c) => c.name === name)
      ? "differs"
      : r.matching.includes(name)
      ? "match"
      : r.hostOnly.some((h) => h.name === name)
      ? "not in store"
      : r.placeholders.some((p) => p.name === name)
      ? "placeholder"
      : "missing";
    const stored = values?.[name];
    status.secrets[name] = { state, files, store: stored && shortHash(secretHash(name, stored)) };
  }
  return status;
}

/** Names that no store holds and hosts hold with different values (hash per host). */
function disagreements(statuses: Record<string, HostStatus>): string[] {
  const byName = new Map<string, Map<string, string[]>>();
  for (const [host, s] of Object.entries(statuses)) {
    for (const [name, { state, files }] of Object.entries(s.secrets)) {
      if (state !== "not in store") continue;
      const perHash = byName.get(name) ?? new Map<string, string[]>();
      for (const hash of unique(Object.values(files))) {
        perHash.set(hash, [...(perHash.get(hash) ?? []), host]);
      }
      byName.set(name, perHash);
    }
  }
  return [...byName].filter(([, perHash]) => perHash.size > 1).map(([name, perHash]) =>
    `${name}: ${[...perHash].map(([hash, hosts]) => `${hosts.join(", ")} (sha256 ${hash})`).join(" vs ")}`
  );
}

export async function secretsStatus(
  inventoryPath: string,
  opts: CommonOptions & { json: boolean },
): Promise<number> {
  const inventory = loadInventory(inventoryPath);
  const files = opts.file.length ? opts.file : DEFAULT_FILES;
  const extra = parseNames(opts.names);
  const stores: { path: string; exists: boolean; names: string[] }[] = [];
  const statuses: Record<string, HostStatus> = {};
  for (const [store, hosts] of storesOf(inventory)) {
    const contents = readStore(store);
    const names = unique([
      ...CORE_SECRETS,
      ...Object.keys(contents?.secrets ?? {}),
      ...KNOWN_EXTRA_SECRETS,
      ...extra,
    ]);
    stores.push({ path: store, exists: contents !== null, names: Object.keys(contents?.secrets ?? {}) });
    await mapLimit(hosts, 20, async (h) => {
      try {
        const read = await readHost(inventory, h, files, names, "hash", opts.acceptNewHostKeys);
        statuses[h.name] = hostStatus(store, contents, read, names);
      } catch (e) {
        const err = e as UserError;
        statuses[h.name] = { store, error: err.message + (err.hint ? ` (${err.hint})` : ""), secrets: {} };
      }
    });
  }
  const disagree = disagreements(statuses);
  const bad = (s: HostStatus) =>
    s.error !== undefined ||
    Object.values(s.secrets).some((x) => x.state === "differs" || x.state === "not in store");
  const ok = disagree.length === 0 && !Object.values(statuses).some(bad);
  if (opts.json) {
    writeStdout(JSON.stringify({ ok, stores, hosts: statuses, disagreements: disagree }) + "\n");
    return ok ? 0 : 1;
  }
  for (const s of stores) {
    say(s.exists ? `store ${s.path}: ${s.names.join(", ")}` : `store ${s.path}: does not exist yet`);
  }
  for (const h of inventory.hosts) {
    const s = statuses[h.name];
    if (s.error) {
      say(`${h.name}: unreachable: ${s.error}`);
      continue;
    }
    const by = (state: NameState) => Object.keys(s.secrets).filter((n) => s.secrets[n].state === state);
    const stored = stores.find((x) => x.path === s.store)!.names;
    const toWrite = by("missing").filter((n) => stored.includes(n));
    const parts = [
      by("match").length ? `${by("match").length} match` : "",
      ...by("differs").map((n) =>
        `${n} DIFFERS (${describeFiles(s.secrets[n].files)}; store sha256 ${s.secrets[n].store})`
      ),
      ...by("not in store").map((n) =>
        `${n} not in the store (${describeFiles(s.secrets[n].files)}): import it`
      ),
      toWrite.length ? `missing ${toWrite.join(", ")} (apply writes them)` : "",
      by("placeholder").length ? `placeholders: ${by("placeholder").join(", ")}` : "",
    ].filter(Boolean);
    say(`${h.name}: ${parts.join("; ") || "no Lago secrets"}`);
  }
  for (const d of disagree) say(`hosts disagree on ${d}`);
  if (!ok) {
    say(
      `hint: stored values are never overwritten; adopt a host's values with \`lago-provision secrets import ${inventoryPath} --from HOST\`, or fix the hosts that differ`,
    );
  }
  return ok ? 0 : 1;
}

const describeFiles = (files: Record<string, string>) =>
  Object.entries(files).map(([path, hash]) => `${path} sha256 ${hash}`).join(", ");

/**
 * The secrets stage: before a run generates or writes anything, open the installation's secrets
 * store(s), survey every host of the installation read-only (with --limit, the hosts outside it too)
 * and decide once for the whole fleet (src/secrets/survey.ts). A refusal throws before the play, so
 * no host is changed and `ignore_errors` has no say. In apply, what no host holds yet is generated
 * into the store here, once; in check mode it is only reported. The lago_secrets plans then read the
 * opened stores (`ctx.secrets`), and every value of every store opened is redacted from the output.
 *
 * Cost: nothing at all when no play runs a lago_secrets task (the stores beside the inventory are
 * still opened for redaction, when the passphrase is at hand); else one round trip per host through
 * the session's connection, which also reads the facts of the host's first play when they are not
 * read yet (the run then finds them ready).
 */
import type { ConnectionSettings } from "../connection/settings.ts";
import type { Command } from "../core/command.ts";
import type { ExecResult } from "../core/types.ts";
import { selectHosts } from "../config/index.ts";
import type { Inventory } from "../config/model.ts";
import { UserError } from "../core/errors.ts";
import { mapLimit } from "../engine/pool.ts";
import type { Remote } from "../engine/remote.ts";
import type { ProbeScript } from "../fleet/hosts.ts";
import { FACTS_PROBE, factsPrivilege, type RunHost, selectedByTags } from "../engine/run.ts";
import type { Play, Task } from "../config/model.ts";
import { mergeVars } from "../engine/vars.ts";
import { lagoSecretsModule, secretsTarget } from "../modules/lago_secrets.ts";
import type { RunEvent } from "../output/events.ts";
import type { Secret } from "../output/redact.ts";
import { parseSecretFiles, readSecretsCommand } from "../secrets/host-files.ts";
import type { OpenedStore } from "../secrets/inputs.ts";
import { storePathOfHost } from "../secrets/location.ts";
import { magicVars } from "../vars/magic.ts";
import { passphraseAtHand } from "../secrets/passphrase.ts";
import { ensureSecrets, readStore, type StoreContents, storeExists } from "../secrets/store.ts";
import { decideSecrets, type SurveyedHost } from "../secrets/survey.ts";
import { renderDeep, renderText } from "../vars/template.ts";
import type { Loaded } from "./load.ts";

export interface SecretsStageRequest {
  inventory: Inventory;
  plays: Play[];
  /** Every inventory host, with its connection settings and variables. */
  hosts: RunHost[];
  limit?: string;
  check: boolean;
  extraVars: Record<string, unknown>;
  tags?: string[];
  skipTags?: string[];
  /** A host's connection, the one the play will use (the session's). */
  remote(settings: ConnectionSettings): Promise<Remote>;
  forks: number;
  emit(event: RunEvent): void;
}

/** What decides which stores, names and host files the stage surveys. */
export type SurveyInputs = Pick<
  SecretsStageRequest,
  "inventory" | "plays" | "hosts" | "check" | "extraVars" | "tags" | "skipTags"
>;

export interface SecretsStage {
  /** Absolute store path -> what lago_secrets plans read. */
  stores: Map<string, OpenedStore>;
  /** Every value of every store opened, named as in the store: redacted from every host's output. */
  secrets: Secret[];
}

/** A store the run's lago_secrets tasks use: their names, and per host the files they read. */
interface StoreUse {
  names: Set<string>;
  files: Map<string, Set<string>>;
}

/** What opening the stores needs: local files only, no host. */
export type StoresRequest = SurveyInputs & Pick<SecretsStageRequest, "limit" | "emit">;

/**
 * Every store the run will open, read (local files only, no host). A run that takes the fleet lock
 * calls it before the lock connects (openStoresFirst), so a malformed store or a wrong passphrase
 * stops it there; reading again costs nothing: readStore keeps what it opened, and the error of a
 * store it could not open.
 */
function openStores(req: StoresRequest) {
  const uses = lagoSecretsUses(req);
  const opened = new Map<string, StoreContents | null>();
  for (const store of uses.keys()) opened.set(store, readStore(store));
  openForRedaction(req, opened);
  return { uses, opened };
}

/**
 * Before the fleet lock contacts any host (apply, upgrade, rollback): the stores a run that changes
 * hosts will open. Its warnings are left to the stage, which says them to the run's reporter.
 */
export function openStoresFirst(loaded: Loaded, tags?: string[], skipTags?: string[]): void {
  if (!loaded.playbook) return;
  openStores({
    inventory: loaded.inventory,
    plays: loaded.playbook.plays,
    hosts: loaded.hosts,
    limit: loaded.limit,
    check: false,
    extraVars: loaded.extraVars,
    tags,
    skipTags,
    emit: () => {},
  });
}

export async function secretsStage(req: SecretsStageRequest): Promise<SecretsStage> {
  const { uses, opened } = openStores(req);

  const stores = new Map<string, OpenedStore>();
  if (uses.size > 0) {
    const survey = await surveyHosts(req, uses);
    for (const [store, use] of uses) {
      const contents = opened.get(store) ?? null;
      const values = contents && valuesOf(contents);
      const { generate } = decideSecrets({
        store,
        values,
        names: [...use.names],
        hosts: [...use.files.keys()].map((name) => survey.hosts.get(name)!),
      }, req.inventory.file);
      if (generate.length === 0 || req.check) {
        if (generate.length > 0) req.emit({ type: "secrets", store, generated: generate, check: true });
        stores.set(store, { values, pending: generate, generated: [] });
        continue;
      }
      const made = ensureSecrets(store, [...use.names]);
      opened.set(store, made.contents);
      req.emit({ type: "secrets", store, generated: made.generated, check: false });
      stores.set(store, { values: valuesOf(made.contents), pending: [], generated: made.generated });
    }
  }
  const secrets = [...opened.values()].flatMap((c) =>
    c ? Object.entries(c.secrets).map(([name, s]) => ({ name, value: s.value })) : []
  );
  return { stores, secrets };
}

const valuesOf = (c: StoreContents) =>
  Object.fromEntries(Object.entries(c.secrets).map(([n, s]) => [n, s.value]));

/**
 * Every store the run's lago_secrets tasks use, with the hosts of the installation: every host their
 * plays match, the --limit left out (the hosts outside it are surveyed, never changed).
 */
function lagoSecretsUses(req: SurveyInputs): Map<string, StoreUse> {
  const byName = new Map(req.hosts.map((h) => [h.name, h]));
  const uses = new Map<string, StoreUse>();
  for (const play of req.plays) {
    const tasks = [...play.tasks, ...play.handlers].filter((t) =>
      t.module === lagoSecretsModule.name && selectedByTags(t, req)
    );
    if (tasks.length === 0) continue;
    for (const name of selectHosts(req.inventory, play.hosts)) {
      for (const task of tasks) {
        const target = targetOn(task, play, byName.get(name)!, req);
        const use = uses.get(target.store) ?? { names: new Set(), files: new Map() };
        target.names.forEach((n) => use.names.add(n));
        const files = use.files.get(name) ?? new Set();
        target.files.forEach((f) => files.add(f));
        use.files.set(name, files);
        uses.set(target.store, use);
      }
    }
  }
  return uses;
}

/** The store, names and files of one lago_secrets task on one host, from what is known before the play. */
function targetOn(task: Task, play: Play, host: RunHost, req: SurveyInputs) {
  const where = `${task.source.file}:${task.source.line}:${task.source.col}`;
  const vars = mergeVars({
    roleDefaults: task.roleDefaults,
    inventory: host.vars,
    play: play.vars,
    roleVars: task.roleVars,
    registered: {},
    task: task.keywords.vars,
    extra: req.extraVars,
    magic: magicVars({ host: host.name, inventoryFile: req.inventory.file, check: req.check }),
  });
  try {
    const parsed = lagoSecretsModule.args.safeParse(renderDeep(task.args, vars, `${where} lago_secrets`));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UserError(`${where} lago_secrets/${issue.path.join("/")}: ${issue.message}`);
    }
    return secretsTarget(
      parsed.data,
      (name) => renderText(`{{default ${name} ""}}`, vars, `${where} lago_secrets ${name}`),
    );
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(
      `${e.message} (host ${host.name}); nothing was changed`,
      `the secrets stage reads the lago_secrets arguments before the play, so the whole fleet gets one set: ` +
        `give them with inventory, play, role or -e variables, not registered results or facts`,
    );
  }
}

/**
 * The stores of the hosts the run selects, opened for redaction alone (the play has no lago_secrets
 * task for them): only when the passphrase is at hand, as such a run must not stop to ask for it.
 */
function openForRedaction(req: StoresRequest, opened: Map<string, StoreContents | null>): void {
  const selected = new Set(req.plays.flatMap((p) => selectHosts(req.inventory, p.hosts, req.limit)));
  for (const host of req.hosts.filter((h) => selected.has(h.name))) {
    let store: string;
    try {
      store = storePathOfHost(host.vars, req.inventory.file, host.name);
    } catch {
      continue; // A store path that does not render: no store to redact from.
    }
    if (opened.has(store) || !storeExists(store)) continue;
    if (!passphraseAtHand()) {
      opened.set(store, null);
      req.emit({
        type: "warning",
        msg:
          `the secrets store ${store} is not opened (no LAGO_SECRETS_PASSPHRASE): its values are redacted ` +
          `from the output only where a task registers them`,
      });
      continue;
    }
    opened.set(store, readStore(store));
  }
}

/**
 * One round trip per host: as root, the sha256 of every secret in the files the tasks read there;
 * and, for a host the run will change, the facts of its first play, kept by its connection for that
 * play (unless read already, with the fleet lock).
 */
async function surveyHosts(req: SecretsStageRequest, uses: Map<string, StoreUse>) {
  const surveys = surveysOf(uses);
  const byName = new Map(req.hosts.map((h) => [h.name, h]));
  const firstPlay = new Map<string, Play>();
  for (const play of req.plays) {
    for (const name of selectHosts(req.inventory, play.hosts, req.limit)) {
      if (!firstPlay.has(name)) firstPlay.set(name, play);
    }
  }
  const read = await mapLimit([...surveys.keys()], req.forks, async (name): Promise<SurveyedHost> => {
    const { settings } = byName.get(name)!;
    const play = firstPlay.get(name);
    const survey = surveys.get(name)!;
    const facts = play && { command: FACTS_PROBE.command, privilege: factsPrivilege(play, settings) };
    try {
      const remote = await req.remote(settings);
      // Both in one round trip (each as it would run alone); should the batch fail, one by one.
      await remote.prefetch(facts ? [facts, survey] : [survey]).catch(() => undefined);
      const r = await remote.probe(answer(survey.command), ROOT);
      if (r.exitCode !== 0) return { name, error: (r.stderr || r.stdout).trim().split("\n").at(-1) };
      return { name, files: parseSecretFiles(r, "hash").files };
    } catch (e) {
      return { name, error: (e as Error).message };
    }
  });
  return { hosts: new Map(read.map((h) => [h.name, h])) };
}

/** Per host, the survey's read-only command: the sha256 of every secret in the files tasks read there. */
function surveysOf(uses: Map<string, StoreUse>): Map<string, ProbeScript> {
  const files = new Map<string, Set<string>>();
  const names = new Set<string>();
  for (const use of uses.values()) {
    use.names.forEach((n) => names.add(n));
    for (const [host, paths] of use.files) {
      const all = files.get(host) ?? new Set();
      paths.forEach((p) => all.add(p));
      files.set(host, all);
    }
  }
  return new Map(
    [...files].map(([host, paths]) => [
      host,
      { command: readSecretsCommand([...paths], [...names], "hash"), privilege: ROOT },
    ]),
  );
}

/**
 * The survey the stage will make on each host, for the fleet lock's round trip to carry (the stage
 * then finds the answers ready). None when the arguments cannot be read yet: the stage says why.
 */
export function secretsSurveys(req: SurveyInputs): Map<string, ProbeScript> {
  try {
    return surveysOf(lagoSecretsUses(req));
  } catch {
    return new Map();
  }
}

const ROOT = { become: true, becomeUser: "root" };
/** A probe whose answer is the command's result as it is. */
const answer = (command: Command) => ({ command, parse: (r: ExecResult) => r });

/**
 * `adopt INVENTORY --host NAME --from DIR [--check]`: take over a Lago installed with upstream's compose
 * file (docs/adopt.md). Reads the running install in one read-only round trip (src/fleet/adopt-facts.ts)
 * and prints the plan as a diff (src/fleet/adopt-plan.ts) with a loud warning per placeholder key. It
 * refuses, changing nothing, until the inventory says what the install runs with (its compose project,
 * so its volumes; its version; its database names). Then, without --check: every key the data depends
 * on goes into the secrets store (placeholders included), the database is dumped, upstream's containers
 * are stopped and removed (volumes kept), PostgreSQL 14 data is moved to the role's 15 by dump and
 * restore with row counts compared (src/fleet/pg-move.ts), and the playbook deploys the role's
 * containers on the same volumes. A re-run finds the role running it and changes nothing. Values are
 * never printed.
 */
import { UserError } from "../core/errors.ts";
import { adoptFactsScript, parseAdoptFacts, removeContainersScript } from "../fleet/adopt-facts.ts";
import {
  adoptedSecrets,
  type AdoptFacts,
  type AdoptPlan,
  compareCounts,
  inventoryChanges,
  parseCounts,
  type PgMove,
  planAdoption,
  ROLE_DEFAULTS,
  wayBack,
} from "../fleet/adopt-plan.ts";
import { dumpScript, moveEnv, moveScript } from "../fleet/pg-move.ts";
import { tail } from "../fleet/hosts.ts";
import { backupScript } from "../fleet/ops.ts";
import { createReporter } from "../output/index.ts";
import { env, stdoutIsTTY, writeStdout } from "../runtime.ts";
import { storePathOfHost } from "../secrets/location.ts";
import { addSecrets } from "../secrets/store.ts";
import { load } from "../session/load.ts";
import { Session } from "../session/session.ts";

export interface AdoptOptions {
  host: string;
  from: string;
  check: boolean;
  playbook: string;
  acceptNewHostKeys: boolean;
  verbose: number;
}

const say = (line: string) => writeStdout(line + "\n");

export async function adoptCommand(inventoryPath: string, opts: AdoptOptions): Promise<number> {
  if (!opts.from.startsWith("/")) {
    throw new UserError(
      `--from: '${opts.from}' is not an absolute path on the host`,
      "e.g. --from /opt/lago",
    );
  }
  const loaded = load({
    inventory: inventoryPath,
    playbook: opts.check ? undefined : opts.playbook,
    acceptNewHostKeys: opts.acceptNewHostKeys,
  });
  const host = loaded.hosts.find((h) => h.name === opts.host);
  if (!host) {
    throw new UserError(
      `--host: no host '${opts.host}' in ${loaded.inventory.file}`,
      `hosts: ${loaded.hosts.map((h) => h.name).join(", ")}`,
    );
  }
  // Read and judge without the lock (bad input leaves the host untouched); then, under the lock, read
  // again: what the takeover acts on is what the host runs now.
  const open = (lock: boolean) =>
    Session.open(loaded, {
      hosts: [host.name],
      forks: 1,
      lock: lock ? { command: `adopt ${inventoryPath} --host ${host.name}` } : undefined,
      say,
    });
  const reader = await open(false);
  try {
    const plan = judge(
      await readInstall(reader, host.name, opts.from),
      host,
      loaded.inventory.file,
      opts.check,
    );
    if (opts.check || plan === undefined) return 0;
  } finally {
    await reader.close();
  }
  const session = await open(true);
  try {
    const facts = await readInstall(session, host.name, opts.from);
    const plan = judge(facts, host, loaded.inventory.file, false, false)!;
    keepKeys(facts, host.vars, loaded.inventory.file, host.name);
    if (!plan.takeover) return 0;
    return await takeOver(session, host.name, facts, plan, opts);
  } finally {
    await session.close();
  }
}

/**
 * The plan, printed (once), or a UserError when it cannot go ahead: an inventory that does not say what
 * the install runs with (with --check: printed, undefined returned).
 */
function judge(
  facts: AdoptFacts,
  host: { name: string; vars: Record<string, unknown> },
  inventoryFile: string,
  check: boolean,
  print = true,
): AdoptPlan | undefined {
  const plan = planAdoption(facts, host.vars);
  const inventory = inventoryChanges(plan.vars, host.vars, ROLE_DEFAULTS);
  if (print) {
    for (const line of [...plan.lines, ...inventory]) say(line);
    for (const w of plan.warnings) say(w);
  }
  if (inventory.length === 0) return plan;
  if (check) {
    say(`to adopt: set those variables for ${host.name} in ${inventoryFile}, then run adopt without --check`);
    return undefined;
  }
  throw new UserError(
    `${host.name}: the inventory does not say what the install runs with; nothing was changed`,
    `set for ${host.name} in ${inventoryFile}: ${
      Object.entries(plan.vars).map(([k, v]) => `${k}: ${v}`).join(", ")
    }; then re-run adopt`,
  );
}

async function readInstall(session: Session, host: string, from: string): Promise<AdoptFacts> {
  const r = await session.fleet.run(host, adoptFactsScript(from));
  if (r.exitCode !== 0) throw new UserError(`${host}: reading the install in ${from} failed: ${tail(r)}`);
  return parseAdoptFacts(host, from, r.stdout);
}

/** Every key the data depends on, into the store; a store holding other values refuses (nothing written). */
function keepKeys(
  facts: AdoptFacts,
  vars: Record<string, unknown>,
  inventoryFile: string,
  host: string,
): void {
  const store = storePathOfHost(vars, inventoryFile, host);
  const source = `adopted from ${host}:${facts.from}`;
  const { added } = addSecrets(
    store,
    Object.fromEntries(adoptedSecrets(facts).map((s) => [s.name, { value: s.value, source }])),
  );
  say(`secrets store ${store}: ${added.length ? `added ${added.join(", ")}` : "already holds every key"}`);
}

async function removeUpstream(session: Session, host: string, facts: AdoptFacts, names: string[]) {
  const removed = await session.fleet.run(host, removeContainersScript(names));
  if (removed.exitCode !== 0) {
    throw new UserError(
      `${host}: stopping upstream's containers failed: ${tail(removed)}`,
      `start them again (cd ${facts.from} && docker compose up -d), then re-run adopt`,
    );
  }
  say(`stopped and removed ${names.join(", ")} (volumes kept)`);
}

/**
 * PostgreSQL data of an older major moved to the role's (src/fleet/pg-move.ts): counted and dumped in
 * the old db, the old db removed, the old data kept in a volume of its own, the volume initialised by the
 * role's image, the dump restored, counted again. Any failure or difference stops before the deploy,
 * saying the way back.
 */
async function movePostgres(session: Session, host: string, facts: AdoptFacts, m: PgMove): Promise<void> {
  const restart = `start upstream's install again: cd ${facts.from} && docker compose up -d`;
  const started = Date.now();
  const dumped = await session.fleet.run(host, dumpScript(m, facts.apiVersion ?? "lago"));
  const [, dump, bytes] = /^dump (\S+) (\d+)$/m.exec(dumped.stdout) ?? [];
  if (dumped.exitCode !== 0 || !dump) {
    throw new UserError(
      `${host}: the PostgreSQL ${m.from} dump failed, nothing of the data was changed: ${tail(dumped)}`,
      restart,
    );
  }
  const before = parseCounts(dumped.stdout);
  say(`PostgreSQL ${m.from}: ${before.size} tables counted, ${dump} (${bytes} bytes, pg_dump -Fc)`);
  const removed = await session.fleet.run(host, removeContainersScript([m.container]));
  if (removed.exitCode !== 0) {
    throw new UserError(
      `${host}: stopping ${m.container} failed, nothing of the data was changed: ${tail(removed)}`,
      restart,
    );
  }
  say(`stopped and removed ${m.container} (volumes kept)`);
  const password = adoptedSecrets(facts).find((s) => s.name === "POSTGRES_PASSWORD")?.value ?? "";
  const moved = await session.fleet.run(host, moveScript(m, dump), moveEnv(m, password));
  const kept = /^kept /m.test(moved.stdout);
  const back = kept
    ? `the PostgreSQL ${m.from} data is kept in volume ${m.kept}; to go back: ${
      wayBack(facts, m.kept, m.volume, m.image)
    }`
    : `${m.volume} still holds the PostgreSQL ${m.from} data; ${restart}`;
  if (moved.exitCode !== 0) {
    throw new UserError(
      `${host}: moving the data to PostgreSQL ${m.to} failed, nothing was deployed: ${tail(moved)}`,
      back,
    );
  }
  const after = parseCounts(moved.stdout);
  const differ = compareCounts(before, after);
  if (differ.length > 0 || before.size === 0) {
    throw new UserError(
      `${host}: the rows restored under PostgreSQL ${m.to} differ from ${m.from}'s, nothing was deployed: ${
        differ.length ? differ.join(", ") : "no table was counted"
      }`,
      back,
    );
  }
  say(
    `PostgreSQL ${m.from} → ${m.to}: ${m.volume} restored, rows equal in ${before.size} tables; ` +
      `the ${m.from} data kept in volume ${m.kept} (in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}

/** Backup, upstream's containers out (volumes kept), the playbook in on the same volumes. */
async function takeOver(
  session: Session,
  host: string,
  facts: AdoptFacts,
  plan: AdoptPlan,
  opts: AdoptOptions,
): Promise<number> {
  if (facts.dbContainer) {
    const backup = await session.fleet.run(
      host,
      backupScript({ from: `adopt-${facts.apiVersion ?? "lago"}`, db: facts.dbContainer, image: "" }),
    );
    if (backup.exitCode !== 0) {
      throw new UserError(
        `${host}: the backup before the takeover failed, nothing was stopped: ${tail(backup)}`,
      );
    }
    const [, path, bytes] = /^backup (\S+) (\d+)$/m.exec(backup.stdout) ?? [];
    say(`backup: ${path} (${bytes} bytes); restore with: docs/adopt.md, "Restoring the backup"`);
  }
  const move = plan.pgUpgrade;
  // With data to move, the db stays up a little longer: its rows are counted and dumped once nothing writes.
  const first = move ? facts.upstream.filter((c) => c !== move.container) : facts.upstream;
  await removeUpstream(session, host, facts, first);
  if (move) await movePostgres(session, host, facts, move);
  const reporter = createReporter({
    format: "text",
    write: writeStdout,
    isTTY: stdoutIsTTY(),
    env: env(),
    diff: false,
    verbose: opts.verbose,
  });
  const result = await session.converge({ check: false, diff: false, reporter });
  const run = result.hosts[host];
  if (!run || run.outcome !== "ok") {
    say(
      `error: the deploy on ${host} did not finish: fix what the run reports and run ` +
        `lago-provision apply ${session.loaded.inventory.file} -l ${host} (the keys are in the store, ` +
        `the volumes untouched; upstream's compose in ${facts.from} can also start them again)`,
    );
    return 1;
  }
  say(
    `adopted: ${host} runs Lago ${
      plan.vars.lago_version ?? ""
    } with the lago role, on project ${facts.project}'s volumes`,
  );
  return 0;
}

/**
 * Lago rules about a whole fleet, read from each inventory (with its group_vars/ and host_vars/, loaded
 * as apply loads them): one clock, shared file storage when the api and workers span several hosts,
 * and the same `SIDEKIQ_*` queue flags everywhere (shared/reference/lago-stack.md, "Multi-host rules").
 * Groups follow the fleet topology: `lago_web`, `lago_worker`, `lago_clock`.
 */
import type { Inventory } from "../config/model.ts";
import type { KeyPath } from "../config/yaml.ts";
import {
  inventoryOf,
  inventoryVarsFiles,
  isMap,
  type Project,
  type SourceFile,
  walkValues,
} from "./project.ts";
import type { Position, Report, Rule } from "./types.ts";

const fleet = (id: string, title: string, explanation: string): Rule => ({
  id,
  family: "lago",
  severity: "error",
  title,
  explanation,
});

export const topologyRules: Rule[] = [
  fleet(
    "multiple-clock-hosts",
    "More than one host runs Lago's clock",
    "The clock (`api-clock`) schedules billing, usage refreshes and webhooks retries. It must run on " +
      "exactly one host in the whole fleet: two clocks enqueue every periodic job twice, so customers are " +
      "invoiced twice. Put one host in the `lago_clock` group (and enable the clock on that host only).",
  ),
  fleet(
    "local-storage-multi-host",
    "Local file storage with the api and workers on several hosts",
    "Without S3 or GCS, Lago keeps invoices, PDFs and exports on the container's local volume. With the " +
      "api and workers (`lago_web`, `lago_worker`) on more than one host, a file written by a worker on " +
      "one host is missing from the api on another: downloads fail at random. Configure shared storage " +
      "(`LAGO_USE_AWS_S3` with a bucket, or `LAGO_USE_GCS`) for a multi-host fleet.",
  ),
  fleet(
    "inconsistent-sidekiq-flags",
    "SIDEKIQ_* queue flags differ between hosts",
    "A `SIDEKIQ_<QUEUE>=true` flag routes jobs to a dedicated worker queue. The api, the clock and every " +
      "worker decide where to enqueue from their own environment, so a flag set on some hosts and not " +
      "others leaves jobs waiting in a queue that no worker reads (or never fills the dedicated worker). " +
      "Set the flags once, for all Lago hosts (group_vars/all or one shared variable).",
  ),
];

const APP_GROUPS = ["lago_web", "lago_api", "lago_worker"];
const LAGO_GROUPS = [...APP_GROUPS, "lago_clock"];
const CLOCK_VAR = /^lago_(?:run_)?clock(?:_enabled)?$/;
const STORAGE_SWITCH = /^(?:lago_)?use_(?:aws_s3|gcs)$/i;
const STORAGE_CHOICE = /^lago_storage(?:_backend)?$/i;

/** The flags the lago role sets for its `lago_sidekiq_queues` list: SIDEKIQ_<QUEUE>. */
const queueFlags = (queues: unknown[]) => queues.map((q) => `SIDEKIQ_${String(q).toUpperCase()}`);

const truthy = (v: unknown) =>
  v === true || v === 1 ||
  (typeof v === "string" && (/^(true|yes|1|on)$/i.test(v.trim()) || v.includes("{{")));

/** `SIDEKIQ_EVENTS`, `lago_sidekiq_events` → SIDEKIQ_EVENTS; the web UI switch and concurrency are not queue flags. */
function sidekiqFlag(key: string): string | undefined {
  const name = key.toUpperCase().replace(/^LAGO_/, "");
  return /^SIDEKIQ_[A-Z0-9_]+$/.test(name) &&
      !["SIDEKIQ_WEB", "SIDEKIQ_CONCURRENCY", "SIDEKIQ_QUEUES"].includes(name)
    ? name
    : undefined;
}

const INVENTORY_KINDS = new Set(["inventory", "group_vars", "host_vars"]);

export function checkTopology(project: Project, report: Report): void {
  // Storage switched on outside inventories (play vars, role defaults, vars files) applies to every fleet.
  const storage = project.files.some((f) =>
    f.doc && !INVENTORY_KINDS.has(f.kind) && setsSharedStorage(f.doc.value)
  );
  for (const f of project.files) {
    if (f.kind !== "inventory" || !f.doc) continue;
    const { inventory } = inventoryOf(f, project.vault);
    if (!inventory) continue; // what stops apply is reported by the schema rules
    checkClock(f, inventory, report);
    if (!storage) checkStorage(f, inventory, report);
    checkSidekiq(f, inventory, [f, ...inventoryVarsFiles(project, f)], report);
  }
}

const hostsIn = (inventory: Inventory, groups: string[]) =>
  inventory.hosts.filter((h) => h.groups.some((g) => groups.includes(g))).map((h) => h.name);

/** Where a group is declared in an inventory file (its key), or the top of the file. */
function groupAt(f: SourceFile, group: string): Position {
  let found: KeyPath | undefined;
  walkValues(f.doc!.value, (_v, path, key) => {
    if (found || key !== group) return;
    if (path.length === 1 || path[path.length - 2] === "children") found = path;
  });
  return found ? f.doc!.locate(found, "key") : { line: 1, col: 1 };
}

function checkClock(f: SourceFile, inventory: Inventory, report: Report): void {
  const enabled = inventory.hosts.filter((h) =>
    Object.entries(h.vars).some(([k, v]) => CLOCK_VAR.test(k) && truthy(v))
  );
  const clocks = [...new Set([...hostsIn(inventory, ["lago_clock"]), ...enabled.map((h) => h.name)])];
  if (clocks.length <= 1) return;
  report(
    "multiple-clock-hosts",
    f.file,
    groupAt(f, "lago_clock"),
    `${clocks.length} hosts run the clock (${clocks.join(", ")}): exactly one may, or billing runs twice`,
  );
}

/** Does a document turn on S3 or GCS storage anywhere (inventory, vars, defaults, env mappings)? */
function setsSharedStorage(value: unknown): boolean {
  let found = false;
  walkValues(value, (v, _path, key) => {
    if (typeof key !== "string") return;
    if (STORAGE_SWITCH.test(key) && truthy(v)) found = true;
    if (STORAGE_CHOICE.test(key) && typeof v === "string" && /s3|gcs|\{\{/i.test(v)) found = true;
  });
  return found;
}

function checkStorage(f: SourceFile, inventory: Inventory, report: Report): void {
  const hosts = hostsIn(inventory, APP_GROUPS);
  if (hosts.length <= 1 || inventory.hosts.some((h) => setsSharedStorage(h.vars))) return;
  const group = APP_GROUPS.find((g) => inventory.groups.has(g))!;
  report(
    "local-storage-multi-host",
    f.file,
    groupAt(f, group),
    `the api and workers run on ${hosts.length} hosts (${hosts.join(", ")}) with local file storage: ` +
      "configure S3 or GCS (lago_use_aws_s3 / LAGO_USE_AWS_S3, lago_use_gcs / LAGO_USE_GCS)",
  );
}

function checkSidekiq(f: SourceFile, inventory: Inventory, related: SourceFile[], report: Report): void {
  const lagoHosts = hostsIn(inventory, LAGO_GROUPS);
  const hosts = inventory.hosts.filter((h) => lagoHosts.length === 0 || lagoHosts.includes(h.name));
  if (hosts.length < 2) return;
  const values = new Map<string, Map<string, string>>(); // flag → host → value
  const set = (host: string, flag: string, v: unknown) => {
    if (!values.has(flag)) values.set(flag, new Map());
    values.get(flag)!.set(host, truthy(v) ? "true" : String(v).toLowerCase());
  };
  for (const h of hosts) {
    walkValues(h.vars, (v, _path, key) => {
      // The lago role's fleet-wide list of queues: each one is SIDEKIQ_<QUEUE>=true.
      if (key === "lago_sidekiq_queues" && Array.isArray(v)) {
        for (const flag of queueFlags(v)) set(h.name, flag, true);
        return;
      }
      const flag = typeof key === "string" ? sidekiqFlag(key) : undefined;
      if (!flag || isMap(v) || Array.isArray(v)) return;
      set(h.name, flag, v);
    });
  }
  for (const [flag, byHost] of values) {
    const groups = new Map<string, string[]>();
    for (const h of hosts) {
      const v = byHost.get(h.name) ?? "unset";
      groups.set(v, [...(groups.get(v) ?? []), h.name]);
    }
    if (groups.size < 2) continue;
    const where = [...groups].map(([v, names]) =>
      `${v === "unset" ? "unset" : `'${v}'`} on ${names.join(", ")}`
    );
    const site = definitionSite(related, flag);
    report(
      "inconsistent-sidekiq-flags",
      site?.file ?? f.file,
      site?.at ?? { line: 1, col: 1 },
      `${flag} differs between Lago hosts: ${where.join("; ")} — api, clock and workers must agree`,
    );
  }
}

/** The first place among an inventory's files that sets a flag. */
function definitionSite(files: SourceFile[], flag: string): { file: string; at: Position } | undefined {
  for (const f of files) {
    let path: KeyPath | undefined;
    walkValues(f.doc?.value, (v, p, key) => {
      const queues = key === "lago_sidekiq_queues" && Array.isArray(v) ? queueFlags(v) : [];
      if (!path && typeof key === "string" && (sidekiqFlag(key) === flag || queues.includes(flag))) path = p;
    });
    if (path) return { file: f.file, at: f.doc!.locate(path, "key") };
  }
}

/**
 * `status`'s judgement (pure): each host's facts against what the inventory expects and the thresholds
 * given, as a report and problems with the exit code each stands for (docs/backup.md, "status"):
 *
 * | code | when                                                                            |
 * | ---- | ------------------------------------------------------------------------------- |
 * | 0    | every host healthy, certificates and backups within the thresholds              |
 * | 1    | a host could not be read (unreachable, no Docker), or the command failed        |
 * | 3    | a service is not running or not healthy, or /health through nginx is not 200   |
 * | 4    | a certificate expires within --cert-days (or has expired)                       |
 * | 5    | the last backup is older than --backup-hours, or there is none, or it failed    |
 * | 6    | with --drift: a host differs from the inventory (apply would change it)         |
 *
 * With several problems the exit code is the first of 1, 3, 4, 5, 6 that applies; `--json` lists them all.
 */
import { duration, judgeLock, type LockIdentity } from "../fleet/lock.ts";
import { hostState, judgeHealth } from "../fleet/probe.ts";
import type { LagoService } from "../fleet/topology.ts";
import type { HostStatusFacts } from "./host-status.ts";

export const STATUS_EXIT = {
  OK: 0,
  UNREADABLE: 1,
  UNHEALTHY: 3,
  CERTIFICATE: 4,
  BACKUP: 5,
  DRIFT: 6,
} as const;
const ORDER = [1, 3, 4, 5, 6];

export interface Thresholds {
  certDays: number;
  backupHours: number;
}

export interface HostExpectations {
  host: string;
  /** Lago services the inventory puts on the host (topology). */
  services: LagoService[];
  /** The host runs the database that is backed up (its backups are expected). */
  backedUp: boolean;
  tls: boolean;
}

export interface Problem {
  code: number;
  text: string;
}

export interface HostReport {
  host: string;
  version: string | null;
  services: { service: string; state: string; health?: string }[];
  nginx: number | null;
  certificate: { expires: string; days: number } | null;
  disks: { path: string; free_gib: number; free_pct: number }[];
  backup: { name: string; age_hours: number; lago_version?: string; error?: string } | null;
  timer: { active: boolean; next?: string; last_result?: string } | null;
  lock: string;
  drift?: number;
  problems: Problem[];
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

/** The health of one running container from its probe (clock: running is all there is). */
function containerHealth(kind: string | undefined, status: number | undefined): string | undefined {
  if (kind === undefined || kind === "clock") return undefined;
  if (!status) return "no answer";
  return status === 200 ? "healthy" : `answers ${status}`;
}

export function judgeHost(
  x: HostExpectations,
  f: HostStatusFacts,
  t: Thresholds,
  me: Pick<LockIdentity, "controller" | "token">,
  alive: (pid: number) => boolean,
): HostReport {
  const problems: Problem[] = [];
  const cs = "error" in f.containers ? [] : f.containers.filter((c) => !c.oneoff);
  if ("error" in f.containers) problems.push({ code: 1, text: f.containers.error });
  const state = hostState(cs);
  if (x.services.length && !("error" in f.containers)) {
    // Mixed releases: judged against the api's (the others are then reported as running another).
    const version = state.version && state.version !== "mixed"
      ? state.version
      : (cs.find((c) => c.kind === "api") ?? cs.find((c) => c.kind))?.version ?? "";
    const health = judgeHealth(x.services, version, cs, f.probes);
    if (health) { for (const p of health.split("; ")) problems.push({ code: 3, text: p }); }
  }
  if (x.services.some((s) => s === "api" || s === "front") && f.nginx !== null && f.nginx !== 200) {
    problems.push({ code: 3, text: `/health through nginx: ${f.nginx || "no answer"}` });
  }
  let certificate: HostReport["certificate"] = null;
  if (x.tls && x.services.some((s) => s === "api" || s === "front")) {
    if (f.certEnd === null) problems.push({ code: 4, text: "no certificate found" });
    else {
      const days = Math.floor((f.certEnd - f.now) / 86400);
      certificate = { expires: new Date(f.certEnd * 1000).toISOString(), days };
      if (days < t.certDays) {
        problems.push({
          code: 4,
          text: days < 0
            ? `the certificate expired ${-days} days ago`
            : `the certificate expires in ${days} days`,
        });
      }
    }
  }
  let backup: HostReport["backup"] = null;
  if (f.backup) {
    const age = (f.now - f.backup.mtime) / 3600;
    backup = {
      name: f.backup.name,
      age_hours: round(age),
      ...(f.backup.manifest ? { lago_version: f.backup.manifest.lago_version } : {}),
      ...(f.backup.error ? { error: f.backup.error } : {}),
    };
  }
  if (x.backedUp) {
    if (!backup) problems.push({ code: 5, text: "no backup on the host" });
    else if (backup.error) problems.push({ code: 5, text: `the last backup is unreadable: ${backup.error}` });
    else if (backup.age_hours > t.backupHours) {
      problems.push({ code: 5, text: `the last backup is ${duration(backup.age_hours * 3600)} old` });
    }
    if (f.timer?.lastResult && f.timer.lastResult !== "success") {
      problems.push({ code: 5, text: `the last scheduled backup failed (${f.timer.lastResult})` });
    }
  }
  let lock = "free";
  if ("error" in f.lock) lock = `unreadable: ${f.lock.error}`;
  else {
    const v = judgeLock(f.lock, me, alive);
    lock = v.kind === "held"
      ? `held by ${v.record?.owner ?? "?"}: '${v.record?.command ?? "?"}' for ${duration(v.age)}`
      : v.kind === "stale"
      ? `stale (${v.why})`
      : v.kind;
  }
  return {
    host: x.host,
    version: state.version,
    services: cs.map((c) => ({
      service: c.service,
      state: c.state,
      ...(c.state === "running" && containerHealth(c.kind, f.probes.get(c.name)?.status)
        ? { health: containerHealth(c.kind, f.probes.get(c.name)?.status) }
        : {}),
    })).sort((a, b) => a.service.localeCompare(b.service)),
    nginx: f.nginx,
    certificate,
    disks: f.disks.map((d) => ({
      path: d.path,
      free_gib: round(d.freeKiB / 1024 / 1024, 2),
      free_pct: d.sizeKiB ? round((100 * d.freeKiB) / d.sizeKiB) : 0,
    })),
    backup,
    timer: f.timer ? { active: f.timer.active, next: f.timer.next, last_result: f.timer.lastResult } : null,
    lock,
    problems,
  };
}

/** The exit code for all the problems found: the first of 1, 3, 4, 5, 6 that applies. */
export function exitCodeOf(problems: Problem[]): number {
  return ORDER.find((c) => problems.some((p) => p.code === c)) ?? 0;
}

/** One screen: a block per host. */
export function formatStatus(reports: HostReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    const verdict = r.problems.length ? `PROBLEMS (${r.problems.length})` : "ok";
    out.push(`${r.host}  Lago ${r.version ?? "none"}  ${verdict}`);
    if (r.services.length) {
      out.push(
        `  services   ${
          r.services.map((s) => `${s.service} ${s.state}${s.health ? ` ${s.health}` : ""}`).join(", ")
        }`,
      );
    }
    if (r.nginx !== null) out.push(`  nginx      /health ${r.nginx || "no answer"}`);
    if (r.certificate) {
      out.push(`  cert       expires ${r.certificate.expires.slice(0, 10)} (${r.certificate.days} days)`);
    }
    out.push(`  disk free  ${r.disks.map((d) => `${d.path} ${d.free_gib} GiB (${d.free_pct}%)`).join(", ")}`);
    out.push(
      `  backup     ${
        r.backup
          ? `${r.backup.name}, ${duration(r.backup.age_hours * 3600)} ago${
            r.backup.lago_version ? ` (Lago ${r.backup.lago_version})` : ""
          }`
          : "none"
      }${
        r.timer
          ? `; timer ${r.timer.active ? "active" : "inactive"}${
            r.timer.next ? `, next ${r.timer.next}` : ""
          }${r.timer.last_result ? `, last run ${r.timer.last_result}` : ""}`
          : ""
      }`,
    );
    out.push(`  lock       ${r.lock}`);
    if (r.drift !== undefined) {
      out.push(`  drift      ${r.drift ? `${r.drift} task(s) would change` : "none"}`);
    }
    for (const p of r.problems) out.push(`  ! ${p.text} (exit ${p.code})`);
  }
  return out.join("\n") + "\n";
}

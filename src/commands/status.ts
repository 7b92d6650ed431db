/**
 * `status INVENTORY`: one screen for the installation, read-only, one round trip per host
 * (src/status/host-status.ts), judged against the inventory and the thresholds (src/status/judge.ts, which
 * documents the exit codes). `--drift` adds a dry run of the playbook (`apply --check`: its own round trips,
 * and the secrets passphrase) and counts what would change per host.
 */
import { pidAlive } from "../fleet/lock.ts";
import { BACKUP_ROOT } from "../backup/host-script.ts";
import { hostStatusScript, parseHostStatus } from "../status/host-status.ts";
import { exitCodeOf, formatStatus, type HostReport, judgeHost } from "../status/judge.ts";
import { writeStdout } from "../runtime.ts";
import { openInstallation } from "../session/fleet.ts";
import { failuresOf } from "../session/result.ts";
import type { Session } from "../session/session.ts";

export interface StatusOptions {
  limit?: string;
  playbook: string;
  certDays: number;
  backupHours: number;
  drift: boolean;
  acceptNewHostKeys: boolean;
  json: boolean;
}

export async function statusCommand(inventoryPath: string, opts: StatusOptions): Promise<number> {
  const { session: s, backupHosts } = await openInstallation({
    inventory: inventoryPath,
    limit: opts.limit,
    acceptNewHostKeys: opts.acceptNewHostKeys,
    // --drift dry-runs the playbook: loaded and validated with the inventory, before any host.
    playbook: opts.drift ? opts.playbook : undefined,
    say: () => {},
  });
  try {
    const results = await s.fleet.each(s.hosts, async (host) => {
      const vars = s.fleet.host(host).vars;
      const tlsMode = String(vars.tls_mode ?? "selfsigned");
      const r = await s.fleet.run(
        host,
        hostStatusScript({
          project: String(vars.lago_project ?? "lago"),
          domain: String(vars.lago_domain ?? host),
          tlsMode,
          certDir: String(vars.tls_cert_dir ?? "/etc/lago-provision/tls"),
          backupDir: String(vars.lago_backup_dir ?? BACKUP_ROOT),
        }),
      );
      if (r.exitCode !== 0 || !/^=== end$/m.test(r.stdout)) {
        throw new Error(`reading the host failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-1)[0]}`);
      }
      return judgeHost(
        {
          host,
          services: s.loaded.topology.hosts.find((h) => h.name === host)?.services ?? [],
          backedUp: backupHosts.includes(host),
          tls: tlsMode !== "none",
        },
        parseHostStatus(r.stdout),
        { certDays: opts.certDays, backupHours: opts.backupHours },
        s.me,
        pidAlive,
      );
    });
    const reports: HostReport[] = s.hosts.map((host) => {
      const r = results.get(host)!;
      return r instanceof Error ? unreadable(host, r.message) : r;
    });
    if (opts.drift) await addDrift(s, opts.playbook, reports);
    const problems = reports.flatMap((r) => r.problems);
    const code = exitCodeOf(problems);
    if (opts.json) writeStdout(JSON.stringify({ type: "status", exit_code: code, hosts: reports }) + "\n");
    else writeStdout(formatStatus(reports));
    return code;
  } finally {
    await s.close();
  }
}

function unreadable(host: string, why: string): HostReport {
  return {
    host,
    version: null,
    services: [],
    nginx: null,
    certificate: null,
    disks: [],
    backup: null,
    timer: null,
    lock: "unknown",
    problems: [{ code: 1, text: why }],
  };
}

/** `apply --check` of the playbook on the session's connections: tasks that would change, per host. */
async function addDrift(s: Session, playbook: string, reports: HostReport[]): Promise<void> {
  const readable = reports.filter((r) => !r.problems.some((p) => p.code === 1)).map((r) => r.host);
  if (readable.length === 0) return;
  const result = await s.converge({
    check: true,
    diff: false,
    hosts: readable,
    reporter: { emit() {}, close() {} },
  });
  const failures = failuresOf(result);
  for (const r of reports) {
    const run = result.hosts[r.host];
    if (!run) continue;
    r.drift = run.counts.changed;
    if (run.counts.changed) {
      r.problems.push({
        code: 6,
        text: `${run.counts.changed} task(s) of ${playbook} would change the host`,
      });
    }
    const failed = failures.get(r.host);
    if (failed) r.problems.push({ code: 6, text: `the dry run fails: ${failed}` });
  }
}

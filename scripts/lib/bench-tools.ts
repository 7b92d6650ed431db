/**
 * The two tools under test, run the same way: the same inventory and known_hosts, the same forks, the
 * same converge (bench/converge/lago.yml and ansible.yml), output to a pipe (not a terminal).
 *
 * Round trips per host:
 * - lago-provision: its own count of SSH exec channels per host, over everything the process sends
 *   (the playbook run, the fleet lock, ...): LAGO_PROVISION_STATS=FILE writes it at exit.
 * - ansible-core: every ssh, sftp and scp process Ansible starts goes through a logging wrapper
 *   (ssh_executable, sftp_executable, scp_executable); with ControlPersist each one is one session on
 *   the host's multiplexed connection, i.e. one command or one file transfer. The host is told apart
 *   by its port (all hosts are 127.0.0.1).
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { $ } from "zx";
import { cpuSeconds, measure, type Measured, pssKiB } from "./bench-measure.ts";
import type { Testbed } from "./testbed-lib.ts";
import { repoRoot } from "./testbed-paths.ts";

export type Tool = "lago" | "ansible";
export const TOOLS: Tool[] = ["lago", "ansible"];

export interface ToolRun extends Measured {
  tool: Tool;
  /** Total SSH round trips per host (commands + transfers). */
  roundTrips: Record<string, number>;
  /** SSH connections (handshakes) per host: lago's own, Ansible's ControlPersist masters. */
  connections: Record<string, number>;
  /** Counts per host from the tool's own recap. */
  changed: Record<string, number>;
  failed: Record<string, number>;
  /** CPU of Ansible's ControlPersist masters, which leave the measured tree (included in userS+sysS). */
  masterCpuS?: number;
  /** CPU used on the hosts during the run (all bench containers), when readable. */
  hostsCpuS?: number;
}

export const CONVERGE_TASKS = 10;
const playbook = (tool: Tool) =>
  join(repoRoot, "bench", "converge", tool === "lago" ? "lago.yml" : "ansible.yml");

export interface RunSetup {
  testbed: Testbed;
  forks: number;
  /** Ansible's facts: "min" = only the subsets the templates need (the fair setting); "all" = its default. */
  ansibleGather: "min" | "all";
  /** Extra arguments for lago-provision apply (e.g. --no-lock). */
  lagoArgs?: string[];
}

export async function runLago(s: RunSetup): Promise<ToolRun> {
  const cli = join(repoRoot, "dist", "src", "cli.js");
  const dir = mkdtempSync(join(tmpdir(), "lago-bench-stats-"));
  const statsFile = join(dir, "stats.json");
  const m = await measure(
    [
      "node",
      cli,
      "apply",
      s.testbed.inventoryPath,
      "-p",
      playbook("lago"),
      "-f",
      String(s.forks),
      "--json",
      ...(s.lagoArgs ?? []),
    ],
    { cwd: repoRoot, env: { LAGO_PROVISION_STATS: statsFile, NO_COLOR: "1" } },
  );
  const recap = m.stdout.split("\n").filter((l) => l.includes('"recap"')).map((l) => JSON.parse(l)).pop();
  if (!recap) throw new Error(`lago-provision printed no recap (exit ${m.exitCode}):\n${tail(m)}`);
  const counts = recap.hosts as Record<string, { changed: number; failed: number; unreachable: number }>;
  const stats = JSON.parse(readFileSync(statsFile, "utf8")).hosts as Record<
    string,
    { connections: number; roundTrips: number }
  >;
  rmSync(dir, { recursive: true, force: true });
  return {
    ...m,
    tool: "lago",
    roundTrips: mapValues(stats, (h) => h.roundTrips),
    connections: mapValues(stats, (h) => h.connections),
    changed: mapValues(counts, (c) => c.changed),
    failed: mapValues(counts, (c) => c.failed + c.unreachable),
  };
}

/** A throwaway Ansible home: ansible.cfg, logging wrappers, control sockets. */
export class AnsibleEnv {
  readonly dir = mkdtempSync(join(tmpdir(), "lago-bench-ansible-"));
  readonly cpDir = join(this.dir, "cp");
  readonly log = join(this.dir, "ssh.log");

  constructor(private s: RunSetup) {
    mkdirSync(this.cpDir);
    mkdirSync(join(this.dir, "bin"));
    for (const tool of ["ssh", "sftp", "scp"]) {
      const path = join(this.dir, "bin", tool);
      // One line per process, then the real client: a fraction of a millisecond each.
      writeFileSync(path, `#!/bin/sh\necho "${tool} $*" >> ${this.log}\nexec /usr/bin/${tool} "$@"\n`);
      chmodSync(path, 0o755);
    }
    const kh = s.testbed.knownHostsPath;
    writeFileSync(
      join(this.dir, "ansible.cfg"),
      `[defaults]
inventory = ${s.testbed.inventoryPath}
forks = ${s.forks}
host_key_checking = True
interpreter_python = auto_silent
retry_files_enabled = False
nocows = 1
local_tmp = ${join(this.dir, "tmp")}

[ssh_connection]
pipelining = True
control_path_dir = ${this.cpDir}
ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${kh} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes
ssh_executable = ${join(this.dir, "bin", "ssh")}
sftp_executable = ${join(this.dir, "bin", "sftp")}
scp_executable = ${join(this.dir, "bin", "scp")}
`,
    );
  }

  /** The ControlPersist masters still running: pid by socket. */
  async masters(): Promise<number[]> {
    const pids = await Promise.all(
      readdirSync(this.cpDir).map(async (sock) => {
        const r = await $`/usr/bin/ssh -O check -o ControlPath=${join(this.cpDir, sock)} bench`.quiet()
          .nothrow();
        return Number(/pid=(\d+)/.exec(r.stderr + r.stdout)?.[1] ?? 0);
      }),
    );
    return pids.filter((p) => p > 0);
  }

  /** Stops every master, so the next run starts cold (as lago-provision does: it keeps nothing). */
  async stopMasters(): Promise<void> {
    await Promise.all(
      readdirSync(this.cpDir).map((sock) =>
        $`/usr/bin/ssh -O exit -o ControlPath=${join(this.cpDir, sock)} bench`.quiet().nothrow()
      ),
    );
  }

  async run(): Promise<ToolRun> {
    await this.stopMasters();
    writeFileSync(this.log, "");
    const extra = this.s.ansibleGather === "all" ? ["-e", '{"bench_gather_subset": ["all"]}'] : [];
    const m = await measure(
      ["ansible-playbook", playbook("ansible"), "-f", String(this.s.forks), ...extra],
      { cwd: this.dir, env: { ANSIBLE_CONFIG: join(this.dir, "ansible.cfg"), ANSIBLE_FORCE_COLOR: "0" } },
    );
    // The masters left the measured tree when they daemonized: add their CPU and memory now.
    const masters = await this.masters();
    const masterCpuS = masters.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const perHost = masters.length / Math.max(1, this.s.testbed.hosts.length);
    const masterMB = masters.reduce((sum, pid) => sum + pssKiB(pid), 0) / 1024;
    await this.stopMasters();
    const portToHost = new Map(this.s.testbed.hosts.map((h) => [String(h.port), h.name]));
    const roundTrips: Record<string, number> = Object.fromEntries(
      this.s.testbed.hosts.map((h) => [h.name, 0]),
    );
    for (const line of readFileSync(this.log, "utf8").split("\n")) {
      const port = /(?:^| )Port=(\d+)(?: |$)/.exec(line)?.[1];
      // `ssh -O ...` control commands are not sessions; Ansible sends none, but be safe.
      if (!port || / -O /.test(line)) continue;
      const host = portToHost.get(port);
      if (host) roundTrips[host]++;
    }
    const recap = parseAnsibleRecap(m.stdout);
    if (Object.keys(recap).length === 0) {
      throw new Error(`ansible-playbook printed no recap (exit ${m.exitCode}):\n${tail(m)}`);
    }
    return {
      ...m,
      userS: m.userS + masterCpuS,
      peakTreeMB: m.peakTreeMB + masterMB,
      tool: "ansible",
      roundTrips,
      // One master per host (a count per host is not worth finding out: they are all the same).
      connections: Object.fromEntries(this.s.testbed.hosts.map((h) => [h.name, perHost])),
      changed: mapValues(recap, (c) => c.changed),
      failed: mapValues(recap, (c) => c.failed + c.unreachable),
      masterCpuS,
    };
  }

  async close(): Promise<void> {
    await this.stopMasters();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `host : ok=12 changed=0 unreachable=0 failed=0 ...` lines of PLAY RECAP. */
export function parseAnsibleRecap(stdout: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const at = stdout.lastIndexOf("PLAY RECAP");
  if (at < 0) return out;
  for (const line of stdout.slice(at).split("\n").slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    out[m[1]] = Object.fromEntries([...m[2].matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1], Number(x[2])]));
  }
  return out;
}

const mapValues = <T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

const tail = (m: Measured) => (m.stdout + m.stderr).trim().split("\n").slice(-25).join("\n");

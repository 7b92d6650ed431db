/**
 * Measuring one tool run on the controller: wall time, CPU time (user + sys) and memory of the whole
 * process tree.
 *
 * - CPU: GNU time's user + sys, which covers every descendant that was waited for (Ansible's forked
 *   workers, the ssh clients they spawn), plus `extraCpu` for processes that left the tree (Ansible's
 *   ControlPersist masters daemonize; the caller reads their CPU before stopping them).
 * - Memory: the peak of the tree's summed PSS (proportional set size, so pages the forked workers
 *   share are counted once), sampled every 200 ms, and GNU time's max RSS (the largest single process).
 */
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

export interface Measured {
  exitCode: number;
  wallS: number;
  userS: number;
  sysS: number;
  /** Largest single process (GNU time %M), MB. */
  maxRssMB: number;
  /** Peak of the process tree's summed PSS, MB (sampled). */
  peakTreeMB: number;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  sampleMs?: number;
}

/** Direct children of a process (its main thread's; forked workers and spawned clients live there). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function treeOf(root: number): number[] {
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...childrenOf(pid));
  }
  return out;
}

/** PSS of one process in KiB (0 when it is gone). */
export function pssKiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** user + sys CPU seconds of one live process (utime and stime from /proc/PID/stat). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15; USER_HZ is 100 on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export async function measure(argv: string[], opts: MeasureOptions = {}): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), "lago-bench-time-"));
  const timeFile = join(dir, "time");
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const started = performance.now();
  const child = spawn("/usr/bin/time", ["-f", "%e %U %S %M", "-o", timeFile, ...argv], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d: Buffer) => out.push(d));
  child.stderr.on("data", (d: Buffer) => err.push(d));
  let peakKiB = 0;
  const sample = () => {
    if (child.pid === undefined) return;
    // The time process itself is tiny and not part of the tool: skip it.
    const pids = treeOf(child.pid).slice(1);
    peakKiB = Math.max(peakKiB, pids.reduce((sum, pid) => sum + pssKiB(pid), 0));
  };
  const timer = setInterval(sample, opts.sampleMs ?? 200);
  const exitCode = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
  clearInterval(timer);
  const wallS = (performance.now() - started) / 1000;
  const [, user, sys, maxRss] = readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(
    Number,
  );
  rmSync(dir, { recursive: true, force: true });
  return {
    exitCode,
    wallS,
    userS: user,
    sysS: sys,
    maxRssMB: maxRss / 1024,
    peakTreeMB: peakKiB / 1024,
    stdout: Buffer.concat(out).toString("utf8"),
    stderr: Buffer.concat(err).toString("utf8"),
  };
}

/**
 * CPU seconds used so far by the given containers (the hosts: sshd, shells, Python modules), from
 * their cgroup v1 cpuacct counters; undefined where the counters cannot be read (cgroup v2).
 */
export function containersCpuSeconds(ids: string[]): number | undefined {
  let total = 0;
  for (const id of ids) {
    try {
      total += Number(readFileSync(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, "utf8")) / 1e9;
    } catch {
      return undefined;
    }
  }
  return total;
}

/**
 * A cross-process lock (mkdir is atomic) so two `testbed up` runs never debootstrap into the same
 * directory. A lock whose owner process is gone is taken over.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";

function ownerAlive(dir: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(join(dir, "pid"), "utf8"), 10);
  } catch {
    // Just being created, unless it has been like this for a while (owner died in between).
    const age = Date.now() - (statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    return age < 10_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function withLock<T>(dir: string, fn: () => Promise<T>, timeoutMs = 20 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw e;
      if (!ownerAlive(dir)) rmSync(dir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`testbed: timed out waiting for lock ${dir}`);
      else await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

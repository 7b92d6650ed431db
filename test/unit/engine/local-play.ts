/**
 * Runs a playbook through main() on a `connection: local` host (this machine, a real shell), with
 * --json output captured: for engine tests that need a whole play but no SSH.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { afterEach, beforeEach, vi } from "vitest";
import { connectionStats } from "../../../src/core/stats.ts";
import { main } from "../../../src/main.ts";

// deno-lint-ignore no-explicit-any
type RunEventJson = Record<string, any>;

export interface LocalPlay {
  /** A fresh directory per test (the inventory lives there). */
  dir(): string;
  run(playbook: string, ...flags: string[]): Promise<{
    code: number;
    /** Every event of the run; `results` are its task results. */
    events: RunEventJson[];
    results: RunEventJson[];
    roundTrips: number;
  }>;
}

/**
 * Call at the top of a describe(): a temp dir and stdout capture around each test. `hosts` are the
 * inventory's host names, all local.
 */
export function localPlay(hosts: string[] = ["here"]): LocalPlay {
  let dir = "";
  let printed = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lago-local-play-"));
    const entries = hosts.map((h) => `    ${h}:\n      ansible_connection: local\n`).join("");
    writeFileSync(join(dir, "inventory.yml"), `all:\n  hosts:\n${entries}`);
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      printed += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    async run(playbook, ...flags) {
      const path = join(dir, "play.yml");
      writeFileSync(path, playbook);
      printed = "";
      const roundTrips = () => hosts.reduce((n, h) => n + (connectionStats()[h]?.roundTrips ?? 0), 0);
      const before = roundTrips();
      const code = await main([
        "apply",
        join(dir, "inventory.yml"),
        "-p",
        path,
        "--json",
        "--no-lock",
        ...flags,
      ]);
      const events = printed.trim().split("\n").map((l) => JSON.parse(l));
      const results = events.filter((e) => e.type === "task_result");
      return { code, events, results, roundTrips: roundTrips() - before };
    },
  };
}

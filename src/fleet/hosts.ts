/**
 * One connection per host for a whole command, opened on first use: fleet operations outside a
 * playbook (lock, survey, backup, pull, migrate, health, history) run on it with the host's `become`
 * settings, and every playbook run borrows it (`remote`), so a host is logged into once.
 */
import { type Command, raw } from "../core/command.ts";
import { type Connect, connectTo } from "../connection/connect.ts";
import type { ConnectionSettings } from "../connection/settings.ts";
import type { ExecResult } from "../core/types.ts";
import type { RunHost } from "../engine/run.ts";
import { mapLimit } from "../engine/pool.ts";
import { type Privilege, Remote } from "../engine/remote.ts";
import type { LockHost } from "./lock.ts";

/** A probe to read along with another command (its script and privilege). */
export interface ProbeScript {
  command: Command;
  privilege: Privilege;
}

export class FleetHosts {
  private remotes = new Map<string, Promise<Remote>>();
  private byName: Map<string, RunHost>;
  /** Probes to read in the same round trip as the next command run on a host (see readAlong). */
  private along = new Map<string, ProbeScript[]>();

  constructor(
    hosts: RunHost[],
    readonly forks = 20,
    private connect: Connect = connectTo,
    private signal?: AbortSignal,
  ) {
    this.byName = new Map(hosts.map((h) => [h.name, h]));
  }

  host(name: string): RunHost {
    const h = this.byName.get(name);
    if (!h) throw new Error(`no host ${name} in this fleet`);
    return h;
  }

  private remote(name: string): Promise<Remote> {
    let r = this.remotes.get(name);
    if (!r) {
      const s = this.host(name).settings;
      r = this.connect(s).then((c) => new Remote(c, s.user, this.signal));
      // A failed connection is retried on the next use.
      r.catch(() => this.remotes.delete(name));
      this.remotes.set(name, r);
    }
    return r;
  }

  /**
   * Run a script on a host (as root when the host's settings say `become`). A `lock` script changes only
   * the fleet lock, which no probe reads: what a playbook run read ahead there stays.
   */
  async run(name: string, script: string, stdin?: string | Uint8Array, what?: "lock"): Promise<ExecResult> {
    const s = this.host(name).settings;
    const remote = await this.remote(name);
    const privilege = { become: s.become, becomeUser: s.becomeUser };
    const along = stdin === undefined ? this.along.get(name) : undefined;
    if (along) {
      this.along.delete(name);
      return await remote.runThenPrefetch(script, privilege, along);
    }
    if (what === "lock" && stdin === undefined) return await remote.runAside(script, privilege);
    return await remote.run(script, privilege, stdin);
  }

  /**
   * Run a read-only script on a host (as the host's settings say): the answer read ahead with the
   * lock when there is one and `fresh` is false, else one round trip. Nothing read ahead is dropped.
   */
  async probe(name: string, script: string, fresh = true): Promise<ExecResult> {
    const s = this.host(name).settings;
    const remote = await this.remote(name);
    const asIs = { command: [raw(script)], parse: (r: ExecResult) => r };
    return await remote.probe(asIs, { become: s.become, becomeUser: s.becomeUser }, fresh);
  }

  /**
   * Read these probes (a playbook run's first facts) in the same round trip as the next script run on
   * the host (the fleet lock), so the run finds their answers ready.
   */
  readAlong(name: string, probes: ProbeScript[]): void {
    this.along.set(name, probes);
  }

  /** Run on several hosts, `forks` at a time; each result or the error it threw. */
  async each<T>(names: string[], fn: (name: string) => Promise<T>): Promise<Map<string, T | Error>> {
    const results = await mapLimit(names, this.forks, async (n) => {
      try {
        return await fn(n);
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
    });
    return new Map(names.map((n, i) => [n, results[i]]));
  }

  /**
   * A host's connection for a playbook run to borrow (it stays open for the lock and the history until
   * close()); hosts outside this fleet get one of their own, closed with the others.
   */
  remoteFor(s: ConnectionSettings): Promise<Remote> {
    if (!this.byName.has(s.name)) this.byName.set(s.name, { name: s.name, settings: s, vars: {} });
    return this.remote(s.name);
  }

  lockHosts(names: string[]): LockHost[] {
    return names.map((name) => ({ name, run: (script, stdin) => this.run(name, script, stdin, "lock") }));
  }

  async close(): Promise<void> {
    const all = [...this.remotes.values()];
    this.remotes.clear();
    await Promise.all(all.map((r) => r.then((x) => x.connection.close(), () => undefined)));
  }
}

/** The last lines of a failed command's output, for messages. */
export function tail(r: ExecResult, n = 4): string {
  return (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-n).join("\n");
}

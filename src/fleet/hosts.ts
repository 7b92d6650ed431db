/**
 * Connections for fleet operations outside a playbook (lock, survey, backup, pull, migrate, health,
 * history): one per host, opened on first use, commands run with the host's `become` settings.
 */
import { type Connect, connectTo } from "../connection/connect.ts";
import type { Connection, ExecResult } from "../core/types.ts";
import type { RunHost } from "../engine/run.ts";
import { mapLimit } from "../engine/pool.ts";
import { Remote } from "../engine/remote.ts";
import type { LockHost } from "./lock.ts";

export class FleetHosts {
  private remotes = new Map<string, Promise<Remote>>();
  private byName: Map<string, RunHost>;

  constructor(hosts: RunHost[], readonly forks = 20, private connect: Connect = connectTo) {
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
      r = this.connect(s).then((c) => new Remote(c, s.user));
      // A failed connection is retried on the next use.
      r.catch(() => this.remotes.delete(name));
      this.remotes.set(name, r);
    }
    return r;
  }

  /** Run a script on a host (as root when the host's settings say `become`). */
  async run(name: string, script: string, stdin?: string): Promise<ExecResult> {
    const s = this.host(name).settings;
    const remote = await this.remote(name);
    return await remote.run(script, { become: s.become, becomeUser: s.becomeUser }, stdin);
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
   * A host's connection for someone else to use (a playbook run under the fleet lock), so a host is
   * logged into once. Closing it does nothing: it stays open for the lock and history until close().
   */
  async lend(name: string): Promise<Connection> {
    const connection = (await this.remote(name)).connection;
    return {
      name: connection.name,
      exec: (script, options) => connection.exec(script, options),
      close: () => Promise.resolve(),
      get roundTrips() {
        return connection.roundTrips;
      },
    };
  }

  /** Connects a playbook run through this fleet's connections (its own for hosts not in the fleet). */
  connector(): Connect {
    return (s) => this.byName.has(s.name) ? this.lend(s.name) : this.connect(s);
  }

  lockHosts(names: string[]): LockHost[] {
    return names.map((name) => ({ name, run: (script, stdin) => this.run(name, script, stdin) }));
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

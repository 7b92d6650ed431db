/**
 * The session of the commands that only read from hosts (lock, history): every selected host, no
 * lock taken, nothing said while connecting.
 */
import { type FleetSession, openSession } from "../fleet/session.ts";
import { inventoryHosts } from "./apply.ts";

export interface ReadOptions {
  limit?: string;
  acceptNewHostKeys: boolean;
}

export function readSession(inventoryPath: string, opts: ReadOptions): Promise<FleetSession> {
  return openSession(inventoryPath, {
    limit: opts.limit,
    hostsOf: (inv) => inventoryHosts(inv, opts.acceptNewHostKeys),
    say: () => {},
  });
}

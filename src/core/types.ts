/** Shared data types that cross layer boundaries (connections, facts, modules, engine). */

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Bytes or text streamed to the command's standard input (file uploads use this). */
  stdin?: string | Uint8Array;
  timeoutMs?: number;
}

/**
 * A transport to one host. Everything a module does on a host goes through `exec`; there is no
 * per-task code upload. `roundTrips` counts exec calls (for benchmarks and the one-round-trip rule).
 */
export interface Connection {
  readonly name: string;
  exec(script: string, options?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
  readonly roundTrips: number;
}

/** Before/after of one thing the task changes, shown by --diff (secrets are redacted by the engine). */
export interface Diff {
  /** What it is: a path, "packages", "service nginx" ... */
  target: string;
  before: string;
  after: string;
  /** The whole content is secret: show only that it changed. */
  sensitive?: boolean;
}

/** Facts gathered once per host at the start of a play (one round trip). */
export interface HostFacts {
  hostname: string;
  os_family: string; // "Debian"
  distribution: string; // "debian" | "ubuntu" | ...
  distribution_version: string; // "12"
  distribution_release: string; // "bookworm"
  architecture: string; // "x86_64"
  kernel: string;
  init_system: string; // "systemd" | "other"
  user: string;
  uid: number;
  docker_present: boolean;
  docker_version: string | null;
  compose_v2: boolean;
  compose_v1: boolean;
  /** Handlers notified in an earlier run that never got to run (persisted on the host). */
  pending_handlers: string[];
}

/** Kept for code written before src/core/errors.ts (the one error module): import from there. */
export { UserError } from "./errors.ts";

/**
 * Shape of a module fixture table: each case gives args and the probe's parsed facts, and expects
 * either a plan (changed, reason substring, steps rendered as shell text) or an error: an argument
 * error when the arguments are invalid, else an error `plan` throws (a UserError about the host state).
 */
import type { HostFacts } from "../../../src/core/types.ts";
import type { SecretsInputs } from "../../../src/secrets/inputs.ts";

export interface ModuleCase {
  name: string;
  args: Record<string, unknown>;
  /** Parsed probe output handed to plan (what `probe.parse` would return). */
  facts?: unknown;
  check?: boolean;
  host?: Partial<HostFacts>;
  /** Local files the module may read (path -> content), for copy/template. */
  localFiles?: Record<string, string>;
  /** Variables for template rendering. */
  vars?: Record<string, unknown>;
  /** The secrets stores the secrets stage opened (lago_secrets). */
  secrets?: SecretsInputs;
  expect:
    | {
      changed: boolean;
      reason?: string;
      steps?: string[];
      diffs?: { target?: string; before?: string; after?: string; sensitive?: boolean }[];
      result?: Record<string, unknown>;
    }
    | { error: string };
}

/** Probe parsing cases: raw command output -> parsed facts. */
export interface ProbeCase {
  name: string;
  args: Record<string, unknown>;
  /** Expected rendered probe command (exact), or null when the module needs no probe. */
  command?: string | null;
  output?: { exitCode?: number; stdout: string; stderr?: string };
  facts?: unknown;
}

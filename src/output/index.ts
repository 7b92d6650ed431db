/**
 * Reporters: how a run's events reach the operator. The engine emits `RunEvent`s (already redacted);
 * a reporter renders them as text for people or as JSON lines for programs.
 *
 * @example
 * ```ts
 * const reporter = createReporter({ format: "text", write: writeStdout, isTTY: stdoutIsTTY(), env: env(), diff: false, verbose: 0 });
 * ```
 */
import { colorEnabled } from "./color.ts";
import type { Reporter } from "./events.ts";
import { createJsonReporter } from "./json.ts";
import { createTextReporter } from "./text.ts";

export type { HostCounts, Reporter, RunEvent, TaskStatus } from "./events.ts";
export { colorEnabled } from "./color.ts";
export { isSecretName, Redactor, type Secret, secretsFromVars } from "./redact.ts";

export interface ReporterOptions {
  format: "text" | "json";
  write(text: string): void;
  /** Is the output a terminal? (colour) */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  /** Show unified diffs of changes (`--diff`). */
  diff: boolean;
  verbose: number;
}

export function createReporter(options: ReporterOptions): Reporter {
  const { format, write, isTTY, env, diff, verbose } = options;
  if (format === "json") return createJsonReporter({ write });
  return createTextReporter({ write, color: colorEnabled({ isTTY, env }), diff, verbose });
}

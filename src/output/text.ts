/**
 * Human output: a play header, a header per task, one aligned line per host result (coloured by
 * status, the reason dimmed), unified diffs with `--diff`, and a recap table with the slowest tasks.
 *
 * ```
 * PLAY Lago (lago-1, db)
 * TASK Install packages
 *   ok           lago-1  docker-ce already installed
 *   changed      db      would install docker-ce (2.3s)
 * ```
 */
import { createTwoFilesPatch } from "diff";
import pc from "picocolors";
import type { Diff } from "../core/types.ts";
import type { HostCounts, Reporter, RunEvent, TaskStatus } from "./events.ts";

export interface TextReporterOptions {
  write(text: string): void;
  color: boolean;
  /** Print the unified diff of every change (`--diff`). */
  diff: boolean;
  /** 1: durations of every result and loop items in full. */
  verbose: number;
}

type Colors = ReturnType<typeof pc.createColors>;
type Label = TaskStatus | "unknown" | "rescued";
type TaskResult = Extract<RunEvent, { type: "task_result" }>;

const LABEL_WIDTH = "unreachable".length;
/** Results slower than this show their duration. */
const SLOW_MS = 1000;
const SLOWEST_SHOWN = 5;
const HOSTS_LISTED = 5;
const ITEM_WIDTH = 60;
const COUNT_COLUMNS = ["ok", "changed", "failed", "skipped", "unreachable", "unknown", "rescued"] as const;

export function createTextReporter(options: TextReporterOptions): Reporter {
  const { write, verbose } = options;
  const c = pc.createColors(options.color);
  const line = (text = "") => write(`${text}\n`);
  const paint: Record<Label, (s: string) => string> = {
    ok: c.green,
    changed: c.yellow,
    skipped: c.cyan,
    failed: c.red,
    unreachable: (s) => c.bold(c.red(s)),
    unknown: c.magenta,
    rescued: c.cyan,
  };

  let check = false;
  let hostWidth = 0;
  /** Per task (in order): its name and its slowest result. */
  const tasks: { name: string; ms: number }[] = [];

  const result = (e: TaskResult) => {
    hostWidth = Math.max(hostWidth, e.host.length);
    const label: Label = e.unknown !== undefined && e.status !== "failed" && e.status !== "unreachable"
      ? "unknown"
      : e.status;
    const item = e.item === undefined ? "" : `(item=${formatItem(e.item, verbose > 0)}) `;
    const [text, tone] = label === "unknown"
      ? [`unknown until apply: ${e.unknown}`, c.magenta]
      : e.status === "failed" || e.status === "unreachable"
      ? [e.msg ?? e.reason ?? "", (s: string) => s]
      : [e.reason ?? "", c.dim];
    const [first, ...rest] = text.split("\n");
    const duration = e.durationMs > SLOW_MS || verbose > 0 ? c.dim(` (${formatDuration(e.durationMs)})`) : "";
    const lead = `  ${paint[label](label.padEnd(LABEL_WIDTH))} ${e.host.padEnd(hostWidth)}  `;
    line(`${lead}${item}${tone(first)}${duration}`.trimEnd());
    const indent = " ".repeat(LABEL_WIDTH + hostWidth + 5);
    for (const more of rest) line(`${indent}${tone(more)}`.trimEnd());
    if (e.ignored) line(`${indent}${c.dim("...ignoring (ignore_errors)")}`);
    if (options.diff) { for (const d of e.diffs ?? []) printDiff(d); }
    const current = tasks.at(-1);
    if (current) current.ms = Math.max(current.ms, e.durationMs);
  };

  const printDiff = (d: Diff) => {
    const indent = "    ";
    if (d.sensitive) return line(`${indent}${c.yellow(`<redacted: ${d.target} changed>`)}`);
    if (d.before === d.after) return;
    // One-line states ("absent", "directory mode=0755") have no final newline on either side: add it
    // to both, so the patch does not print "No newline at end of file" twice.
    const bothBare = !d.before.endsWith("\n") && !d.after.endsWith("\n");
    const patch = createTwoFilesPatch(
      `before: ${d.target}`,
      `after: ${d.target}`,
      bothBare && d.before !== "" ? `${d.before}\n` : d.before,
      bothBare && d.after !== "" ? `${d.after}\n` : d.after,
      undefined,
      undefined,
      {
        context: 3,
      },
    );
    for (const l of patch.split("\n").slice(1, -1)) {
      const painted = l.startsWith("---") || l.startsWith("+++")
        ? c.bold(l)
        : l.startsWith("@@")
        ? c.cyan(l)
        : l.startsWith("+")
        ? c.green(l)
        : l.startsWith("-")
        ? c.red(l)
        : l.startsWith("\\")
        ? c.dim(l)
        : l;
      line(`${indent}${painted}`);
    }
  };

  const recap = (hosts: Record<string, HostCounts>, durationMs: number) => {
    const names = Object.keys(hosts);
    const columns = COUNT_COLUMNS.filter((k) =>
      k === "unknown"
        ? check || names.some((h) => hosts[h].unknown)
        : k !== "rescued" || names.some((h) => hosts[h].rescued)
    );
    const width = Math.max("RECAP".length, ...names.map((h) => h.length + 2));
    line();
    line(c.bold(`${"RECAP".padEnd(width)}  ${columns.join("  ")}`));
    for (const host of names) {
      const counts = hosts[host];
      const cells = columns.map((k) => {
        const text = String(counts[k]).padStart(k.length);
        return counts[k] ? paint[k](text) : c.dim(text);
      });
      line(`  ${paint[worst(counts)](host.padEnd(width - 2))}  ${cells.join("  ")}`);
    }
    line();
    if (check) {
      const total = (k: keyof HostCounts) => names.reduce((n, h) => n + hosts[h][k], 0);
      line(
        `Check: ${plural(names.length, "host")}, ${plural(total("changed"), "task")} to change, ` +
          `${total("ok")} unchanged, ${total("unknown")} unknown until apply` +
          (total("failed") + total("unreachable")
            ? `, ${total("failed") + total("unreachable")} failed`
            : ""),
      );
    }
    line(
      `Finished in ${formatDuration(durationMs)}${check ? c.dim(" (check mode: nothing was changed)") : ""}`,
    );
    const slowest = tasks.filter((t) => t.ms > 0).sort((a, b) => b.ms - a.ms).slice(0, SLOWEST_SHOWN);
    if (slowest.length === 0) return;
    const times = slowest.map((t) => formatDuration(t.ms));
    const timeWidth = Math.max(...times.map((t) => t.length));
    line(c.dim("Slowest tasks:"));
    slowest.forEach((t, i) => line(`  ${times[i].padStart(timeWidth)}  ${t.name}`));
  };

  return {
    emit(e: RunEvent): void {
      switch (e.type) {
        case "run_start":
          check = e.check;
          line(
            `Running ${c.bold(e.source)} on ${plural(e.hosts, "host")}` +
              (e.check ? c.dim(", check mode: nothing will change") : ""),
          );
          return;
        case "play_start": {
          hostWidth = Math.max(0, ...e.hosts.map((h) => h.length));
          const listed = e.hosts.slice(0, HOSTS_LISTED).join(", ");
          const more = e.hosts.length > HOSTS_LISTED ? ` and ${e.hosts.length - HOSTS_LISTED} more` : "";
          line();
          line(`${c.bold(`PLAY ${e.play}`)} ${c.dim(`(${listed}${more})`)}`);
          return;
        }
        case "task_start":
          tasks.push({ name: e.handler ? `${e.task} (handler)` : e.task, ms: 0 });
          line(c.bold(`${e.handler ? "HANDLER" : "TASK"} ${e.task}`));
          return;
        case "task_result":
          return result(e);
        case "secrets":
          line(
            `${c.bold("SECRETS")} ${e.check ? "would generate" : "generated"} ${
              plural(e.generated.length, "secret")
            } (${e.generated.join(", ")}) into ${e.store}` +
              (e.check
                ? c.dim(" (apply does, before the play)")
                : "; keep its passphrase and a copy of it safe"),
          );
          return;
        case "warning":
          line(`${c.yellow(c.bold("WARNING"))} ${e.host ? `${e.host}: ` : ""}${e.msg}`);
          return;
        case "recap":
          return recap(e.hosts, e.durationMs);
      }
    },
    close(): void {},
  };
}

/** The status a host's name is painted in, in the recap. */
function worst(counts: HostCounts): Label {
  if (counts.unreachable) return "unreachable";
  if (counts.failed) return "failed";
  if (counts.changed) return "changed";
  if (counts.unknown) return "unknown";
  return "ok";
}

function formatItem(item: unknown, full: boolean): string {
  const text = typeof item === "string" ? item : JSON.stringify(item) ?? String(item);
  const oneLine = text.replaceAll("\n", "\\n");
  return full || oneLine.length <= ITEM_WIDTH ? oneLine : `${oneLine.slice(0, ITEM_WIDTH - 1)}…`;
}

/** `340ms`, `2.3s`, `4m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

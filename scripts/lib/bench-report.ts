/**
 * The benchmark's figures: one row per tool run, summaries (median over repeats) per host count, tool
 * and run kind, the ansible/lago ratios, a text table, the JSON file and a PNG chart (gnuplot).
 */
import { writeFileSync } from "node:fs";
import { $ } from "zx";
import type { Tool, ToolRun } from "./bench-tools.ts";

export type RunKind = "first" | "noop";

export interface Row {
  hosts: number;
  tool: Tool;
  run: RunKind;
  repeat: number;
  exitCode: number;
  wallS: number;
  cpuS: number;
  userS: number;
  sysS: number;
  /** Largest single process, MB. */
  maxRssMB: number;
  /** Peak summed PSS of the tool's processes, MB. */
  peakTreeMB: number;
  /** Mean SSH round trips per host, and the extremes. */
  rtPerHost: number;
  rtMin: number;
  rtMax: number;
  rtPerHostPerTask: number;
  /** SSH connections per host (mean). */
  connPerHost: number;
  changed: number;
  failed: number;
  masterCpuS?: number;
  /** CPU used on the hosts (containers) during the run: sshd, shells, Ansible's Python modules. */
  hostsCpuS?: number;
}

export function rowOf(r: ToolRun, hosts: number, run: RunKind, repeat: number, tasks: number): Row {
  const rts = Object.values(r.roundTrips);
  const mean = rts.length ? rts.reduce((a, b) => a + b, 0) / rts.length : 0;
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  return {
    hosts,
    tool: r.tool,
    run,
    repeat,
    exitCode: r.exitCode,
    wallS: round(r.wallS, 3),
    cpuS: round(r.userS + r.sysS, 2),
    userS: round(r.userS, 2),
    sysS: round(r.sysS, 2),
    maxRssMB: round(r.maxRssMB, 1),
    peakTreeMB: round(r.peakTreeMB, 1),
    rtPerHost: round(mean, 2),
    rtMin: rts.length ? Math.min(...rts) : 0,
    rtMax: rts.length ? Math.max(...rts) : 0,
    rtPerHostPerTask: round(mean / tasks, 2),
    connPerHost: round(
      Object.values(r.connections).reduce((a, b) => a + b, 0) /
        Math.max(1, Object.keys(r.connections).length),
      2,
    ),
    changed: sum(r.changed),
    failed: sum(r.failed),
    masterCpuS: r.masterCpuS === undefined ? undefined : round(r.masterCpuS, 2),
    hostsCpuS: r.hostsCpuS === undefined ? undefined : round(r.hostsCpuS, 2),
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface Summary {
  hosts: number;
  tool: Tool;
  run: RunKind;
  repeats: number;
  wallS: number;
  cpuS: number;
  maxRssMB: number;
  peakTreeMB: number;
  rtPerHost: number;
  rtPerHostPerTask: number;
  connPerHost: number;
  /** CPU on the hosts during the run, when measured. */
  hostsCpuS?: number;
}

export interface Ratio {
  hosts: number;
  run: RunKind;
  /** ansible / lago, medians. */
  wall: number;
  cpu: number;
  memory: number;
  roundTrips: number;
  hostsCpu?: number;
}

export function summarize(rows: Row[]): { summaries: Summary[]; ratios: Ratio[] } {
  const summaries: Summary[] = [];
  const keys = [...new Set(rows.map((r) => `${r.hosts}|${r.tool}|${r.run}`))];
  for (const key of keys) {
    const group = rows.filter((r) => `${r.hosts}|${r.tool}|${r.run}` === key);
    const m = (f: (r: Row) => number, d = 2) => round(median(group.map(f)), d);
    summaries.push({
      hosts: group[0].hosts,
      tool: group[0].tool,
      run: group[0].run,
      repeats: group.length,
      wallS: m((r) => r.wallS, 3),
      cpuS: m((r) => r.cpuS),
      maxRssMB: m((r) => r.maxRssMB, 1),
      peakTreeMB: m((r) => r.peakTreeMB, 1),
      rtPerHost: m((r) => r.rtPerHost),
      rtPerHostPerTask: m((r) => r.rtPerHostPerTask),
      connPerHost: m((r) => r.connPerHost),
      hostsCpuS: group.every((r) => r.hostsCpuS !== undefined) ? m((r) => r.hostsCpuS!) : undefined,
    });
  }
  const ratios: Ratio[] = [];
  for (const s of summaries.filter((x) => x.tool === "lago")) {
    const a = summaries.find((x) => x.tool === "ansible" && x.hosts === s.hosts && x.run === s.run);
    if (!a) continue;
    ratios.push({
      hosts: s.hosts,
      run: s.run,
      wall: round(a.wallS / s.wallS, 1),
      cpu: round(a.cpuS / s.cpuS, 1),
      memory: round(a.peakTreeMB / s.peakTreeMB, 1),
      roundTrips: round(a.rtPerHost / s.rtPerHost, 1),
      hostsCpu: a.hostsCpuS !== undefined && s.hostsCpuS ? round(a.hostsCpuS / s.hostsCpuS, 1) : undefined,
    });
  }
  return { summaries, ratios };
}

export function table(summaries: Summary[], ratios: Ratio[], tasks: number): string {
  const cols: [string, number, (s: Summary) => string][] = [
    ["N", 3, (s) => String(s.hosts)],
    ["tool", 8, (s) => s.tool],
    ["run", 6, (s) => s.run],
    ["wall s", 8, (s) => s.wallS.toFixed(2)],
    ["CPU s", 7, (s) => s.cpuS.toFixed(2)],
    ["hosts CPU s", 12, (s) => s.hostsCpuS?.toFixed(1) ?? "-"],
    ["peak MB", 8, (s) => s.peakTreeMB.toFixed(0)],
    ["maxRSS MB", 10, (s) => s.maxRssMB.toFixed(0)],
    ["RT/host", 8, (s) => s.rtPerHost.toFixed(1)],
    [`RT/host/task`, 13, (s) => s.rtPerHostPerTask.toFixed(2)],
    ["conn/host", 10, (s) => s.connPerHost?.toFixed(1) ?? "-"],
    ["wall ansible/lago", 18, (s) => {
      const r = ratios.find((x) => x.hosts === s.hosts && x.run === s.run);
      return s.tool === "ansible" && r ? `${r.wall.toFixed(1)}x` : "";
    }],
  ];
  const line = (cells: string[]) =>
    cells.map((c, i) => i < 3 ? c.padEnd(cols[i][1]) : c.padStart(cols[i][1])).join(" ");
  const head = line(cols.map((c) => c[0]));
  const rows = [...summaries].sort((a, b) =>
    a.hosts - b.hosts || a.run.localeCompare(b.run) || b.tool.localeCompare(a.tool)
  );
  const lines = [head, "-".repeat(head.length), ...rows.map((s) => line(cols.map((c) => c[2](s))))];
  lines.push(
    "",
    `(${tasks} tasks; CPU = controller user+sys; hosts CPU = all bench containers; peak MB = summed PSS; RT = SSH round trips;\n conn = SSH connections, i.e. handshakes)`,
    "",
    "ratios ansible/lago (medians):",
  );
  for (const r of ratios) {
    lines.push(
      `  N=${r.hosts} ${r.run.padEnd(5)}: wall ${r.wall}x, controller CPU ${r.cpu}x, hosts CPU ${
        r.hostsCpu ?? "-"
      }x, ` +
        `memory ${r.memory}x, round trips ${r.roundTrips}x`,
    );
  }
  return lines.join("\n");
}

/**
 * A PNG with gnuplot (3x2 panels): wall time, the ansible/lago wall ratio, controller CPU, hosts CPU,
 * peak memory and round trips per host per task, as bars per host count.
 */
export async function chart(
  summaries: Summary[],
  ratios: Ratio[],
  pngPath: string,
  title: string,
): Promise<void> {
  const ns = [...new Set(summaries.map((s) => s.hosts))].sort((a, b) => a - b);
  const all = [
    ["lago", "first"],
    ["ansible", "first"],
    ["lago", "noop"],
    ["ansible", "noop"],
  ] as const;
  const colors: Record<string, string> = {
    "lago first": "#1f6feb",
    "ansible first": "#d1242f",
    "lago noop": "#79b8ff",
    "ansible noop": "#ff9492",
  };
  const series = all.filter(([t, r]) => summaries.some((s) => s.tool === t && s.run === r));
  const cell = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "NaN" : String(v));
  const get = (n: number, tool: Tool, run: RunKind, f: (s: Summary) => number | undefined) =>
    cell(((s) => s && f(s))(summaries.find((x) => x.hosts === n && x.tool === tool && x.run === run)));
  const block = (name: string, rows: string[]) => `$${name} << EOD\n${rows.join("\n")}\nEOD`;
  const values = (f: (s: Summary) => number | undefined) =>
    summaries.map(f).filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
  // Log axes from a power of ten below the smallest bar, so that no bar is cut off.
  const range = (f: (s: Summary) => number | undefined, log: boolean) => {
    const v = values(f);
    if (!v.length) return log ? "set logscale y; set yrange [*:*]" : "unset logscale y; set yrange [0:*]";
    if (!log) return `unset logscale y; set yrange [0:${Math.max(...v) * 1.15}]`;
    const lo = 10 ** Math.floor(Math.log10(Math.min(...v)));
    return `set logscale y; set yrange [${lo}:${10 ** Math.ceil(Math.log10(Math.max(...v) * 1.5))}]`;
  };
  const panel = (name: string, label: string, f: (s: Summary) => number | undefined, log: boolean) => [
    block(name, ns.map((n) => [`"N=${n}"`, ...series.map(([t, r]) => get(n, t, r, f))].join(" "))),
    `set title "${label}${log ? " (log scale)" : ""}"`,
    range(f, log),
    `plot ${
      series.map(([t, r], i) =>
        `$${name} using ${i + 2}:xtic(1) title "${t} ${r === "noop" ? "no-op re-run" : "first run"}" ` +
        `lc rgb "${colors[`${t} ${r}`]}"`
      ).join(", ")
    }`,
  ];
  const ratioPanel = ratios.length === 0 ? ["set multiplot next"] : [
    block(
      "ratio",
      ns.map((n) =>
        [
          `"N=${n}"`,
          ...(["first", "noop"] as const).map((run) =>
            cell(ratios.find((r) => r.hosts === n && r.run === run)?.wall)
          ),
        ].join(" ")
      ),
    ),
    `set title "wall time ratio ansible / lago (higher: lago faster)"`,
    `unset logscale y; set yrange [0:${Math.max(1, ...ratios.map((r) => r.wall)) * 1.2}]`,
    `plot $ratio using 2:xtic(1) title "first run" lc rgb "#8250df", ` +
    `$ratio using 3:xtic(1) title "no-op re-run" lc rgb "#c297ff", ` +
    `$ratio using ($0-0.15):2:(sprintf("%.1fx", $2)) with labels offset 0,0.8 notitle, ` +
    `$ratio using ($0+0.15):3:(sprintf("%.1fx", $3)) with labels offset 0,0.8 notitle`,
  ];
  const script = [
    `set terminal pngcairo size 1400,1400 font "DejaVu Sans,11"`,
    `set output "${pngPath}"`,
    `set multiplot layout 3,2 title "${title}" font ",13"`,
    "set style data histogram",
    "set style histogram clustered gap 1",
    "set style fill solid 0.9 border -1",
    "set boxwidth 0.9",
    "set grid ytics",
    "set key top left font ',9' samplen 1.5",
    ...panel("wall", "wall time (s)", (s) => s.wallS, true),
    ...ratioPanel,
    ...panel("cpu", "controller CPU, user+sys of all its processes (s)", (s) => s.cpuS, true),
    ...panel("hcpu", "CPU used on the hosts during the run (s)", (s) => s.hostsCpuS, true),
    ...panel("mem", "controller peak memory, summed PSS (MB)", (s) => s.peakTreeMB, false),
    ...panel("rt", "SSH round trips per host per task", (s) => s.rtPerHostPerTask, false),
    "unset multiplot",
  ].join("\n");
  const scriptPath = pngPath.replace(/\.png$/, ".gnuplot");
  writeFileSync(scriptPath, script + "\n");
  await $`gnuplot ${scriptPath}`.quiet();
}

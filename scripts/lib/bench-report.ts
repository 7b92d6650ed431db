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
  changed: number;
  failed: number;
  masterCpuS?: number;
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
    changed: sum(r.changed),
    failed: sum(r.failed),
    masterCpuS: r.masterCpuS === undefined ? undefined : round(r.masterCpuS, 2),
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
}

export interface Ratio {
  hosts: number;
  run: RunKind;
  /** ansible / lago, medians. */
  wall: number;
  cpu: number;
  memory: number;
  roundTrips: number;
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
    });
  }
  return { summaries, ratios };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

export function table(summaries: Summary[], ratios: Ratio[], tasks: number): string {
  const head = `${pad("N", 3)} ${"tool".padEnd(8)}${"run".padEnd(6)}${pad("wall s", 9)}${pad("CPU s", 9)}` +
    `${pad("peak MB", 9)}${pad("maxRSS MB", 10)}${pad("RT/host", 9)}${pad(`RT/host/task(${tasks})`, 19)}` +
    `${pad("ansible/lago wall", 19)}`;
  const lines = [head, "-".repeat(head.length)];
  for (const s of [...summaries].sort((a, b) => a.hosts - b.hosts || a.run.localeCompare(b.run))) {
    const ratio = ratios.find((r) => r.hosts === s.hosts && r.run === s.run);
    lines.push(
      `${pad(s.hosts, 3)} ${s.tool.padEnd(8)}${s.run.padEnd(6)}${pad(s.wallS.toFixed(2), 9)}` +
        `${pad(s.cpuS.toFixed(2), 9)}${pad(s.peakTreeMB.toFixed(0), 9)}${pad(s.maxRssMB.toFixed(0), 10)}` +
        `${pad(s.rtPerHost.toFixed(1), 9)}${pad(s.rtPerHostPerTask.toFixed(2), 19)}` +
        `${pad(s.tool === "ansible" && ratio ? `${ratio.wall.toFixed(1)}x` : "", 19)}`,
    );
  }
  lines.push("", "ratios ansible/lago (medians): N run: wall, CPU, peak memory, round trips");
  for (const r of ratios) {
    lines.push(
      `${pad(r.hosts, 3)} ${
        r.run.padEnd(6)
      } wall ${r.wall}x, CPU ${r.cpu}x, memory ${r.memory}x, round trips ${r.roundTrips}x`,
    );
  }
  return lines.join("\n");
}

/**
 * A 2x2 PNG with gnuplot: wall time, controller CPU, peak memory and round trips per host per task,
 * each as bars per host count for lago/ansible x first/no-op.
 */
export async function chart(summaries: Summary[], pngPath: string, title: string): Promise<void> {
  const ns = [...new Set(summaries.map((s) => s.hosts))].sort((a, b) => a - b);
  const series = [
    ["lago", "first"],
    ["ansible", "first"],
    ["lago", "noop"],
    ["ansible", "noop"],
  ] as const;
  const get = (n: number, tool: Tool, run: RunKind, f: (s: Summary) => number) => {
    const s = summaries.find((x) => x.hosts === n && x.tool === tool && x.run === run);
    return s ? String(f(s)) : "NaN";
  };
  const data = (f: (s: Summary) => number) =>
    ns.map((n) => [`"N=${n}"`, ...series.map(([t, r]) => get(n, t, r, f))].join(" ")).join("\n");
  const panels: [string, string, (s: Summary) => number, boolean][] = [
    ["wall", "wall time (s)", (s) => s.wallS, true],
    ["cpu", "controller CPU user+sys (s)", (s) => s.cpuS, true],
    ["mem", "controller peak memory, PSS of all processes (MB)", (s) => s.peakTreeMB, false],
    ["rt", "SSH round trips per host per task", (s) => s.rtPerHostPerTask, false],
  ];
  const colors = ["#1f6feb", "#d1242f", "#79b8ff", "#ff9492"];
  const script = [
    `set terminal pngcairo size 1400,1000 font "DejaVu Sans,11"`,
    `set output "${pngPath}"`,
    `set multiplot layout 2,2 title "${title}" font ",13"`,
    "set style data histogram",
    "set style histogram clustered gap 1",
    "set style fill solid 0.9 border -1",
    "set boxwidth 0.9",
    "set grid ytics",
    "set key top left",
    "set yrange [0:*]",
    ...panels.flatMap(([name, label, f, log]) => [
      `$${name} << EOD\n${data(f)}\nEOD`,
      `set title "${label}${log ? " (log scale)" : ""}"`,
      log ? "set logscale y; set yrange [*:*]" : "unset logscale y; set yrange [0:*]",
      `plot ${
        series.map(([t, r], i) =>
          `$${name} using ${i + 2}:xtic(1) title "${t} ${
            r === "noop" ? "no-op re-run" : "first run"
          }" lc rgb "${colors[i]}"`
        ).join(", ")
      }`,
    ]),
    "unset multiplot",
  ].join("\n");
  const scriptPath = pngPath.replace(/\.png$/, ".gnuplot");
  writeFileSync(scriptPath, script + "\n");
  await $`gnuplot ${scriptPath}`.quiet();
}

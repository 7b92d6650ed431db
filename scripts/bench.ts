/**
 * lago-provision vs ansible-core on the same hosts, the same work and the same forks (bench/README.md).
 *
 *   npm run build && npm run bench -- --hosts 1,10,50 --runs 1
 *   npx deno run -A scripts/bench.ts --hosts 3
 *
 * For each host count N: a separate testbed (lago-bench-1..N on 127.0.0.1:3001..), hosts prepared once
 * (local apt repository, python3-apt for Ansible), then per repeat and tool: reset the hosts, a first
 * run (measured), a no-op re-run (measured), and a check that both tools left the same result behind.
 * Prints a table and writes bench/results/bench-<date>.json and .png. Benchmarks are not tests: nothing
 * here asserts a time.
 */
import { cpus, totalmem } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { $ } from "zx";
import { convergeDigest, eachLimit, prepareHost, prepBundle, resetHost } from "./lib/bench-hosts.ts";
import { containersCpuSeconds } from "./lib/bench-measure.ts";
import { chart, type Row, rowOf, type RunKind, summarize, table } from "./lib/bench-report.ts";
import { AnsibleEnv, CONVERGE_TASKS, runLago, type Tool, type ToolRun, TOOLS } from "./lib/bench-tools.ts";
import { down, type Testbed, up } from "./lib/testbed-lib.ts";
import { repoRoot } from "./lib/testbed-paths.ts";

// A separate testbed, so the default one (lago-tb-*) and the e2e tests are left alone. The testbed
// library reads these at call time.
process.env.LAGO_TESTBED_PREFIX ??= "lago-bench-";
process.env.LAGO_TESTBED_PORT_BASE ??= "3000";

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    hosts: { type: "string", default: "1,10,50" },
    runs: { type: "string", default: "1" },
    forks: { type: "string" },
    tools: { type: "string", default: TOOLS.join(",") },
    "ansible-gather": { type: "string", default: "min" },
    out: { type: "string", default: join(repoRoot, "bench", "results") },
    keep: { type: "boolean", default: false },
    replot: { type: "string" },
    "lago-args": { type: "string", default: "" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (args.help) {
  process.stdout.write(`usage: bench [--hosts 1,10,50] [--runs 1] [--forks N] [--tools lago,ansible]
             [--ansible-gather min|all] [--out DIR] [--keep]
  --forks           hosts in parallel for both tools (default: N, every host at once)
  --ansible-gather  min: only the fact subsets the templates use (fair, default); all: Ansible's default
  --keep            leave the bench testbed running afterwards (default: remove its containers)
  --replot FILE     print the table and redraw the chart of an earlier bench-*.json, run nothing
  --lago-args=ARGS  extra arguments for lago-provision apply, e.g. --lago-args=--no-lock (space separated)
`);
  process.exit(0);
}

const stampOf = (date: Date) => date.toISOString().slice(0, 16).replace(/[T:]/g, "-");
const titleOf = (env: { cpus: number; date: string }, tasks: number) =>
  `lago-provision vs ansible-core 2.14 (pipelining, ControlPersist, forks = N), ${tasks} tasks, ` +
  `${env.cpus} cores, ${stampOf(new Date(env.date))}`;

if (args.replot) {
  const data = JSON.parse(readFileSync(args.replot, "utf8"));
  process.stdout.write(`${table(data.summaries, data.ratios, data.tasks)}\n`);
  await chart(
    data.summaries,
    data.ratios,
    args.replot.replace(/\.json$/, ".png"),
    titleOf(data.environment, data.tasks),
  );
  process.exit(0);
}

const hostCounts = args.hosts.split(",").map(Number);
const repeats = Number(args.runs);
const tools = args.tools.split(",") as Tool[];
const gather = args["ansible-gather"] as "min" | "all";
if (hostCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 50)) throw new Error("--hosts: 1..50 each");
if (!Number.isInteger(repeats) || repeats < 1) throw new Error("--runs: a positive whole number");
if (tools.some((t) => !TOOLS.includes(t))) throw new Error(`--tools: ${TOOLS.join(", ")}`);
if (gather !== "min" && gather !== "all") throw new Error("--ansible-gather: min or all");

const log = (msg: string) => void process.stderr.write(`[bench] ${msg}\n`);
const uptime = () => readFileSync("/proc/loadavg", "utf8").trim().split(" ").slice(0, 3).join(" ");

/** ansible-core and gnuplot from Debian, installed when missing (apt, the ordinary client). */
async function ensureTools(): Promise<void> {
  const missing = [];
  if ((await $`command -v ansible-playbook`.quiet().nothrow()).exitCode !== 0) missing.push("ansible-core");
  if ((await $`command -v gnuplot`.quiet().nothrow()).exitCode !== 0) missing.push("gnuplot-nox");
  if (missing.length === 0) return;
  log(`installing ${missing.join(", ")} with apt-get`);
  await $`apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends ${missing}`.quiet();
}

/**
 * Every host runs systemd, which takes about 7 inotify instances; the kernel's default of 128 per user
 * (all containers run as root) is used up after ~18 hosts, and systemd in further ones fails to boot.
 */
async function ensureInotify(hosts: number): Promise<void> {
  const path = "/proc/sys/fs/inotify/max_user_instances";
  const now = Number(readFileSync(path, "utf8"));
  const want = 1024;
  if (now >= want) return;
  log(`fs.inotify.max_user_instances is ${now}; raising it to ${want} for ${hosts} systemd hosts`);
  const r = await $`sysctl -w fs.inotify.max_user_instances=${want}`.quiet().nothrow();
  if (r.exitCode !== 0) log(`warning: could not raise it (${r.stderr.trim()}); hosts may fail to boot`);
}

async function version(cmd: string[]): Promise<string> {
  const r = await $`${cmd}`.quiet().nothrow();
  return (r.stdout || r.stderr).split("\n")[0].trim();
}

async function runTool(
  tool: Tool,
  tb: Testbed,
  forks: number,
  ansible: AnsibleEnv,
  containers: string[],
): Promise<ToolRun> {
  const before = containersCpuSeconds(containers);
  const r = tool === "lago"
    ? await runLago({
      testbed: tb,
      forks,
      ansibleGather: gather,
      lagoArgs: args["lago-args"].split(" ").filter(Boolean),
    })
    : await ansible.run();
  const after = containersCpuSeconds(containers);
  return { ...r, hostsCpuS: before === undefined || after === undefined ? undefined : after - before };
}

const rows: Row[] = [];
const notes: string[] = [];
const digests: Record<string, Record<string, string>> = {};
const started = new Date();
const loadBefore = uptime();

await ensureTools();
const environment = {
  date: started.toISOString(),
  cpus: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  loadBefore,
  node: process.version,
  ansible: await version(["ansible-playbook", "--version"]),
  lagoCommit: (await $`git -C ${repoRoot} rev-parse --short HEAD`.quiet().nothrow()).stdout.trim(),
  ansibleGather: gather,
  lagoArgs: args["lago-args"],
  tools,
};
log(`load before: ${loadBefore}; ${environment.ansible}; lago ${environment.lagoCommit}`);

const bundles = new Map<string, Awaited<ReturnType<typeof prepBundle>>>();
for (const codename of ["bookworm", "trixie"] as const) bundles.set(codename, await prepBundle(codename));

for (const n of hostCounts) {
  const forks = args.forks ? Number(args.forks) : n;
  await ensureInotify(n);
  log(`N=${n}: starting ${n} hosts`);
  const t0 = performance.now();
  const tb = await up(n);
  log(`N=${n}: hosts up in ${((performance.now() - t0) / 1000).toFixed(1)} s; preparing`);
  await eachLimit(tb.hosts, 10, async (h) => void await prepareHost(h, bundles.get(h.codename)!));
  const ansible = new AnsibleEnv({ testbed: tb, forks, ansibleGather: gather });
  const containers = (await $`docker inspect -f {{.Id}} ${tb.hosts.map((h) => h.name)}`.quiet()).stdout
    .trim().split("\n");
  try {
    for (let rep = 1; rep <= repeats; rep++) {
      // Alternate which tool goes first, so neither always meets a warmer machine.
      const order = rep % 2 === 1 ? tools : [...tools].reverse();
      for (const tool of order) {
        await eachLimit(tb.hosts, 10, resetHost);
        for (const run of ["first", "noop"] as RunKind[]) {
          const r = await runTool(tool, tb, forks, ansible, containers);
          const row = rowOf(r, n, run, rep, CONVERGE_TASKS);
          rows.push(row);
          log(
            `N=${n} ${tool} ${run} #${rep}: ${row.wallS.toFixed(2)} s wall, ${row.cpuS.toFixed(2)} s CPU, ` +
              `${row.peakTreeMB.toFixed(0)} MB, ${row.rtPerHost} round trips/host, hosts CPU ${
                row.hostsCpuS ?? "?"
              } s, ` +
              `changed ${row.changed}, ` +
              `failed ${row.failed}, exit ${row.exitCode}`,
          );
          if (row.failed > 0 || row.exitCode !== 0) {
            notes.push(`N=${n} ${tool} ${run} #${rep}: exit ${row.exitCode}, ${row.failed} failed`);
            log((r.stdout + r.stderr).trim().split("\n").slice(-30).join("\n"));
          }
          if (run === "noop" && row.changed > 0) {
            notes.push(`N=${n} ${tool} no-op #${rep}: ${row.changed} tasks reported changed`);
          }
        }
        // What the converge left behind, on the first host of each release, for the equivalence check.
        for (const h of tb.hosts.slice(0, 2)) {
          (digests[h.name] ??= {})[tool] = await convergeDigest(h);
        }
      }
      for (const [host, byTool] of Object.entries(digests)) {
        const values = Object.values(byTool);
        if (values.length > 1 && values.some((v) => v !== values[0])) {
          notes.push(
            `N=${n} #${rep}: ${host}: the tools left different results:\n` +
              Object.entries(byTool).map(([t, d]) => `--- ${t}\n${d}`).join(""),
          );
        }
      }
    }
  } finally {
    await ansible.close();
  }
}

const loadAfter = uptime();
const { summaries, ratios } = summarize(rows);
const text = table(summaries, ratios, CONVERGE_TASKS);
process.stdout.write(`\n${text}\n\nload average before: ${loadBefore}; after: ${loadAfter}\n`);
for (const note of notes) process.stdout.write(`note: ${note}\n`);

mkdirSync(args.out, { recursive: true });
const stamp = stampOf(started);
const base = join(args.out, `bench-${stamp}`);
writeFileSync(
  `${base}.json`,
  JSON.stringify(
    {
      environment: { ...environment, loadAfter },
      tasks: CONVERGE_TASKS,
      summaries,
      ratios,
      rows,
      notes,
      digests,
    },
    null,
    2,
  ) + "\n",
);
await chart(summaries, ratios, `${base}.png`, titleOf(environment, CONVERGE_TASKS));
process.stdout.write(`wrote ${base}.json and ${base}.png\n`);

if (!args.keep) {
  log(`removing the bench testbed: ${(await down()).length} containers`);
}

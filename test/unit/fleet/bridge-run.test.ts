/**
 * Bridge tasks: when a step is done, waits or failed (data tables), what is reported as pending, and
 * the task's sequence against fake host operations. The real ones run end to end in
 * test/e2e/bridges.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  judgeStep,
  parseCounts,
  pendingFromOutput,
  pollDelay,
  runBridgeTask,
  type StepState,
  type TaskIo,
  type Verdict,
} from "../../../src/fleet/bridge-run.ts";
import { bridgeOf, type BridgeStep } from "../../../src/fleet/bridges.ts";

const FILL_OUTPUT = `##################################
Starting filling organization_id

#### Checking for resource to fill ####
"- Checking Charge: 🔎"
"  -> 3 records to fill 🧮"

#### Checking status ####
"- Checking Charge: 🔎"
"  -> 2 remaining 🧮"
"- Checking Wallet: 🔎"
"  -> 7 remaining 🧮"

#### Checking status ####
"- Checking Charge: 🔎"
"  -> 1 remaining 🧮"
"- Checking Wallet: 🔎"
"  -> Done ✅"
`;

const fill = bridgeOf("v1.30.0")!.steps[0];
const codes = bridgeOf("v1.42.0")!.steps[0];
const wallets = bridgeOf("v1.45.0")!.steps[1];
const fees = bridgeOf("v1.25.0")!.steps[0];
const running: StepState = { running: true, exitCode: null, output: FILL_OUTPUT };
const ended = (exitCode: number, output = ""): StepState => ({ running: false, exitCode, output });

describe("judgeStep", () => {
  const cases: [string, BridgeStep, StepState, number[], boolean, Verdict["kind"], string?][] = [
    ["a task that ends by itself, still running", fill, running, [], false, "wait"],
    ["… ended well", fill, ended(0), [], false, "done"],
    [
      "… failed",
      fill,
      ended(1, "rake aborted!\nPG::UndefinedTable"),
      [],
      false,
      "failed",
      "exited 1:\n    rake aborted!\n    PG::UndefinedTable",
    ],
    [
      "… still running at the deadline: what its output says is left",
      fill,
      running,
      [],
      true,
      "failed",
      "`bundle exec rails migrations:fill_organization_id` still runs; still pending:\n    Charge: 1",
    ],
    ["ended, its jobs still at work", fees, ended(0), [2], false, "wait"],
    ["ended, its jobs done", fees, ended(0), [0], false, "done"],
    [
      "ended, rows left at the deadline",
      fees,
      ended(0),
      [2],
      true,
      "failed",
      "ended but its jobs are not done; still pending:\n    fees of an invoice without organization_id: 2",
    ],
    // v1.45.0's backfill works in its own process: what it leaves at its end is not waited for.
    ["a task that does its own work, still running", wallets, { ...running, output: "" }, [2], false, "wait"],
    ["… ended with every row done", wallets, ended(0), [0], false, "done"],
    [
      "… ended with rows left: failed at once, before the deadline",
      wallets,
      ended(0),
      [2],
      false,
      "failed",
      "ended, leaving rows it could not handle; still pending:\n    active wallets not traceable (fix or terminate them: see the guide's troubleshooting): 2",
    ],
    // v1.42.0: the task may never end; its checks decide.
    ["never-ending task, rows left", codes, { ...running, output: "" }, [4, 0], false, "wait"],
    [
      "never-ending task, no row left: done while it runs",
      codes,
      { ...running, output: "" },
      [0, 0],
      false,
      "done",
    ],
    [
      "never-ending task that failed",
      codes,
      ended(1, "boom"),
      [4, 0],
      false,
      "failed",
      "exited 1:\n    boom",
    ],
    [
      "never-ending task at the deadline",
      codes,
      { ...running, output: "" },
      [0, 5],
      true,
      "failed",
      "still runs; still pending:\n    fixed charges without code: 5",
    ],
  ];
  it.each(cases)("%s", (_name, step, state, counts, timedOut, kind, problem) => {
    const v = judgeStep(step, state, counts, timedOut);
    expect(v.kind).toBe(kind);
    if (problem) expect(v.kind === "failed" && v.problem).toContain(problem);
  });
});

describe("pendingFromOutput", () => {
  const cases: [string, string, string[]][] = [
    ["the last status block", FILL_OUTPUT, ["Charge: 1"]],
    ["before any status: what is to fill", FILL_OUTPUT.split("\n\n#### Checking status")[0], ["Charge: 3"]],
    ["nothing to do", '"- Checking Charge: 🔎"\n"  -> Nothing to do ✅"\n', []],
    ["no output", "", []],
  ];
  it.each(cases)("%s", (_n, output, pending) => {
    expect(pendingFromOutput(output)).toEqual(pending);
  });
});

describe("parseCounts", () => {
  const cases: [string, number, number[] | { error: string }][] = [
    ["0\n12\n", 2, [0, 12]],
    ["3\n", 2, { error: "unexpected output of the count queries: 3" }],
    ['ERROR:  relation "fixed_charges" does not exist\n', 1, {
      error: 'unexpected output of the count queries: ERROR:  relation "fixed_charges" does not exist',
    }],
  ];
  it.each(cases)("%j", (stdout, n, expected) => {
    expect(parseCounts(stdout, n)).toEqual(expected);
  });
});

/** A host where each step's container runs `polls` looks, then ends with `exitCode`; counts fall to 0. */
class FakeHost implements TaskIo {
  log: string[] = [];
  clock = 0;
  private looks = new Map<string, number>();
  constructor(private o: { polls: number; exitCode?: number; countsFrom?: number; never?: boolean }) {}
  start(version: string, step: BridgeStep) {
    const id = `c${this.log.filter((l) => l.startsWith("start")).length + 1}`;
    this.log.push(`start ${version} ${step.command.at(-1)}${step.env ? ` ${JSON.stringify(step.env)}` : ""}`);
    return Promise.resolve(id);
  }
  state(id: string) {
    const n = (this.looks.get(id) ?? 0) + 1;
    this.looks.set(id, n);
    const over = !this.o.never && n > this.o.polls;
    return Promise.resolve({ running: !over, exitCode: over ? this.o.exitCode ?? 0 : null, output: "" });
  }
  counts(_v: string, sql: string[]) {
    const left = Math.max(0, Math.ceil((this.o.countsFrom ?? 0) - this.clock / 5000));
    return Promise.resolve(sql.map(() => left));
  }
  remove(id: string) {
    this.log.push(`remove ${id}`);
    return Promise.resolve();
  }
  say() {}
  now() {
    return this.clock;
  }
  sleep(ms: number) {
    this.clock += ms;
    return Promise.resolve();
  }
}

describe("pollDelay", () => {
  it("waits 1, 2, 4 s, then every pollMs", () => {
    expect([0, 1, 2, 3, 4, 10].map((look) => pollDelay(look, 5000))).toEqual([
      1000,
      2000,
      4000,
      5000,
      5000,
      5000,
    ]);
    expect([0, 1].map((look) => pollDelay(look, 1500))).toEqual([1000, 1500]);
  });
});

describe("runBridgeTask", () => {
  it("runs the steps in order, each removed after it is done", async () => {
    const host = new FakeHost({ polls: 1 });
    expect(await runBridgeTask(host, bridgeOf("v1.45.0")!, 60)).toBeUndefined();
    expect(host.log).toEqual([
      "start v1.45.0 migrations:wallet_traceability",
      "remove c1",
      'start v1.45.0 migrations:wallet_traceability {"DRY_RUN":"false"}',
      "remove c2",
    ]);
  });
  it("a step that fails stops the task there, its container removed", async () => {
    const host = new FakeHost({ polls: 0, exitCode: 1 });
    const problem = await runBridgeTask(host, bridgeOf("v1.50.0")!, 60);
    expect(problem).toContain(
      "v1.50.0 task 1/4: bundle exec rails migrations:backfill_stripe_payment_methods: `",
    );
    expect(problem).toContain("guide: https://getlago.com/docs/guide/migration/migration-to-v1.50.0");
    expect(host.log).toEqual(["start v1.50.0 migrations:backfill_stripe_payment_methods", "remove c1"]);
  });
  it("the v1.42.0 task is stopped once its rows are filled", async () => {
    const host = new FakeHost({ polls: 0, never: true, countsFrom: 3 });
    expect(await runBridgeTask(host, bridgeOf("v1.42.0")!, 60)).toBeUndefined();
    // Looks at 0, 1, 3, 7, 12 and 17 s: the counts reach 0 at 15 s.
    expect(host.clock).toBe(17_000);
    expect(host.log).toEqual(["start v1.42.0 upgrade:perform_required_jobs", "remove c1"]);
  });
  it("the timeout covers the whole task and says what is pending", async () => {
    const host = new FakeHost({ polls: 0, never: true, countsFrom: 100 });
    const problem = await runBridgeTask(host, bridgeOf("v1.42.0")!, 20);
    expect(problem).toContain(
      "still pending:\n    charges without code: 96\n    fixed charges without code: 96",
    );
    expect(problem).toContain("(after 20s at most;");
    expect(host.log.at(-1)).toBe("remove c1");
  });
});

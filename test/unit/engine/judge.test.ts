/**
 * The engine alone decides what a plan means in each mode (src/engine/task.ts). One plan, the same in
 * both modes: on apply, resting on something missing fails with what to do (unless the plan's own
 * steps settle it); in a dry run, it is a known change when an earlier task creates the path, unknown
 * when earlier tasks change the host otherwise, a predicted failure when nothing would. A plan that
 * reads a file an earlier task would change is known only after apply.
 */
import { describe, expect, it } from "vitest";
import { type HostRun, newHostRun } from "../../../src/engine/host-run.ts";
import { judgeCheckPlan, refuseMissing } from "../../../src/engine/task.ts";
import type { Task } from "../../../src/config/model.ts";
import type { Plan } from "../../../src/modules/types.ts";

const task = (name: string): Task => ({
  name,
  module: "x",
  args: {},
  keywords: {},
  source: { file: "p.yml", line: 1, col: 1 },
});

const host = (): HostRun => newHostRun("h", false, "root", {});

const missingDir: Plan = {
  changed: true,
  reason: "would create /etc/app/app.conf",
  steps: [],
  assumes: {
    what: "/etc/app does not exist",
    path: "/etc/app",
    error: "no /etc/app",
    hint: "create it first",
  },
};

const writesFile = (path: string): Plan => ({
  changed: true,
  reason: `would change ${path}`,
  steps: [],
  diffs: [{ target: path, before: "a\n", after: "b\n" }],
});

describe("a plan resting on something missing", () => {
  it("apply: fails with the error and the hint", () => {
    expect(() => refuseMissing(missingDir)).toThrow(expect.objectContaining({ hint: "create it first" }));
  });

  it("apply: runs when the plan's own steps may provide it", () => {
    expect(() => refuseMissing({ ...missingDir, assumes: { ...missingDir.assumes!, stepsProvide: true } }))
      .not.toThrow();
  });

  it("check: a predicted failure when no earlier task changes anything", () => {
    const out = judgeCheckPlan(task("t"), host(), structuredClone(missingDir), undefined);
    expect(out).toMatchObject({ status: "failed", msg: "would fail: no /etc/app (create it first)" });
  });

  it("check: a known change when an earlier task creates the path", () => {
    const h = host();
    judgeCheckPlan(
      task("mkdir"),
      h,
      { changed: true, reason: "", steps: [], creates: ["/etc/app"] },
      undefined,
    );
    const plan = structuredClone(missingDir);
    expect(judgeCheckPlan(task("t"), h, plan, undefined)).toBeNull();
    expect(plan.reason).toContain("('mkdir' creates /etc/app)");
  });

  it("check: unknown until apply when earlier tasks change the host some other way", () => {
    const h = host();
    judgeCheckPlan(task("apt"), h, { changed: true, reason: "", steps: [] }, undefined);
    expect(judgeCheckPlan(task("t"), h, structuredClone(missingDir), undefined)?.unknown)
      .toMatch(/depends on earlier changes \('apt'\)/);
  });
});

describe("a plan that reads host files", () => {
  const reader: Plan = { changed: false, reason: "up to date", steps: [], reads: ["/opt/lago/compose.yml"] };

  it("check: known only after apply when an earlier task would change one of them", () => {
    const h = host();
    judgeCheckPlan(task("compose file"), h, writesFile("/opt/lago/compose.yml"), undefined);
    expect(judgeCheckPlan(task("up"), h, reader, undefined)).toMatchObject({
      status: "ok",
      unknown: "reads /opt/lago/compose.yml, which 'compose file' would change first: known after apply",
    });
  });

  it("check: judged as planned when earlier tasks leave them alone", () => {
    const h = host();
    judgeCheckPlan(task("other"), h, writesFile("/etc/other.conf"), undefined);
    expect(judgeCheckPlan(task("up"), h, reader, undefined)).toBeNull();
  });
});

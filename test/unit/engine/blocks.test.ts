/**
 * block / rescue / always: the steps rebuilt from each task's blocks (a data table), and whole plays on
 * local hosts: a failure on one host rescued there only, always everywhere, the run's exit code, check
 * mode, tags, and what a block cannot have. The results Ansible gives for the same playbooks are
 * compared in test/unit/ansible/playbooks.test.ts.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { BlockFrame, Task } from "../../../src/config/model.ts";
import { type Step, taskSteps } from "../../../src/engine/blocks.ts";
import { localPlay } from "./local-play.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

const task = (name: string, ...blocks: [number, BlockFrame["section"]][]): Task => ({
  name,
  module: "debug",
  args: {},
  keywords: {},
  source: { file: "play.yml", line: 1, col: 1 },
  blocks: blocks.length ? blocks.map(([id, section]) => ({ id, section })) : undefined,
});

/** Steps as text: a task by name, a block as {body | rescue | always}. */
const show = (steps: Step[]): string =>
  steps.map((s) =>
    "task" in s ? s.task.name : `{${show(s.block.body)} | ${show(s.block.rescue)} | ${show(s.block.always)}}`
  ).join(" ");

describe("taskSteps", () => {
  const cases: [string, Task[], string][] = [
    ["no blocks", [task("a"), task("b")], "a b"],
    ["a block with its three lists", [
      task("a"),
      task("b", [0, "block"]),
      task("r", [0, "rescue"]),
      task("w", [0, "always"]),
      task("c"),
    ], "a {b | r | w} c"],
    [
      "two blocks side by side",
      [task("b1", [0, "block"]), task("b2", [1, "always"])],
      "{b1 |  | } { |  | b2}",
    ],
    ["a block inside a rescue", [
      task("b", [0, "block"]),
      task("r1", [0, "rescue"], [1, "block"]),
      task("r2", [0, "rescue"], [1, "always"]),
      task("r3", [0, "rescue"]),
    ], "{b | {r1 |  | r2} r3 | }"],
  ];
  for (const [name, tasks, expected] of cases) {
    it(name, () => expect(show(taskSteps(tasks))).toBe(expected));
  }
});

describe("block, rescue and always on hosts", () => {
  const play = localPlay(["a", "b"]);
  const pairs = (r: { results: Record<string, string>[] }) =>
    r.results.map((x) => `${x.task}@${x.host}=${x.status}`);
  const recap = (r: { events: Record<string, unknown>[] }) =>
    (r.events.find((e) => e.type === "recap") as { hosts: Record<string, Record<string, number>> }).hosts;

  it("rescues the host that failed, runs always on both, and the run succeeds", async () => {
    const r = await play.run(`- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: fails on b
          command: test {{ inventory_hostname }} = a
        - name: rest
          debug: { msg: rest }
      rescue:
        - name: rescue
          debug: { msg: "{{ ansible_failed_task.name }} failed: rc {{ ansible_failed_result.rc }}" }
      always:
        - name: always
          debug: { msg: always }
    - name: after
      debug: { msg: after }
`);
    expect(pairs(r)).toEqual([
      "fails on b@a=changed",
      "fails on b@b=failed",
      "rest@a=ok",
      "rescue@b=ok",
      "always@a=ok",
      "always@b=ok",
      "after@a=ok",
      "after@b=ok",
    ]);
    expect(r.results.find((x) => x.task === "rescue")!.reason).toBe("fails on b failed: rc 1");
    expect(r.code).toBe(0);
    expect(recap(r).b).toMatchObject({ failed: 0, rescued: 1 });
    expect(recap(r).a).toMatchObject({ failed: 0, rescued: 0 });
  });

  it("a failing rescue fails the host after always; the other goes on", async () => {
    const r = await play.run(`- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: fails on b
          command: test {{ inventory_hostname }} = a
      rescue:
        - name: rescue fails
          command: /bin/false
      always:
        - name: always
          debug: { msg: always }
    - name: after
      debug: { msg: after }
`);
    expect(pairs(r)).toEqual([
      "fails on b@a=changed",
      "fails on b@b=failed",
      "rescue fails@b=failed",
      "always@a=ok",
      "always@b=ok",
      "after@a=ok",
    ]);
    expect(r.code).not.toBe(0);
    expect(recap(r).b).toMatchObject({ failed: 1, rescued: 1 });
  });

  it("check mode: a task that would fail is rescued, and the rescue only reports", async () => {
    const dir = play.dir();
    const r = await play.run(
      `- hosts: a
  gather_facts: false
  tasks:
    - block:
        - name: check fails
          assert: { that: [ "1 == 2" ] }
      rescue:
        - name: would write
          copy: { dest: "${dir}/written", content: "x" }
`,
      "--check",
    );
    expect(pairs(r)).toEqual(["check fails@a=failed", "would write@a=changed"]);
    expect(existsSync(join(dir, "written"))).toBe(false);
    expect(r.code).toBe(0);
  });

  it("a block's tags select its tasks", async () => {
    const r = await play.run(
      `- hosts: a
  gather_facts: false
  tasks:
    - block:
        - name: tagged by its block
          debug: { msg: web }
      tags: [web]
    - name: untagged
      debug: { msg: other }
`,
      "--tags",
      "web",
    );
    expect(pairs(r)).toEqual(["tagged by its block@a=ok"]);
  });

  const refused: [string, string, RegExp][] = [
    [
      "a block with a module",
      "- block: [ { debug: { msg: x } } ]\n  debug: { msg: y }\n",
      /play\.yml:\d+:\d+ tasks\/0: is a block and has 'debug': move it into the block's list of tasks/,
    ],
    [
      "rescue without block",
      "- rescue: [ { debug: { msg: x } } ]\n",
      /play\.yml:\d+:\d+ tasks\/0: has 'rescue' but no 'block': put the tasks they follow in block:/,
    ],
    [
      "a module misspelled inside a block",
      "- block:\n    - debugg: { msg: x }\n",
      /play\.yml:\d+:\d+ tasks\/0\/block\/0: unknown module 'debugg' — did you mean 'debug'\?/,
    ],
  ];
  for (const [name, tasks, message] of refused) {
    it(`refuses ${name} at load`, async () => {
      const text = `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.replace(/^/gm, "    ")}`;
      await expect(play.run(text)).rejects.toThrow(message);
    });
  }

  it("refuses a block in handlers, with what to do instead", async () => {
    const run = play.run(`- hosts: all
  gather_facts: false
  tasks: []
  handlers:
    - name: h
      block: [ { debug: { msg: x } } ]
`);
    await expect(run).rejects.toThrow(/handlers\/0\/block: not supported in handlers/);
  });
});

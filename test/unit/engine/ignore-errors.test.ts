/**
 * `ignore_errors: true` lets every failure of a task pass, as Ansible does (checked against
 * ansible-core 2.x): a failing command, an `assert` that does not hold, a module that refuses, and
 * a task that cannot run because its `when`, `loop`, arguments or `failed_when` fail to render or
 * its arguments are invalid after templating. Without it, each of them stops the host. The failure
 * is registered (`failed: true`, `msg`), reported as failed and ignored, and counted as ok.
 */
import { describe, expect, it, vi } from "vitest";
import { localPlay } from "./local-play.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

/** One failing task each (`TASK` is replaced by the task's keywords and module). */
const failures: { name: string; task: string; msg: RegExp }[] = [
  { name: "a failing command", task: `command: "false"`, msg: /non-zero exit code 1/ },
  {
    name: "an assert that does not hold",
    task: `assert: { that: "1 == 2" }`,
    msg: /assertion failed: 1 == 2/,
  },
  {
    name: "an assert with its fail_msg",
    task: `assert: { that: [ "true", "1 == 2" ], fail_msg: "not today" }`,
    msg: /not today \(failed: 1 == 2\)/,
  },
  { name: "an argument that fails to render", task: `debug: { msg: "{{ nope }}" }`, msg: /nope/ },
  { name: "a when that fails to evaluate", task: `debug: { msg: hi }\n      when: nope == 1`, msg: /nope/ },
  {
    name: "a loop that fails to render",
    task: `debug: { msg: "{{ item }}" }\n      loop: "{{ nope }}"`,
    msg: /nope/,
  },
  {
    name: "a failed_when that fails to evaluate",
    task: `command: "true"\n      failed_when: nope == 1`,
    msg: /nope/,
  },
  {
    name: "an argument invalid after templating",
    task: `file: { path: /tmp/never, state: "{{ wanted }}" }\n      vars: { wanted: bogus }`,
    msg: /file\/state: .*\(after templating\)/,
  },
];

const play = (task: string, ignore: boolean) =>
  `- hosts: all
  tasks:
    - name: fails
      ${task}
      register: outcome${ignore ? "\n      ignore_errors: true" : ""}
    - name: after
      debug: { msg: "after: failed={{ outcome.failed }}" }
`;

describe("ignore_errors", () => {
  const local = localPlay();

  it.each(failures)("ignores $name: the host goes on, the failure is registered", async ({ task, msg }) => {
    const r = await local.run(play(task, true));
    expect(r.code).toBe(0);
    const [failed, after] = r.results;
    expect(failed).toMatchObject({ task: "fails", status: "failed", ignored: true });
    expect(failed.msg).toMatch(msg);
    expect(after).toMatchObject({ task: "after", status: "ok", reason: "after: failed=true" });
  });

  it.each(failures)("without it, $name stops the host", async ({ task, msg }) => {
    const r = await local.run(play(task, false));
    expect(r.code).toBe(1);
    expect(r.results.map((x) => [x.task, x.status])).toEqual([["fails", "failed"]]);
    expect(r.results[0].msg).toMatch(msg);
    expect(r.results[0].ignored).toBeUndefined();
  });

  it("failed_when: false clears a module's failure (assert), not a task that could not render", async () => {
    const r = await local.run(`- hosts: all
  tasks:
    - name: assert judged by failed_when
      assert: { that: "1 == 2" }
      failed_when: false
    - name: cannot render
      debug: { msg: "{{ nope }}" }
      failed_when: false
`);
    expect(r.code).toBe(1);
    expect(r.results.map((x) => [x.task, x.status])).toEqual([
      ["assert judged by failed_when", "ok"],
      ["cannot render", "failed"],
    ]);
  });

  it("a loop goes on past an ignored item; the task registers every item", async () => {
    const r = await local.run(`- hosts: all
  tasks:
    - name: items
      assert: { that: "item != 2" }
      loop: [1, 2, 3]
      register: each
      ignore_errors: true
    - name: after
      debug: { msg: "{{ each.results.length }} results, failed={{ each.failed }}" }
`);
    expect(r.code, JSON.stringify(r.results)).toBe(0);
    expect(r.results.filter((x) => x.task === "items").map((x) => [x.item, x.status, x.ignored])).toEqual([
      [1, "ok", undefined],
      [2, "failed", true],
      [3, "ok", undefined],
    ]);
    expect(r.results.at(-1)!.reason).toBe("3 results, failed=false");
  });
});

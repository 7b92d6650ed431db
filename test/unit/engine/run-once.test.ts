/**
 * `run_once` on three local hosts: the task runs on the first host only, and its result stands for
 * every host of the batch (registered, reported, counted); when it fails, every host fails.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { localPlay } from "./local-play.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

describe("run_once", () => {
  const play = localPlay(["a", "b", "c"]);

  it("runs on the first host; every host registers its result", async () => {
    const dir = play.dir();
    const r = await play.run(`- hosts: all
  tasks:
    - name: once
      shell: echo ran >> ${dir}/runs; echo from-a
      register: once_out
      changed_when: false
      run_once: true
    - name: everyone sees it
      debug: { msg: "{{ once_out.stdout }}" }
`);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "runs"), "utf8")).toBe("ran\n");
    const once = r.results.filter((x) => x.task === "once");
    expect(once.map((x) => [x.host, x.status])).toEqual([["a", "ok"], ["b", "ok"], ["c", "ok"]]);
    expect(once.slice(1).every((x) => /\(ran once on a\)$/.test(x.reason))).toBe(true);
    const seen = r.results.filter((x) => x.task === "everyone sees it").map((x) => [x.host, x.reason]);
    expect(seen).toEqual([["a", "from-a"], ["b", "from-a"], ["c", "from-a"]]);
  });

  it("an import's run_once applies to each imported task", async () => {
    const dir = play.dir();
    writeFileSync(join(dir, "once.yml"), `- shell: echo ran >> ${dir}/runs\n`);
    const r = await play.run(`- hosts: all
  tasks:
    - import_tasks: once.yml
      run_once: true
`);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "runs"), "utf8")).toBe("ran\n");
  });

  it("a failure fails every host of the batch", async () => {
    const dir = play.dir();
    const r = await play.run(`- hosts: all
  tasks:
    - name: once and fails
      command: "false"
      run_once: true
    - name: never reached
      copy: { dest: "${dir}/reached-{{ inventory_hostname }}", content: "x" }
`);
    expect(r.code).toBe(1);
    expect(r.results.map((x) => [x.host, x.status])).toEqual([["a", "failed"], ["b", "failed"], [
      "c",
      "failed",
    ]]);
    expect(["a", "b", "c"].some((h) => existsSync(join(dir, `reached-${h}`)))).toBe(false);
  });
});

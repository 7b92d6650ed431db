/**
 * `check_mode` on a task, on a local host: false runs a read-only command under --check so the tasks
 * that use its output are predicted exactly; true keeps a task from changing anything even in apply.
 * Without it, a task that needs a skipped command's output is "unknown until apply", never a failure.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { localPlay } from "./local-play.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

describe("check_mode", () => {
  const play = localPlay();

  /** Reads the host (and leaves a trace, to see whether it ran), then writes what it read. */
  const readThenWrite = (dir: string, checkMode = "") =>
    `- hosts: all
  tasks:
    - name: read
      command: sh -c 'echo from-the-host; touch ${dir}/read-ran'
      register: out
      changed_when: false${checkMode}
    - name: write
      copy: { dest: ${dir}/written, content: "{{ out.stdout }}\\n" }
`;

  it("--check: a task using a skipped read is unknown until apply, with the way out", async () => {
    const dir = play.dir();
    const r = await play.run(readThenWrite(dir), "--check");
    expect(r.code).toBe(0);
    expect(r.results.map((x) => x.status)).toEqual(["ok", "ok"]);
    expect(r.results[1].unknown).toMatch(/result of 'read'.*check_mode: false/);
    expect(existsSync(join(dir, "read-ran"))).toBe(false);
  });

  it("--check with check_mode: false: the read runs, the write is predicted with its content", async () => {
    const dir = play.dir();
    const r = await play.run(readThenWrite(dir, "\n      check_mode: false"), "--check", "--diff");
    expect(r.code).toBe(0);
    expect(r.results.map((x) => x.status)).toEqual(["ok", "changed"]);
    expect(JSON.stringify(r.results[1].diffs)).toContain("from-the-host");
    expect(existsSync(join(dir, "read-ran"))).toBe(true);
    expect(existsSync(join(dir, "written"))).toBe(false);
  });

  it("apply with check_mode: true: reported as it would be, nothing written", async () => {
    const dir = play.dir();
    const r = await play.run(`- hosts: all
  tasks:
    - name: only look
      copy: { dest: ${dir}/looked, content: "x\\n" }
      check_mode: true
    - name: really write
      copy: { dest: ${dir}/written, content: "x\\n" }
`);
    expect(r.code).toBe(0);
    expect(r.results.map((x) => [x.status, x.reason])).toEqual([
      ["changed", expect.stringMatching(/^would create/)],
      ["changed", expect.stringMatching(/^create /)],
    ]);
    expect(existsSync(join(dir, "looked"))).toBe(false);
    expect(existsSync(join(dir, "written"))).toBe(true);
  });

  it("is a boolean: anything else is refused before the host is touched", async () => {
    const dir = play.dir();
    const r = await play.run(`- hosts: all
  tasks:
    - name: odd
      copy: { dest: ${dir}/x, content: "x" }
      check_mode: "no"
`).catch((e) => e);
    expect(String(r.message ?? r)).toMatch(/tasks\/0\/check_mode: should be true or false/);
    expect(existsSync(join(dir, "x"))).toBe(false);
  });
});

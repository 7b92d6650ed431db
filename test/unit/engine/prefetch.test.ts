/**
 * Probes read ahead in one round trip (Remote.prefetch): the batch gives byte-exact answers, a task
 * uses one only while nothing else ran on the host, wait steps always ask the host, and a whole play
 * through main() on a `connection: local` host: a no-op re-run is two round trips (facts and the
 * batch), and a task after a change sees the change.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LocalConnection } from "../../../src/connection/local.ts";
import { raw } from "../../../src/core/command.ts";
import type { Connection, ExecOptions, ExecResult } from "../../../src/core/types.ts";
import { parseBatch, Remote } from "../../../src/engine/remote.ts";
import type { RunHost } from "../../../src/engine/run.ts";
import { FleetHosts } from "../../../src/fleet/hosts.ts";
import { localPlay } from "./local-play.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

const root = { become: false, becomeUser: "root" };
/** A probe batch: its lines are printed by the script on stdin (the command line is only a bootstrap). */
const isBatch = (stdin?: string) => stdin?.includes("lago:probe:") ?? false;

/** Records every script; answers from a function. */
class FakeConnection implements Connection {
  readonly name = "fake";
  scripts: string[] = [];
  constructor(private answer: (script: string, stdin?: string) => ExecResult | Promise<ExecResult>) {}
  get roundTrips() {
    return this.scripts.length;
  }
  exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.scripts.push(script);
    return Promise.resolve(
      this.answer(
        script,
        options.stdin === undefined
          ? undefined
          : typeof options.stdin === "string"
          ? options.stdin
          : new TextDecoder().decode(options.stdin),
      ),
    );
  }
  close() {
    return Promise.resolve();
  }
}

describe("probe batch", () => {
  it("leaves a hole for a missing or garbled line", () => {
    const answers = parseBatch("lago:probe:1:0:aGk=:\nlago:probe:0:x::\nlago:probe:7:0::\nnoise\n", 3);
    expect(answers).toEqual([undefined, { exitCode: 0, stdout: "hi", stderr: "" }, undefined]);
  });
});

describe("Remote.prefetch", () => {
  const probe = (path: string) => ({
    command: ["test", "-e", path, raw("&& echo yes || echo no")],
    parse: (r: ExecResult) => r.stdout.trim() === "yes",
  });

  /** This machine as the host, recording every script; paths in a fresh directory. */
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "lago-prefetch-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const at = (name: string) => join(dir, name);
  const localHost = () =>
    new FakeConnection((script, stdin) => new LocalConnection("here").exec(script, { stdin }));

  it("answers the batched probes without asking again", async () => {
    writeFileSync(at("a"), "");
    const conn = localHost();
    const remote = new Remote(conn, "root");
    await remote.prefetch(
      [probe(at("a")), probe(at("b"))].map((p) => ({ command: p.command, privilege: root })),
    );
    expect(conn.roundTrips).toBe(1);
    expect(await remote.probe(probe(at("a")), root)).toBe(true);
    expect(await remote.probe(probe(at("b")), root)).toBe(false);
    expect(conn.roundTrips).toBe(1);
    // Not in the batch: asked.
    expect(await remote.probe(probe(at("c")), root)).toBe(false);
    expect(conn.roundTrips).toBe(2);
  });

  it("drops every answer as soon as anything else runs on the host", async () => {
    const conn = localHost();
    const remote = new Remote(conn, "root");
    await remote.prefetch(
      [probe(at("a")), probe(at("b"))].map((p) => ({ command: p.command, privilege: root })),
    );
    writeFileSync(at("a"), "");
    await remote.apply({ kind: "exec", command: ["true"] }, root);
    expect(await remote.probe(probe(at("a")), root)).toBe(true);
    expect(conn.roundTrips).toBe(3);
  });

  it("keeps them across a fleet lock call (a renewal in the middle of a long run)", async () => {
    const conn = localHost();
    const fleet = new FleetHosts(
      [{
        name: "here",
        settings: { name: "here", user: "root", become: false, becomeUser: "root" },
        vars: {},
      }] as unknown as RunHost[],
      1,
      () => Promise.resolve(conn),
    );
    const remote = await fleet.remoteFor(fleet.host("here").settings);
    await remote.prefetch(
      [probe(at("a")), probe(at("b"))].map((p) => ({ command: p.command, privilege: root })),
    );
    const [lock] = fleet.lockHosts(["here"]);
    await lock.run("true");
    expect(await remote.probe(probe(at("a")), root)).toBe(false);
    expect(await remote.probe(probe(at("b")), root)).toBe(false);
    expect(conn.roundTrips).toBe(2);
    // Any other script run on the host still drops them.
    await fleet.run("here", "true");
    expect(await remote.probe(probe(at("a")), root)).toBe(false);
    expect(conn.roundTrips).toBe(4);
  });

  it("keys answers by privilege too", async () => {
    const conn = new FakeConnection(async (script, stdin) =>
      isBatch(stdin)
        ? await new LocalConnection("here").exec(script, { stdin })
        : { exitCode: 0, stdout: "yes\n", stderr: "" } // differs from the batch's answer (no /a here)
    );
    const remote = new Remote(conn, "deploy");
    await remote.prefetch([
      { command: probe("/a").command, privilege: { become: false, becomeUser: "root" } },
      { command: probe("/b").command, privilege: { become: false, becomeUser: "root" } },
    ]);
    expect(await remote.probe(probe("/a"), { become: true, becomeUser: "root" })).toBe(true);
    expect(conn.scripts[1]).toMatch(/^sudo -n/);
  });

  it("a wait step polls the host, never the read-ahead answer", async () => {
    let calls = 0;
    const conn = new FakeConnection((_script, stdin) => {
      if (isBatch(stdin)) {
        return { exitCode: 0, stdout: "lago:probe:0:0:bm8K:\nlago:probe:1:0:bm8K:\n", stderr: "" };
      }
      calls++;
      return { exitCode: 0, stdout: calls >= 2 ? "yes\n" : "no\n", stderr: "" };
    });
    const remote = new Remote(conn, "root");
    const p = probe("/ready");
    await remote.prefetch([p, probe("/other")].map((x) => ({ command: x.command, privilege: root })));
    expect(await remote.probe(p, root)).toBe(false);
    await remote.apply({ kind: "wait", probe: p, timeoutSec: 5, intervalSec: 0.01, what: "/ready" }, root);
    expect(calls).toBe(2);
  });

  it("a failed batch leaves nothing behind", async () => {
    const conn = new FakeConnection((_script, stdin) =>
      isBatch(stdin)
        ? { exitCode: 1, stdout: "", stderr: "mktemp: failed" }
        : { exitCode: 0, stdout: "yes\n", stderr: "" }
    );
    const remote = new Remote(conn, "root");
    await remote.prefetch([probe("/a"), probe("/b")].map((p) => ({ command: p.command, privilege: root })));
    expect(await remote.probe(probe("/a"), root)).toBe(true);
    expect(conn.roundTrips).toBe(2);
  });
});

describe("a play on a local host", () => {
  const play = localPlay();
  const apply = (playbook: string) => play.run(playbook);

  it("a re-run that changes nothing takes two round trips: facts and one batch", async () => {
    const dir = play.dir();
    const playbook = `- hosts: all
  tasks:
    - name: dir
      file: { path: ${dir}/app, state: directory, mode: "0750" }
    - name: page
      copy: { dest: ${dir}/app/index.html, content: "hello\\n", mode: "0640" }
    - name: key
      command: { cmd: "touch ${dir}/app/key", creates: "${dir}/app/key" }
    - name: looped
      file: { path: "${dir}/app/{{ item }}", state: directory }
      loop: [a, b]
`;
    const first = await apply(playbook);
    expect(first.code).toBe(0);
    expect(first.results.map((r) => r.status)).toEqual(Array(5).fill("changed"));
    const again = await apply(playbook);
    expect(again.code).toBe(0);
    expect(again.results.map((r) => r.status)).toEqual(Array(5).fill("ok"));
    expect(again.roundTrips).toBe(2);
  });

  it("a task after a change sees the change, not the answer read before it", async () => {
    // The batch read `made` as missing; the command makes it; the file task must see it.
    const dir = play.dir();
    const playbook = `- hosts: all
  tasks:
    - name: dir is there
      file: { path: ${dir}, state: directory }
    - name: make it
      command: touch ${dir}/made
    - name: tighten it
      file: { path: ${dir}/made, mode: "0600" }
`;
    const r = await apply(playbook);
    expect(r.code).toBe(0);
    expect(r.results.map((x) => x.status)).toEqual(["ok", "changed", "changed"]);
    expect(statSync(join(dir, "made")).mode & 0o777).toBe(0o600);
  });
});

/**
 * Playbook keywords as ansible-core 2.14 runs them (test/ansible/playbooks.cases.ts): each case runs
 * here on a `connection: local` host and gives the same task results, in the same order, with the
 * same loop items and debug messages; a case we refuse is refused at load, naming file:line.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { localPlay } from "../engine/local-play.ts";
import { playbookCaseHash, playbookCases, playbookText } from "../../ansible/playbooks.cases.ts";
import type { Recorded } from "../../ansible/generate.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

const table = JSON.parse(readFileSync("test/ansible/playbooks.expected.json", "utf8"));
const results = table.results as Record<string, Recorded[]>;
const REGENERATE = "npx deno run -A test/ansible/generate.ts --playbooks";

interface Outcome {
  task: string;
  status: string;
  item?: unknown;
  msg?: string;
}

const text = (msg: unknown) => (typeof msg === "string" ? msg : JSON.stringify(msg));

/** Ansible's results without the summary line of a loop ("All items completed"), items as results. */
function fromAnsible(recorded: Recorded[]): Outcome[] {
  const looped = new Set(recorded.filter((r) => r.status.startsWith("item-")).map((r) => r.task));
  return recorded.filter((r) => r.status.startsWith("item-") || !looped.has(r.task)).map((r) => {
    const out: Outcome = { task: r.task, status: r.status.replace(/^item-/, "") };
    if ("item" in r) out.item = r.item;
    if (r.msg !== undefined && r.status !== "failed" && r.status !== "ignored") out.msg = text(r.msg);
    return out;
  });
}

// deno-lint-ignore no-explicit-any
function fromOurs(events: Record<string, any>[]): Outcome[] {
  return events.map((e) => {
    const out: Outcome = { task: e.task, status: e.ignored ? "ignored" : e.status };
    if ("item" in e) out.item = e.item;
    // debug's message is the result's reason.
    if (e.status === "ok" && e.reason !== undefined) out.msg = e.reason;
    return out;
  });
}

describe("playbook keywords as ansible-core 2.14 runs them", () => {
  const play = localPlay();
  it(`has Ansible's result for every case (else: ${REGENERATE})`, () => {
    expect(Object.keys(results).sort()).toEqual(playbookCases.map((c) => c.name).sort());
  });
  for (const c of playbookCases) {
    it(c.name, async () => {
      expect(table.hashes[c.name], `the case changed: ${REGENERATE}`).toBe(playbookCaseHash(c));
      const ansible = results[c.name];
      const run = play.run(playbookText(c, "all"));
      if (c.refuse) {
        // Refused at load, before any host: one message at the key's file:line (the CLI prints it).
        await expect(run).rejects.toThrow(c.refuse);
        await expect(run).rejects.toThrow(/play\.yml:\d+:\d+ tasks\/0\//);
        return;
      }
      expect(ansible[0].status, `Ansible refused it: ${ansible[0].msg}`).not.toBe("error");
      const ours = await run;
      // A message is compared where Ansible gives one (debug's); other modules word their own.
      const theirs = fromAnsible(ansible);
      const mine = fromOurs(ours.results).map((o, i) =>
        theirs[i]?.msg === undefined ? { ...o, msg: undefined } : o
      );
      expect(mine).toEqual(theirs.map((o) => ({ ...o, msg: o.msg })));
      // The recap counts failures and rescued blocks as Ansible's does.
      const recap = ours.events.find((e) => e.type === "recap")!.hosts.here;
      const stats = table.stats[c.name];
      expect({ failed: recap.failed, rescued: recap.rescued }).toEqual({
        failed: stats.failures,
        rescued: stats.rescued,
      });
    });
  }
});

/**
 * One session per command, on two `connection: local` hosts: `apply`, `apply --check`, `plan -o` and
 * `apply plan.json` (with and without a saved `--limit`) each read every file of the configuration exactly once (inventory, group_vars,
 * host_vars, playbook, vars_files, role files, imported tasks, the -e file) and open one connection
 * per host, and the saved plan and the journal come from the run's result.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectionStats, fileReads } from "../../../src/core/stats.ts";
import { main } from "../../../src/main.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

const HOSTS = ["session-a", "session-b"];
let dir: string;

const FILES: Record<string, string> = {
  "inventory.yml": `all:\n  hosts:\n${
    HOSTS.map((h) => `    ${h}:\n      ansible_connection: local\n`).join("")
  }`,
  "group_vars/all.yml": "greeting: hello\n",
  "host_vars/session-a.yml": "who: a\n",
  "host_vars/session-b.yml": "who: b\n",
  "vars.yml": "suffix: txt\nout: OUT\n",
  "extra.yml": "mark: x\n",
  "play.yml": `- hosts: all
  vars_files: [vars.yml]
  roles: [r]
  tasks:
    - copy: { dest: "{{ out }}/{{ inventory_hostname }}.{{ suffix }}", content: "{{ greeting }} {{ who }} {{ mark }}\\n" }
`,
  "roles/r/defaults/main.yml": 'dir_mode: "0755"\n',
  "roles/r/tasks/main.yml": "- import_tasks: more.yml\n",
  "roles/r/tasks/more.yml":
    `- file: { path: "{{ out }}", state: directory, mode: "{{ dir_mode }}" }\n  notify: noted\n`,
  "roles/r/handlers/main.yml": "- name: noted\n  debug: { msg: noted }\n",
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lago-session-"));
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text.replaceAll("OUT", join(dir, "out")));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one command; what it read and how it connected, by difference. */
async function run(...args: string[]) {
  const reads = fileReads();
  const connections = Object.fromEntries(HOSTS.map((h) => [h, connectionStats()[h]?.connections ?? 0]));
  const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const code = await main(args);
  write.mockRestore();
  const read = Object.fromEntries(
    Object.entries(fileReads()).filter(([f, n]) => f.startsWith(dir) && n !== (reads[f] ?? 0))
      .map(([f, n]) => [f.slice(dir.length + 1), n - (reads[f] ?? 0)]),
  );
  const connected = Object.fromEntries(
    HOSTS.map((h) => [h, (connectionStats()[h]?.connections ?? 0) - connections[h]]),
  );
  return { code, read, connected };
}

const common =
  () => [join(dir, "inventory.yml"), "-p", join(dir, "play.yml"), "-e", `@${join(dir, "extra.yml")}`];
const everyFileOnce = Object.fromEntries(
  Object.keys(FILES).map((f) => [f, 1]),
);

describe("one session per command", () => {
  it("apply --check: every file read once, one connection per host", async () => {
    const r = await run("apply", ...common(), "--check", "--no-lock");
    expect(r.code).toBe(0);
    expect(r.read).toEqual(everyFileOnce);
    expect(r.connected).toEqual({ "session-a": 1, "session-b": 1 });
  });

  it("plan -o and apply plan.json: the same, and the plan applied", async () => {
    const out = join(dir, "plan.json");
    const plan = await run("plan", ...common(), "-o", out);
    expect(plan.code).toBe(0);
    expect(plan.read).toEqual(everyFileOnce);
    expect(plan.connected).toEqual({ "session-a": 1, "session-b": 1 });
    const saved = JSON.parse(readFileSync(out, "utf8"));
    expect(saved.summary).toMatchObject({ hosts: 2, change: 4, failed: 0 });

    const applied = await run("apply", out, "-e", `@${join(dir, "extra.yml")}`, "--no-lock");
    expect(applied.code).toBe(0);
    expect(applied.read).toEqual(everyFileOnce);
    expect(applied.connected).toEqual({ "session-a": 1, "session-b": 1 });
    expect(readFileSync(join(dir, "out", "session-a.txt"), "utf8")).toBe("hello a x\n");
  });

  it("a plan made with --limit: applying it checks the limit on the one read of the inventory", async () => {
    const out = join(dir, "plan-limited.json");
    const plan = await run("plan", ...common(), "--limit", "session-a", "-o", out);
    expect(plan.code).toBe(0);
    expect(plan.read).toEqual(everyFileOnce);
    expect(plan.connected).toEqual({ "session-a": 1, "session-b": 0 });

    const applied = await run("apply", out, "-e", `@${join(dir, "extra.yml")}`, "--no-lock");
    expect(applied.code).toBe(0);
    expect(applied.read).toEqual(everyFileOnce);
    expect(applied.connected).toEqual({ "session-a": 1, "session-b": 0 });
  });

  it("apply: the same, and the journal says how each host came out", async () => {
    const r = await run("apply", ...common(), "--no-lock");
    expect(r.code).toBe(0);
    expect(r.read).toEqual(everyFileOnce);
    expect(r.connected).toEqual({ "session-a": 1, "session-b": 1 });
    const journal = JSON.parse(readFileSync(join(dir, ".lago-provision", "journal.json"), "utf8"));
    expect(journal.hosts).toEqual({ "session-a": "ok", "session-b": "ok" });
  });
});

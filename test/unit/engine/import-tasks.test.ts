/**
 * `import_tasks` on a local host: the file's tasks run in place, with the import's vars, when and
 * tags; imports nest; and every mistake (missing file, a loop of imports, a variable in the name, a
 * loop on the import) stops the run before the host is touched, located at the import.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { localPlay } from "./local-play.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

describe("import_tasks", () => {
  const play = localPlay();

  /** tasks/common.yml writes `${dir}/common-{{ who }}`, then imports tasks/deeper.yml. */
  function taskFiles(dir: string): void {
    mkdirSync(join(dir, "tasks"), { recursive: true });
    writeFileSync(
      join(dir, "tasks", "common.yml"),
      `- name: common
  copy: { dest: "${dir}/common-{{ who }}", content: "x\\n" }
- import_tasks: deeper.yml
`,
    );
    writeFileSync(
      join(dir, "tasks", "deeper.yml"),
      `- name: deeper
  copy: { dest: "${dir}/deeper-{{ who }}", content: "x\\n" }
`,
    );
  }

  it("runs the file's tasks in place, nested imports too, with the import's vars", async () => {
    const dir = play.dir();
    taskFiles(dir);
    const r = await play.run(`- hosts: all
  tasks:
    - debug: { msg: before }
    - import_tasks: tasks/common.yml
      vars: { who: alice }
    - debug: { msg: after }
`);
    expect(r.code).toBe(0);
    expect(r.results.map((x) => x.task)).toEqual(["debug", "common", "deeper", "debug"]);
    expect(existsSync(join(dir, "common-alice")) && existsSync(join(dir, "deeper-alice"))).toBe(true);
  });

  it("the import's when and tags apply to each of its tasks", async () => {
    const dir = play.dir();
    taskFiles(dir);
    const playbook = `- hosts: all
  vars: { enabled: false }
  tasks:
    - import_tasks: tasks/common.yml
      vars: { who: off }
      when: enabled
    - import_tasks: tasks/common.yml
      vars: { who: tagged }
      tags: [extra]
`;
    const skipped = await play.run(playbook, "--skip-tags", "extra");
    expect(skipped.results.map((x) => [x.task, x.status])).toEqual([["common", "skipped"], [
      "deeper",
      "skipped",
    ]]);
    expect(existsSync(join(dir, "common-off")) || existsSync(join(dir, "common-tagged"))).toBe(false);
    const tagged = await play.run(playbook, "--tags", "extra");
    expect(tagged.results.map((x) => [x.task, x.status])).toEqual([["common", "changed"], [
      "deeper",
      "changed",
    ]]);
  });

  const refused: [string, string, RegExp][] = [
    [
      "a missing file",
      "- import_tasks: tasks/nope.yml",
      /play\.yml:3:21 tasks\/0\/import_tasks: file not found/,
    ],
    ["a variable in the name", '- import_tasks: "tasks/{{ x }}.yml"', /file name cannot use variables/],
    [
      "a loop on the import",
      "- import_tasks: tasks/common.yml\n      loop: [1, 2]",
      /'loop' cannot go on import_tasks/,
    ],
    [
      "a file that imports itself",
      "- import_tasks: tasks/self.yml",
      /imports itself: .*self\.yml → .*self\.yml/,
    ],
  ];
  for (const [name, task, message] of refused) {
    it(`refuses ${name} before touching the host`, async () => {
      const dir = play.dir();
      taskFiles(dir);
      writeFileSync(join(dir, "tasks", "self.yml"), "- import_tasks: self.yml\n");
      const r = await play.run(`- hosts: all
  tasks:
    ${task}
    - copy: { dest: "${dir}/touched", content: "x" }
`).catch((e) => e);
      expect(String(r.message ?? r)).toMatch(message);
      expect(existsSync(join(dir, "touched"))).toBe(false);
    });
  }
});

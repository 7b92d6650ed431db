/**
 * Module arguments are checked when the files load (apply and lint alike), before any host: the rules
 * the JSON Schema cannot say, from each module's zod schema, with templated values masked by stand-ins
 * their field accepts (a rule that depends on a template waits for its value).
 */
import { describe, expect, it } from "vitest";
import { validateDocument } from "../../../src/config/validate.ts";
import { formatProblem } from "../../../src/config/problems.ts";
import { parseYaml } from "../../../src/config/yaml.ts";

const problems = (tasks: string) =>
  validateDocument(parseYaml(`- hosts: all\n  tasks:\n${tasks}`, "p.yml"), "playbook").map(formatProblem);

describe("module argument rules at load", () => {
  const cases: [string, string, string[]][] = [
    ["a link needs its target", "    - file: { path: /x, state: link }\n", [
      "p.yml:3:13 tasks/0/file/src: state: link needs src",
    ]],
    [
      "content or src, not both, with a templated dest",
      '    - copy: { dest: "{{ d }}", content: x, src: y }\n',
      [
        "p.yml:3:49 tasks/0/copy/src: give content or src, not both",
      ],
    ],
    ["a service with nothing asked, its name templated", '    - service: { name: "{{ s }}" }\n', [
      "p.yml:3:16 tasks/0/service: give state, enabled or daemon_reload",
    ]],
    [
      "in a handler too",
      "    - debug: { msg: hi }\n  handlers:\n    - name: h\n      wait_for: { timeout: 3 }\n",
      [
        "p.yml:6:17 handlers/0/wait_for: give port, url or command (one of them)",
      ],
    ],
    [
      "a rule that rests on a template waits for its value",
      '    - file: { path: /x, state: "{{ k }}" }\n',
      [],
    ],
    ["free-form arguments", "    - command: echo hi\n", []],
    ["valid arguments", "    - copy: { dest: /x, content: y }\n", []],
  ];
  for (const [name, tasks, want] of cases) it(name, () => expect(problems(tasks)).toEqual(want));
});

/**
 * Playbook keywords Ansible users write, run by ansible-core 2.14 on localhost (test/ansible/generate.ts
 * --playbooks, recorded in playbooks.expected.json by test/ansible/callback/record.py) and by
 * lago-provision on a `connection: local` host (test/unit/ansible/playbooks.test.ts): the same task
 * results, in the same order, with the same items and messages. `refuse`: lago-provision refuses the
 * playbook at load with this message at the key's file:line (Ansible's own error, or its run, is
 * recorded beside it).
 */
import { createHash } from "node:crypto";

export interface PlaybookCase {
  name: string;
  /** The play's variables. */
  vars?: Record<string, unknown>;
  /** The play's tasks, YAML (a list at column 0). Templates are written so Jinja2 and handlebars agree. */
  tasks: string;
  refuse?: RegExp;
}

/** The playbook a case runs, for `hosts` (localhost for Ansible, all for lago-provision). */
export function playbookText(c: PlaybookCase, hosts: string): string {
  const tasks = c.tasks.trimEnd().split("\n").map((l) => `    ${l}`).join("\n");
  const vars = c.vars ? `  vars: ${JSON.stringify(c.vars)}\n` : "";
  return `- hosts: ${hosts}\n  gather_facts: false\n${vars}  tasks:\n${tasks}\n`;
}

export const playbookCaseHash = (c: PlaybookCase): string =>
  createHash("sha256").update(playbookText(c, "localhost")).digest("hex").slice(0, 16);

export const playbookCases: PlaybookCase[] = [
  {
    name: "with_items-flattens-one-level",
    tasks: `- name: each
  debug: { msg: "{{ item }}" }
  with_items: [a, [b, c], [[d]]]
`,
  },
  {
    name: "with_items-from-a-variable",
    vars: { xs: ["a", ["b", "c"]] },
    tasks: `- name: each
  debug: { msg: "{{ item }}" }
  with_items: "{{ xs }}"
`,
  },
  {
    name: "with_items-single-value",
    vars: { one: "solo" },
    tasks: `- name: each
  debug: { msg: "{{ item }}" }
  with_items: "{{ one }}"
`,
  },
  {
    name: "with_list-keeps-lists",
    tasks: `- name: each
  debug: { msg: "{{ item }}" }
  with_list: [a, [b, c]]
`,
  },
  {
    name: "with_dict-entries",
    vars: { users: { alice: 1001, bob: 1002 } },
    tasks: `- name: each
  debug: { msg: "{{ item.key }}={{ item.value }}" }
  with_dict: "{{ users }}"
`,
  },
  {
    name: "with_dict-literal-and-when",
    tasks: `- name: each
  debug: { msg: "{{ item.key }}" }
  with_dict: { x: 1, y: 2, z: 3 }
  when: item.value != 2
`,
  },
  {
    name: "with_dict-not-a-mapping",
    vars: { xs: ["a"] },
    tasks: `- name: each
  debug: { msg: "{{ item }}" }
  with_dict: "{{ xs }}"
  ignore_errors: true
- name: after
  debug: { msg: went on }
`,
  },
  {
    name: "loop-and-with_items",
    tasks: `- name: each
  debug: { msg: "{{ item }}" }
  loop: [a]
  with_items: [b]
`,
    refuse: /a task has one loop: keep loop or with_items/,
  },
  {
    name: "with_nested-refused",
    tasks: `- name: each
  debug: { msg: "{{ item }}" }
  with_nested: [[a, b], [c]]
`,
    refuse: /Ansible's nested lookup is not supported here: build the list in a variable/,
  },
  {
    name: "remote_user-on-a-task",
    tasks: `- name: as another user
  debug: { msg: hi }
  remote_user: root
`,
    refuse: /remote_user: not supported: each host has one connection, as its inventory's ansible_user/,
  },
  {
    name: "block-rescue-always",
    tasks: `- block:
    - name: fails
      command: /bin/false
  rescue:
    - name: rescued
      debug: { msg: rescued }
  always:
    - name: always
      debug: { msg: always }
`,
  },
  {
    name: "block-rest-skipped-after-a-failure",
    tasks: `- block:
    - name: fails
      command: /bin/false
    - name: not reached
      debug: { msg: not reached }
  rescue:
    - name: what failed
      debug: { msg: "{{ ansible_failed_task.name }} rc={{ ansible_failed_result.rc }}" }
- name: after the block
  debug: { msg: goes on }
`,
  },
  {
    name: "block-rescue-fails-always-runs",
    tasks: `- block:
    - name: fails
      command: /bin/false
  rescue:
    - name: rescue fails too
      command: /bin/false
  always:
    - name: always
      debug: { msg: always }
- name: never reached
  debug: { msg: never }
`,
  },
  {
    name: "block-always-without-rescue",
    tasks: `- block:
    - name: fails
      command: /bin/false
  always:
    - name: always
      debug: { msg: cleanup }
- name: never reached
  debug: { msg: never }
`,
  },
  {
    name: "block-succeeds-no-rescue",
    tasks: `- block:
    - name: works
      debug: { msg: fine }
  rescue:
    - name: not run
      debug: { msg: rescue }
  always:
    - name: always
      debug: { msg: always }
`,
  },
  {
    name: "block-keywords-apply-to-its-tasks",
    vars: { run_it: false },
    tasks: `- block:
    - name: inner
      debug: { msg: "{{ greeting }}" }
  vars: { greeting: from the block }
  tags: [web]
- block:
    - name: skipped by the block's when
      debug: { msg: no }
  always:
    - name: always skipped too
      debug: { msg: no }
  when: run_it
`,
  },
  {
    name: "block-nested-failure-rescued-outside",
    tasks: `- block:
    - block:
        - name: inner fails
          command: /bin/false
      always:
        - name: inner always
          debug: { msg: inner always }
    - name: outer rest skipped
      debug: { msg: no }
  rescue:
    - name: outer rescue
      debug: { msg: "rescued {{ ansible_failed_task.name }}" }
- name: after
  debug: { msg: after }
`,
  },
  {
    name: "block-ignore_errors",
    tasks: `- block:
    - name: fails, ignored
      command: /bin/false
    - name: goes on
      debug: { msg: next }
  rescue:
    - name: not run
      debug: { msg: no }
  ignore_errors: true
`,
  },
  {
    name: "block-with-register-refused",
    tasks: `- block:
    - name: inner
      debug: { msg: hi }
  register: out
`,
    refuse: /register: 'register' is not valid on a block \(as in Ansible\): put it on the block's tasks/,
  },
  {
    name: "block-with-loop-refused",
    tasks: `- block:
    - name: inner
      debug: { msg: "{{ item }}" }
  loop: [a, b]
`,
    refuse: /loop: 'loop' is not valid on a block \(as in Ansible\): put it on the block's tasks/,
  },
  {
    name: "include_tasks",
    tasks: `- include_tasks: other.yml
`,
    refuse: /include_tasks: not supported: use import_tasks with the same file/,
  },
  {
    name: "set_fact",
    tasks: `- set_fact: { greeting: hello }
- name: show
  debug: { msg: "{{ greeting }}" }
`,
  },
  {
    name: "set_fact-templated-and-typed",
    vars: { base: "lago", ports: { http: 80 } },
    tasks: `- name: facts
  set_fact:
    app: "{{ base }}-api"
    http_port: "{{ ports.http }}"
    tls: true
- name: show
  debug: { msg: "{{ app }} {{ http_port }}" }
- name: typed
  debug: { msg: typed }
  when: tls
`,
  },
  {
    name: "set_fact-key-value",
    tasks: `- set_fact: one=1 two="two words"
- name: show
  debug: { msg: "{{ one }}/{{ two }}" }
`,
  },
  {
    name: "set_fact-beats-play-and-task-vars",
    vars: { level: "play" },
    tasks: `- name: before
  debug: { msg: "{{ level }}" }
- set_fact: { level: fact }
- name: after, over play vars
  debug: { msg: "{{ level }}" }
- name: after, over task vars
  debug: { msg: "{{ level }}" }
  vars: { level: task }
`,
  },
  {
    name: "set_fact-in-a-loop-last-wins",
    tasks: `- name: each
  set_fact: { last: "{{ item }}" }
  loop: [a, b, c]
- name: show
  debug: { msg: "{{ last }}" }
`,
  },
  {
    name: "set_fact-cacheable-and-when",
    tasks: `- name: cached
  set_fact: { kept: yes-it-is, cacheable: true }
- name: not set
  set_fact: { kept: no }
  when: false
- name: show
  debug: { msg: "{{ kept }}" }
`,
  },
];

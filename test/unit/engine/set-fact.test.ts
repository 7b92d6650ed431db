/**
 * set_fact on local hosts: per host, visible to later tasks and later plays of the run, above host and
 * play vars and below -e (Ansible's precedence), unknown until apply under --check when made from a
 * result only apply gives, and redacted when it has a secret's name. What Ansible gives for the same
 * playbooks: test/unit/ansible/playbooks.test.ts.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { localPlay } from "./local-play.ts";

vi.mock("node:tty", () => ({ isatty: () => false }));

describe("set_fact", () => {
  const play = localPlay(["a", "b"]);
  const said = (r: { results: Record<string, string>[] }, task: string) =>
    r.results.filter((x) => x.task === task).map((x) => `${x.host}:${x.reason}`);

  it("is per host, above host vars and play vars, seen by later plays, below -e", async () => {
    writeFileSync(
      join(play.dir(), "inventory.yml"),
      "all:\n  hosts:\n    a: { ansible_connection: local, level: host }\n    b: { ansible_connection: local }\n",
    );
    const playbook = `- hosts: all
  gather_facts: false
  vars: { level: play }
  tasks:
    - name: set
      set_fact: { level: "fact of {{ inventory_hostname }}", only_a: yes }
      when: inventory_hostname == 'a'
    - name: same play
      debug: { msg: "{{ level }}" }
- hosts: a
  gather_facts: false
  tasks:
    - name: next play
      debug: { msg: "{{ level }}" }
`;
    const r = await play.run(playbook);
    expect(r.code).toBe(0);
    expect(said(r, "same play")).toEqual(["a:fact of a", "b:play"]);
    // The first play's vars do not carry over; the fact does (over a's host var).
    expect(said(r, "next play")).toEqual(["a:fact of a"]);
    const extra = await play.run(playbook, "-e", "level=extra");
    expect(said(extra, "same play")).toEqual(["a:extra", "b:extra"]);
  });

  it("under --check, a fact made from a result only apply gives is unknown until apply", async () => {
    const r = await play.run(
      `- hosts: a
  gather_facts: false
  tasks:
    - name: changes
      command: echo made
      register: out
    - name: set
      set_fact: { made: "{{ out.stdout }}" }
    - name: use
      debug: { msg: "{{ made }}" }
`,
      "--check",
    );
    expect(r.code).toBe(0);
    const use = r.results.find((x) => x.task === "use")!;
    expect(use.unknown).toMatch(/uses the result of 'set'/);
  });

  it("a fact with a secret's name is redacted wherever it shows", async () => {
    const r = await play.run(`- hosts: a
  gather_facts: false
  vars: { part: "Xq7-9Lp" }
  tasks:
    - name: set
      set_fact: { db_password: "pw-{{ part }}-zz" }
    - name: show
      debug: { msg: "the password is {{ db_password }}" }
`);
    expect(r.code).toBe(0);
    const show = r.results.find((x) => x.task === "show")!;
    expect(show.reason).toBe("the password is <redacted: db_password>");
    expect(JSON.stringify(r.events)).not.toContain("pw-Xq7-9Lp-zz");
  });

  const refused: [string, string, RegExp][] = [
    [
      "a name that is not a variable name",
      "set_fact: { 2fast: x }",
      /set_fact\/2fast: should be a variable name/,
    ],
    ["a name of the run's own", "set_fact: { inventory_hostname: x }", /is set by lago-provision itself/],
    ["no name at all", "set_fact: { cacheable: true }", /give at least one name: value/],
  ];
  for (const [name, task, message] of refused) {
    it(`refuses ${name} at load`, async () => {
      const text = `- hosts: all\n  gather_facts: false\n  tasks:\n    - ${task}\n`;
      await expect(play.run(text)).rejects.toThrow(message);
    });
  }
});

/**
 * The mistakes people make (issue #16), as one table for the bad-input runner: mistyped paths,
 * directories and links where files belong, files that never end (FIFOs, /dev/zero) as any input or
 * `-e @file`, template and condition mistakes found when the files load, and YAML the tool cannot use.
 * Each must stop the command before any host is contacted, with one `error:` line naming the file
 * (and line where there is one); `contacts: true` marks the controls that must reach the host.
 *
 * An inventory is read as Ansible reads it (no `all:` needed); what a run cannot mean is refused where
 * it stands: a group and a host of one name, no hosts at all (an empty file or directory, a host written
 * where groups go), `serial: 0` or `0%`. Template and condition mistakes are found by `lint` as well,
 * as findings with file:line:col.
 */
import type { BadInput, FileSpec } from "./runner.ts";

/** One host, `web1`, reached with the target's variables. */
const INVENTORY = "all:\n  vars: @HOST@\n  hosts:\n    web1:\n";
const task = (body: string) => `- hosts: all\n  tasks:\n    - name: t\n${body}`;
const PLAYBOOK = task("      debug:\n        msg: hi\n");
const project: Record<string, FileSpec> = { "inventory.yml": INVENTORY, "site.yml": PLAYBOOK };

/** `apply inventory.yml -p site.yml`, with the project's files changed or added. */
const applyWith = (
  name: string,
  files: Record<string, FileSpec>,
  error: string | RegExp,
  extra: Partial<BadInput> = {},
): BadInput => ({
  name,
  args: ["apply", "inventory.yml", "-p", "site.yml"],
  files: { ...project, ...files },
  error,
  ...extra,
});

/** A role `web` the playbook runs, with these files under roles/web/. */
const withRole = (name: string, files: Record<string, FileSpec>, error: string | RegExp): BadInput =>
  applyWith(
    name,
    {
      "site.yml": "- hosts: all\n  roles: [web]\n",
      ...Object.fromEntries(Object.entries(files).map(([p, f]) => [`roles/web/${p}`, f])),
    },
    error,
  );

const controls: BadInput[] = [
  { ...applyWith("control: a good project reaches the host", {}, ""), contacts: true },
  {
    ...applyWith("control: -e @file with a regular file", { "vars.yml": "x: 1\n" }, ""),
    args: ["apply", "inventory.yml", "-p", "site.yml", "-e", "@vars.yml"],
    contacts: true,
  },
];

// ---- 1. mistyped paths, directories, links ----

const paths: BadInput[] = [
  {
    name: "a mistyped inventory",
    args: ["apply", "inventory/prdo.yml", "-p", "site.yml"],
    files: project,
    error: "inventory/prdo.yml",
  },
  {
    name: "a mistyped playbook",
    args: ["apply", "inventory.yml", "-p", "playbooks/sit.yml"],
    files: project,
    error: "playbooks/sit.yml",
  },
  applyWith("a directory as the playbook", { "site.yml": { dir: true } }, /site\.yml.*directory/),
  applyWith(
    "vars_files naming a directory",
    { "site.yml": "- hosts: all\n  vars_files: [vars]\n  tasks: []\n", vars: { dir: true } },
    /vars.*directory/,
  ),
  applyWith(
    "import_tasks naming a directory",
    { "site.yml": "- hosts: all\n  tasks:\n    - import_tasks: more\n", more: { dir: true } },
    /more.*directory/,
  ),
  withRole(
    "a role's tasks/main.yml that is a directory",
    { "tasks/main.yml": { dir: true } },
    /main\.yml.*directory/,
  ),
  applyWith(
    "a dangling symlink as the inventory",
    { "inventory.yml": { symlink: "gone.yml" } },
    "inventory.yml",
  ),
  applyWith(
    "a symlink loop as the inventory",
    { "inventory.yml": { symlink: "loop.yml" }, "loop.yml": { symlink: "inventory.yml" } },
    "inventory.yml",
  ),
  applyWith(
    "a dangling symlink in host_vars/",
    { "host_vars/web1.yml": { symlink: "../nowhere.yml" } },
    "host_vars/web1.yml",
  ),
  applyWith(
    "a symlink loop in group_vars/",
    { "group_vars/all.yml": { symlink: "all.yml" } },
    "group_vars/all.yml",
  ),
];

// ---- 2. files that never end ----

const endless: BadInput[] = [
  applyWith("a FIFO as the inventory", { "inventory.yml": { fifo: true } }, /inventory\.yml.*FIFO/),
  applyWith("a FIFO as the playbook", { "site.yml": { fifo: true } }, /site\.yml.*FIFO/),
  withRole("a FIFO as a role's tasks/main.yml", { "tasks/main.yml": { fifo: true } }, /main\.yml.*FIFO/),
  withRole(
    "a FIFO as a role's defaults",
    { "tasks/main.yml": "[]\n", "defaults/main.yml": { fifo: true } },
    /main\.yml.*FIFO/,
  ),
  {
    name: "/dev/zero as the inventory",
    args: ["apply", "/dev/zero", "-p", "site.yml"],
    files: project,
    error: "/dev/zero",
  },
  {
    name: "/dev/urandom as the playbook",
    args: ["apply", "inventory.yml", "-p", "/dev/urandom"],
    files: project,
    error: "/dev/urandom",
  },
  {
    ...applyWith("-e @fifo", { "vars.yml": { fifo: true } }, /vars\.yml.*FIFO/),
    args: ["apply", "inventory.yml", "-p", "site.yml", "-e", "@vars.yml"],
  },
  {
    ...applyWith("-e @/dev/zero", {}, "/dev/zero"),
    args: ["apply", "inventory.yml", "-p", "site.yml", "-e", "@/dev/zero"],
  },
  {
    ...applyWith("-e @ a missing file", {}, "nosuch.yml"),
    args: ["apply", "inventory.yml", "-p", "site.yml", "-e", "@nosuch.yml"],
  },
  {
    ...applyWith("-e @ a directory", { vars: { dir: true } }, /vars.*directory/),
    args: ["apply", "inventory.yml", "-p", "site.yml", "-e", "@vars"],
  },
];

// ---- 3. template and condition mistakes, found when the files load ----

const msg = (text: string) => task(`      debug:\n        msg: ${JSON.stringify(text)}\n`);
const templates: BadInput[] = [
  applyWith("an unclosed block in a task argument", { "site.yml": msg("{{#if x}}on") }, /site\.yml:\d+:\d+/),
  applyWith("an unclosed mustache", { "site.yml": msg("a {{ x") }, /site\.yml:\d+:\d+.*not closed/),
  applyWith("a block closed by another", { "site.yml": msg("{{#if x}}a{{/each}}") }, /site\.yml:\d+:\d+/),
  applyWith("an unclosed triple-stash", { "site.yml": msg("{{{ x }}") }, /site\.yml:\d+:\d+/),
  applyWith("an unknown helper", { "site.yml": msg("{{shout x}}") }, /site\.yml:\d+:\d+.*shout/),
  applyWith(
    "a helper with the wrong number of arguments",
    { "site.yml": msg("{{default x}}") },
    /site\.yml:\d+:\d+.*default/,
  ),
  applyWith("a partial", { "site.yml": msg("{{> header}}") }, /site\.yml:\d+:\d+.*partial/),
  applyWith(
    "a when: that does not parse",
    { "site.yml": task("      debug:\n        msg: hi\n      when: x ==\n") },
    /site\.yml:\d+:\d+/,
  ),
  applyWith("a Jinja filter", { "site.yml": msg("{{ x | upper }}") }, /site\.yml:\d+:\d+.*Jinja2/),
  applyWith("a Jinja statement", { "site.yml": msg("{% if x %}a{% endif %}") }, /site\.yml:\d+:\d+.*Jinja2/),
  withRole(
    "a template file with an unclosed block",
    {
      "tasks/main.yml": "- template: { src: site.conf.hbs, dest: /tmp/site.conf }\n",
      "templates/site.conf.hbs": "listen 80;\n{{#if tls}}\nlisten 443;\n",
    },
    /site\.conf\.hbs:\d+/,
  ),
  withRole(
    "a template src that is missing",
    { "tasks/main.yml": "- template: { src: nosuch.hbs, dest: /tmp/x }\n" },
    "nosuch.hbs",
  ),
  withRole(
    "a copy src that is missing",
    { "tasks/main.yml": "- copy: { src: nosuch.txt, dest: /tmp/x }\n" },
    "nosuch.txt",
  ),
  withRole(
    "a template src that is a directory",
    { "tasks/main.yml": "- template: { src: conf, dest: /tmp/x }\n", "templates/conf": { dir: true } },
    /conf.*directory/,
  ),
];

// ---- 4. YAML the tool cannot use ----

const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const yaml: BadInput[] = [
  applyWith(
    "deep nesting in the inventory",
    { "inventory.yml": `all:\n  vars:\n    x: ${deep(20000)}\n` },
    "inventory.yml",
  ),
  applyWith(
    "deep nesting in the playbook",
    { "site.yml": `- hosts: all\n  vars:\n    x: ${deep(20000)}\n` },
    "site.yml",
  ),
  applyWith(
    "!vault with no password to open it",
    {
      "inventory.yml":
        "all:\n  vars:\n    db_password: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      3132\n  hosts:\n    web1: @HOST@\n",
    },
    /inventory\.yml:3/,
  ),
  applyWith("an unknown tag", {
    "inventory.yml": "all:\n  vars:\n    x: !shout hi\n  hosts:\n    web1: @HOST@\n",
  }, /inventory\.yml:3/),
];

// ---- 5. inventories Ansible reads but a run cannot mean, and serial ----

const play = (keywords: string) => `- hosts: all\n${keywords}  tasks:\n    - debug:\n        msg: hi\n`;
const inventories: BadInput[] = [
  {
    ...applyWith("control: an inventory without all: (top-level groups, as Ansible reads it)", {
      "inventory.yml": "web:\n  hosts:\n    web1: @HOST@\n",
    }, ""),
    contacts: true,
  },
  applyWith(
    "a host written where groups go",
    { "inventory.yml": "web1: @HOST@\n" },
    /inventory\.yml:1:\d+ .*the inventory has no hosts: unknown key '.*' in group 'web1'/,
  ),
  applyWith(
    "a group and a host with the same name",
    {
      "inventory.yml":
        "all:\n  hosts:\n    web: @HOST@\n  children:\n    web:\n      hosts:\n        web1: @HOST@\n",
    },
    /inventory\.yml:3:5: 'web' is both a group and a host/,
  ),
  applyWith(
    "an empty inventory file",
    { "inventory.yml": "" },
    /inventory\.yml:1:1: the inventory has no hosts/,
  ),
  {
    name: "an empty directory as the inventory",
    args: ["apply", "inventory", "-p", "site.yml"],
    files: { "site.yml": PLAYBOOK, inventory: { dir: true } },
    error: /inventory:1:1: the inventory has no hosts \(an empty directory\)/,
  },
  applyWith(
    "serial: 0",
    { "site.yml": play("  serial: 0\n") },
    /site\.yml:2:\d+ serial: should be at least 1/,
  ),
  applyWith("serial: 0%", { "site.yml": play("  serial: 0%\n") }, /site\.yml:2:\d+ serial: /),
  applyWith("serial: [1, 0%]", { "site.yml": play("  serial: [1, 0%]\n") }, /site\.yml:2:\d+ serial\/1: /),
];

// ---- 6. the same template and YAML mistakes through lint: one finding each, file:line:col ----

const throughLint = (c: BadInput): BadInput => ({
  ...c,
  name: `lint: ${c.name}`,
  args: ["lint", ...Object.keys(c.files ?? {}).filter((f) => f === "site.yml" || f.startsWith("roles/"))],
  finding: true,
});
const linted: BadInput[] = [
  ...templates.map(throughLint),
  ...yaml.filter((c) => !c.name.includes("!vault")).map((c) => ({
    ...throughLint(c),
    args: ["lint", c.name.includes("playbook") ? "site.yml" : "inventory.yml"],
  })),
];

export const mistakeCases: BadInput[] = [
  ...controls,
  ...paths,
  ...endless,
  ...templates,
  ...yaml,
  ...inventories,
  ...linted,
];

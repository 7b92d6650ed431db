/**
 * Module names and arguments as Ansible users write them (`ansible.builtin.file: {dest: …}`), each run
 * by ansible-core 2.14 in check mode on localhost (test/ansible/generate.ts --modules, recorded in
 * modules.expected.json with `ansible-doc -j` of every module we implement). A case Ansible accepts
 * loads here as `ours` says, which is what Ansible's task loader made of it (its `_raw_params` our
 * free-form argument, aliases resolved as ansible-doc says, `key=value` texts typed); `refuse`: lago-provision refuses it at load, with this message at the
 * task's file:line, where Ansible goes on (with a warning, or a module we do not have).
 */
import { createHash } from "node:crypto";

export interface ModuleCase {
  name: string;
  /** One task as written (without `name`), run by Ansible in check mode on localhost. */
  task: Record<string, unknown>;
  /** What it loads as here: our module and (some of) its arguments. */
  ours?: { module: string; args: Record<string, unknown> };
  refuse?: RegExp;
}

export const moduleCaseHash = (c: ModuleCase): string =>
  createHash("sha256").update(JSON.stringify(c.task)).digest("hex").slice(0, 16);

export const moduleCases: ModuleCase[] = [
  {
    name: "file-dest",
    task: { "ansible.builtin.file": { dest: "/tmp/lago-fq/a", state: "directory", mode: "0755" } },
    ours: { module: "file", args: { path: "/tmp/lago-fq/a", state: "directory", mode: "0755" } },
  },
  {
    name: "file-name-legacy",
    task: { "ansible.legacy.file": { name: "/tmp/lago-fq/b", state: "absent" } },
    ours: { module: "file", args: { path: "/tmp/lago-fq/b", state: "absent" } },
  },
  {
    name: "copy-content",
    task: { "ansible.builtin.copy": { content: "hello\n", dest: "/tmp/lago-fq/c", mode: "0644" } },
    ours: { module: "copy", args: { content: "hello\n", dest: "/tmp/lago-fq/c", mode: "0644" } },
  },
  {
    name: "apt-update-cache-alone",
    task: { "ansible.builtin.apt": { update_cache: true, cache_valid_time: 86400 } },
    ours: { module: "apt", args: { update_cache: true, cache_valid_time: 86400 } },
  },
  {
    name: "apt-update-cache-hyphen",
    task: { "ansible.builtin.apt": { "update-cache": true, cache_valid_time: 86400 } },
    ours: { module: "apt", args: { update_cache: true, cache_valid_time: 86400 } },
  },
  {
    name: "apt-pkg",
    task: { "ansible.builtin.apt": { pkg: "bash", state: "present" } },
    ours: { module: "apt", args: { name: "bash", state: "present" } },
  },
  {
    name: "apt-package-list",
    task: { "ansible.builtin.apt": { package: ["bash", "coreutils"] } },
    ours: { module: "apt", args: { name: ["bash", "coreutils"] } },
  },
  {
    name: "package-name",
    task: { "ansible.builtin.package": { name: "bash", state: "present" } },
    ours: { module: "package", args: { name: "bash", state: "present" } },
  },
  {
    name: "stat-name",
    task: { "ansible.builtin.stat": { name: "/etc/hostname" } },
    ours: { module: "stat", args: { path: "/etc/hostname" } },
  },
  {
    name: "debug-msg",
    task: { "ansible.builtin.debug": { msg: "hello" } },
    ours: { module: "debug", args: { msg: "hello" } },
  },
  {
    name: "assert-msg",
    task: { "ansible.builtin.assert": { that: ["1 == 1"], msg: "never" } },
    ours: { module: "assert", args: { that: ["1 == 1"], fail_msg: "never" } },
  },
  {
    name: "command-free-form",
    task: { "ansible.builtin.command": "uname -a" },
    ours: { module: "command", args: { cmd: "uname -a" } },
  },
  {
    name: "shell-cmd",
    task: { "ansible.legacy.shell": { cmd: "echo hi | cat" } },
    ours: { module: "shell", args: { cmd: "echo hi | cat" } },
  },
  {
    name: "kv-file",
    task: { file: "path=/tmp/lago-fq/g state=directory mode=0755 recurse=yes owner=root" },
    ours: {
      module: "file",
      args: { path: "/tmp/lago-fq/g", state: "directory", mode: "0755", recurse: true, owner: "root" },
    },
  },
  {
    name: "kv-alias-and-long-name",
    task: { "ansible.builtin.file": "dest=/tmp/lago-fq/h state=absent" },
    ours: { module: "file", args: { path: "/tmp/lago-fq/h", state: "absent" } },
  },
  {
    name: "kv-quoted-value",
    task: { copy: `content="two words\n" dest=/tmp/lago-fq/i mode='0600'` },
    ours: { module: "copy", args: { content: "two words\n", dest: "/tmp/lago-fq/i", mode: "0600" } },
  },
  {
    name: "kv-template-with-spaces",
    task: { debug: `msg="{{ inventory_hostname }} and {{ inventory_hostname }}"` },
    ours: { module: "debug", args: { msg: "{{ inventory_hostname }} and {{ inventory_hostname }}" } },
  },
  {
    name: "kv-apt-list-and-number",
    task: { apt: "name=bash,coreutils cache_valid_time=86400 update_cache=yes" },
    ours: {
      module: "apt",
      args: { name: ["bash", "coreutils"], cache_valid_time: 86400, update_cache: true },
    },
  },
  {
    name: "kv-command-options-among-words",
    task: { command: "chdir=/tmp ls -l creates=/nonexistent-lago" },
    ours: { module: "command", args: { chdir: "/tmp", cmd: "ls -l", creates: "/nonexistent-lago" } },
  },
  {
    name: "kv-shell-keeps-other-equals",
    task: { shell: "FOO=bar echo $FOO removes=/nonexistent-lago" },
    ours: { module: "shell", args: { cmd: "FOO=bar echo $FOO", removes: "/nonexistent-lago" } },
  },
  {
    name: "args-keyword",
    task: { command: "ls", args: { chdir: "/tmp" } },
    ours: { module: "command", args: { chdir: "/tmp", cmd: "ls" } },
  },
  {
    name: "args-keyword-under-module-args",
    task: { file: { path: "/tmp/lago-fq/j" }, args: { path: "/tmp/lago-fq/k", state: "absent" } },
    ours: { module: "file", args: { path: "/tmp/lago-fq/j", state: "absent" } },
  },
  {
    name: "kv-word-without-equals",
    task: { file: "path=/tmp/lago-fq/l touch" },
    refuse: /'touch' is not key=value: write file's arguments as key=value words or as a mapping/,
  },
  {
    name: "alias-and-main-name",
    task: { "ansible.builtin.stat": { path: "/etc/hostname", name: "/etc/passwd" } },
    refuse: /'path' and 'name' are the same argument \(path\): keep one/,
  },
  {
    name: "two-aliases",
    task: { "ansible.builtin.file": { dest: "/tmp/lago-fq/d", name: "/tmp/lago-fq/e", state: "absent" } },
    refuse: /'name' and 'dest' are the same argument \(path\): keep one/,
  },
  {
    name: "builtin-module-we-lack",
    task: { "ansible.builtin.lineinfile": { path: "/tmp/lago-fq/f", line: "x", create: true } },
    refuse: /unknown module 'ansible\.builtin\.lineinfile'/,
  },
];

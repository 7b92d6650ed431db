/**
 * Lint benchmark (not a test): generates a repository of 500 playbook and role files (50 playbooks,
 * 90 roles of tasks, handlers, defaults, vars and a template, an inventory with group_vars) in a
 * temporary directory, runs `lago-provision lint` on it under Node (dist/, so `npm run build` first)
 * and under Deno (src/cli.ts), and prints the wall time of each run, the best and median of 5, and the
 * time per file. Target: under 1 s for the whole repository.
 *
 * Both runtimes use the validators compiled ahead of time (src/config/precompiled.ts): `npm run build`
 * writes Node's, and this script writes Deno's first (`deno run -A scripts/gen-validators.ts`).
 *
 * Node: `npm run build && node dist/scripts/bench-lint.js [--runs N] [--keep]`
 * Deno: `npx deno run -A scripts/bench-lint.ts [--runs N] [--keep]`
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { $ } from "zx";

const PLAYBOOKS = 50;
const ROLES = 90;

/** The repository root, from this file (scripts/ or dist/scripts/). */
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, here.includes(`${"dist"}`) ? "../.." : "..");

function write(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** A role like the real ones: ~10 tasks with templates, loops, conditions and handlers. */
function role(dir: string, n: number): void {
  const r = `role${n}`;
  const tasks = Array.from({ length: 10 }, (_, i) => {
    const kind = i % 5;
    if (kind === 0) {
      return `- name: ${r} config ${i}
  template:
    src: ${r}.conf.hbs
    dest: "{{ ${r}_dir }}/conf-${i}.conf"
    mode: "0640"
  notify: restart ${r}
`;
    }
    if (kind === 1) {
      return `- name: ${r} packages ${i}
  package:
    name: "{{ item }}"
    state: present
  loop: "{{ ${r}_packages }}"
  when: ansible_os_family == 'Debian' and ${r}_enabled
`;
    }
    if (kind === 2) {
      return `- name: ${r} directory ${i}
  file:
    path: "{{ ${r}_dir }}/data-${i}"
    state: directory
    mode: "0755"
`;
    }
    if (kind === 3) {
      return `- name: ${r} key ${i}
  command:
    cmd: openssl rand -hex -out {{ ${r}_dir }}/key-${i} 32
    creates: "{{ ${r}_dir }}/key-${i}"
  register: ${r}_key_${i}
`;
    }
    return `- name: ${r} service ${i}
  service:
    name: ${r}
    state: started
    enabled: true
  when: ${r}_key_${i - 1}.changed or ${r}_port > 1024
`;
  });
  write(dir, `roles/${r}/tasks/main.yml`, tasks.join("\n"));
  write(
    dir,
    `roles/${r}/handlers/main.yml`,
    `- name: restart ${r}\n  service:\n    name: ${r}\n    state: restarted\n`,
  );
  write(
    dir,
    `roles/${r}/defaults/main.yml`,
    `# Variables of ${r}\n${r}_dir: /opt/${r}\n${r}_port: ${8000 + n}\n${r}_enabled: true\n` +
      `${r}_packages: [curl, jq]\n${r}_image: "getlago/api:v1.50.0"\n`,
  );
  write(dir, `roles/${r}/vars/main.yml`, `${r}_user: ${r}\n${r}_listen: "0.0.0.0:{{ ${r}_port }}"\n`);
  write(
    dir,
    `roles/${r}/templates/${r}.conf.hbs`,
    `# {{ inventory_hostname }}\nlisten={{ ${r}_listen }}\nuser={{ ${r}_user }}\nimage={{ ${r}_image }}\n` +
      `{{#if ${r}_enabled}}enabled=true{{/if}}\nLAGO_API_URL=https://{{ lago_domain }}/api\n`,
  );
}

function playbook(dir: string, n: number): void {
  const roles = [0, 1].map((k) => `role${(n * 2 + k) % ROLES}`);
  write(
    dir,
    `playbooks/site${n}.yml`,
    `# yaml-language-server: $schema=../schemas/playbook.schema.json
- name: Play ${n}
  hosts: lago_web
  become: true
  vars:
    play_message: "deployed by play ${n} to {{ lago_domain }}"
  roles: [${roles.join(", ")}]
  tasks:
    - name: Motd
      copy:
        dest: /etc/motd
        content: "{{ play_message }}"
    - name: Uptime
      command: uptime
      changed_when: false
`,
  );
}

function generate(): string {
  const dir = mkdtempSync(join(tmpdir(), "lago-bench-lint-"));
  for (let i = 0; i < ROLES; i++) role(dir, i);
  for (let i = 0; i < PLAYBOOKS; i++) playbook(dir, i);
  write(
    dir,
    "inventory/hosts.yml",
    `# yaml-language-server: $schema=../schemas/inventory.schema.json
all:
  children:
    lago_web:
      hosts: { web1: , web2: }
    lago_clock:
      hosts: { web1: }
`,
  );
  write(dir, "inventory/group_vars/all.yml", "lago_domain: billing.example.com\nlago_use_aws_s3: true\n");
  return dir;
}

interface Timing {
  runtime: string;
  times: number[];
  findings: number;
}

async function measure(runtime: string, command: string[], dir: string, runs: number): Promise<Timing> {
  const times: number[] = [];
  let findings = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const out = await $({ cwd: dir, nothrow: true, quiet: true })`${command} lint --format json`;
    times.push(performance.now() - start);
    if (out.exitCode === 2) throw new Error(`${runtime}: ${out.stderr}`);
    findings = JSON.parse(out.stdout).length;
  }
  return { runtime, times, findings };
}

async function main(args: string[]): Promise<void> {
  const runs = Number(args[args.indexOf("--runs") + 1]) || 5;
  const dir = generate();
  const files = ROLES * 5 + PLAYBOOKS;
  console.log(`generated ${files} playbook/role files (+ inventory) in ${dir}`);
  const deno = join(root, "node_modules", ".bin", "deno");
  const denoConfig = ["--config", join(root, "deno.json")];
  await $({ cwd: root, quiet: true })`${deno} run -A ${denoConfig} scripts/gen-validators.ts`;
  for (const at of ["dist/src/config", "src/config"]) {
    const there = existsSync(join(root, at, "validators.generated.js"));
    console.log(`precompiled validators in ${at}: ${there ? "yes" : "NO (npm run build first)"}`);
  }
  console.log(
    `machine: ${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
  );
  const timings = [
    await measure("node", ["node", join(root, "dist", "src", "cli.js")], dir, runs),
    await measure(
      "deno",
      [deno, "run", "-A", ...denoConfig, join(root, "src", "cli.ts")],
      dir,
      runs,
    ),
  ];
  for (const t of timings) {
    const sorted = [...t.times].sort((a, b) => a - b);
    const best = sorted[0];
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(
      `${t.runtime.padEnd(5)} wall best ${best.toFixed(0)} ms, median ${median.toFixed(0)} ms ` +
        `(${(median / files).toFixed(2)} ms/file, ${t.findings} findings, ${runs} runs: ${
          t.times.map((x) => x.toFixed(0)).join(" ")
        })`,
    );
  }
  if (args.includes("--keep")) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

await main(process.argv.slice(2));

/**
 * Writes the expected values of the Ansible comparison tables by asking ansible-core itself:
 *
 *   npx deno run -A test/ansible/generate.ts           # rewrite test/ansible/*.expected.json
 *   npx deno run -A test/ansible/generate.ts --check   # exit 1 when they differ from what Ansible says now
 *   npx deno run -A test/ansible/generate.ts --modules # one table only (--jinja, --connections, --playbooks too)
 *
 * Needs ansible-core 2.14 (`apt-get install ansible-core` on Debian 12). Each inventory case is written
 * to a temporary directory and given to `ansible-inventory --list` (and `--graph`); files to encrypt
 * are encrypted with `ansible-vault`, and the encrypted text is kept in the expected file so the unit
 * tests use the very same bytes. Unit tests check that every case's input still hashes to the value
 * recorded here, so a case changed without regenerating fails.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { caseHash, type InventoryCase, inventoryCases, type InventoryExpected } from "./inventory.cases.ts";
import { connectionCases, connectionHash } from "./connection.cases.ts";
import { jinjaCases } from "./jinja.cases.ts";
import { literalCases } from "./literal.cases.ts";
import { moduleCaseHash, moduleCases } from "./modules.cases.ts";
import { playbookCaseHash, playbookCases, playbookText } from "./playbooks.cases.ts";
import { longModuleNames } from "../../src/config/ansible/module-names.ts";
import { modules } from "../../src/modules/index.ts";

const HERE = dirname(new URL(import.meta.url).pathname);
const check = process.argv.includes("--check");
/** `--only NAME…`: regenerate these inventory cases, keep the others as they are. */
const only = process.argv.includes("--only")
  ? process.argv.slice(process.argv.indexOf("--only") + 1)
  : undefined;

const ansibleEnv = (home: string) => ({
  ...process.env,
  HOME: home,
  ANSIBLE_NOCOLOR: "1",
  ANSIBLE_FORCE_COLOR: "0",
  ANSIBLE_INVENTORY_UNPARSED_FAILED: "1",
  ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: "1",
  ANSIBLE_LOCAL_TEMP: join(home, "tmp"),
  ANSIBLE_DEPRECATION_WARNINGS: "0",
  // Ansible wraps its messages to the terminal's width: one message per line instead.
  COLUMNS: "1000",
});

/**
 * Ansible's messages without the temporary directory, one per message: Ansible wraps them at 79
 * columns (breaking at hyphens too, hence directory names without one).
 */
const clean = (text: string, dir: string) =>
  text.replaceAll(`${dir}/`, "").replaceAll(dir, ".").split(/\n(?=\[WARNING\]|\[DEPRECATION|ERROR!)/)
    .map((m) => m.replace(/\s*\n\s*/g, " ").trim()).filter(Boolean);

function encryptString(plain: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const out = execFileSync("ansible-vault", ["encrypt_string", ...args, plain], {
    cwd,
    env,
    encoding: "utf8",
  });
  return out.trim();
}

function runCase(c: InventoryCase): InventoryExpected {
  const dir = mkdtempSync(join(tmpdir(), "ansiblecase"));
  const home = mkdtempSync(join(tmpdir(), "ansiblehome"));
  mkdirSync(join(home, "tmp"));
  const env = ansibleEnv(home);
  try {
    const files = { ...c.files };
    const vaultArgs: string[] = [];
    if (c.vault) {
      writeFileSync(join(dir, "vault-pass"), c.vault.password + "\n", { mode: 0o600 });
      const idArgs = c.vault.id
        ? ["--vault-id", `${c.vault.id}@vault-pass`]
        : ["--vault-password-file", "vault-pass"];
      for (const [path, text] of Object.entries(files)) {
        files[path] = text.replace(
          /!vault (.+)$/gm,
          (_m, plain: string) => encryptString(plain, idArgs, dir, env),
        );
      }
      for (const path of c.vault.encrypt ?? []) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), files[path]);
        execFileSync("ansible-vault", ["encrypt", ...idArgs, path], { cwd: dir, env });
        files[path] = readFileSync(join(dir, path), "utf8");
      }
      writeFileSync(join(dir, "vault-pass"), (c.vault.decryptWith ?? c.vault.password) + "\n", {
        mode: 0o600,
      });
      vaultArgs.push("--vault-password-file", "vault-pass");
    }
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    chmodSync(dir, 0o755);
    const sources = (c.sources ?? ["hosts"]).flatMap((s) => ["-i", s]);
    const run = (what: string[]) =>
      spawnSync("ansible-inventory", [...sources, ...vaultArgs, ...what], {
        cwd: dir,
        env,
        encoding: "utf8",
      });
    const list = run(["--list"]);
    const changed = JSON.stringify(files) !== JSON.stringify(c.files) ? files : undefined;
    const messages = clean(list.stderr, dir);
    if (list.status !== 0) {
      return { hash: caseHash(c), files: changed, error: messages.join("\n"), warnings: [] };
    }
    const warnings = messages.filter((l) => l.startsWith("[WARNING]"));
    const expected: InventoryExpected = {
      hash: caseHash(c),
      files: changed,
      list: JSON.parse(list.stdout),
      warnings,
    };
    if (c.graph) expected.graph = run(["--graph"]).stdout.trimEnd();
    return expected;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * What Ansible's INI plugin makes of each value, as a group variable: the value, or `{ error }` when
 * ansible-inventory fails on it (a Python literal with no JSON form).
 */
function runLiterals(): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "ansibleliterals"));
  const hostVars = (texts: string[]) => {
    const lines = texts.map((text, i) => `v${i} = ${text}`);
    writeFileSync(join(dir, "hosts"), `[g]\nh\n[g:vars]\n${lines.join("\n")}\n`);
    const run = spawnSync("ansible-inventory", ["-i", "hosts", "--host", "h"], {
      cwd: dir,
      env: ansibleEnv(dir),
      encoding: "utf8",
    });
    if (run.status !== 0) {
      return { error: clean(run.stderr, dir).find((l) => l.startsWith("ERROR!")) ?? "failed" };
    }
    const vars = JSON.parse(run.stdout) as Record<string, unknown>;
    return { values: texts.map((_t, i) => vars[`v${i}`]) };
  };
  // One run for all of them; a value Ansible fails on is found by halving (a run takes a second).
  const values = (texts: string[]): [string, unknown][] => {
    const run = hostVars(texts);
    if (run.values) return texts.map((text, i) => [text, run.values![i]]);
    if (texts.length === 1) return [[texts[0], { error: run.error }]];
    const half = Math.ceil(texts.length / 2);
    return [...values(texts.slice(0, half)), ...values(texts.slice(half))];
  };
  try {
    return Object.fromEntries(values(literalCases));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each Jinja case rendered by Ansible's template module (one playbook run for all of them). */
function runJinja(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "ansiblejinja"));
  try {
    mkdirSync(join(dir, "templates"));
    mkdirSync(join(dir, "out"));
    for (const c of jinjaCases) writeFileSync(join(dir, "templates", `${c.name}.j2`), c.template);
    const tasks = jinjaCases.map((c) => ({
      name: c.name,
      template: { src: `templates/${c.name}.j2`, dest: join(dir, "out", c.name) },
      vars: c.vars,
    }));
    writeFileSync(
      join(dir, "play.json"),
      JSON.stringify([{ hosts: "localhost", gather_facts: false, tasks }]),
    );
    const run = spawnSync("ansible-playbook", ["-i", "localhost,", "-c", "local", "play.json"], {
      cwd: dir,
      env: ansibleEnv(dir),
      encoding: "utf8",
    });
    if (run.status !== 0) throw new Error(`ansible-playbook failed:\n${run.stdout}\n${run.stderr}`);
    return Object.fromEntries(
      jinjaCases.map((c) => [c.name, readFileSync(join(dir, "out", c.name), "utf8")]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What OpenSSH resolves (`ssh -G`) for each connection case, given the arguments Ansible passes. */
export type SshResolved = Record<string, string[]>;

function runConnections(): { resolved: Record<string, SshResolved>; hashes: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "ansibleconnection"));
  const fake = join(dir, "fake-ssh");
  // Records the arguments Ansible gives ssh, then fails like an unreachable host.
  writeFileSync(
    fake,
    "#!/usr/bin/python3\nimport json, os, sys\njson.dump(sys.argv[1:], open(os.environ['FAKE_SSH_OUT'], 'w'))\nsys.exit(255)\n",
    { mode: 0o755 },
  );
  const out: Record<string, SshResolved> = {};
  const hashes: Record<string, string> = {};
  try {
    for (const c of connectionCases) {
      hashes[c.name] = connectionHash(c);
      const target = c.target ?? c.inventory.split(/\s/)[0];
      writeFileSync(join(dir, "hosts"), c.inventory);
      writeFileSync(join(dir, "ssh_config"), c.sshConfig ?? "");
      const env = {
        ...ansibleEnv(dir),
        ANSIBLE_SSH_EXECUTABLE: fake,
        ANSIBLE_SSH_ARGS: `-F ${join(dir, "ssh_config")}`,
        ANSIBLE_SSH_RETRIES: "0",
        FAKE_SSH_OUT: join(dir, "args.json"),
      };
      rmSync(join(dir, "args.json"), { force: true });
      const run = spawnSync("ansible", ["-i", "hosts", target, "-m", "ping"], {
        cwd: dir,
        env,
        encoding: "utf8",
      });
      if (!existsSync(join(dir, "args.json"))) {
        // Ansible did not use ssh at all (another connection type): what it said instead.
        out[c.name] = { ansible: clean(run.stdout + run.stderr, dir).slice(0, 1) };
        continue;
      }
      const args = JSON.parse(readFileSync(join(dir, "args.json"), "utf8")) as string[];
      const resolved = spawnSync("ssh", ["-G", ...args.slice(0, -1)], { cwd: dir, encoding: "utf8" });
      if (resolved.status !== 0) throw new Error(`${c.name}: ssh -G failed: ${resolved.stderr}`);
      const keys = [
        "hostname",
        "port",
        "user",
        "identityfile",
        "proxyjump",
        "proxycommand",
        "userknownhostsfile",
        "stricthostkeychecking",
        "connecttimeout",
      ];
      const fields: SshResolved = {};
      for (const line of resolved.stdout.split("\n")) {
        const [key, ...rest] = line.split(" ");
        if (keys.includes(key)) {
          (fields[key] ??= []).push(rest.join(" ").replaceAll(dir, "~").replaceAll(homedir(), "~"));
        }
      }
      out[c.name] = fields;
    }
    return { resolved: out, hashes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per task result, as test/ansible/callback/record.py writes it. */
export interface Recorded {
  task: string;
  status: string;
  msg?: unknown;
  item?: unknown;
  path?: string;
  warnings?: string[];
}

/** Run a playbook (plays as data, or YAML text) on localhost with the recording callback: its results. */
function runRecorded(
  plays: unknown[] | string,
  dir: string,
  flags: string[] = [],
  stats?: (recap: Record<string, number>) => void,
): Recorded[] {
  writeFileSync(join(dir, "play.json"), typeof plays === "string" ? plays : JSON.stringify(plays));
  const out = join(dir, "record.jsonl");
  rmSync(out, { force: true });
  const run = spawnSync("ansible-playbook", ["-i", "localhost,", "-c", "local", ...flags, "play.json"], {
    cwd: dir,
    env: {
      ...ansibleEnv(dir),
      ANSIBLE_CALLBACK_PLUGINS: join(HERE, "callback"),
      ANSIBLE_STDOUT_CALLBACK: "record",
      RECORD_OUT: out,
    },
    encoding: "utf8",
  });
  if (!existsSync(out)) {
    // Refused before it ran: Ansible's error, as one line.
    const error = clean(run.stdout + run.stderr, dir).find((l) => l.startsWith("ERROR!"));
    if (error) return [{ task: "", status: "error", msg: error.split(" The error appears")[0] }];
    throw new Error(`ansible-playbook recorded nothing:\n${run.stdout}\n${run.stderr}`);
  }
  const lines = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const recap = lines.find((r) => r.stats)?.stats?.localhost;
  if (stats && recap) stats(recap);
  return lines.filter((r) => !r.stats);
}

/** Each module case run in check mode (one playbook), and `ansible-doc -j` of our modules' long names. */
function runModules() {
  const dir = mkdtempSync(join(tmpdir(), "ansiblemodules"));
  try {
    // What Ansible's task loader makes of each task (Debian's python3 has ansible-core).
    const parse = spawnSync("/usr/bin/python3", [join(HERE, "callback", "parse_tasks.py")], {
      input: JSON.stringify(moduleCases.map((c) => c.task)),
      encoding: "utf8",
      env: ansibleEnv(dir),
    });
    if (parse.status !== 0) throw new Error(`parse_tasks.py failed: ${parse.stderr}`);
    const parsed = JSON.parse(parse.stdout) as Record<string, unknown>[];
    // The ones it loads, run in check mode (a task it cannot load would stop the whole playbook).
    const runnable = moduleCases.filter((_c, i) => !parsed[i].error);
    const tasks = runnable.map((c) => ({ name: c.name, ...c.task, ignore_errors: true }));
    const recorded = runRecorded([{ hosts: "localhost", gather_facts: false, tasks }], dir, ["--check"]);
    const results = Object.fromEntries(
      moduleCases.map((c, i) => {
        const run = recorded.find((r) => r.task === c.name);
        const ran = run ? { status: run.status, msg: run.msg, warnings: run.warnings } : { status: "error" };
        return [c.name, { parsed: parsed[i], ...ran }];
      }),
    );
    const names = [...longModuleNames(modules).keys()].filter((n) => n.startsWith("ansible.builtin."));
    const docs = JSON.parse(
      execFileSync("ansible-doc", ["-j", ...names], { encoding: "utf8", env: ansibleEnv(dir) }),
    );
    const options = Object.fromEntries(
      Object.entries(docs as Record<string, { doc: { options?: Record<string, { aliases?: string[] }> } }>)
        .map(([name, { doc }]) => [
          name,
          Object.fromEntries(Object.entries(doc.options ?? {}).map(([o, v]) => [o, v.aliases ?? []])),
        ]),
    );
    const hashes = Object.fromEntries(moduleCases.map((c) => [c.name, moduleCaseHash(c)]));
    return { hashes, results, options };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each playbook case run for real on localhost (they only print and set variables). */
function runPlaybooks() {
  const dir = mkdtempSync(join(tmpdir(), "ansibleplaybooks"));
  try {
    // The recap of each case too: what it counts as failed and rescued.
    const stats: Record<string, Record<string, number>> = {};
    const results = Object.fromEntries(
      playbookCases.map((c) => [
        c.name,
        runRecorded(playbookText(c, "localhost"), dir, [], (recap) => stats[c.name] = recap),
      ]),
    );
    const hashes = Object.fromEntries(playbookCases.map((c) => [c.name, playbookCaseHash(c)]));
    return { hashes, results, stats };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function write(name: string, value: unknown): boolean {
  const path = join(HERE, name);
  const text = JSON.stringify(value, null, 2) + "\n";
  if (!check) {
    writeFileSync(path, text);
    return true;
  }
  let old = "{}";
  try {
    old = readFileSync(path, "utf8");
  } catch {
    // never generated
  }
  // Encrypted files differ on every run (random salt): compare everything else.
  const strip = (t: string) => JSON.stringify(JSON.parse(t), (k, v) => (k === "files" ? undefined : v));
  const same = strip(old) === strip(text);
  if (!same) console.error(`${name}: differs from what ansible-core says now`);
  return same;
}

const version = execFileSync("ansible", ["--version"], { encoding: "utf8" }).split("\n")[0];
console.log(
  `${version}: ${inventoryCases.length} inventory cases, ${literalCases.length} INI values, ` +
    `${jinjaCases.length} templates`,
);
/** `--jinja`, `--connections`: only that table (seconds). */
if (process.argv.includes("--jinja")) {
  process.exit(write("jinja.expected.json", { ansible: version, outputs: runJinja() }) ? 0 : 1);
}
if (process.argv.includes("--playbooks")) {
  process.exit(write("playbooks.expected.json", { ansible: version, ...runPlaybooks() }) ? 0 : 1);
}
if (process.argv.includes("--modules")) {
  process.exit(write("modules.expected.json", { ansible: version, ...runModules() }) ? 0 : 1);
}
if (process.argv.includes("--connections")) {
  process.exit(write("connection.expected.json", { ansible: version, ...runConnections() }) ? 0 : 1);
}
const previous = only ? JSON.parse(readFileSync(join(HERE, "inventory.expected.json"), "utf8")).cases : {};
const inventories: Record<string, InventoryExpected> = {};
for (const c of inventoryCases) {
  inventories[c.name] = only && !only.includes(c.name) ? previous[c.name] : runCase(c);
}
const ok = [
  write("inventory.expected.json", { ansible: version, cases: inventories }),
  only ? true : write("literal.expected.json", { ansible: version, values: runLiterals() }),
  only ? true : write("jinja.expected.json", { ansible: version, outputs: runJinja() }),
  only ? true : write("connection.expected.json", { ansible: version, ...runConnections() }),
  only ? true : write("modules.expected.json", { ansible: version, ...runModules() }),
  only ? true : write("playbooks.expected.json", { ansible: version, ...runPlaybooks() }),
].every(Boolean);
process.exit(ok ? 0 : 1);

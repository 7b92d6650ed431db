/**
 * Writes the expected values of the Ansible comparison tables by asking ansible-core itself:
 *
 *   npx deno run -A test/ansible/generate.ts           # rewrite test/ansible/*.expected.json
 *   npx deno run -A test/ansible/generate.ts --check   # exit 1 when they differ from what Ansible says now
 *
 * Needs ansible-core 2.14 (`apt-get install ansible-core` on Debian 12). Each inventory case is written
 * to a temporary directory and given to `ansible-inventory --list` (and `--graph`); files to encrypt
 * are encrypted with `ansible-vault`, and the encrypted text is kept in the expected file so the unit
 * tests use the very same bytes. Unit tests check that every case's input still hashes to the value
 * recorded here, so a case changed without regenerating fails.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { caseHash, type InventoryCase, inventoryCases, type InventoryExpected } from "./inventory.cases.ts";
import { jinjaCases } from "./jinja.cases.ts";
import { literalCases } from "./literal.cases.ts";

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
/** `--jinja`: only the templates (a second or two). */
if (process.argv.includes("--jinja")) {
  process.exit(write("jinja.expected.json", { ansible: version, outputs: runJinja() }) ? 0 : 1);
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
].every(Boolean);
process.exit(ok ? 0 : 1);

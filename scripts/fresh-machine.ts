/**
 * The README on a fresh Debian machine, as root: `npm run fresh-machine -- demo` copies the committed HEAD
 * into a pristine Debian container (scripts/lib/fresh-machine.ts) and runs the README's demo command there;
 * `test` runs its test command (arguments after `--` go to it); `prepare` runs only what comes before the
 * demo (npm install, build, scripts/prepare-machine.sh) and checks that everything is installed and
 * running. Each step's exit code and time are printed at the end; the machine is removed unless --keep.
 *
 * The demo and the tests run their own testbed hosts (containers) inside that machine, three levels of
 * containers deep: slow, and not part of CI for that reason.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CHECKOUT,
  execEnv,
  freshMachine,
  listMachines,
  machineName,
  readmeCommands,
  removeMachine,
  uncommitted,
} from "./lib/fresh-machine.ts";
import { runMain } from "./lib/run-main.ts";
import { type Codename, CODENAMES, repoRoot } from "./lib/testbed-paths.ts";

const USAGE = "usage: fresh-machine prepare|demo|test [--codename bookworm|trixie] [--keep] [-- TEST ARGS]" +
  " | down";

const log = (msg: string) => console.log(`[fresh-machine] ${msg}`);

/** The commands for `prepare`: what a user runs before the demo, then proof that it all works. */
const PREPARE = [
  "npm install && npm run build",
  "bash scripts/prepare-machine.sh test",
  "docker info -f 'Docker {{.ServerVersion}}, storage {{.Driver}}' && command -v debootstrap docker-registry" +
  " pebble pebble-challtestsrv ssh ssh-keygen openssl git && node_modules/.bin/deno --version | head -1",
  // Again: quick, changes nothing.
  "bash scripts/prepare-machine.sh test",
  // The step after the preparation: testbed images built and a host started, inside the machine.
  "npm run testbed -- up 1",
];

function runIn(name: string, command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", ["exec", ...execEnv(), "-w", CHECKOUT, name, "bash", "-lc", command], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { codename: { type: "string", default: "bookworm" }, keep: { type: "boolean" } },
  });
  const [mode, ...testArgs] = positionals;
  const codename = values.codename as Codename;
  if (!CODENAMES.includes(codename)) throw new Error(`--codename: one of ${CODENAMES.join(", ")}`);
  if (mode === "down") {
    for (const m of await listMachines()) await removeMachine(m);
    return 0;
  }
  const readme = readmeCommands(readFileSync(join(repoRoot, "README.md"), "utf8"));
  const commands = mode === "prepare"
    ? PREPARE
    : mode === "demo"
    ? [readme.demo]
    : mode === "test"
    ? [[readme.test, ...testArgs.length ? ["--", ...testArgs] : []].join(" ")]
    : null;
  if (!commands) {
    console.error(USAGE);
    return 2;
  }

  if (await uncommitted()) log("warning: uncommitted changes are not copied (git archive HEAD)");
  const name = machineName(codename);
  const started = Date.now();
  const node = await freshMachine(name, codename);
  log(`${name}: fresh Debian ${codename}, node ${node}, HEAD in ${CHECKOUT} (${secondsSince(started)})`);
  const results: string[] = [];
  let failed = false;
  for (const command of commands) {
    log(`# ${command}`);
    const t = Date.now();
    const code = await runIn(name, command);
    results.push(`  exit ${code}  ${secondsSince(t).padStart(7)}  ${command}`);
    if (code !== 0) {
      failed = true;
      break;
    }
  }
  console.log(`\n[fresh-machine] ${name} (Debian ${codename}, node ${node}), as root:`);
  console.log(results.join("\n"));
  if (values.keep) {
    log(`kept: docker exec -it -w ${CHECKOUT} ${name} bash; remove: npm run fresh-machine -- down`);
  } else await removeMachine(name);
  return failed ? 1 : 0;
}

const secondsSince = (t: number) => `${((Date.now() - t) / 1000).toFixed(0)} s`;

await runMain("fresh-machine", main);

/**
 * A write cut off never replaces a file (issue 17), on real testbed hosts over real SSH: the controller
 * killed with SIGKILL at several moments of a large `copy`, a large `template` and the lago role's
 * lago.env, through sudo and into a directory the run creates; the host frozen and its network cut
 * mid-write. Each time the target holds the old or the complete new content, and a re-run converges
 * and leaves no temp file. SIGINT and SIGTERM: the running write finishes, nothing new starts, the lock
 * is released, the recap printed, exit 130 / 143.
 *
 * "A moment" is a byte count: the process receiving the write on the host is stopped once its temp
 * file holds that many bytes (faults.ts), then the controller is killed, then the process goes on.
 */
import { randomBytes } from "node:crypto";
import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import process from "node:process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import {
  type CliResult,
  failuresOf,
  recapOf,
  repoRoot,
  resultsOf,
  runCli,
  startCli,
  type StartedCli,
} from "./cli.ts";
import { freeze, type Hold, holdWrite, leftovers, reconnector, release, shaIn, waitGone } from "./faults.ts";
import { execIn, type Testbed, unpauseHost, useTestbed } from "./testbed.ts";

const MiB = 1024 * 1024;
const sha = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

let tb: Testbed;
let host: string;
let work: string;
let becomeInventory: string;
const holds: Hold[] = [];

/**
 * 64 MiB to copy, and the 1 MiB file it replaces. Between the controller and the receiving process up to
 * about 20 MiB sit in buffers (TCP on both ends, docker's port proxy, sshd), which still reach the host
 * after the moment a write is held: the moments stay below 64 - 20 - a margin, so that what reaches the
 * host is always a part (the watcher reports how much ever did).
 */
const BIG = new Uint8Array(randomBytes(64 * MiB));
const OLD = randomBytes(768 * 1024).toString("base64");
/** A 40 MiB template: static text around a variable, rendered by handlebars. */
const TEMPLATE = "version {{ version }}\n" +
  "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+/=\n".repeat(40 * MiB / 64);
const rendered = (version: string) => TEMPLATE.replace("{{ version }}", version);

const DIR = "/srv/faults";
const COPY_DEST = `${DIR}/big.bin`;
const TEMPLATE_DEST = `${DIR}/big.conf`;
const NEW_DIR_DEST = "/srv/faults-new/sub/big.bin";
const BECOME_DEST = "/srv/faults-become/big.bin";

function playbook(
  name: string,
  tasks: Record<string, unknown>[],
  vars: Record<string, unknown> = {},
): string {
  const path = join(work, `${name}.yml`);
  writeFileSync(path, stringify([{ name, hosts: "all", vars, tasks }]));
  return path;
}

const dirTask = (path: string) => ({ name: "directory", file: { path, state: "directory" } });
const copyTask = (dest: string) => ({
  name: "big file",
  copy: { src: join(work, "big.bin"), dest, mode: "0640" },
});
const after = { name: "after", command: { cmd: `touch ${DIR}/after`, creates: `${DIR}/after` } };

let copyPlay: string, templatePlay: string, newDirPlay: string, becomePlay: string;

beforeAll(async () => {
  tb = await useTestbed(2);
  host = tb.hosts[0].name;
  work = mkdtempSync(join(tmpdir(), "lago-faults-e2e-"));
  writeFileSync(join(work, "big.bin"), BIG);
  writeFileSync(join(work, "big.conf.hbs"), TEMPLATE);
  copyPlay = playbook("copy", [dirTask(DIR), copyTask(COPY_DEST), after]);
  templatePlay = playbook("template", [dirTask(DIR), {
    name: "big template",
    template: { src: join(work, "big.conf.hbs"), dest: TEMPLATE_DEST },
  }], { version: "two" });
  newDirPlay = playbook("new-dir", [dirTask("/srv/faults-new/sub"), copyTask(NEW_DIR_DEST)]);
  becomePlay = playbook("become", [dirTask("/srv/faults-become"), copyTask(BECOME_DEST)]);
  // The same host, logged in as `deploy`, root through sudo.
  const h = tb.hosts[0];
  becomeInventory = join(work, "inventory-become.yml");
  writeFileSync(
    becomeInventory,
    stringify({
      all: {
        hosts: {
          [host]: {
            ansible_host: "127.0.0.1",
            ansible_port: h.port,
            ansible_user: "deploy",
            ansible_become: true,
            ansible_ssh_private_key_file: tb.keyPath,
          },
        },
        vars: { known_hosts_file: tb.knownHostsPath },
      },
    }),
  );
});

afterEach(() => {
  holds.splice(0).forEach((h) => h.cancel());
});

afterAll(async () => {
  await execIn(host, ["rm", "-rf", DIR, "/srv/faults-new", "/srv/faults-become"], { allowFailure: true });
  rmSync(work, { recursive: true, force: true });
});

const apply = (play: string, inventory = tb.inventoryPath) =>
  runCli(["apply", inventory, "-p", play, "-l", host, "--json"]);
const start = (play: string, inventory = tb.inventoryPath, extra: string[] = ["--json"]) =>
  startCli(["apply", inventory, "-p", play, "-l", host, ...extra]);

/** Puts `content` at `dest` on the host, through docker exec. */
async function put(dest: string, content: string): Promise<void> {
  await execIn(host, ["mkdir", "-p", dest.replace(/\/[^/]*$/, "")]);
  await execIn(host, ["sh", "-c", `cat > '${dest}'`], { input: content });
}

/** Freezes the host until the run ends (it gives up on the host), then thaws it. */
async function endWhileFrozen(run: StartedCli): Promise<CliResult> {
  await freeze(host);
  try {
    return await run.done;
  } finally {
    await unpauseHost(host);
  }
}

/** Watches the next write to `dest`; resolves once the watcher runs, so the run may start. */
async function hold(dest: string, bytes: number, action: "stop" | "cut" = "stop"): Promise<Hold> {
  const h = holdWrite(host, dest, bytes, action);
  holds.push(h);
  await h.ready;
  return h;
}

/** A re-run converges: exit 0, the new content, no temp file; the run after it changes nothing. */
async function expectConverges(play: string, dest: string, want: string, inventory = tb.inventoryPath) {
  const again = await apply(play, inventory);
  expect(again.code, failuresOf(again)).toBe(0);
  expect(await shaIn(host, dest)).toBe(want);
  expect(await leftovers(host, dest)).toEqual([]);
  const settled = await apply(play, inventory);
  expect(recapOf(settled)[host]).toMatchObject({ changed: 0, failed: 0 });
}

/**
 * Kills the controller (SIGKILL) once `bytes` bytes of the write to `dest` reached the host, lets the
 * host go on, and checks the target still holds `before`.
 */
async function killAt(
  play: string,
  dest: string,
  bytes: number,
  total: number,
  before: string,
  inventory?: string,
) {
  const h = await hold(dest, bytes);
  const run = start(play, inventory);
  const first = await Promise.race([h.held, run.done]);
  if ("code" in first) throw new Error(`the run ended before the write was held: ${failuresOf(first)}`);
  expect(first.size).toBeGreaterThanOrEqual(bytes);
  expect(first.size, "held before the whole file came").toBeLessThan(total);
  run.child.kill("SIGKILL");
  expect((await run.done).signal).toBe("SIGKILL");
  await release(host, first.pid);
  await waitGone(host, first.pid);
  expect(await h.final, "the most that ever reached the host").toBeLessThan(total);
  expect(await shaIn(host, dest), `killed at ${first.size} of ${total} bytes`).toBe(before);
  expect(await leftovers(host, dest)).toEqual([]);
}

describe("the controller killed mid-write", () => {
  it.each([0, 8 * MiB, 16 * MiB, 24 * MiB])(
    "a 64 MiB copy killed at %i bytes leaves the old file; a re-run installs the new one",
    async (bytes) => {
      await put(COPY_DEST, OLD);
      await killAt(copyPlay, COPY_DEST, bytes, BIG.length, sha(OLD));
      await expectConverges(copyPlay, COPY_DEST, sha(BIG));
    },
  );

  it.each([0, 8 * MiB])("a 40 MiB template killed at %i bytes leaves the old file", async (bytes) => {
    const old = rendered("one");
    await put(TEMPLATE_DEST, old);
    await killAt(templatePlay, TEMPLATE_DEST, bytes, old.length, sha(old));
    await expectConverges(templatePlay, TEMPLATE_DEST, sha(rendered("two")));
  });

  it("through sudo (deploy, become): the old file stays; a re-run installs the new one", async () => {
    await put(BECOME_DEST, OLD);
    await killAt(becomePlay, BECOME_DEST, 16 * MiB, BIG.length, sha(OLD), becomeInventory);
    await expectConverges(becomePlay, BECOME_DEST, sha(BIG), becomeInventory);
    const owner = await execIn(host, ["stat", "-c", "%U %a", BECOME_DEST]);
    expect(owner.stdout.trim()).toBe("root 640");
  });

  it("into a directory the run creates: no file at all; a re-run installs it", async () => {
    await execIn(host, ["rm", "-rf", "/srv/faults-new"]);
    await killAt(newDirPlay, NEW_DIR_DEST, 16 * MiB, BIG.length, "absent");
    await expectConverges(newDirPlay, NEW_DIR_DEST, sha(BIG));
  });
});

describe("the connection cut mid-write", () => {
  it("host frozen: the controller gives up, the host thaws and drops the write; a re-run installs it", async () => {
    await put(COPY_DEST, OLD);
    const h = await hold(COPY_DEST, 16 * MiB);
    const run = start(copyPlay);
    const held = await h.held;
    // SSH keepalives go unanswered: the host is reported unreachable.
    const r = await endWhileFrozen(run);
    expect(r.code).toBe(1);
    expect(resultsOf(r, host).find((e) => e.status === "unreachable")?.msg).toMatch(/connection lost/);
    await release(host, held.pid);
    await waitGone(host, held.pid);
    expect(await h.final).toBeLessThan(BIG.length);
    expect(await shaIn(host, COPY_DEST)).toBe(sha(OLD));
    expect(await leftovers(host, COPY_DEST)).toEqual([]);
    await expectConverges(copyPlay, COPY_DEST, sha(BIG));
  });

  it("network down: the write never completes; a re-run clears what it left and installs the file", async () => {
    await put(COPY_DEST, OLD);
    const reconnect = await reconnector(host);
    // At 16 MiB the host's own network goes down: what is in flight is lost, nothing is closed.
    const h = await hold(COPY_DEST, 16 * MiB, "cut");
    const run = start(copyPlay);
    let r: CliResult;
    try {
      await h.held;
      r = await run.done;
    } finally {
      await reconnect();
    }
    expect(r.code).toBe(1);
    expect(resultsOf(r, host).find((e) => e.status === "unreachable")?.msg).toMatch(/connection lost/);
    expect(await shaIn(host, COPY_DEST)).toBe(sha(OLD));
    await expectConverges(copyPlay, COPY_DEST, sha(BIG));
    // The receiver of the cut write, if the host has not noticed yet, ends without a trace.
    await execIn(host, ["kill", "-9", String((await h.held).pid)], { allowFailure: true });
    expect(await shaIn(host, COPY_DEST)).toBe(sha(BIG));
    expect(await leftovers(host, COPY_DEST)).toEqual([]);
  });
});

describe("the lago role's lago.env", () => {
  let envPlay: (version: string) => string;
  const ENV = "/opt/lago-faults/lago.env";

  beforeAll(() => {
    // The role's own template, defaults and tasks (the directory and lago.env), as a role of its own.
    const role = join(work, "roles", "lagoenv");
    mkdirSync(join(role, "tasks"), { recursive: true });
    mkdirSync(join(role, "templates"));
    mkdirSync(join(role, "defaults"));
    copyFileSync(join(repoRoot, "roles/lago/templates/lago.env.hbs"), join(role, "templates/lago.env.hbs"));
    copyFileSync(join(repoRoot, "roles/lago/defaults/main.yml"), join(role, "defaults/main.yml"));
    const tasks = parse(readFileSync(join(repoRoot, "roles/lago/tasks/main.yml"), "utf8")) as {
      name: string;
    }[];
    const wanted = tasks.filter((t) => t.name === "Lago directory" || t.name.startsWith("lago.env"));
    expect(wanted).toHaveLength(2);
    writeFileSync(join(role, "tasks/main.yml"), stringify(wanted));
    envPlay = (version) => {
      const path = join(work, `env-${version}.yml`);
      const secret = (name: string) => `${name.toLowerCase()}-${version}-${"x".repeat(40)}`;
      const names = [
        "SECRET_KEY_BASE",
        "LAGO_RSA_PRIVATE_KEY",
        "LAGO_ENCRYPTION_PRIMARY_KEY",
        "LAGO_ENCRYPTION_DETERMINISTIC_KEY",
        "LAGO_ENCRYPTION_KEY_DERIVATION_SALT",
        "POSTGRES_PASSWORD",
        "REDIS_PASSWORD",
      ];
      writeFileSync(
        path,
        stringify([{
          name: "lago.env",
          hosts: "all",
          vars: {
            lago_dir: "/opt/lago-faults",
            lago_secret_values: { secrets: Object.fromEntries(names.map((n) => [n, secret(n)])) },
          },
          roles: ["lagoenv"],
        }]),
      );
      return path;
    };
  });

  const envSha = () => shaIn(host, ENV);
  /** lago.env with the values of run "one" (the old file) and of run "two" (the new one). */
  let old: string, fresh: string;
  const reset = async () => {
    expect((await apply(envPlay("one"))).code).toBe(0);
    expect(await envSha()).toBe(old);
  };
  const isEnvTask = (e: Record<string, any>) => /^lago\.env/.test(e.task ?? "");

  beforeAll(async () => {
    await execIn(host, ["rm", "-rf", "/opt/lago-faults"]);
    expect((await apply(envPlay("one"))).code).toBe(0);
    old = await envSha();
    expect((await apply(envPlay("two"))).code).toBe(0);
    fresh = await envSha();
    expect(fresh).not.toBe(old);
  });

  it("killed as its task starts: the old or the new file", async () => {
    await reset();
    const run = start(envPlay("two"));
    await run.event((e) => e.type === "task_start" && isEnvTask(e));
    run.child.kill("SIGKILL");
    await run.done;
    expect([old, fresh]).toContain(await envSha());
    expect(await leftovers(host, ENV)).toEqual([]);
    await expectConverges(envPlay("two"), ENV, fresh);
  });

  it("killed while the host's receiver is stopped at its first byte: the old or the new file", async () => {
    await reset();
    const h = await hold(ENV, 0);
    const run = start(envPlay("two"));
    const held = await h.held;
    run.child.kill("SIGKILL");
    await run.done;
    await release(host, held.pid);
    await waitGone(host, held.pid);
    expect([old, fresh]).toContain(await envSha());
    expect(await leftovers(host, ENV)).toEqual([]);
    await expectConverges(envPlay("two"), ENV, fresh);
  });

  it("killed once its result is reported: the new file, root's alone", async () => {
    await reset();
    const run = start(envPlay("two"));
    await run.event((e) => e.type === "task_result" && isEnvTask(e));
    run.child.kill("SIGKILL");
    await run.done;
    expect(await envSha()).toBe(fresh);
    expect((await execIn(host, ["stat", "-c", "%U %a", ENV])).stdout.trim()).toBe("root 600");
  });

  // Frozen while its receiver holds the first byte: freezing at the task's start event raced with a
  // task that took less time than the freeze (a CI run saw it end well, exit 0, before the host froze).
  it("host frozen during its write: the old or the new file; a re-run converges", async () => {
    await reset();
    const h = await hold(ENV, 0);
    const run = start(envPlay("two"));
    const held = await h.held;
    const r = await endWhileFrozen(run);
    await release(host, held.pid);
    await waitGone(host, held.pid);
    expect(r.code).toBe(1);
    expect(recapOf(r)[host].unreachable).toBe(1);
    expect([old, fresh]).toContain(await envSha());
    expect(await leftovers(host, ENV)).toEqual([]);
    await expectConverges(envPlay("two"), ENV, fresh);
  });
});

describe("a command running when the controller dies", () => {
  it("runs to its end on the host, and the handler it notifies runs on the next apply", async () => {
    const d = "/srv/faults-cmd";
    await execIn(host, ["rm", "-rf", d]);
    await execIn(host, ["mkdir", "-p", d]);
    const play = join(work, "command.yml");
    writeFileSync(
      play,
      stringify([{
        name: "command",
        hosts: "all",
        tasks: [{
          name: "long command",
          // Waits for the test, then writes output (to a controller that is gone by then), then its mark.
          shell: {
            cmd: `touch ${d}/waiting; while [ ! -e ${d}/gate ]; do sleep 0.1; done; ` +
              `i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done; touch ${d}/changed`,
            creates: `${d}/changed`,
          },
          notify: "mark",
        }],
        handlers: [{ name: "mark", shell: `echo ran >> ${d}/handled` }],
      }]),
    );
    const run = start(play);
    while ((await execIn(host, ["test", "-e", `${d}/waiting`], { allowFailure: true })).exitCode !== 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
    run.child.kill("SIGKILL");
    await run.done;
    await execIn(host, ["touch", `${d}/gate`]);
    // The command finishes on its own; its mark comes when it does.
    const until = Date.now() + 120_000;
    while ((await execIn(host, ["test", "-e", `${d}/changed`], { allowFailure: true })).exitCode !== 0) {
      if (Date.now() > until) throw new Error("the command never finished on the host");
      await new Promise((r) => setTimeout(r, 200));
    }
    // The notification was on the host before the command ran.
    expect((await execIn(host, ["cat", "/var/lib/lago-provision/pending-handlers"])).stdout).toBe("mark\n");
    const again = await apply(play);
    expect(again.code, failuresOf(again)).toBe(0);
    expect(resultsOf(again, host).map((e) => `${e.task}: ${e.status}`)).toEqual([
      "long command: ok",
      "mark: changed",
    ]);
    expect((await execIn(host, ["cat", `${d}/handled`])).stdout).toBe("ran\n");
    expect(
      (await execIn(host, ["test", "-e", "/var/lib/lago-provision/pending-handlers"], { allowFailure: true }))
        .exitCode,
    ).toBe(1);
    await execIn(host, ["rm", "-rf", d]);
  });
});

describe("SIGINT and SIGTERM", () => {
  const lockFile = "/var/lib/lago-provision/lock";

  it.each(
    [
      ["SIGINT", 130],
      ["SIGTERM", 143],
    ] as const,
  )(
    "%s: the running write finishes, nothing new starts, the lock is released, recap, exit %i",
    async (signal, code) => {
      await put(COPY_DEST, OLD);
      await execIn(host, ["rm", "-f", `${DIR}/after`]);
      const h = await hold(COPY_DEST, 16 * MiB);
      const run = start(copyPlay, tb.inventoryPath, []);
      const held = await h.held;
      // The lock is held while the run runs.
      expect((await execIn(host, ["test", "-e", lockFile], { allowFailure: true })).exitCode).toBe(0);
      run.child.kill(signal);
      await release(host, held.pid);
      const r = await run.done;
      expect(r.code, r.stderr + r.stdout).toBe(code);
      expect(r.stderr).toContain(`${signal}: finishing what is running, starting nothing new`);
      expect(r.stdout).toMatch(/TASK big file\n\s+changed\s+/);
      expect(r.stdout).not.toContain("TASK after");
      expect(r.stdout).toMatch(new RegExp(`interrupted \\(${signal}\\)`));
      expect(r.stdout).toMatch(/RECAP\s+ok\s+changed/);
      expect(await shaIn(host, COPY_DEST)).toBe(sha(BIG));
      expect((await execIn(host, ["test", "-e", `${DIR}/after`], { allowFailure: true })).exitCode).toBe(1);
      expect((await execIn(host, ["test", "-e", lockFile], { allowFailure: true })).exitCode).toBe(1);
      expect(await leftovers(host, COPY_DEST)).toEqual([]);
    },
  );

  it("Ctrl-C at the passphrase prompt: nothing written, the lock released, exit 130", async () => {
    // A terminal of its own (util-linux `script`), as a user at a prompt has; no passphrase in the env.
    const dir = mkdtempSync(join(work, "prompt-"));
    await execIn(host, ["rm", "-f", `${DIR}/prompt-secrets.env`]);
    const inventory = join(dir, "inventory.yml");
    copyFileSync(tb.inventoryPath, inventory);
    const play = join(dir, "play.yml");
    writeFileSync(
      play,
      stringify([{
        name: "prompt",
        hosts: "all",
        // Its own dest and no adopt_from: other e2e files deploy Lago on these hosts, and a host that already
        // holds /opt/lago secrets would (rightly) stop the run before the prompt.
        tasks: [{
          name: "secrets",
          lago_secrets: { names: ["POSTGRES_PASSWORD"], dest: `${DIR}/prompt-secrets.env`, adopt_from: [] },
        }],
      }]),
    );
    const line = [
      process.execPath,
      join(repoRoot, "dist/src/cli.js"),
      "apply",
      inventory,
      "-p",
      play,
      "-l",
      host,
    ]
      .map((w) => `'${w}'`).join(" ");
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
    delete env.LAGO_SECRETS_PASSPHRASE;
    const child = spawn("script", ["-qec", line, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    const code = new Promise<number | null>((resolve) => child.on("close", resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("New passphrase for")) resolve();
      });
      void code.then(() => reject(new Error(`ended before the prompt: ${out}`)));
    });
    child.stdin.write("\x03");
    expect(await code, out).toBe(130);
    child.stdin.end();
    expect(out).toContain("error: interrupted at the passphrase prompt; nothing was changed");
    expect(existsSync(join(dir, "lago-secrets.enc"))).toBe(false);
    expect((await execIn(host, ["test", "-e", `${DIR}/prompt-secrets.env`], { allowFailure: true })).exitCode)
      .toBe(1);
    expect((await execIn(host, ["test", "-e", lockFile], { allowFailure: true })).exitCode).toBe(1);
  });

  it("--json: the recap and the interruption are events", async () => {
    await put(COPY_DEST, OLD);
    const h = await hold(COPY_DEST, 16 * MiB);
    const run = start(copyPlay);
    const held = await h.held;
    run.child.kill("SIGINT");
    await release(host, held.pid);
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.events.find((e) => e.type === "warning" && /interrupted \(SIGINT\)/.test(e.msg))).toBeDefined();
    expect(recapOf(r)[host]).toMatchObject({ changed: 1, failed: 0 });
    expect(resultsOf(r, host).map((e) => e.task)).not.toContain("after");
  });
});

/**
 * One runner for tables of bad input (hostile or mistyped files, patterns, paths): each case runs the
 * real CLI as a process in a folder of its own and must end the way the README promises — the exit
 * code, ONE message naming the file or the flag (plus its hint), no "internal error", no stack trace,
 * in bounded time and memory, no host contacted, nothing written.
 *
 * "No host contacted" is measured, not assumed: the case's inventory points at a real target (a
 * testbed host in e2e, a TCP listener that counts connections in unit runs) and the run's
 * LAGO_PROVISION_STATS tally is read; control cases that must contact the host keep the measure honest.
 *
 * @example
 * ```ts
 * const result = await runBadInput({ name: "empty plan", args: ["apply", "plan.json"],
 *   files: { "plan.json": "" }, error: "plan plan.json is empty" }, { target });
 * expectRefused(result);
 * ```
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";

export const repoRoot = resolve(new URL("../..", import.meta.url).pathname);

/** A file the case needs: text or bytes, or a thing that is not a regular file. */
export type FileSpec =
  | string
  | Uint8Array
  | { fifo: true }
  | { dir: true }
  | { symlink: string }
  /** `size` bytes of `fill` repeated (big files without holding them in the test). */
  | { size: number; fill: string };

export interface BadInput {
  /** The test's name. */
  name: string;
  /** The command line after `lago-provision`; runs in the case's folder. */
  args: string[];
  /**
   * Files to make in the case's folder. In text, `@HOST@` becomes the target host's connection
   * variables (a YAML flow map), `@KEY@` its private key file and `@DIR@` the case's folder.
   */
  files?: Record<string, FileSpec>;
  env?: Record<string, string>;
  /** Exit code: 1 (the default) for bad input, 2 for a usage error. */
  code?: number;
  /** What the one `error:` line must contain (the file or the flag, and what is wrong). */
  error: string | RegExp;
  /**
   * A control case: the host must be contacted; how the run ends then depends on the target (a real
   * host, or a listener that hangs up), so only "contacted" and "no internal error" are checked.
   */
  contacts?: boolean;
  /**
   * `lint`'s way: the mistake is a finding on stdout (`file:line:col rule (error) message`, beside
   * info findings), only the summary on stderr, instead of one `error:` line.
   */
  finding?: boolean;
}

/** Where the case's inventory points: a real host, or a listener that counts connections. */
export interface Target {
  vars: Record<string, string | number>;
  /** TCP connections the target saw so far (listener only; a real host is counted by the CLI's stats). */
  accepted?(): number;
}

export interface Limits {
  /** The run is killed after this long: a hang is a failure, not a slow pass. */
  hangMs: number;
  /** Peak resident memory allowed, in MiB. */
  rssMiB: number;
}

// A hang never ends: the limit only has to outlast a busy CI machine (a trivial case took over a
// minute on 2 cores at load 50).
export const DEFAULT_LIMITS: Limits = { hangMs: 180_000, rssMiB: 400 };

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory seen, in MiB (sampled from /proc). */
  peakRssMiB: number;
  /** Killed because it ran longer than `hangMs`, or grew past `rssMiB`. */
  killed?: "hang" | "memory";
  /** SSH connections (CLI stats) plus TCP connections the target saw. */
  contacts: number;
  /** Files created, changed or removed in the case's folder. */
  written: string[];
}

export interface RunOptions {
  target: Target;
  runtime?: "node" | "deno";
  limits?: Limits;
}

/** A key pair for listeners (ssh-keygen), so a run with good input gets as far as connecting. */
export function listenerKeys(): { dir: string; key: string; close(): void } {
  const dir = mkdtempSync(join(tmpdir(), "lago-bad-input-key-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id_ed25519")]);
  return { dir, key: join(dir, "id_ed25519"), close: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A listener standing where a host would be: counts connections and closes them at once. One per
 * case, so cases can run side by side without counting each other's connections.
 */
export async function countingListener(
  keys: { dir: string; key: string },
): Promise<Target & { close(): Promise<void> }> {
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  return {
    vars: {
      ansible_host: "127.0.0.1",
      ansible_port: port,
      ansible_user: "root",
      ansible_ssh_private_key_file: keys.key,
      known_hosts_file: join(keys.dir, "known_hosts"),
    },
    accepted: () => accepted,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

const hostVars = (t: Target) =>
  `{ ${Object.entries(t.vars).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ")} }`;

function makeFiles(dir: string, files: Record<string, FileSpec>, target: Target): void {
  for (const [name, spec] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof spec === "string") {
      const text = spec.replaceAll("@HOST@", hostVars(target)).replaceAll("@DIR@", dir)
        .replaceAll("@KEY@", String(target.vars.ansible_ssh_private_key_file));
      writeFileSync(path, text);
    } else if (spec instanceof Uint8Array) writeFileSync(path, spec);
    else if ("fifo" in spec) execFileSync("mkfifo", [path]);
    else if ("dir" in spec) mkdirSync(path, { recursive: true });
    else if ("symlink" in spec) symlinkSync(spec.symlink, path);
    else writeFileSync(path, spec.fill.repeat(Math.ceil(spec.size / spec.fill.length)).slice(0, spec.size));
  }
}

/** Every entry under `dir` with what it is (content hash for files), to see what a run wrote. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      if (st.isSymbolicLink()) out.set(r, `link ${readlinkSync(join(dir, r))}`);
      else if (st.isDirectory()) {
        out.set(r, "dir");
        walk(r);
      } else if (st.isFile()) {
        out.set(r, createHash("sha256").update(readFileSync(join(dir, r))).digest("hex") + ` ${st.mode}`);
      } else out.set(r, `special ${st.mode}`);
    }
  };
  walk("");
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}

/** Peak RSS of a process so far (VmHWM), in MiB; 0 once it is gone. */
function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function command(runtime: "node" | "deno", args: string[], heapMiB: number): [string, string[]] {
  return runtime === "deno"
    ? [
      join(repoRoot, "node_modules/.bin/deno"),
      ["run", "-A", `--v8-flags=--max-old-space-size=${heapMiB}`, join(repoRoot, "src/cli.ts"), ...args],
    ]
    : [process.execPath, [`--max-old-space-size=${heapMiB}`, join(repoRoot, "dist/src/cli.js"), ...args]];
}

/** Run one case in a fresh folder and report how it ended. The folder is removed afterwards. */
export async function runBadInput(c: BadInput, opts: RunOptions): Promise<Outcome> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const dir = mkdtempSync(join(tmpdir(), "lago-bad-input-"));
  const stats = join(dir, "..", `${dir.split("/").pop()}.stats.json`);
  try {
    makeFiles(dir, c.files ?? {}, opts.target);
    const before = snapshot(dir);
    const acceptedBefore = opts.target.accepted?.() ?? 0;
    const [cmd, args] = command(opts.runtime ?? "node", c.args, Math.floor(limits.rssMiB * 0.6));
    const child = spawn(cmd, args, {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? dir,
        NO_COLOR: "1",
        LAGO_PROVISION_STATS: stats,
        LAGO_SECRETS_PASSPHRASE: "bad input test passphrase",
        ...c.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const ended = await watch(child, limits);
    const contacted = existsSync(stats)
      ? Object.values(
        JSON.parse(readFileSync(stats, "utf8")).hosts as Record<string, { connections: number }>,
      )
        .reduce((n, h) => n + h.connections, 0)
      : 0;
    return {
      ...ended,
      contacts: contacted + ((opts.target.accepted?.() ?? 0) - acceptedBefore),
      written: changes(before, snapshot(dir)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(stats, { force: true });
  }
}

function watch(
  child: ChildProcess,
  limits: Limits,
): Promise<Pick<Outcome, "code" | "stdout" | "stderr" | "peakRssMiB" | "killed">> {
  return new Promise((resolveRun, reject) => {
    let stdout = "";
    let stderr = "";
    let peak = 0;
    let killed: Outcome["killed"];
    const kill = (why: NonNullable<Outcome["killed"]>) => {
      killed ??= why;
      child.kill("SIGKILL");
    };
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakRss(child.pid!));
      if (peak > limits.rssMiB) kill("memory");
    }, 25);
    const timer = setTimeout(() => kill("hang"), limits.hangMs);
    child.stdout!.on("data", (d: Buffer) => (stdout += d));
    child.stderr!.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("exit", () => {
      clearInterval(sampler);
      clearTimeout(timer);
    });
    child.on("close", (code) => resolveRun({ code, stdout, stderr, peakRssMiB: Math.round(peak), killed }));
  });
}

/**
 * Why an outcome breaks the promise for bad input, or [] when it keeps it: exit code, one `error:`
 * line that contains `c.error` (and at most a hint), no internal error or stack trace, not killed,
 * no host contacted (unless a control case), nothing written.
 */
export function brokenPromises(c: BadInput, o: Outcome): string[] {
  const broken: string[] = [];
  if (o.killed) {
    broken.push(`killed: ${o.killed === "hang" ? "did not finish" : "grew past the memory limit"}`);
  }
  if (/internal error/i.test(o.stderr + o.stdout)) broken.push("says internal error");
  if (/^\s+at .+[:(]\d+/m.test(o.stderr + o.stdout)) broken.push("prints a stack trace");
  const lines = o.stderr.split("\n").filter((l) => l.trim() !== "");
  const isFinding = (l: string) => / \(error\) /.test(l);
  const errors = c.finding
    ? o.stdout.split("\n").filter(isFinding)
    : lines.filter((l) => l.startsWith("error: "));
  if (!c.contacts) {
    if (o.code !== (c.code ?? 1)) broken.push(`exit code ${o.code}, expected ${c.code ?? 1}`);
    // lint lists every finding (an unknown helper's argument may be an undefined variable too).
    if (c.finding ? errors.length === 0 : errors.length !== 1) {
      broken.push(`${errors.length} error ${c.finding ? "findings" : "lines"}, expected one`);
    }
    // lint's summary goes to stderr ("1 error, 0 warnings, 1 info in 2 files").
    const others = c.finding
      ? lines.filter((l) => !/^\d+ errors?, \d+ warnings?(, \d+ infos?)? in \d+ files?$/.test(l))
      : lines.filter((l) => !l.startsWith("error: ") && !l.startsWith("hint: "));
    if (others.length > 0) broken.push(`more than one message: ${JSON.stringify(others)}`);
    const says = (line: string) => typeof c.error === "string" ? line.includes(c.error) : c.error.test(line);
    const named = c.finding ? errors.some(says) : says(errors[0] ?? "");
    if (!named) broken.push(`the error does not say ${c.error}`);
    if (o.contacts > 0) broken.push(`contacted a host ${o.contacts} time(s)`);
    if (o.written.length > 0) broken.push(`wrote ${o.written.join(", ")}`);
  } else if (o.contacts === 0) broken.push("a control case, but no host was contacted");
  return broken;
}

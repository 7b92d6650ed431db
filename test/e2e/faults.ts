/**
 * Fault injection on testbed hosts for e2e tests: hold a write on the host at a given size (the
 * process receiving it stopped with SIGSTOP once its temp file holds that many bytes, so "the moment"
 * is a byte count, not a guess about time), cut a host's network, and read what a write left.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { posix } from "node:path";
import { tempPrefix } from "../../src/engine/frame.ts";
import { execIn, pauseHost } from "./testbed.ts";

/**
 * Python on the host: waits for a temp file named `prefix*` in `dir`, finds the process writing it
 * (the one holding it open), and once the file holds `bytes` bytes acts: `stop` stops that process
 * (SIGSTOP), `cut` takes the host's network down. Prints `held PID SIZE`, then watches the file until
 * it is gone (committed or removed) and prints `final MAXSIZE`: how much of the write ever reached
 * it. It prints its own pid first, so it can be ended inside the container; it gives up after 15 min.
 */
const HOLD_SCRIPT = `
import os, sys, time, signal
d, prefix, want, action = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
print('watcher', os.getpid(), flush=True)
deadline = time.time() + 900
def writer(path):
    # The receiver is \`head -c N >FILE\`. The shell holds the file open too while it waits (dash
    # redirects before it forks), and wc and sha256sum read it once it is whole: none of them is it.
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/comm' % pid) as f:
                if f.read().strip() != 'head':
                    continue
            for fd in os.listdir('/proc/%s/fd' % pid):
                if os.readlink('/proc/%s/fd/%s' % (pid, fd)) == path:
                    return int(pid)
        except OSError:
            pass
    return None
def size(path):
    try:
        return os.stat(path).st_size
    except OSError:
        return -1
def watch():
    while time.time() < deadline:
        try:
            names = [n for n in os.listdir(d) if n.startswith(prefix)]
        except OSError:
            names = []
        for n in names:
            path = os.path.join(d, n)
            pid = writer(path)
            if pid is None:
                continue
            while size(path) >= 0:
                if size(path) >= want:
                    if action == 'stop':
                        try:
                            os.kill(pid, signal.SIGSTOP)
                        except ProcessLookupError:
                            break  # the whole file came before the hold: wait for the next write
                    else:
                        os.system('ip link set eth0 down')
                    return path, pid
                time.sleep(0.0002)
        time.sleep(0.001)
    sys.exit(1)
path, pid = watch()
top = size(path)
print('held', pid, top, flush=True)
while time.time() < deadline:
    now = size(path)
    if now < 0:
        break
    top = max(top, now)
    time.sleep(0.005)
print('final', top, flush=True)
`;

export interface Held {
  /** The process receiving the write on the host (stopped, with `stop`). */
  pid: number;
  /** Bytes in the temp file when it was held. */
  size: number;
}

/** A write being watched. */
export interface Hold {
  /** Once the watcher runs on the host: a write started before then may pass unseen. */
  ready: Promise<void>;
  /** Once the write is held at its byte count. */
  held: Promise<Held>;
  /** Once the temp file is gone: the most bytes it ever held. */
  final: Promise<number>;
  cancel(): void;
}

/**
 * Acts on the next write to `dest` on `host` once `bytes` bytes of it reached the host: `stop` stops
 * the process receiving it, `cut` takes the host's network down (`reconnect` brings it back).
 */
export function holdWrite(host: string, dest: string, bytes: number, action: "stop" | "cut" = "stop"): Hold {
  const child: ChildProcess = spawn(
    "docker",
    [
      "exec",
      host,
      "python3",
      "-c",
      HOLD_SCRIPT,
      posix.dirname(dest),
      tempPrefix(dest),
      String(bytes),
      action,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  const waiters: (() => void)[] = [];
  child.stdout!.on("data", (d) => {
    out += d;
    waiters.forEach((w) => w());
  });
  child.stderr!.on("data", (d) => (err += d));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  const line = <T>(re: RegExp, parse: (m: RegExpExecArray) => T, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out);
        if (m) resolve(parse(m));
      };
      waiters.push(check);
      check();
      closed.then((code) => {
        check();
        reject(new Error(`${what} of the write to ${dest} on ${host} never came (${code}): ${err || out}`));
      });
    });
  const ready = line(/^watcher \d+$/m, () => undefined, "the start");
  const held = line(/^held (\d+) (\d+)$/m, (m) => ({ pid: Number(m[1]), size: Number(m[2]) }), "the hold");
  const final = line(/^final (\d+)$/m, (m) => Number(m[1]), "the end");
  for (const p of [ready, held, final]) p.catch(() => {});
  const cancel = () => {
    const watcher = /^watcher (\d+)$/m.exec(out)?.[1];
    if (watcher && child.exitCode === null) void execIn(host, ["kill", watcher], { allowFailure: true });
    child.kill("SIGKILL");
  };
  return { ready, held, final, cancel };
}

/** Lets the held process go on (SIGCONT). */
export async function release(host: string, pid: number): Promise<void> {
  await execIn(host, ["kill", "-CONT", String(pid)], { allowFailure: true });
}

/**
 * Waits (up to a generous deadline, polling) until `pid` has ended on the host: what it leaves is
 * only final then. Not a timed assertion: the deadline only stops a test that would hang.
 */
export async function waitGone(host: string, pid: number, deadlineMs = 120_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while ((await execIn(host, ["kill", "-0", String(pid)], { allowFailure: true })).exitCode === 0) {
    if (Date.now() > until) {
      const ps = await execIn(host, ["ps", "-eo", "pid,ppid,stat,user,args"], { allowFailure: true });
      throw new Error(`${host}: process ${pid} still running after ${deadlineMs} ms:\n${ps.stdout}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SHA-256 of a file on the host, or "absent". */
export async function shaIn(host: string, path: string): Promise<string> {
  const r = await execIn(host, [
    "sh",
    "-c",
    `[ -e '${path}' ] || { echo absent; exit 0; }; sha256sum '${path}'`,
  ]);
  return r.stdout.trim().split(" ")[0];
}

/** Temp files a write to `dest` would use, left in its directory. */
export async function leftovers(host: string, dest: string): Promise<string[]> {
  const dir = posix.dirname(dest);
  const r = await execIn(host, [
    "sh",
    "-c",
    `ls -A '${dir}' 2>/dev/null | grep '^\\.lago-provision' || true`,
  ]);
  return r.stdout.split("\n").filter(Boolean);
}

/**
 * Freezes the host (docker pause). The freezer sometimes fails on a busy host ("unable to freeze"):
 * then it is tried again, a few times.
 */
export async function freeze(host: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      return await pauseHost(host);
    } catch (e) {
      if (attempt >= 5) throw e;
    }
  }
}

/**
 * What brings the host's network back after a `cut` hold (interface up, default route again): read
 * before the cut.
 */
export async function reconnector(host: string): Promise<() => Promise<void>> {
  const route = (await execIn(host, ["ip", "route", "show", "default"])).stdout.trim();
  const gateway = /via (\S+)/.exec(route)?.[1];
  if (!gateway) throw new Error(`${host}: no default route (${route})`);
  return async () => {
    await execIn(host, ["ip", "link", "set", "eth0", "up"]);
    await execIn(host, ["ip", "route", "replace", "default", "via", gateway]);
  };
}

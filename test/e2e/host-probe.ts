/**
 * A program that stays open on a testbed host and answers one probe per line it reads, for tests that
 * sample hosts many times (the fleet's /health and clock sampler). A `docker exec` per probe costs the
 * machine about 0.2 s of CPU (docker CLI, dockerd, containerd, runc), and a curl or docker CLI started per
 * probe on the host adds 50-100 ms more: the fleet's six per sample, every 0.7 s, took most of a core of
 * a 2-core machine from the deploys being sampled. Here one `docker exec` serves every probe of the run.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface HostProbe {
  /** Asks once; resolves to the answer line (trimmed), or "" when the program died meanwhile. */
  sample(): Promise<string>;
  /** Ends the program on the host (its stdin closes). */
  stop(): Promise<void>;
}

/**
 * Starts `argv` on `host` (as root, through one docker exec): it must print one line for each line it
 * reads. A program that dies (its host restarted, say) answers what is pending with ""; the next sample
 * starts it again.
 */
export function startHostProbe(host: string, argv: string[]): HostProbe {
  let child: ChildProcessWithoutNullStreams | undefined;
  let exited = Promise.resolve();
  const waiting: ((line: string) => void)[] = [];

  const open = () => {
    const c = spawn("docker", ["exec", "-i", host, ...argv]);
    c.stderr.resume();
    c.stdin.on("error", () => {}); // a dead program: its close handler answers
    createInterface({ input: c.stdout }).on("line", (line) => waiting.shift()?.(line.trim()));
    exited = new Promise((resolve) =>
      c.on("close", () => {
        if (child === c) child = undefined;
        for (const answer of waiting.splice(0)) answer("");
        resolve();
      })
    );
    return (child = c);
  };

  return {
    sample() {
      const c = child ?? open();
      const answer = new Promise<string>((resolve) => waiting.push(resolve));
      c.stdin.write("\n");
      return answer;
    },
    async stop() {
      const c = child;
      child = undefined;
      c?.stdin.end();
      await exited;
    },
  };
}

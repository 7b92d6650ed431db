/**
 * A sampler on a testbed host that records the argument vector of every process it sees
 * (/proc/PID/cmdline: what `ps` and every user on the host can read), for the tests that prove no secret
 * reaches one (issue 19): test/e2e/host-secrets.test.ts and the fleet's backup in test/e2e/fleet.test.ts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { execIn } from "./testbed.ts";

/** Records every distinct cmdline (NUL-separated words joined by spaces) until a stop file appears. */
const SAMPLER = `
import os, sys
out, stop = sys.argv[1], sys.argv[2]
seen = set()
with open(out, 'w') as f:
    while not os.path.exists(stop):
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                with open('/proc/%s/cmdline' % pid, 'rb') as c:
                    line = c.read().replace(b'\\0', b' ').decode('utf-8', 'replace')
            except OSError:
                continue
            if line and line not in seen:
                seen.add(line)
                f.write(line + '\\n')
                f.flush()
    f.write('sampler: %d distinct command lines\\n' % len(seen))
`;

export interface HostSampler {
  /** The command lines seen so far. */
  lines(): Promise<string>;
  /** Stops the sampler; returns every command line it saw. */
  stop(): Promise<string>;
}

/** Starts the sampler on `host` (as root, through docker exec) and returns once it is running. */
export async function startHostSampler(host: string): Promise<HostSampler> {
  const out = "/root/cmdlines.txt";
  const stop = "/root/cmdlines.stop";
  await execIn(host, ["rm", "-f", out, stop]);
  const child: ChildProcess = spawn("docker", ["exec", host, "python3", "-c", SAMPLER, out, stop], {
    stdio: "ignore",
  });
  const done = new Promise<void>((resolve) => child.on("close", () => resolve()));
  // The sampler is running once its file exists.
  while ((await execIn(host, ["test", "-e", out], { allowFailure: true })).exitCode !== 0) await sleep(100);
  const lines = async () => (await execIn(host, ["cat", out])).stdout;
  return {
    lines,
    stop: async () => {
      await execIn(host, ["touch", stop]);
      await done;
      return lines();
    },
  };
}

/** Every form a secret may take in a leak: raw, base64, URL-encoded, its first 16 characters. */
export const leakForms = (value: string): string[] => [
  value,
  Buffer.from(value).toString("base64"),
  encodeURIComponent(value),
  value.slice(0, 16),
];

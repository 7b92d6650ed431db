/** `connection: local`: run on the control machine with sh, same contract as SSH. */
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import type { Connection, ExecOptions, ExecResult } from "../core/types.ts";
import { countOn } from "../core/stats.ts";

export class LocalConnection implements Connection {
  roundTrips = 0;
  constructor(readonly name: string) {
    countOn(name, "connections");
  }

  exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.roundTrips++;
    countOn(this.name, "roundTrips");
    return new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", script], { stdio: ["pipe", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = options.timeoutMs
        ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs)
        : undefined;
      child.stdout.on("data", (d: Buffer) => out.push(d));
      child.stderr.on("data", (d: Buffer) => err.push(d));
      child.on("error", reject);
      child.on("close", (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({
          exitCode: code ?? (signal ? 128 : 255),
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
        });
      });
      // A command that exits without reading its input is not an error (EPIPE on a closed pipe).
      child.stdin.on("error", () => {});
      child.stdin.end(options.stdin ?? "");
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * wait_for's url check, run for real: through curl, through wget, and through bash alone (each with only
 * the tools it needs on PATH), framed as a probe is sent to a host, against a local HTTP server. The URL
 * (here with a token in its query) reaches the tool in a here-document, never as an argument.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { render } from "../../../src/core/command.ts";
import { frame } from "../../../src/engine/frame.ts";
import { waitForModule } from "../../../src/modules/wait_for.ts";
import { contextFor } from "./harness.ts";

let server: Server;
let port = 0;
const dirs: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    res.statusCode = req.url === "/health?token=s3cr3t" ? 200 : 404;
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => {
  server.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A PATH with only these tools. */
function pathWith(tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "lago-wait-for-"));
  dirs.push(dir);
  for (const t of ["sh", "head", "awk", "cat", "timeout", ...tools]) {
    symlinkSync(`/usr/bin/${t}`, join(dir, t));
  }
  return dir;
}

function check(url: string, path: string): Promise<string> {
  const args = waitForModule.args.parse({ url, status: 200 });
  const plan = waitForModule.plan(args, undefined, contextFor({}));
  const step = plan.steps.find((s) => s.kind === "wait")!;
  if (step.kind !== "wait") throw new Error("no wait step");
  const f = frame(render(step.probe.command));
  expect(f.command).not.toContain("s3cr3t");
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/dash", ["-c", f.command], { env: { PATH: path } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", () => resolve(out.trim()));
    child.stdin.end(f.stdin);
  });
}

describe.each([
  ["curl", ["curl"]],
  ["wget", ["wget"]],
  ["bash alone", ["bash"]],
])("wait_for url through %s", (_name, tools) => {
  it("is ready when the URL answers the status, not before", async () => {
    const path = pathWith(tools);
    expect(await check(`http://127.0.0.1:${port}/health?token=s3cr3t`, path)).toBe("1");
    expect(await check(`http://127.0.0.1:${port}/health?token=wrong`, path)).toBe("0");
  });
});

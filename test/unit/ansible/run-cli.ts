/** Runs the CLI in-process with stdout and stderr captured: its exit code and what it printed. */
import process from "node:process";
import { vi } from "vitest";
import { main } from "../../../src/main.ts";

export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((err += String(chunk)), true));
  let code: number;
  try {
    code = await main(args);
  } catch (e) {
    // What src/cli.ts prints and exits with.
    err += (e as Error).message;
    code = (e as { exitCode?: number }).exitCode ?? 1;
  } finally {
    vi.restoreAllMocks();
  }
  return { code, out, err };
}

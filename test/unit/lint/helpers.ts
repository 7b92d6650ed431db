/** Shared by the lint tests: run in another working directory, run the CLI in-process, temp repos. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { vi } from "vitest";
import { main } from "../../../src/main.ts";

/** Run `fn` with the working directory set to `dir` (lint shows paths relative to it). */
export async function inDir<T>(dir: string, fn: () => T | Promise<T>): Promise<T> {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(before);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `lago-provision ARGS` in `dir`, in-process, with its output captured. */
export async function cli(args: string[], dir = process.cwd()): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => (stdout.push(String(s)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => (stderr.push(String(s)), true));
  const before = process.cwd();
  process.chdir(dir);
  try {
    const code = await main(args);
    return { code, stdout: stdout.join(""), stderr: stderr.join("") };
  } finally {
    process.chdir(before);
    out.mockRestore();
    err.mockRestore();
  }
}

/** A temporary repository: relative path → content. Returns its directory. */
export function tempRepo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "lago-lint-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

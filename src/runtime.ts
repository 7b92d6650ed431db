/**
 * The one place that knows which runtime we are on. Node and Deno both provide `node:process`; Deno
 * is detected only to say so in `--version` and to pick the right way to re-run ourselves.
 */
import process from "node:process";

export const runtimeName: string = "Deno" in globalThis
  ? `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : `node ${process.versions.node}`;

export const env = (): Record<string, string | undefined> => process.env;
export const argv = (): string[] => process.argv.slice(2);
export const cwd = (): string => process.cwd();
export const stdoutIsTTY = (): boolean => Boolean(process.stdout.isTTY);
export const writeStdout = (text: string): void => void process.stdout.write(text);
export const writeStderr = (text: string): void => void process.stderr.write(text);
export const setExitCode = (code: number): void => {
  process.exitCode = code;
};
export const exit = (code: number): never => process.exit(code);
export type StopSignal = "SIGINT" | "SIGTERM";
/** Calls `fn` on each SIGINT or SIGTERM until the returned function removes it (then they end the process again). */
export function onStopSignals(fn: (signal: StopSignal) => void): () => void {
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => fn(signal);
    process.on(signal, handler);
    return () => void process.off(signal, handler);
  });
  return () => handlers.forEach((off) => off());
}

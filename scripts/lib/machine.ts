/**
 * Tools the scripts and tests run on this machine come from one place, scripts/prepare-machine.sh
 * (`npm run demo` and `npm test` call it). A script started some other way says what to run.
 */
import { $ } from "zx";

/** Throws, naming the command to run, when one of `commands` is not on the PATH. */
export async function requireCommands(commands: string[], purpose: "demo" | "test"): Promise<void> {
  for (const command of commands) {
    if ((await $`command -v ${command}`.quiet().nothrow()).exitCode !== 0) {
      throw new Error(
        `${command} is not installed: run \`bash scripts/prepare-machine.sh ${purpose}\` (as root) first`,
      );
    }
  }
}

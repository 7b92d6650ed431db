/** How the scripts end: the exit code main returns, or one line naming the script and what went wrong. */
import process from "node:process";

export async function runMain(name: string, main: (args: string[]) => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}

/**
 * The Lago test stack: `stack up [--rebuild]` (registry + images built and pushed), `stack down`
 * (stops the registry; images and pushed data stay), `stack status`. See docs/testbed.md.
 * Node: `npm run stack -- up` (built to dist/); Deno: `npx deno run -A scripts/stack.ts up`.
 */
import { ensureStack, stackStatus, stopRegistry } from "./lib/stack-lib.ts";
import { runMain } from "./lib/run-main.ts";

const USAGE = "usage: stack up [--rebuild] | down | status";

async function main(args: string[]): Promise<number> {
  const rebuild = args.includes("--rebuild");
  const [command, ...rest] = args.filter((a) => a !== "--rebuild");
  if (rest.length) {
    console.error(USAGE);
    return 2;
  }
  const started = Date.now();
  switch (command) {
    case "up": {
      const stack = await ensureStack({ rebuild });
      console.log(`registry: push ${stack.registry.pushAddr}, pull ${stack.registry.pullAddr}`);
      for (const [key, ref] of Object.entries(stack.images)) console.log(`${key}\t${ref}`);
      console.log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    case "down": {
      console.log(await stopRegistry() ? "registry stopped" : "no registry started from this repository");
      return 0;
    }
    case "status": {
      const { registry, pushed } = await stackStatus();
      const pid = registry.pid ? ` (pid ${registry.pid})` : registry.running ? " (not started by us)" : "";
      console.log(`registry: ${registry.running ? "running" : "stopped"}${pid}`);
      console.log(`push ${registry.pushAddr}, pull ${registry.pullAddr}`);
      for (const [key, refs] of Object.entries(pushed)) console.log(`${key}\t${refs.join(" ")}`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

await runMain("stack", main);

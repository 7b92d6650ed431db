/**
 * Real test hosts: `testbed up [N]`, `testbed down`, `testbed status`, `testbed images` (the key and the
 * host images only, what e2e workers then start their own hosts from). See docs/testbed.md.
 * Node: `npm run testbed -- up 3` (built to dist/); Deno: `npx deno run -A scripts/testbed.ts up 3`.
 */
import { CODENAMES, down, ensureImages, ensureKey, status, up } from "./lib/testbed-lib.ts";
import { runMain } from "./lib/run-main.ts";

const USAGE = "usage: testbed up [N] [--fresh] | down | status | images";

async function main(args: string[]): Promise<number> {
  const fresh = args.includes("--fresh");
  const [command, countArg] = args.filter((a) => a !== "--fresh");
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  switch (command) {
    case "up": {
      const count = countArg === undefined ? 3 : Number(countArg);
      const tb = await up(count, { fresh });
      for (const h of tb.hosts) console.log(`${h.name}\t${h.codename}\t127.0.0.1:${h.port}`);
      console.log(`inventory: ${tb.inventoryPath}`);
      console.log(`known_hosts: ${tb.knownHostsPath}`);
      console.log(`key: ${tb.keyPath}`);
      console.log(`up ${count} in ${elapsed()}`);
      return 0;
    }
    case "images": {
      await ensureKey();
      await ensureImages(CODENAMES);
      console.log(`key and images (${CODENAMES.join(", ")}) ready in ${elapsed()}`);
      return 0;
    }
    case "down": {
      const removed = await down();
      console.log(removed.length ? `removed ${removed.join(" ")}` : "no testbed hosts");
      return 0;
    }
    case "status": {
      const hosts = await status();
      if (!hosts.length) console.log("no testbed hosts");
      for (const h of hosts) console.log(`${h.name}\t${h.codename}\t127.0.0.1:${h.port}\t${h.state}`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

await runMain("testbed", main);

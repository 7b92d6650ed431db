/**
 * `history INVENTORY`: the deploys recorded on the hosts (who, when, which command, from → to, result
 * per host), one line per command run, oldest first.
 */
import type { Command } from "commander";
import { fleetHistory, formatHistory } from "../fleet/history.ts";
import { openSession, readHistories } from "../fleet/session.ts";
import { writeStdout } from "../runtime.ts";
import { inventoryHosts } from "./apply.ts";

interface HistoryOptions {
  limit?: string;
  last: number;
  acceptNewHostKeys: boolean;
  json: boolean;
}

export async function historyCommand(inventoryPath: string, opts: HistoryOptions): Promise<number> {
  const s = await openSession(inventoryPath, {
    limit: opts.limit,
    forks: 20,
    hostsOf: (inv) => inventoryHosts(inv, opts.acceptNewHostKeys),
    say: () => {},
  });
  try {
    const rows = fleetHistory(await readHistories(s)).slice(-opts.last);
    writeStdout(opts.json ? JSON.stringify({ type: "history", rows }) + "\n" : formatHistory(rows));
    return 0;
  } finally {
    await s.close();
  }
}

export function registerHistoryCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("history")
    .description("The deploys recorded on each host: who, when, from → to, result.")
    .argument("<inventory>", "inventory file")
    .option("-l, --limit <pattern>", "only these hosts")
    .option("-n, --last <n>", "only the last n deploys", (v) => Math.max(1, Number(v) || 20), 20)
    .option("--accept-new-host-keys", "record unknown SSH host keys in known_hosts", false)
    .option("--json", "one JSON object", false)
    .action(async (inventory: string, opts: HistoryOptions) => {
      setExit(await historyCommand(inventory, opts));
    });
}

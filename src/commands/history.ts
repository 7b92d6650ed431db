/**
 * `history INVENTORY`: the deploys recorded on the hosts (who, when, which command, from → to, result
 * per host), one line per command run, oldest first.
 */
import { fleetHistory, formatHistory } from "../fleet/history.ts";
import { writeStdout } from "../runtime.ts";
import { openReadOnly, readHistories } from "../session/fleet.ts";

export interface HistoryOptions {
  limit?: string;
  last: number;
  acceptNewHostKeys: boolean;
  json: boolean;
}

export async function historyCommand(inventoryPath: string, opts: HistoryOptions): Promise<number> {
  const s = await openReadOnly({ ...opts, inventory: inventoryPath });
  try {
    const rows = fleetHistory(await readHistories(s)).slice(-opts.last);
    writeStdout(opts.json ? JSON.stringify({ type: "history", rows }) + "\n" : formatHistory(rows));
    return 0;
  } finally {
    await s.close();
  }
}

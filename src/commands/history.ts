/**
 * `history INVENTORY`: the deploys recorded on the hosts (who, when, which command, from → to, result
 * per host), one line per command run, oldest first.
 */
import { fleetHistory, formatHistory } from "../fleet/history.ts";
import { readHistories } from "../fleet/session.ts";
import { writeStdout } from "../runtime.ts";
import { readSession } from "./read-session.ts";

export interface HistoryOptions {
  limit?: string;
  last: number;
  acceptNewHostKeys: boolean;
  json: boolean;
}

export async function historyCommand(inventoryPath: string, opts: HistoryOptions): Promise<number> {
  const s = await readSession(inventoryPath, opts);
  try {
    const rows = fleetHistory(await readHistories(s)).slice(-opts.last);
    writeStdout(opts.json ? JSON.stringify({ type: "history", rows }) + "\n" : formatHistory(rows));
    return 0;
  } finally {
    await s.close();
  }
}

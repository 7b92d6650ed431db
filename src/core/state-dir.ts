/**
 * What lago-provision keeps on a host between runs, all in one folder: handler notifications not run
 * yet (src/engine/host-state.ts), the fleet lock (src/fleet/lock.ts) and the deploy history
 * (src/fleet/history.ts).
 */
export const STATE_DIR = "/var/lib/lago-provision";
export const PENDING_HANDLERS_FILE = `${STATE_DIR}/pending-handlers`;
export const LOCK_FILE = `${STATE_DIR}/lock`;
export const HISTORY_FILE = `${STATE_DIR}/history.jsonl`;

/**
 * What the secrets stage (src/session/secrets-stage.ts) hands the run: every store it opened
 * before the play, by absolute path. The lago_secrets module plans from this, never from the file:
 * a plan neither prompts for a passphrase nor writes the store, and does not know the run's mode.
 */
export interface OpenedStore {
  /** The store's values (name -> value), or null when it does not exist (yet: see `pending`). */
  values: Record<string, string> | null;
  /** Names the store lacks that apply generates before the play (only in check mode: apply has them). */
  pending: string[];
  /** Names this run generated into the store (apply). */
  generated: string[];
}

/** Absolute store path -> what is in it. */
export type SecretsInputs = ReadonlyMap<string, OpenedStore>;

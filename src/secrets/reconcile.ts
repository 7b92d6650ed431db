/**
 * Pure: compare the store's values with what one host holds (sha256 per file, from host-files.ts) and
 * decide. A host value that differs from the store is a conflict (never overwritten); a host value the
 * store lacks must be imported first; a secret neither has is generated. Placeholders and empty
 * values count as absent.
 *
 * @example
 * ```ts
 * reconcile({ SECRET_KEY_BASE: "ab…" }, [{ path: "/opt/lago/.env", values: { SECRET_KEY_BASE: "9f…" } }],
 *   ["SECRET_KEY_BASE"]);
 * // { conflicts: [{ name: "SECRET_KEY_BASE", path: "/opt/lago/.env", host: "9f…", store: "1c…" }], ... }
 * ```
 */
import { isPlaceholderHash, secretHash } from "./formats.ts";

/** What a host file holds: name -> sha256 of the (normalized) value. */
export interface HostValues {
  path: string;
  values: Record<string, string>;
}

export interface Conflict {
  name: string;
  path: string;
  /** sha256 of the host's value. */
  host: string;
  /** sha256 of the store's value, or of the value in another file of the same host (`otherPath`). */
  store: string;
  /** Set when the store lacks the name and two files of the host disagree. */
  otherPath?: string;
}

export interface Reconciliation {
  /** Host values that differ from the store (or from each other): stop, never overwrite. */
  conflicts: Conflict[];
  /** Names the host has and the store lacks: import them first. */
  hostOnly: { name: string; paths: string[] }[];
  /** Names neither has: generate into the store. */
  generate: string[];
  /** Names whose host value equals the store's. */
  matching: string[];
  /** Placeholder values seen (ignored, as if absent). */
  placeholders: { name: string; path: string }[];
}

/** `store`: name -> value, or null when there is no store yet. */
export function reconcile(
  store: Record<string, string> | null,
  host: HostValues[],
  names: readonly string[],
): Reconciliation {
  const r: Reconciliation = { conflicts: [], hostOnly: [], generate: [], matching: [], placeholders: [] };
  for (const name of names) {
    const found: { path: string; hash: string }[] = [];
    for (const file of host) {
      const hash = file.values[name];
      if (hash === undefined) continue;
      if (isPlaceholderHash(hash)) r.placeholders.push({ name, path: file.path });
      else found.push({ path: file.path, hash });
    }
    const stored = store?.[name];
    if (stored !== undefined) {
      const want = secretHash(name, stored);
      for (const f of found) {
        if (f.hash !== want) r.conflicts.push({ name, path: f.path, host: f.hash, store: want });
      }
      if (found.length > 0 && found.every((f) => f.hash === want)) r.matching.push(name);
    } else if (found.length === 0) {
      r.generate.push(name);
    } else {
      const first = found[0];
      const other = found.find((f) => f.hash !== first.hash);
      if (other) {
        r.conflicts.push({
          name,
          path: other.path,
          host: other.hash,
          store: first.hash,
          otherPath: first.path,
        });
      } else r.hostOnly.push({ name, paths: found.map((f) => f.path) });
    }
  }
  return r;
}

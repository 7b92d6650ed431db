/**
 * `group_vars/` and `host_vars/` as Ansible's host_group_vars plugin finds them, beside each inventory
 * source: for a name, the first of `NAME` (a file without extension, or a directory), `NAME.yml`,
 * `NAME.yaml`, `NAME.json`; a directory's files are read recursively in name order (hidden files,
 * backups `~` and other extensions skipped). Pure: the listing is given as functions.
 */
import { join } from "node:path";

const EXTENSIONS = ["", ".yml", ".yaml", ".json"];

export interface Listing {
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  /** Names in a directory. */
  list(path: string): string[];
}

/** The variable files for `name` in `dir` (`…/group_vars`), in the order Ansible merges them. */
export function findVarsFiles(dir: string, name: string, fs: Listing): string[] {
  for (const ext of EXTENSIONS) {
    const path = join(dir, name + ext);
    if (!fs.exists(path)) continue;
    return fs.isDirectory(path) ? dirFiles(path, fs) : [path];
  }
  return [];
}

function dirFiles(dir: string, fs: Listing): string[] {
  const found: string[] = [];
  for (const entry of [...fs.list(dir)].sort(byCodePoint)) {
    if (entry.startsWith(".") || entry.endsWith("~")) continue;
    const ext = /\.[^.]*$/.exec(entry.replace(/^\.+/, ""))?.[0] ?? "";
    const path = join(dir, entry);
    if (fs.isDirectory(path)) {
      if (!ext) found.push(...dirFiles(path, fs));
    } else if (!ext || EXTENSIONS.includes(ext)) found.push(path);
  }
  return found;
}

/**
 * Names in `dir` that a group_vars/ or host_vars/ file could be for (to warn about the ones the
 * inventory does not have): `web.yml` → web, `web/` → web.
 */
export function varsFileNames(dir: string, fs: Listing): Map<string, string> {
  const names = new Map<string, string>();
  if (!fs.exists(dir) || !fs.isDirectory(dir)) return names;
  for (const entry of [...fs.list(dir)].sort(byCodePoint)) {
    if (entry.startsWith(".") || entry.endsWith("~")) continue;
    const path = join(dir, entry);
    const ext = EXTENSIONS.find((e) => e && entry.endsWith(e));
    const name = fs.isDirectory(path) || !ext ? entry : entry.slice(0, -ext.length);
    if (fs.isDirectory(path) || ext || !entry.includes(".")) names.set(name, path);
  }
  return names;
}

/** Python sorts names by code point, not by locale. */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

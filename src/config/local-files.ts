/**
 * Files on the control machine that copy and template read (and docker_compose's env_template): a
 * relative `src` is looked up in the role's `files/` or `templates/` folder first, then beside the
 * playbook (or tasks file), then in the working directory. Read only when regular and of bounded
 * size, once per command (the playbook loader checks them before any host is contacted; the engine
 * reads the same bytes for every host).
 */
import { isAbsolute, join, resolve } from "node:path";
import { checkRegularFile, MiB, pathExists, readRegularFile } from "../core/files.ts";
import { UserError } from "../core/errors.ts";
import { displayPath } from "./problems.ts";

export type LocalKind = "files" | "templates";

/** Where a task's file lives: its role's folder, and the file the task is written in. */
export interface LocalBase {
  roleDir?: string;
  file: string;
}

/** What each module reads from the control machine: its argument, and where it looks. */
export const LOCAL_FILES: Record<string, { arg: string; kind: LocalKind }> = {
  template: { arg: "src", kind: "templates" },
  copy: { arg: "src", kind: "files" },
  docker_compose: { arg: "env_template", kind: "templates" },
};

/** Files copied or rendered to hosts larger than this are refused. */
export const MAX_LOCAL_FILE_BYTES = 64 * MiB;

export function candidatePaths(path: string, kind: LocalKind, base: LocalBase): string[] {
  if (isAbsolute(path)) return [path];
  const out: string[] = [];
  if (base.roleDir) out.push(join(base.roleDir, kind, path), join(base.roleDir, path));
  const dir = resolve(base.file, "..");
  out.push(join(dir, kind, path), join(dir, path), resolve(path));
  return out;
}

const what = (kind: LocalKind) => (kind === "templates" ? "template" : "file to copy");

/** The file `path` names, or a UserError saying where it was looked for or what is wrong with it. */
export function findLocalFile(path: string, kind: LocalKind, base: LocalBase): string {
  const candidates = candidatePaths(path, kind, base);
  const found = candidates.find(pathExists);
  if (!found) {
    throw new UserError(
      `${what(kind)} '${path}' not found; looked in:\n  ${candidates.map(displayPath).join("\n  ")}`,
      `put it in the role's ${kind}/ folder, or give its path`,
    );
  }
  checkRegularFile(found, { what: what(kind), maxBytes: MAX_LOCAL_FILE_BYTES });
  return found;
}

const contents = new Map<string, Uint8Array>();

/** The bytes of the file `path` names (read once per command). */
export function readLocalFile(path: string, kind: LocalKind, base: LocalBase): Uint8Array {
  const found = findLocalFile(path, kind, base);
  let bytes = contents.get(found);
  if (!bytes) {
    bytes = readRegularFile(found, { what: what(kind), maxBytes: MAX_LOCAL_FILE_BYTES });
    contents.set(found, bytes);
  }
  return bytes;
}

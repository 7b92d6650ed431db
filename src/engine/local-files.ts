/**
 * Files on the control machine that copy/template read: a relative `src` is looked up in the role's
 * `files/` or `templates/` folder first, then beside the playbook, then in the working directory.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { UserError } from "../core/errors.ts";
import type { Task } from "../config/model.ts";

export function candidatePaths(path: string, kind: "files" | "templates", task: Task): string[] {
  if (isAbsolute(path)) return [path];
  const out: string[] = [];
  if (task.role) out.push(join(task.role.dir, kind, path), join(task.role.dir, path));
  const base = dirname(resolve(task.source.file));
  out.push(join(base, kind, path), join(base, path), resolve(path));
  return out;
}

export function readLocalFile(path: string, kind: "files" | "templates", task: Task): Uint8Array {
  const candidates = candidatePaths(path, kind, task);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new UserError(
      `${task.source.file}:${task.source.line}:${task.source.col}: ${
        kind.slice(0, -1)
      } '${path}' not found; looked in:\n  ${candidates.join("\n  ")}`,
    );
  }
  return readFileSync(found);
}

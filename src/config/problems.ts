/**
 * Configuration problems: one line each, `file:line:col key/path: message`, collected over every file
 * and thrown together as one `ConfigError` before any host is contacted.
 */
import { isAbsolute, relative } from "node:path";
import { UserError } from "../core/errors.ts";
import { cwd } from "../runtime.ts";

export interface Problem {
  /** File as shown to the user: relative to the working directory when it is below it. */
  file: string;
  line: number;
  col: number;
  /** Key path inside the file (`tasks/3/template/mode`); empty for the whole document. */
  path: string;
  message: string;
}

/** `playbooks/site.yml:14:7 tasks/3/template/mode: should be a string like "0640"` */
export const formatProblem = (p: Problem): string =>
  `${p.file}:${p.line}:${p.col}${p.path ? ` ${p.path}` : ""}: ${p.message}`;

/** Every problem found in the configuration; the message lists them all, one per line. */
export class ConfigError extends UserError {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
  }
}

/** The path to print for a file: relative to the working directory unless that climbs out of it. */
export function displayPath(file: string): string {
  const rel = relative(cwd(), file);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}

/** Problems gathered over many files, thrown together at the end. */
export class Problems {
  readonly list: Problem[] = [];

  /** Run `fn`; a ConfigError it throws is recorded (result undefined), anything else propagates. */
  try<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.list.push(...e.problems);
      return undefined;
    }
  }

  add(...problems: Problem[]): void {
    this.list.push(...problems);
  }

  /** Throw every problem so far as one ConfigError. */
  throwIfAny(): void {
    if (this.list.length) throw new ConfigError(this.list);
  }
}

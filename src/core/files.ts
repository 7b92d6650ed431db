/**
 * Local files a person hands the tool (plans, stores, keys, known_hosts, configuration): read only
 * when they are regular files of a sane size, and written through a temp file and a rename. Every
 * refusal is a UserError that names the file, says what is wrong with it and what to do.
 *
 * The file is opened non-blocking and judged by the open descriptor, so a FIFO or a device never
 * blocks or streams for ever, and a file swapped after a check is still judged by what was opened.
 *
 * @example
 * ```ts
 * const text = readTextFile("plan.json", { what: "plan", maxBytes: 32 * MiB });
 * checkOutputFile("out/plan.json", { what: "plan", flag: "-o" }); // before any host is contacted
 * writeFileAtomically("out/plan.json", text);
 * ```
 */
import { Buffer } from "node:buffer";
import {
  accessSync,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import process from "node:process";
import { UsageError, UserError } from "./errors.ts";

export const MiB = 1024 * 1024;

export interface ReadOptions {
  /** What the file is, for messages: "plan", "secrets store", "private key". */
  what: string;
  /** Larger files are refused before they are read. */
  maxBytes: number;
  /** What to do about a refusal, when there is something better than "check the path". */
  hint?: string;
}

const errno = (e: unknown) => (e as { code?: string }).code;

/** What kind of thing a path is, in words: "a directory", "a FIFO (named pipe)". */
export function kindOf(st: Stats): string {
  if (st.isFile()) return "a file";
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

const sizeText = (bytes: number) => {
  if (bytes < MiB) return `${bytes} bytes`;
  const mib = bytes / MiB;
  return `${Number.isInteger(mib) || mib >= 10 ? Math.round(mib) : mib.toFixed(1)} MiB`;
};

/** The refusal for a path that cannot be opened, by its error code. */
function openError(path: string, e: unknown, o: ReadOptions): UserError {
  const at = `${o.what} ${path}`;
  switch (errno(e)) {
    case "ENOENT":
      return new UserError(
        isDanglingLink(path)
          ? `${at} is a symbolic link to a file that does not exist`
          : `${at} does not exist`,
        o.hint ?? "check the path",
      );
    case "ENOTDIR":
      return new UserError(`${at} does not exist (a part of the path is not a directory)`, o.hint);
    case "ELOOP":
      return new UserError(`${at} is a loop of symbolic links`, o.hint ?? "check the path");
    case "EACCES":
    case "EPERM":
      return new UserError(`${at} cannot be read: permission denied`, "check the file's owner and mode");
    case "ENAMETOOLONG":
      return new UserError(`${o.what} path is too long: ${path.slice(0, 80)}…`);
    default:
      return new UserError(`${at} cannot be read: ${(e as Error).message}`);
  }
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Open `path` without blocking and check it is a regular file of at most `maxBytes`. */
function openRegular(path: string, o: ReadOptions): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if (errno(e) === "EISDIR") throw notRegular(path, "a directory", o);
    throw openError(path, e, o);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegular(path, kindOf(st), o);
    if (st.size > o.maxBytes) throw tooLarge(path, sizeText(st.size), o);
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

const tooLarge = (path: string, size: string, o: ReadOptions) =>
  new UserError(
    `${o.what} ${path} is too large (${size}; ${/^[aeiou]/i.test(o.what) ? "an" : "a"} ${o.what} is at most ${
      sizeText(o.maxBytes)
    })`,
    o.hint ?? `check that ${path} is the right file`,
  );

/** Check that `path` is a regular file of at most `maxBytes`, without reading it. */
export function checkRegularFile(path: string, o: ReadOptions): void {
  closeSync(openRegular(path, o).fd);
}

/**
 * The bytes of a regular file of at most `maxBytes`. Directories, FIFOs, devices, sockets, missing
 * files, dangling links, loops and files too large are refused with a UserError naming the file.
 */
export function readRegularFile(path: string, o: ReadOptions): Uint8Array {
  const { fd, size } = openRegular(path, o);
  try {
    // Read until the end, never more than the limit (the file may grow while it is read).
    let buffer = Buffer.alloc(Math.min(size, o.maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > o.maxBytes) throw tooLarge(path, `more than ${sizeText(o.maxBytes)}`, o);
        const larger = Buffer.alloc(Math.min(length * 2, o.maxBytes + 1));
        buffer.copy(larger);
        buffer = larger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function notRegular(path: string, kind: string, o: ReadOptions): UserError {
  return new UserError(
    `${o.what} ${path} is ${kind}, not a file`,
    o.hint ?? "give the path of a regular file",
  );
}

/** A regular file's text (UTF-8), with the checks of readRegularFile. */
export function readTextFile(path: string, o: ReadOptions): string {
  return new TextDecoder().decode(readRegularFile(path, o));
}

/** Whether `path` exists at all (a dangling link counts: reading it gives the clear error). */
export function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface OutputOptions {
  /** What is written, for messages: "plan", "lint report". */
  what: string;
  /** The option that named the path: "-o". */
  flag: string;
  /** A file name to suggest inside a directory given by mistake: "plan.json". */
  example: string;
}

/**
 * Refuse an output path that cannot be written, before any work (and any host) is done: its folder
 * must exist and be writable, and the path must not be a directory or another non-regular file. A
 * UsageError (exit 2): the option's value is wrong.
 */
export function checkOutputFile(path: string, o: OutputOptions): void {
  const at = `${o.flag} ${path}`;
  const dir = dirname(path);
  let dirStat: Stats;
  try {
    dirStat = statSync(dir);
  } catch (e) {
    throw new UsageError(
      errno(e) === "ENOENT" || errno(e) === "ENOTDIR"
        ? `${at}: the folder ${dir} does not exist`
        : `${at}: the folder ${dir} cannot be used: ${(e as Error).message}`,
      `create it first (mkdir -p ${dir}), or write the ${o.what} elsewhere`,
    );
  }
  if (!dirStat.isDirectory()) {
    throw new UsageError(
      `${at}: ${dir} is ${kindOf(dirStat)}, not a folder`,
      `write the ${o.what} elsewhere`,
    );
  }
  let target: Stats | undefined;
  try {
    target = statSync(path);
  } catch (e) {
    if (errno(e) !== "ENOENT") {
      throw new UsageError(openError(path, e, { what: o.what, maxBytes: 0 }).message);
    }
  }
  if (target && !target.isFile()) {
    throw new UsageError(
      `${at} is ${kindOf(target)}; the ${o.what} is written to a file`,
      target.isDirectory() ? `name a file inside it, e.g. ${o.flag} ${join(path, o.example)}` : undefined,
    );
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${at}: the folder ${dir} is not writable`, `write the ${o.what} elsewhere`);
  }
}

/**
 * Write `text` to a temp file beside `path` (synced), then rename it over `path`: a reader sees the
 * old file or the whole new one, never a part. The new file gets `mode`.
 */
export function writeFileAtomically(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const fd = openSync(tmp, "wx", mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

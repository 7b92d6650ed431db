/**
 * Paths on the host, shared by file, copy, template and stat: the argument types for mode and
 * ownership, one `stat` read (type, mode, owner, checksum, link target, small contents), and the
 * chmod/chown steps that bring attributes in line.
 */
import { Buffer } from "node:buffer";
import { z } from "zod";
import { type Command, raw } from "../core/command.ts";
import type { ExecResult } from "../core/types.ts";
import type { Step } from "./types.ts";

export const modeArg = () =>
  z.string({ error: 'should be a string like "0644" (quote it in YAML: unquoted 0644 is read as a number)' })
    .regex(/^0?[0-7]{3,4}$/, {
      error: 'should be an octal mode like "0644" or "2775" (symbolic modes like u+x are not supported)',
    });

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/;
export const ownerArg = () => z.string().regex(NAME, { error: "should be a user name or a numeric uid" });
export const groupArg = () => z.string().regex(NAME, { error: "should be a group name or a numeric gid" });

/** "644", "0644", "00644" -> "0644"; "2775" -> "2775". */
export const normMode = (mode: string): string => parseInt(mode, 8).toString(8).padStart(4, "0");

export type PathType = "file" | "directory" | "link" | "other";

export type PathStat =
  | { exists: false }
  | {
    exists: true;
    type: PathType;
    /** Four octal digits, special bits included: "0644", "2775". */
    mode: string;
    uid: number;
    gid: number;
    owner: string;
    group: string;
    size: number;
    mtime: number;
    /** sha256 of a regular file, when asked for. */
    checksum?: string;
    /** Where a symbolic link points (not followed). */
    linkTarget?: string;
    /** The file's bytes, when asked for and smaller than the limit. */
    content?: Uint8Array;
  };

export interface StatOptions {
  /** Follow a symbolic link to what it points at (a dangling link then reads as missing). */
  follow: boolean;
  checksum?: boolean;
  /** Also read the content of a regular file smaller than this many bytes (for diffs). */
  contentBelow?: number;
}

export const MISSING = "lago:missing";
const FORMAT = "%f %a %u %g %U %G %s %Y";

/**
 * One read of a path. Output, one item a line: the stat fields, the sha256 line (or empty), the link
 * target (or empty), then the base64 content without a newline (or nothing); or `lago:missing`.
 */
export function statCommand(path: string, opts: StatOptions): Command {
  const exists: Command = opts.follow
    ? ["test", "-e", path]
    : ["test", "-e", path, raw("||"), "test", "-L", path];
  const checksum: Command = opts.checksum
    ? [raw("if"), "test", "-f", path, raw("; then"), "sha256sum", raw("<"), path, raw("; else echo; fi")]
    : ["echo"];
  const link: Command = opts.follow
    ? ["echo"]
    : [raw("if"), "test", "-L", path, raw("; then"), "readlink", path, raw("; else echo; fi")];
  const content: Command = opts.contentBelow
    ? [
      raw("&&"),
      ...["find", "-L", path, "-maxdepth", "0", "-type", "f", "-size", `-${opts.contentBelow}c`],
      ...["-exec", "base64", "-w0", "{}", ";"],
    ]
    : [];
  return [
    raw("if"),
    ...exists,
    raw("; then"),
    "stat",
    ...(opts.follow ? ["-L"] : []),
    "-c",
    FORMAT,
    path,
    raw("&&"),
    ...checksum,
    raw("&&"),
    ...link,
    ...content,
    raw("; else echo"),
    MISSING,
    raw("; fi"),
  ];
}

const TYPES: Record<number, PathType> = { 0o100000: "file", 0o040000: "directory", 0o120000: "link" };

/** Parse the lines `statCommand` printed (callers may strip lines of their own before them). */
export function parseStat(lines: string[], opts: StatOptions): PathStat {
  if (lines[0] === MISSING) return { exists: false };
  const f = lines[0].split(" ");
  if (f.length !== 8) throw new Error(`unexpected stat output: ${lines[0]}`);
  const [rawMode, perms, uid, gid, owner, group, size, mtime] = f;
  const st: PathStat = {
    exists: true,
    type: TYPES[parseInt(rawMode, 16) & 0o170000] ?? "other",
    mode: normMode(perms),
    uid: Number(uid),
    gid: Number(gid),
    owner,
    group,
    size: Number(size),
    mtime: Number(mtime),
  };
  const sum = /^\\?([0-9a-f]{64}) /.exec(lines[1] ?? "");
  if (opts.checksum && sum && st.type === "file") st.checksum = sum[1];
  if (!opts.follow && st.type === "link") st.linkTarget = lines[2];
  if (opts.contentBelow && st.type === "file" && st.size < opts.contentBelow) {
    const bytes = new Uint8Array(Buffer.from(lines[3] ?? "", "base64"));
    // A file that changed between stat and read, or could not be read: no content rather than a wrong one.
    if (bytes.length === st.size) st.content = bytes;
  }
  return st;
}

/** The whole stdout of a probe that is only `statCommand`. */
export const parseStatResult = (r: ExecResult, opts: StatOptions): PathStat =>
  parseStat(r.stdout.split("\n"), opts);

export interface Attrs {
  mode?: string;
  owner?: string;
  group?: string;
}

const sameId = (want: string, name: string, id: number) => want === name || want === String(id);

/**
 * chown/chmod steps for the attributes that differ (chown first: it may clear setuid bits), with a
 * before/after text. `recurse` applies them to everything below a directory too; `link` changes a
 * symbolic link itself (modes of links mean nothing on Linux, so mode is ignored there).
 */
export function attrSteps(
  path: string,
  st: Extract<PathStat, { exists: true }>,
  want: Attrs,
  opts: { recurse?: boolean; force?: boolean; link?: boolean } = {},
): { steps: Step[]; before: string; after: string; changes: string[] } {
  const owner = want.owner && (opts.force || !sameId(want.owner, st.owner, st.uid)) ? want.owner : undefined;
  const group = want.group && (opts.force || !sameId(want.group, st.group, st.gid)) ? want.group : undefined;
  const mode = want.mode && !opts.link && (opts.force || normMode(want.mode) !== st.mode)
    ? normMode(want.mode)
    : undefined;
  const steps = setAttrSteps(path, { mode, owner, group }, opts);
  const changes = [
    mode && `mode ${st.mode} -> ${mode}`,
    owner && `owner ${st.owner} -> ${owner}`,
    group && `group ${st.group} -> ${group}`,
  ].filter((c): c is string => !!c);
  return {
    steps,
    before: attrsText(st.type, st),
    after: attrsText(st.type, { mode: mode ?? st.mode, owner: owner ?? st.owner, group: group ?? st.group }),
    changes,
  };
}

/** chown/chmod steps that set the given attributes unconditionally (after creating a path). */
export function setAttrSteps(
  path: string,
  a: Attrs,
  opts: { recurse?: boolean; link?: boolean } = {},
): Step[] {
  const steps: Step[] = [];
  const recurse = opts.recurse ? ["-R"] : [];
  if (a.owner || a.group) {
    const spec = a.owner && a.group ? `${a.owner}:${a.group}` : a.owner ?? `:${a.group}`;
    steps.push({ kind: "exec", command: ["chown", ...recurse, ...(opts.link ? ["-h"] : []), spec, path] });
  }
  if (a.mode && !opts.link) {
    steps.push({ kind: "exec", command: ["chmod", ...recurse, normMode(a.mode), path] });
  }
  return steps;
}

/** "directory mode=0755 owner=root group=root" (what --diff shows for attribute changes). */
export function attrsText(type: string, a: Attrs): string {
  return [
    type,
    a.mode && `mode=${normMode(a.mode)}`,
    a.owner && `owner=${a.owner}`,
    a.group && `group=${a.group}`,
  ].filter(Boolean).join(" ");
}

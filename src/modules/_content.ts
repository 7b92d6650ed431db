/**
 * "This content at this path": the one planner behind copy and template. The probe reads the file's
 * sha256, attributes and (unless sensitive, and when under 256 KiB) its content for the diff, plus
 * whether its directory exists, in one round trip.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { type Command, quote, raw, seq, splitWords } from "../core/command.ts";
import { type ExecResult } from "../core/types.ts";
import { UserError } from "../core/errors.ts";
import {
  attrSteps,
  groupArg,
  modeArg,
  normMode,
  ownerArg,
  parseStat,
  type PathStat,
  statCommand,
  type StatOptions,
} from "./_path.ts";
import { absPath, notYet, probeFailed } from "./_util.ts";
import type { Diff, Plan, Probe, Step } from "./types.ts";

/** Content shown in diffs is read only below this size. */
export const DIFF_LIMIT = 256 * 1024;

/** Arguments copy and template share (each adds where the content comes from). */
export const contentArgs = {
  dest: absPath().describe("Path of the file on the host; its directory must exist."),
  mode: modeArg().optional().describe(
    'Octal permissions as a string, like "0640". Default: keep the current mode, "0644" for a new file.',
  ),
  owner: ownerArg().optional().describe("Owner (user name or uid). Default: keep the current owner."),
  group: groupArg().optional().describe("Group (group name or gid). Default: keep the current group."),
  backup: z.boolean().default(false).describe(
    "Before replacing the file, keep a copy of it beside it as DEST.YYYYMMDDHHMMSS~.",
  ),
  force: z.boolean().default(true).describe(
    "Replace the file when its content differs. false: only create it when missing.",
  ),
  sensitive: z.boolean().default(false).describe(
    "The content is secret: it is never read back from the host and diffs show only that it changed.",
  ),
  validate: z.string().regex(/%s/, { error: "should contain %s (the path of the file to check)" }).optional()
    .describe(
      "A command that checks the new content before it is installed, %s standing for a temporary file " +
        "holding it (e.g. `visudo -cf %s`). A non-zero exit fails the task and leaves the file alone.",
    ),
};

export interface ContentFacts {
  parentExists: boolean;
  stat: PathStat;
}

const statOpts = (sensitive: boolean): StatOptions => ({
  follow: true,
  checksum: true,
  contentBelow: sensitive ? undefined : DIFF_LIMIT,
});

const dirname = (path: string) => path.replace(/\/[^/]*$/, "") || "/";

export function contentProbe(a: { dest: string; sensitive: boolean }): Probe<ContentFacts> {
  const parent: Command = [
    raw("if"),
    "test",
    "-d",
    dirname(a.dest),
    raw("; then echo lago:parent; else echo lago:noparent; fi"),
  ];
  return {
    command: seq(parent, statCommand(a.dest, statOpts(a.sensitive))),
    parse(r: ExecResult): ContentFacts {
      if (r.exitCode !== 0) throw probeFailed(a.dest, r);
      const lines = r.stdout.split("\n");
      return {
        parentExists: lines[0] === "lago:parent",
        stat: parseStat(lines.slice(1), statOpts(a.sensitive)),
      };
    },
  };
}

export interface WantContent {
  dest: string;
  content: Uint8Array;
  mode?: string;
  owner?: string;
  group?: string;
  backup: boolean;
  force: boolean;
  sensitive: boolean;
  validate?: string;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Text for a diff: the decoded UTF-8, or "(binary)". */
function diffText(bytes: Uint8Array): string {
  if (bytes.includes(0)) return "(binary)";
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "(binary)";
  }
}

const size = (n: number) => (n === 1 ? "1 byte" : `${n} bytes`);

export function planContent(w: WantContent, facts: ContentFacts): Plan {
  const st = facts.stat;
  const after = w.sensitive ? "(sensitive content)" : diffText(w.content);
  const install = (attrs: { mode?: string; owner?: string; group?: string }): Step[] => [
    ...(w.validate ? [validateStep(w.validate, w.content)] : []),
    ...(w.backup && st.exists ? [backupStep(w.dest)] : []),
    { kind: "write", path: w.dest, content: w.content, ...definedAttrs(attrs) },
  ];

  if (!st.exists) {
    const steps = install({ mode: w.mode ? normMode(w.mode) : "0644", owner: w.owner, group: w.group });
    const diffs: Diff[] = [{ target: w.dest, before: "", after, sensitive: w.sensitive || undefined }];
    if (!facts.parentExists) {
      const dir = dirname(w.dest);
      return {
        ...notYet(
          `cannot create ${w.dest}: directory ${dir} does not exist`,
          "create it first with a file task (state: directory)",
          `would create ${w.dest} (${dir} does not exist yet; an earlier task may create it)`,
          steps,
          dir,
        ),
        diffs,
        creates: [w.dest],
      };
    }
    return {
      changed: true,
      reason: `would create ${w.dest} (${size(w.content.length)})`,
      steps,
      diffs,
      creates: [w.dest],
    };
  }
  if (st.type !== "file") {
    throw new UserError(`${w.dest} is a ${st.type}, not a file`, "give the full path of the file in dest");
  }

  const same = st.checksum === sha256(w.content);
  if (same || !w.force) {
    const attrs = attrSteps(w.dest, st, w);
    const why = same ? `${w.dest} already has the requested content` : `${w.dest} exists and force is false`;
    if (attrs.steps.length === 0) return { changed: false, reason: why, steps: [] };
    return {
      changed: true,
      reason: `${why}; would change ${attrs.changes.join(", ")}`,
      steps: attrs.steps,
      diffs: [{ target: `${w.dest} (attributes)`, before: attrs.before, after: attrs.after }],
    };
  }

  const attrs = attrSteps(w.dest, st, w);
  const before = w.sensitive
    ? "(sensitive content)"
    : st.content
    ? diffText(st.content)
    : `(${size(st.size)}: too large to show)`;
  const diffs: Diff[] = [{ target: w.dest, before, after, sensitive: w.sensitive || undefined }];
  if (attrs.changes.length) {
    diffs.push({ target: `${w.dest} (attributes)`, before: attrs.before, after: attrs.after });
  }
  return {
    changed: true,
    reason: `would update ${w.dest} (${size(st.size)} -> ${size(w.content.length)})${
      attrs.changes.length ? `, change ${attrs.changes.join(", ")}` : ""
    }`,
    // The new file replaces the old one: it keeps the old attributes unless others are asked for.
    steps: install({
      mode: w.mode ? normMode(w.mode) : st.mode,
      owner: w.owner ?? st.owner,
      group: w.group ?? st.group,
    }),
    diffs,
  };
}

const definedAttrs = (a: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined));

/** Keep the current file as DEST.<timestamp>~ (the script is constant; the path is its argument). */
function backupStep(dest: string): Step {
  return {
    kind: "exec",
    command: ["sh", "-c", 'cp -p "$1" "$1.$(date +%Y%m%d%H%M%S)~"', "sh", dest],
  };
}

/**
 * Run the validate command on a temporary copy of the new content (given on stdin), before the write
 * step installs it. `%s` becomes the temporary path, `"$t"` in the shell.
 */
function validateStep(validate: string, content: Uint8Array): Step {
  const words: Command = splitWords(validate).map((word) => {
    if (!word.includes("%s")) return word;
    return raw(word.split("%s").map((part) => (part === "" ? "" : quote(part))).join('"$t"'));
  });
  return {
    kind: "exec",
    command: [
      raw('( t=$(mktemp) || exit 1; cat > "$t" &&'),
      ...words,
      raw('; rc=$?; rm -f "$t"; exit $rc )'),
    ],
    stdin: content,
  };
}

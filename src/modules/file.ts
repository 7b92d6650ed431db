/**
 * file: the type and attributes of a path (directory, symbolic link, empty file, absent). It never
 * writes content: copy and template do that.
 */
import { z } from "zod";
import { type Command, raw, seq } from "../core/command.ts";
import { type ExecResult } from "../core/types.ts";
import { UserError } from "../core/errors.ts";
import {
  attrSteps,
  attrsText,
  groupArg,
  MISSING,
  modeArg,
  ownerArg,
  parseStat,
  type PathStat,
  setAttrSteps,
  statCommand,
  type StatOptions,
} from "./_path.ts";
import { absPath, notYet, probeFailed } from "./_util.ts";
import { defineModule, type ModuleDefinition, type Plan, type Step } from "./types.ts";

const fileArgs = z.object({
  path: absPath().describe("Path on the host."),
  state: z.enum(["file", "directory", "link", "absent", "touch"]).default("file").describe(
    "file: it must exist, only attributes change; directory: create it with parents; link: a symbolic " +
      "link to src; absent: remove it (recursively); touch: create an empty file when missing (the " +
      "timestamps of an existing file are kept, so the task stays idempotent).",
  ),
  mode: modeArg().optional().describe('Octal permissions as a string, like "0644" or "2775".'),
  owner: ownerArg().optional().describe("Owner (user name or uid)."),
  group: groupArg().optional().describe("Group (group name or gid)."),
  src: z.string().min(1).optional().describe("state: link only: where the link points (kept as written)."),
  recurse: z.boolean().default(false).describe(
    "state: directory only: apply mode, owner and group to everything below it too.",
  ),
  force: z.boolean().default(false).describe(
    "state: link only: replace a file or directory that stands where the link should be.",
  ),
}).strict().superRefine((a, ctx) => {
  if (a.state === "link" && !a.src) {
    ctx.addIssue({ code: "custom", path: ["src"], message: "state: link needs src" });
  }
  if (a.state !== "link" && a.src) {
    ctx.addIssue({ code: "custom", path: ["src"], message: "src is only for state: link" });
  }
  if (a.recurse && a.state !== "directory") {
    ctx.addIssue({ code: "custom", path: ["recurse"], message: "recurse is only for state: directory" });
  }
  if (a.recurse && !a.mode && !a.owner && !a.group) {
    ctx.addIssue({
      code: "custom",
      path: ["recurse"],
      message: "recurse needs mode, owner or group to apply",
    });
  }
});
type FileArgs = z.infer<typeof fileArgs>;

export interface FileFacts {
  stat: PathStat;
  /** recurse: something below the directory has other attributes than requested. */
  belowDiffers?: boolean;
}

const DIFFERS = "lago:differs";

// file, touch and directory act on what a link points at (as chmod and chown do); link and absent on
// the link itself.
const statOpts = (a: FileArgs): StatOptions => ({ follow: a.state !== "link" && a.state !== "absent" });

function fileProbe(a: FileArgs) {
  const read = statCommand(a.path, statOpts(a));
  const command: Command = a.recurse ? seq(read, belowCommand(a)) : read;
  return {
    command,
    parse(r: ExecResult): FileFacts {
      if (r.exitCode !== 0) throw probeFailed(a.path, r);
      const lines = r.stdout.split("\n");
      const stat = parseStat(lines, statOpts(a));
      if (!a.recurse) return { stat };
      const rest = lines.slice(lines[0] === MISSING ? 1 : 3);
      return { stat, belowDiffers: rest[0] === DIFFERS };
    },
  };
}

/** Prints lago:differs when any entry below the directory has other attributes (or find fails). */
function belowCommand(a: FileArgs): Command {
  const tests: Command[] = [];
  if (a.owner) tests.push(["!", "-user", a.owner]);
  if (a.group) tests.push(["!", "-group", a.group]);
  if (a.mode) tests.push(["!", "-perm", a.mode]);
  const any: Command = tests.flatMap((t, i) => (i === 0 ? t : ["-o", ...t]));
  return [
    ...["find", a.path, "-mindepth", "1", "(", ...any, ")", "-printf", `${DIFFERS}\\n`, "-quit"],
    raw("2>/dev/null || echo"),
    DIFFERS,
  ];
}

function planFile(a: FileArgs, facts: FileFacts): Plan {
  const st = facts.stat;
  const want = { mode: a.mode, owner: a.owner, group: a.group };
  const was = st.exists ? attrsText(st.type, st) : "absent";

  if (a.state === "absent") {
    if (!st.exists) return { changed: false, reason: `${a.path} is already absent`, steps: [] };
    return {
      changed: true,
      reason: `would remove ${st.type} ${a.path}`,
      steps: [{ kind: "exec", command: ["rm", "-rf", a.path] }],
      diffs: [{ target: a.path, before: was, after: "absent" }],
    };
  }

  if (!st.exists) {
    if (a.state === "file") {
      return notYet(
        `file ${a.path} does not exist`,
        "use copy or template to create it, or state: touch for an empty file",
        `${a.path} does not exist yet (an earlier task may create it); would set its attributes`,
        [],
        a.path,
      );
    }
    const create: Step[] = a.state === "directory"
      ? [{ kind: "exec", command: ["mkdir", "-p", a.path] }]
      : a.state === "touch"
      ? [{ kind: "exec", command: ["touch", a.path] }]
      : [{ kind: "exec", command: ["ln", "-sfn", a.src!, a.path] }];
    const type = a.state === "touch" ? "file" : a.state;
    const isLink = a.state === "link";
    const attrs = setAttrSteps(a.path, want, { link: isLink });
    return {
      changed: true,
      reason: isLink ? `would create link ${a.path} -> ${a.src}` : `would create ${type} ${a.path}`,
      steps: [...create, ...attrs],
      creates: [a.path],
      diffs: [{
        target: a.path,
        before: "absent",
        after: isLink ? `link -> ${a.src}` : attrsText(type, want),
      }],
    };
  }

  if (a.state === "link") return planLink(a, st);

  if (a.state === "directory" && st.type !== "directory") {
    throw new UserError(
      `${a.path} exists and is a ${st.type}, not a directory`,
      "remove it first (state: absent) if a directory should replace it",
    );
  }
  if ((a.state === "file" || a.state === "touch") && st.type === "directory") {
    throw new UserError(`${a.path} is a directory`, "use state: directory for directories");
  }

  const { steps, before, after, changes } = attrSteps(a.path, st, want);
  if (a.recurse && facts.belowDiffers) {
    const all = attrSteps(a.path, st, want, { recurse: true, force: true });
    return {
      changed: true,
      reason: `would set ${
        [a.mode && `mode ${a.mode}`, a.owner && `owner ${a.owner}`, a.group && `group ${a.group}`]
          .filter(Boolean).join(", ")
      } on ${a.path} and everything below it`,
      steps: all.steps,
      diffs: [{ target: a.path, before, after: `${all.after} (recursively)` }],
    };
  }
  if (steps.length === 0) {
    return {
      changed: false,
      reason: `${a.path} is already a ${st.type}${
        a.mode || a.owner || a.group ? " with the requested attributes" : ""
      }${a.recurse ? " (and everything below it)" : ""}`,
      steps: [],
    };
  }
  return {
    changed: true,
    reason: `would change ${changes.join(", ")} of ${a.path}`,
    steps,
    diffs: [{ target: a.path, before, after }],
  };
}

function planLink(a: FileArgs, st: Extract<PathStat, { exists: true }>): Plan {
  const src = a.src!;
  const want = { owner: a.owner, group: a.group };
  if (st.type === "link" && st.linkTarget === src) {
    const { steps, before, after, changes } = attrSteps(a.path, st, want, { link: true });
    if (steps.length === 0) {
      return { changed: false, reason: `${a.path} already links to ${src}`, steps: [] };
    }
    return {
      changed: true,
      reason: `would change ${changes.join(", ")} of link ${a.path}`,
      steps,
      diffs: [{ target: a.path, before, after }],
    };
  }
  const replacing = st.type !== "link";
  if (replacing && !a.force) {
    throw new UserError(
      `${a.path} exists and is a ${st.type}, not a link`,
      "set force: true to replace it with the link",
    );
  }
  return {
    changed: true,
    reason: replacing
      ? `would replace ${st.type} ${a.path} with a link to ${src}`
      : `would point ${a.path} to ${src} (was ${st.linkTarget})`,
    steps: [
      ...(replacing ? [{ kind: "exec" as const, command: ["rm", "-rf", a.path] }] : []),
      { kind: "exec", command: ["ln", "-sfn", src, a.path] },
      ...setAttrSteps(a.path, want, { link: true }),
    ],
    diffs: [{
      target: a.path,
      before: replacing ? attrsText(st.type, st) : `link -> ${st.linkTarget}`,
      after: `link -> ${src}`,
    }],
  };
}

export const fileModule: ModuleDefinition<FileArgs, FileFacts> = defineModule({
  name: "file",
  description: "Manage a path's type and attributes: directories, symbolic links, empty files, removal.",
  args: fileArgs,
  probe: fileProbe,
  plan: planFile,
});

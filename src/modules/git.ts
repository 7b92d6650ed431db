/**
 * git: a checkout of a repository at a version. A commit, or a tag the host already has, is compared
 * with HEAD without network; a branch (or HEAD, or a tag not fetched yet) can only be known after a
 * fetch, so its plan says it may change and `resultFrom` reports whether HEAD actually moved.
 */
import { z } from "zod";
import { and, type Command, raw } from "../core/command.ts";
import { type ExecResult } from "../core/types.ts";
import { UserError } from "../core/errors.ts";
import { absPath, notYet, probeFailed } from "./_util.ts";
import { defineModule, type ModuleDefinition, type Plan, type Step } from "./types.ts";

const gitArgs = z.object({
  repo: z.string().min(1).regex(/^[^-\s]/, { error: "should be a repository URL or path" }).describe(
    "Repository to clone (URL or path on the host); also the URL origin is set to.",
  ),
  dest: absPath().describe("Directory of the checkout on the host."),
  version: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_./+@-]*$/, {
    error: "should be a branch, tag or commit",
  })
    .default("HEAD").describe("Branch, tag or commit to check out. HEAD: the remote's default branch."),
  force: z.boolean().default(false).describe("Discard local modifications of tracked files when updating."),
  depth: z.number().int().positive().optional().describe(
    "Shallow clone/fetch with this many commits (ignored for a commit version, which needs full history).",
  ),
}).strict();
type GitArgs = z.infer<typeof gitArgs>;

export type GitFacts =
  | { kind: "nogit" | "missing" | "notdir" }
  | { kind: "dir"; empty: boolean }
  | {
    kind: "repo";
    /** HEAD commit, undefined in a repository without commits. */
    head?: string;
    remote?: string;
    /** Tracked files have local modifications. */
    dirty: boolean;
    /** Commit of refs/tags/<version>, when the host has that tag. */
    tag?: string;
    /** Commit `<version>` resolves to locally (commits, short hashes, local branches). */
    resolved?: string;
  };

const FULL = /^[0-9a-f]{40}$/;
const SHORT = /^[0-9a-f]{7,39}$/;

const git = (
  dest: string,
  ...args: string[]
): Command => ["git", "-c", `safe.directory=${dest}`, "-C", dest, ...args];

function gitProbe(a: GitArgs) {
  const orDash: Command = [raw("|| echo -;")];
  const command: Command = [
    raw("if ! command -v git >/dev/null 2>&1; then echo lago:nogit; elif"),
    "test",
    "-e",
    `${a.dest}/.git`,
    raw("; then echo lago:repo;"),
    ...git(a.dest, "rev-parse", "-q", "--verify", "HEAD"),
    ...orDash,
    ...git(a.dest, "config", "--get", "remote.origin.url"),
    ...orDash,
    ...git(a.dest, "status", "--porcelain", "--untracked-files=no"),
    raw("| wc -l;"),
    ...git(a.dest, "rev-parse", "-q", "--verify", `refs/tags/${a.version}^{commit}`),
    ...orDash,
    ...git(a.dest, "rev-parse", "-q", "--verify", `${a.version}^{commit}`),
    ...orDash,
    raw("elif"),
    "test",
    "-d",
    a.dest,
    raw("; then echo lago:dir; ls -A"),
    a.dest,
    raw("| wc -l; elif"),
    "test",
    "-e",
    a.dest,
    raw("; then echo lago:notdir; else echo lago:missing; fi"),
  ];
  return {
    command,
    parse(r: ExecResult): GitFacts {
      if (r.exitCode !== 0) throw probeFailed(a.dest, r);
      const [marker, ...l] = r.stdout.split("\n");
      const v = (s: string | undefined) => (s && s !== "-" ? s : undefined);
      if (marker === "lago:repo") {
        return {
          kind: "repo",
          head: v(l[0]),
          remote: v(l[1]),
          dirty: Number(l[2]) > 0,
          tag: v(l[3]),
          resolved: v(l[4]),
        };
      }
      if (marker === "lago:dir") return { kind: "dir", empty: Number(l[0]) === 0 };
      if (marker === "lago:nogit" || marker === "lago:notdir" || marker === "lago:missing") {
        return { kind: marker.slice(5) as "nogit" };
      }
      throw probeFailed(a.dest, { ...r, stderr: `unexpected output: ${marker}` });
    },
  };
}

/**
 * Fetch <version> and check it out when it differs from HEAD, refusing to discard local changes
 * without force. Constant script, arguments: dest, version, "force" or "", depth or "".
 * Prints `lago:head OLD NEW` for resultFrom.
 */
const FETCH = `d=$1 v=$2 force=$3 depth=$4
g() { git -c "safe.directory=$d" -C "$d" "$@"; }
old=$(g rev-parse -q --verify HEAD) || old=-
if [ "$v" = HEAD ]; then b=$(g symbolic-ref -q --short refs/remotes/origin/HEAD) && v=\${b#origin/}; fi
if [ -n "$depth" ]; then g fetch -q --depth "$depth" origin "$v"; else g fetch -q origin "$v"; fi || exit 1
new=$(g rev-parse -q --verify "FETCH_HEAD^{commit}") || exit 1
if [ "$new" = "$old" ]; then echo "lago:head $old $new"; exit 0; fi
if [ "$force" != force ] && [ -n "$(g status --porcelain --untracked-files=no)" ]; then
  echo "$d has local modifications: commit or discard them, or set force: true" >&2; exit 1
fi
f=; [ "$force" = force ] && f=-f
if [ "$v" != HEAD ] && g show-ref -q --verify "refs/remotes/origin/$v"; then
  g checkout -q $f -B "$v" "$new" || exit 1
else
  g checkout -q $f --detach "$new" || exit 1
fi
echo "lago:head $old $new"`;

function fetchStep(a: GitArgs, depth: number | undefined): Step {
  return {
    kind: "exec",
    command: ["sh", "-c", FETCH, "sh", a.dest, a.version, a.force ? "force" : "", depth ? String(depth) : ""],
  };
}

const short = (c: string | undefined) => (c ? c.slice(0, 12) : "(no commit)");

function planGit(a: GitArgs, f: GitFacts): Plan {
  const isCommit = FULL.test(a.version) || SHORT.test(a.version);
  const depth = isCommit ? undefined : a.depth;
  const cloneStep = (): Step => ({
    kind: "exec",
    command: and(
      [
        ...["git", "clone", "-q"],
        ...(depth ? ["--depth", String(depth)] : []),
        ...(a.version !== "HEAD" && !isCommit ? ["--branch", a.version] : []),
        ...["--", a.repo, a.dest],
      ],
      ...(isCommit ? [git(a.dest, "checkout", "-q", "--detach", a.version)] : []),
      git(a.dest, "log", "-1", "--format=lago:head - %H"),
    ),
  });
  const clone = (): Plan => ({
    changed: true,
    reason: `would clone ${a.repo} at ${a.version} into ${a.dest}`,
    steps: [cloneStep()],
    creates: [a.dest],
    diffs: [{ target: `git ${a.dest}`, before: "(none)\n", after: `${a.version}\n` }],
  });

  switch (f.kind) {
    case "nogit":
      return notYet(
        "git is not installed on the host",
        "install it first: package: { name: git }",
        `git not installed yet; would clone ${a.repo} into ${a.dest}`,
        [],
        "/usr/bin/git",
      );
    case "missing":
      return clone();
    case "dir":
      if (f.empty) return clone();
      throw new UserError(`${a.dest} exists and is not a git repository`, "remove it or choose another dest");
    case "notdir":
      throw new UserError(`${a.dest} exists and is not a directory`);
  }

  const steps: Step[] = [];
  const notes: string[] = [];
  if (f.remote !== a.repo) {
    steps.push({
      kind: "exec",
      command: [...git(a.dest, "remote", "set-url", "origin", a.repo), raw("&& echo lago:remote")],
    });
    notes.push(`set origin to ${a.repo} (was ${f.remote ?? "unset"})`);
  }

  // The commit the version names, when the host can tell without network.
  const known = FULL.test(a.version) && f.resolved !== a.version
    ? undefined
    : f.tag ?? (isCommit ? f.resolved : undefined);
  let after = `${known ?? a.version}`;
  if (FULL.test(a.version) || known) {
    const target = known ?? a.version;
    if (f.head === target && !steps.length) {
      return { changed: false, reason: `${a.dest} is already at ${a.version} (${short(f.head)})`, steps: [] };
    }
    if (f.head !== target) {
      if (f.dirty && !a.force) {
        throw new UserError(
          `${a.dest} has local modifications`,
          "commit or discard them, or set force: true to overwrite them",
        );
      }
      const checkout: Command = and(
        git(a.dest, "checkout", "-q", ...(a.force ? ["-f"] : []), "--detach", target),
        git(a.dest, "log", "-1", `--format=lago:head ${f.head ?? "-"} %H`),
      );
      steps.push(known ? { kind: "exec", command: checkout } : fetchStep(a, undefined));
      notes.push(
        `check out ${a.version} (${known ? short(known) : "after fetching it"}; HEAD is ${short(f.head)})`,
      );
    }
  } else {
    // A branch, HEAD, or a tag the host does not have yet: only a fetch can tell.
    steps.push(fetchStep(a, depth));
    notes.push(
      `fetch ${a.version} from origin and check it out if it moved from ${short(f.head)} ` +
        "(whether it moved is known only after fetching)",
    );
    after = `origin ${a.version} (after fetch)`;
  }
  return {
    changed: true,
    reason: `would ${notes.join(" and ")} in ${a.dest}`,
    steps,
    diffs: [{ target: `git ${a.dest}`, before: `${f.head ?? "(no commit)"}\n`, after: `${after}\n` }],
  };
}

/** `before`/`after` commits from the steps' markers; `changed` when HEAD moved or origin was reset. */
function resultFrom(outputs: ExecResult[]): Record<string, unknown> {
  const text = outputs.map((o) => o.stdout).join("\n");
  const head = /^lago:head (\S+) (\S+)$/m.exec(text);
  const remote = /^lago:remote$/m.test(text);
  if (!head) return remote ? { changed: true } : {};
  const before = head[1] === "-" ? null : head[1];
  return { before, after: head[2], changed: remote || before !== head[2] };
}

export const gitModule: ModuleDefinition<GitArgs, GitFacts> = defineModule({
  name: "git",
  description:
    "Clone a git repository and keep it at a branch, tag or commit (refusing to discard local changes).",
  args: gitArgs,
  probe: gitProbe,
  plan: planGit,
  resultFrom,
});

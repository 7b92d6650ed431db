import type { ModuleCase, ProbeCase } from "./cases.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const REPO = "https://github.com/getlago/lago.git";
const G = "git -c safe.directory=/opt/lago -C /opt/lago";
const repo = (extra: Record<string, unknown> = {}) => ({
  kind: "repo",
  head: A,
  remote: REPO,
  dirty: false,
  ...extra,
});

export const planCases: ModuleCase[] = [
  {
    name: "clones a missing checkout at a tag",
    args: { repo: REPO, dest: "/opt/lago", version: "v1.50.0", depth: 1 },
    facts: { kind: "missing" },
    expect: {
      changed: true,
      reason: `would clone ${REPO} at v1.50.0 into /opt/lago`,
      steps: [
        `git clone -q --depth 1 --branch v1.50.0 -- ${REPO} /opt/lago && ${G} log -1 '--format=lago:head - %H'`,
      ],
    },
  },
  {
    name: "clones at a commit: full history, then detach",
    args: { repo: REPO, dest: "/opt/lago", version: A, depth: 1 },
    facts: { kind: "dir", empty: true },
    expect: {
      changed: true,
      steps: [
        `git clone -q -- ${REPO} /opt/lago && ${G} checkout -q --detach ${A} && ${G} log -1 '--format=lago:head - %H'`,
      ],
    },
  },
  {
    name: "commit: no-op when HEAD is that commit",
    args: { repo: REPO, dest: "/opt/lago", version: A },
    facts: repo({ resolved: A }),
    expect: { changed: false, reason: `/opt/lago is already at ${A} (aaaaaaaaaaaa)`, steps: [] },
  },
  {
    name: "commit known locally: checkout without network",
    args: { repo: REPO, dest: "/opt/lago", version: B },
    facts: repo({ resolved: B }),
    expect: {
      changed: true,
      steps: [`${G} checkout -q --detach ${B} && ${G} log -1 '--format=lago:head ${A} %H'`],
      diffs: [{ target: "git /opt/lago", before: `${A}\n`, after: `${B}\n` }],
    },
  },
  {
    name: "commit unknown locally: fetch it, then checkout",
    args: { repo: REPO, dest: "/opt/lago", version: B },
    facts: repo(),
    expect: { changed: true, reason: "after fetching it" },
  },
  {
    name: "tag the host has: compared locally",
    args: { repo: REPO, dest: "/opt/lago", version: "v1.50.0" },
    facts: repo({ tag: A, resolved: A }),
    expect: { changed: false, reason: "/opt/lago is already at v1.50.0", steps: [] },
  },
  {
    name: "tag the host has, HEAD elsewhere: checkout (force discards local changes)",
    args: { repo: REPO, dest: "/opt/lago", version: "v1.49.0", force: true },
    facts: repo({ tag: B, resolved: B, dirty: true }),
    expect: {
      changed: true,
      steps: [`${G} checkout -q -f --detach ${B} && ${G} log -1 '--format=lago:head ${A} %H'`],
    },
  },
  {
    name: "local modifications block a checkout without force",
    args: { repo: REPO, dest: "/opt/lago", version: "v1.49.0" },
    facts: repo({ tag: B, resolved: B, dirty: true }),
    expect: { error: "/opt/lago has local modifications" },
  },
  {
    name: "branch: only a fetch can tell, the reason says so",
    args: { repo: REPO, dest: "/opt/lago", version: "main" },
    facts: repo({ resolved: A }),
    expect: {
      changed: true,
      reason: "would fetch main from origin and check it out if it moved from aaaaaaaaaaaa " +
        "(whether it moved is known only after fetching) in /opt/lago",
      diffs: [{ before: `${A}\n`, after: "origin main (after fetch)\n" }],
    },
  },
  {
    name: "a tag the host does not have yet: fetched like a branch",
    args: { repo: REPO, dest: "/opt/lago", version: "v1.51.0", depth: 1 },
    facts: repo(),
    expect: { changed: true, reason: "would fetch v1.51.0" },
  },
  {
    name: "origin URL is corrected",
    args: { repo: REPO, dest: "/opt/lago", version: "v1.50.0" },
    facts: repo({ tag: A, remote: "git@github.com:getlago/lago.git" }),
    expect: {
      changed: true,
      reason: `would set origin to ${REPO} (was git@github.com:getlago/lago.git) in /opt/lago`,
      steps: [`${G} remote set-url origin ${REPO} && echo lago:remote`],
    },
  },
  {
    name: "a non-empty directory that is not a repository",
    args: { repo: REPO, dest: "/opt/lago" },
    facts: { kind: "dir", empty: false },
    expect: { error: "/opt/lago exists and is not a git repository" },
  },
  {
    name: "git missing: an error, but a change in check mode",
    args: { repo: REPO, dest: "/opt/lago" },
    facts: { kind: "nogit" },
    check: true,
    expect: { changed: true, reason: "git not installed yet" },
  },
  {
    name: "git missing on apply: an error",
    args: { repo: REPO, dest: "/opt/lago" },
    facts: { kind: "nogit" },
    expect: { error: "git is not installed on the host" },
  },
  {
    name: "error: relative dest",
    args: { repo: REPO, dest: "lago" },
    expect: { error: "dest: should be an absolute path" },
  },
  {
    name: "error: version like an option",
    args: { repo: REPO, dest: "/opt/x", version: "--all" },
    expect: { error: "version" },
  },
  {
    name: "error: repo like an option",
    args: { repo: "--upload-pack=x", dest: "/opt/x" },
    expect: { error: "repo" },
  },
  { name: "error: depth zero", args: { repo: REPO, dest: "/opt/x", depth: 0 }, expect: { error: "depth" } },
  {
    name: "error: unknown key",
    args: { repo: REPO, dest: "/opt/x", update: false },
    expect: { error: 'Unrecognized key: "update"' },
  },
];

export const probeCases: ProbeCase[] = [
  {
    name: "one round trip: git present, repo, HEAD, origin, dirty count, tag and local resolution",
    args: { repo: REPO, dest: "/opt/lago", version: "v1.50.0" },
    command: "if ! command -v git >/dev/null 2>&1; then echo lago:nogit; elif test -e /opt/lago/.git ; " +
      `then echo lago:repo; ${G} rev-parse -q --verify HEAD || echo -; ${G} config --get remote.origin.url || echo -; ` +
      `${G} status --porcelain --untracked-files=no | wc -l; ` +
      `${G} rev-parse -q --verify 'refs/tags/v1.50.0^{commit}' || echo -; ` +
      `${G} rev-parse -q --verify 'v1.50.0^{commit}' || echo -; ` +
      "elif test -d /opt/lago ; then echo lago:dir; ls -A /opt/lago | wc -l; elif test -e /opt/lago ; " +
      "then echo lago:notdir; else echo lago:missing; fi",
    output: { stdout: `lago:repo\n${A}\n${REPO}\n2\n${B}\n${B}\n` },
    facts: { kind: "repo", head: A, remote: REPO, dirty: true, tag: B, resolved: B },
  },
  {
    name: "a fresh repository without commits or origin",
    args: { repo: REPO, dest: "/opt/lago" },
    output: { stdout: "lago:repo\n-\n-\n0\n-\n-\n" },
    facts: {
      kind: "repo",
      head: undefined,
      remote: undefined,
      dirty: false,
      tag: undefined,
      resolved: undefined,
    },
  },
  {
    name: "missing",
    args: { repo: REPO, dest: "/opt/lago" },
    output: { stdout: "lago:missing\n" },
    facts: { kind: "missing" },
  },
  {
    name: "no git",
    args: { repo: REPO, dest: "/opt/lago" },
    output: { stdout: "lago:nogit\n" },
    facts: { kind: "nogit" },
  },
  {
    name: "an empty directory",
    args: { repo: REPO, dest: "/opt/lago" },
    output: { stdout: "lago:dir\n0\n" },
    facts: { kind: "dir", empty: true },
  },
];

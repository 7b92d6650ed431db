import { createHash } from "node:crypto";
import type { ModuleCase, ProbeCase } from "./cases.ts";
import { st } from "./file.cases.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** Facts for an existing regular file with this content (read back for the diff unless `shown` is false). */
export const existing = (text: string, extra: Record<string, unknown> = {}, shown = true) => ({
  parentExists: true,
  stat: st("file", "0644", {
    size: bytes(text).length,
    checksum: sha(text),
    ...(shown ? { content: bytes(text) } : {}),
    ...extra,
  }),
});
export const absent = { parentExists: true, stat: { exists: false } };

const OLD = "listen 80;\n";
const NEW = "listen 8080;\n";
const VALIDATE = `( t=$(mktemp) || exit 1; cat > "$t" &&`;
const VALIDATE_END = `; rc=$?; rm -f "$t"; exit $rc )`;

export const planCases: ModuleCase[] = [
  {
    name: "creates a missing file from content, 0644 by default",
    args: { dest: "/etc/app/app.conf", content: NEW },
    facts: absent,
    expect: {
      changed: true,
      reason: "would create /etc/app/app.conf (13 bytes)",
      steps: ["write /etc/app/app.conf mode=0644"],
      diffs: [{ target: "/etc/app/app.conf", before: "", after: NEW }],
    },
  },
  {
    name: "creates with mode, owner and group",
    args: { dest: "/etc/app/app.conf", content: NEW, mode: "640", owner: "root", group: "app" },
    facts: absent,
    expect: { changed: true, steps: ["write /etc/app/app.conf mode=0640 owner=root group=app"] },
  },
  {
    name: "no-op when the sha256 matches",
    args: { dest: "/etc/app/app.conf", content: OLD, mode: "0644" },
    facts: existing(OLD),
    expect: { changed: false, reason: "/etc/app/app.conf already has the requested content", steps: [] },
  },
  {
    name: "same content, other mode: only chmod, no write",
    args: { dest: "/etc/app/app.conf", content: OLD, mode: "0600", owner: "app" },
    facts: existing(OLD),
    expect: {
      changed: true,
      reason: "already has the requested content; would change mode 0644 -> 0600, owner root -> app",
      steps: ["chown app /etc/app/app.conf", "chmod 0600 /etc/app/app.conf"],
      diffs: [{
        target: "/etc/app/app.conf (attributes)",
        before: "file mode=0644 owner=root group=root",
        after: "file mode=0600 owner=app group=root",
      }],
    },
  },
  {
    name: "different content: one atomic write that keeps the current attributes",
    args: { dest: "/etc/app/app.conf", content: NEW },
    facts: existing(OLD, { mode: "0640", group: "app", gid: 999 }),
    expect: {
      changed: true,
      reason: "would update /etc/app/app.conf (11 bytes -> 13 bytes)",
      steps: ["write /etc/app/app.conf mode=0640 owner=root group=app"],
      diffs: [{ target: "/etc/app/app.conf", before: OLD, after: NEW }],
    },
  },
  {
    name: "different content and mode: the write sets the new mode, the diff shows both",
    args: { dest: "/etc/app/app.conf", content: NEW, mode: "0600" },
    facts: existing(OLD),
    expect: {
      changed: true,
      reason: "change mode 0644 -> 0600",
      steps: ["write /etc/app/app.conf mode=0600 owner=root group=root"],
      diffs: [
        { target: "/etc/app/app.conf", before: OLD, after: NEW },
        { target: "/etc/app/app.conf (attributes)", after: "file mode=0600 owner=root group=root" },
      ],
    },
  },
  {
    name: "backup keeps the old file beside it first",
    args: { dest: "/etc/app/app.conf", content: NEW, backup: true },
    facts: existing(OLD),
    expect: {
      changed: true,
      steps: [
        `sh -c 'cp -p "$1" "$1.$(date +%Y%m%d%H%M%S)~"' sh /etc/app/app.conf`,
        "write /etc/app/app.conf mode=0644 owner=root group=root",
      ],
    },
  },
  {
    name: "backup of a missing file: nothing to keep",
    args: { dest: "/etc/app/app.conf", content: NEW, backup: true },
    facts: absent,
    expect: { changed: true, steps: ["write /etc/app/app.conf mode=0644"] },
  },
  {
    name: "validate runs on a temporary copy before the write",
    args: {
      dest: "/etc/sudoers.d/app",
      content: "app ALL=(ALL) NOPASSWD: ALL\n",
      mode: "0440",
      validate: "visudo -cf %s",
    },
    facts: absent,
    expect: {
      changed: true,
      steps: [`${VALIDATE} visudo -cf "$t" ${VALIDATE_END} <stdin>`, "write /etc/sudoers.d/app mode=0440"],
    },
  },
  {
    name: "validate: %s inside a word, quoted parts stay quoted",
    args: { dest: "/etc/nginx/nginx.conf", content: NEW, validate: "nginx -t '-c%s' -g 'daemon off;'" },
    facts: existing(OLD),
    expect: {
      changed: true,
      steps: [
        `${VALIDATE} nginx -t -c"$t" -g 'daemon off;' ${VALIDATE_END} <stdin>`,
        "write /etc/nginx/nginx.conf mode=0644 owner=root group=root",
      ],
    },
  },
  {
    name: "validate is skipped when nothing changes",
    args: { dest: "/etc/sudoers.d/app", content: OLD, validate: "visudo -cf %s" },
    facts: existing(OLD),
    expect: { changed: false, steps: [] },
  },
  {
    name: "sensitive: the diff is flagged and holds no content",
    args: { dest: "/opt/lago/.env", content: "SECRET_KEY_BASE=abc\n", sensitive: true, mode: "0600" },
    facts: existing("SECRET_KEY_BASE=old\n", { mode: "0600" }, false),
    expect: {
      changed: true,
      diffs: [{
        target: "/opt/lago/.env",
        before: "(sensitive content)",
        after: "(sensitive content)",
        sensitive: true,
      }],
    },
  },
  {
    name: "src: a local file from files/",
    args: { dest: "/etc/app/app.conf", src: "app.conf" },
    localFiles: { "app.conf": NEW },
    facts: existing(OLD),
    expect: { changed: true, diffs: [{ before: OLD, after: NEW }] },
  },
  {
    name: "src: no-op when the local file matches",
    args: { dest: "/etc/app/app.conf", src: "app.conf" },
    localFiles: { "app.conf": OLD },
    facts: existing(OLD),
    expect: { changed: false, reason: "already has the requested content" },
  },
  {
    name: "binary content shows as (binary)",
    args: { dest: "/opt/app/blob", src: "blob" },
    localFiles: { blob: "PK\u0003\u0004\u0000\u0000" },
    facts: existing(OLD),
    expect: { changed: true, diffs: [{ before: OLD, after: "(binary)" }] },
  },
  {
    name: "a file too large to read back: the diff says so",
    args: { dest: "/var/lib/app/big.json", content: NEW },
    facts: existing(OLD, { size: 300000 }, false),
    expect: { changed: true, diffs: [{ before: "(300000 bytes: too large to show)", after: NEW }] },
  },
  {
    name: "force: false leaves a differing file alone",
    args: { dest: "/etc/app/app.conf", content: NEW, force: false },
    facts: existing(OLD),
    expect: { changed: false, reason: "/etc/app/app.conf exists and force is false", steps: [] },
  },
  {
    name: "force: false still creates a missing file",
    args: { dest: "/etc/app/app.conf", content: NEW, force: false },
    facts: absent,
    expect: { changed: true, steps: ["write /etc/app/app.conf mode=0644"] },
  },
  {
    name: "missing directory is an error",
    args: { dest: "/etc/app/app.conf", content: NEW },
    facts: { parentExists: false, stat: { exists: false } },
    expect: { error: "cannot create /etc/app/app.conf: directory /etc/app does not exist" },
  },
  {
    name: "missing directory in check mode: an earlier task may create it",
    args: { dest: "/etc/app/app.conf", content: NEW },
    facts: { parentExists: false, stat: { exists: false } },
    check: true,
    expect: {
      changed: true,
      reason: "would create /etc/app/app.conf (/etc/app does not exist yet; an earlier task may create it)",
      diffs: [{ before: "", after: NEW }],
    },
  },
  {
    name: "dest is a directory",
    args: { dest: "/etc/app", content: NEW },
    facts: { parentExists: true, stat: st("directory", "0755") },
    expect: { error: "/etc/app is a directory, not a file" },
  },
  {
    name: "error: content and src",
    args: { dest: "/x", content: "a", src: "b" },
    expect: { error: "src: give content or src, not both" },
  },
  {
    name: "error: neither content nor src",
    args: { dest: "/x" },
    expect: { error: "give content (text) or src" },
  },
  {
    name: "error: validate without %s",
    args: { dest: "/x", content: "a", validate: "visudo -c" },
    expect: { error: "validate: should contain %s" },
  },
  {
    name: "error: mode as a number",
    args: { dest: "/x", content: "a", mode: 420 },
    expect: { error: 'mode: should be a string like "0644"' },
  },
  {
    name: "error: bad mode string",
    args: { dest: "/x", content: "a", mode: "rw-r--r--" },
    expect: { error: "mode: should be an octal mode" },
  },
  {
    name: "error: unknown key",
    args: { dest: "/x", content: "a", path: "/y" },
    expect: { error: 'Unrecognized key: "path"' },
  },
  {
    name: "error: relative dest",
    args: { dest: "x.conf", content: "a" },
    expect: { error: "dest: should be an absolute path" },
  },
  { name: "error: content not a string", args: { dest: "/x", content: 42 }, expect: { error: "content:" } },
];

const PROBE = "if test -d /etc/app ; then echo lago:parent; else echo lago:noparent; fi ; " +
  "if test -e /etc/app/app.conf ; then stat -L -c '%f %a %u %g %U %G %s %Y' /etc/app/app.conf && " +
  "if test -f /etc/app/app.conf ; then sha256sum < /etc/app/app.conf ; else echo; fi && echo && " +
  "find -L /etc/app/app.conf -maxdepth 0 -type f -size -262144c -exec base64 -w0 '{}' ';' ; " +
  "else echo lago:missing ; fi";

export const probeCases: ProbeCase[] = [
  {
    name: "one round trip: directory, stat, sha256 and small content",
    args: { dest: "/etc/app/app.conf", content: NEW },
    command: PROBE,
    output: {
      stdout: `lago:parent\n81a4 644 0 0 root root 11 1700000000\n${sha(OLD)}  -\n\n` +
        btoa(OLD),
    },
    facts: existing(OLD),
  },
  {
    name: "missing file in an existing directory",
    args: { dest: "/etc/app/app.conf", content: NEW },
    output: { stdout: "lago:parent\nlago:missing\n" },
    facts: absent,
  },
  {
    name: "missing directory",
    args: { dest: "/etc/app/app.conf", content: NEW },
    output: { stdout: "lago:noparent\nlago:missing\n" },
    facts: { parentExists: false, stat: { exists: false } },
  },
  {
    name: "empty file: no base64 at all",
    args: { dest: "/etc/app/app.conf", content: NEW },
    output: { stdout: `lago:parent\n81a4 644 0 0 root root 0 1700000000\n${sha("")}  -\n\n` },
    facts: existing(""),
  },
  {
    name: "large file: no content, only the checksum",
    args: { dest: "/etc/app/app.conf", content: NEW },
    output: { stdout: `lago:parent\n81a4 644 0 0 root root 300000 1700000000\n${sha(OLD)}  -\n\n` },
    facts: { parentExists: true, stat: st("file", "0644", { size: 300000, checksum: sha(OLD) }) },
  },
  {
    name: "sensitive: the content is never read",
    args: { dest: "/opt/lago/.env", content: "S=1\n", sensitive: true },
    command: "if test -d /opt/lago ; then echo lago:parent; else echo lago:noparent; fi ; " +
      "if test -e /opt/lago/.env ; then stat -L -c '%f %a %u %g %U %G %s %Y' /opt/lago/.env && " +
      "if test -f /opt/lago/.env ; then sha256sum < /opt/lago/.env ; else echo; fi && echo ; " +
      "else echo lago:missing ; fi",
    output: { stdout: `lago:parent\n8180 600 0 0 root root 4 1700000000\n${sha("S=0\n")}  -\n\n` },
    facts: existing("S=0\n", { mode: "0600" }, false),
  },
  {
    name: "a directory at dest",
    args: { dest: "/etc/app", content: NEW },
    output: { stdout: "lago:parent\n41ed 755 0 0 root root 4096 1700000000\n\n\n" },
    facts: { parentExists: true, stat: st("directory", "0755") },
  },
];

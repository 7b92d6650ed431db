import type { ModuleCase, ProbeCase } from "./cases.ts";

/** A parsed stat of an existing path (root-owned unless overridden). */
export const st = (type: string, mode: string, extra: Record<string, unknown> = {}) => ({
  exists: true,
  type,
  mode,
  uid: 0,
  gid: 0,
  owner: "root",
  group: "root",
  size: 4096,
  mtime: 1700000000,
  ...extra,
});
const missing = { stat: { exists: false } };

export const planCases: ModuleCase[] = [
  {
    name: "directory: creates a missing one with parents, mode and owner",
    args: { path: "/opt/my app", state: "directory", mode: "0750", owner: "app", group: "app" },
    facts: missing,
    expect: {
      changed: true,
      reason: "would create directory /opt/my app",
      steps: ["mkdir -p '/opt/my app'", "chown app:app '/opt/my app'", "chmod 0750 '/opt/my app'"],
      diffs: [{ target: "/opt/my app", before: "absent", after: "directory mode=0750 owner=app group=app" }],
    },
  },
  {
    name: "directory: no-op when it exists with the requested attributes",
    args: { path: "/opt/app", state: "directory", mode: "755", owner: "root" },
    facts: { stat: st("directory", "0755") },
    expect: {
      changed: false,
      reason: "/opt/app is already a directory with the requested attributes",
      steps: [],
    },
  },
  {
    name: "directory: numeric owner matches the uid",
    args: { path: "/opt/app", state: "directory", owner: "1000", group: "1000" },
    facts: { stat: st("directory", "0755", { uid: 1000, gid: 1000, owner: "app", group: "app" }) },
    expect: { changed: false, steps: [] },
  },
  {
    name: "directory: only the mode differs",
    args: { path: "/srv", state: "directory", mode: "2775", group: "www-data" },
    facts: { stat: st("directory", "0755", { group: "www-data", gid: 33 }) },
    expect: {
      changed: true,
      reason: "would change mode 0755 -> 2775 of /srv",
      steps: ["chmod 2775 /srv"],
      diffs: [{
        target: "/srv",
        before: "directory mode=0755 owner=root group=www-data",
        after: "directory mode=2775 owner=root group=www-data",
      }],
    },
  },
  {
    name: "directory: only the group differs",
    args: { path: "/srv", state: "directory", group: "www-data" },
    facts: { stat: st("directory", "0755") },
    expect: { changed: true, reason: "group root -> www-data", steps: ["chown :www-data /srv"] },
  },
  {
    name: "directory: recurse when something below differs",
    args: { path: "/srv/app", state: "directory", owner: "app", recurse: true },
    facts: { stat: st("directory", "0755", { owner: "app", uid: 1000 }), belowDiffers: true },
    expect: {
      changed: true,
      reason: "would set owner app on /srv/app and everything below it",
      steps: ["chown -R app /srv/app"],
    },
  },
  {
    name: "directory: recurse no-op when nothing below differs",
    args: { path: "/srv/app", state: "directory", owner: "app", recurse: true },
    facts: { stat: st("directory", "0755", { owner: "app", uid: 1000 }), belowDiffers: false },
    expect: { changed: false, reason: "(and everything below it)", steps: [] },
  },
  {
    name: "directory: a file in the way is an error",
    args: { path: "/srv/app", state: "directory" },
    facts: { stat: st("file", "0644") },
    expect: { error: "/srv/app exists and is a file, not a directory" },
  },
  {
    name: "file: sets the mode of an existing file",
    args: { path: "/opt/app/secret.key", mode: "0600" },
    facts: { stat: st("file", "0644", { size: 65 }) },
    expect: {
      changed: true,
      reason: "would change mode 0644 -> 0600 of /opt/app/secret.key",
      steps: ["chmod 0600 /opt/app/secret.key"],
      diffs: [{
        before: "file mode=0644 owner=root group=root",
        after: "file mode=0600 owner=root group=root",
      }],
    },
  },
  {
    name: "file: no-op with a reason",
    args: { path: "/etc/hosts", mode: "0644", owner: "root", group: "root" },
    facts: { stat: st("file", "0644") },
    expect: {
      changed: false,
      reason: "/etc/hosts is already a file with the requested attributes",
      steps: [],
    },
  },
  {
    name: "file: missing is an error that says what to use instead",
    args: { path: "/x", mode: "0644" },
    facts: missing,
    expect: { error: "file /x does not exist" },
  },
  {
    name: "file: missing in check mode is a change (an earlier task may create it)",
    args: { path: "/opt/app/secret.key", mode: "0600" },
    facts: missing,
    check: true,
    expect: { changed: true, reason: "does not exist yet" },
  },
  {
    name: "file: a directory is an error",
    args: { path: "/etc", state: "file" },
    facts: { stat: st("directory", "0755") },
    expect: { error: "/etc is a directory" },
  },
  {
    name: "touch: creates a missing file with a mode",
    args: { path: "/var/log/app.log", state: "touch", mode: "0640", owner: "app" },
    facts: missing,
    expect: {
      changed: true,
      steps: ["touch /var/log/app.log", "chown app /var/log/app.log", "chmod 0640 /var/log/app.log"],
    },
  },
  {
    name: "touch: keeps an existing file's timestamps (idempotent)",
    args: { path: "/var/log/app.log", state: "touch" },
    facts: { stat: st("file", "0640") },
    expect: { changed: false, reason: "already a file", steps: [] },
  },
  {
    name: "link: creates a missing link",
    args: { path: "/etc/nginx/sites-enabled/lago", state: "link", src: "../sites-available/lago" },
    facts: missing,
    expect: {
      changed: true,
      reason: "would create link /etc/nginx/sites-enabled/lago -> ../sites-available/lago",
      steps: ["ln -sfn ../sites-available/lago /etc/nginx/sites-enabled/lago"],
      diffs: [{ before: "absent", after: "link -> ../sites-available/lago" }],
    },
  },
  {
    name: "link: no-op when it already points there",
    args: { path: "/usr/local/bin/app", state: "link", src: "/opt/app/bin/app" },
    facts: { stat: st("link", "0777", { linkTarget: "/opt/app/bin/app" }) },
    expect: { changed: false, reason: "already links to /opt/app/bin/app", steps: [] },
  },
  {
    name: "link: repoints a link, and chowns the link itself",
    args: { path: "/opt/current", state: "link", src: "/opt/releases/2", owner: "app" },
    facts: { stat: st("link", "0777", { linkTarget: "/opt/releases/1" }) },
    expect: {
      changed: true,
      reason: "would point /opt/current to /opt/releases/2 (was /opt/releases/1)",
      steps: ["ln -sfn /opt/releases/2 /opt/current", "chown -h app /opt/current"],
      diffs: [{ before: "link -> /opt/releases/1", after: "link -> /opt/releases/2" }],
    },
  },
  {
    name: "link: a mode is ignored on links (Linux has none)",
    args: { path: "/opt/current", state: "link", src: "/opt/releases/1", mode: "0755" },
    facts: { stat: st("link", "0777", { linkTarget: "/opt/releases/1" }) },
    expect: { changed: false, steps: [] },
  },
  {
    name: "link: a directory in the way needs force",
    args: { path: "/opt/current", state: "link", src: "/opt/releases/1" },
    facts: { stat: st("directory", "0755") },
    expect: { error: "/opt/current exists and is a directory, not a link" },
  },
  {
    name: "link: force replaces a directory",
    args: { path: "/opt/current", state: "link", src: "/opt/releases/1", force: true },
    facts: { stat: st("directory", "0755") },
    expect: {
      changed: true,
      reason: "would replace directory /opt/current with a link to /opt/releases/1",
      steps: ["rm -rf /opt/current", "ln -sfn /opt/releases/1 /opt/current"],
    },
  },
  {
    name: "absent: removes an existing directory",
    args: { path: "/opt/old app", state: "absent" },
    facts: { stat: st("directory", "0755") },
    expect: {
      changed: true,
      reason: "would remove directory /opt/old app",
      steps: ["rm -rf '/opt/old app'"],
      diffs: [{
        target: "/opt/old app",
        before: "directory mode=0755 owner=root group=root",
        after: "absent",
      }],
    },
  },
  {
    name: "absent: no-op when already gone",
    args: { path: "/opt/old", state: "absent" },
    facts: missing,
    expect: { changed: false, reason: "/opt/old is already absent", steps: [] },
  },
  {
    name: "error: mode as a YAML number",
    args: { path: "/x", mode: 644 },
    expect: { error: 'mode: should be a string like "0644"' },
  },
  {
    name: "error: symbolic mode",
    args: { path: "/x", mode: "u+x" },
    expect: { error: "mode: should be an octal mode" },
  },
  {
    name: "error: mode with a digit 8",
    args: { path: "/x", mode: "0680" },
    expect: { error: "mode: should be an octal mode" },
  },
  {
    name: "error: relative path",
    args: { path: "etc/x" },
    expect: { error: "path: should be an absolute path" },
  },
  {
    name: "error: unknown key",
    args: { path: "/x", recursive: true },
    expect: { error: 'Unrecognized key: "recursive"' },
  },
  { name: "error: unknown state", args: { path: "/x", state: "hard" }, expect: { error: "state:" } },
  {
    name: "error: link without src",
    args: { path: "/x", state: "link" },
    expect: { error: "src: state: link needs src" },
  },
  {
    name: "error: src without link",
    args: { path: "/x", src: "/y" },
    expect: { error: "src: src is only for state: link" },
  },
  {
    name: "error: recurse without directory",
    args: { path: "/x", state: "file", recurse: true, mode: "0644" },
    expect: { error: "recurse: recurse is only for state: directory" },
  },
  {
    name: "error: owner with a colon",
    args: { path: "/x", owner: "a:b" },
    expect: { error: "owner: should be a user name" },
  },
  {
    name: "error: wrong type for recurse",
    args: { path: "/x", state: "directory", recurse: "yes" },
    expect: { error: "recurse" },
  },
];

export const probeCases: ProbeCase[] = [
  {
    name: "follows links for state file, one stat round trip",
    args: { path: "/etc/my app.conf", mode: "0644" },
    command:
      "if test -e '/etc/my app.conf' ; then stat -L -c '%f %a %u %g %U %G %s %Y' '/etc/my app.conf' && " +
      "echo && echo ; else echo lago:missing ; fi",
    output: { stdout: "81a4 644 0 0 root root 12 1700000000\n\n\n" },
    facts: { stat: st("file", "0644", { size: 12 }) },
  },
  {
    name: "missing marker",
    args: { path: "/nope", state: "directory" },
    output: { stdout: "lago:missing\n" },
    facts: { stat: { exists: false } },
  },
  {
    name: "link: stat does not follow, readlink gives the target",
    args: { path: "/opt/current", state: "link", src: "/opt/releases/2" },
    command:
      "if test -e /opt/current || test -L /opt/current ; then stat -c '%f %a %u %g %U %G %s %Y' /opt/current && " +
      "echo && if test -L /opt/current ; then readlink /opt/current ; else echo; fi ; else echo lago:missing ; fi",
    output: { stdout: "a1ff 777 0 0 root root 15 1700000000\n\n/opt/releases/1\n" },
    facts: { stat: st("link", "0777", { size: 15, linkTarget: "/opt/releases/1" }) },
  },
  {
    name: "setgid directory mode keeps its special bit",
    args: { path: "/srv", state: "directory" },
    output: { stdout: "45fd 2775 1000 33 app www-data 4096 1700000000\n\n\n" },
    facts: { stat: st("directory", "2775", { uid: 1000, gid: 33, owner: "app", group: "www-data" }) },
  },
  {
    name: "recurse adds a find for entries with other attributes",
    args: { path: "/srv/app", state: "directory", owner: "app", mode: "0755", recurse: true },
    command: "if test -e /srv/app ; then stat -L -c '%f %a %u %g %U %G %s %Y' /srv/app && echo && echo ; " +
      "else echo lago:missing ; fi ; find /srv/app -mindepth 1 '(' '!' -user app -o '!' -perm 0755 ')' " +
      "-printf 'lago:differs\\n' -quit 2>/dev/null || echo lago:differs",
    output: { stdout: "41ed 755 1000 1000 app app 4096 1700000000\n\n\nlago:differs\n" },
    facts: {
      stat: st("directory", "0755", { uid: 1000, gid: 1000, owner: "app", group: "app" }),
      belowDiffers: true,
    },
  },
  {
    name: "recurse: nothing below differs",
    args: { path: "/srv/app", state: "directory", owner: "app", recurse: true },
    output: { stdout: "41ed 755 1000 1000 app app 4096 1700000000\n\n\n" },
    facts: {
      stat: st("directory", "0755", { uid: 1000, gid: 1000, owner: "app", group: "app" }),
      belowDiffers: false,
    },
  },
];

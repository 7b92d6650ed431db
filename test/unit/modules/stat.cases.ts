import type { ModuleCase, ProbeCase } from "./cases.ts";
import { st } from "./file.cases.ts";

const SUM = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export const planCases: ModuleCase[] = [
  {
    name: "an existing file: Ansible's register shape",
    args: { path: "/opt/app/secret.key" },
    facts: st("file", "0600", { size: 65, checksum: SUM }),
    expect: {
      changed: false,
      reason: "/opt/app/secret.key is a file (read only)",
      steps: [],
      result: {
        stat: {
          exists: true,
          isdir: false,
          isreg: true,
          islnk: false,
          mode: "0600",
          owner: "root",
          group: "root",
          size: 65,
          checksum: SUM,
        },
      },
    },
  },
  {
    name: "a missing path",
    args: { path: "/opt/app/secret.key" },
    facts: { exists: false },
    expect: { changed: false, reason: "does not exist", result: { stat: { exists: false } } },
  },
  {
    name: "a link, not followed",
    args: { path: "/opt/current" },
    facts: st("link", "0777", { linkTarget: "/opt/releases/1" }),
    expect: {
      changed: false,
      result: { stat: { exists: true, islnk: true, lnk_target: "/opt/releases/1" } },
    },
  },
  {
    name: "error: relative path",
    args: { path: "x" },
    expect: { error: "path: should be an absolute path" },
  },
  {
    name: "error: unknown key",
    args: { path: "/x", get_md5: true },
    expect: { error: 'Unrecognized key: "get_md5"' },
  },
];

export const probeCases: ProbeCase[] = [
  {
    name: "one stat with checksum and link target",
    args: { path: "/opt/app/secret.key" },
    command: "if test -e /opt/app/secret.key || test -L /opt/app/secret.key ; then " +
      "stat -c '%f %a %u %g %U %G %s %Y' /opt/app/secret.key && if test -f /opt/app/secret.key ; then " +
      "sha256sum < /opt/app/secret.key ; else echo; fi && if test -L /opt/app/secret.key ; then " +
      "readlink /opt/app/secret.key ; else echo; fi ; else echo lago:missing ; fi",
    output: { stdout: `8180 600 0 0 root root 65 1700000000\n${SUM}  -\n\n` },
    facts: st("file", "0600", { size: 65, checksum: SUM }),
  },
  {
    name: "follow without checksum",
    args: { path: "/opt/current", follow: true, get_checksum: false },
    command:
      "if test -e /opt/current ; then stat -L -c '%f %a %u %g %U %G %s %Y' /opt/current && echo && echo ; " +
      "else echo lago:missing ; fi",
    output: { stdout: "41ed 755 0 0 root root 4096 1700000000\n\n\n" },
    facts: st("directory", "0755"),
  },
  {
    name: "missing",
    args: { path: "/nope" },
    output: { stdout: "lago:missing\n" },
    facts: { exists: false },
  },
];

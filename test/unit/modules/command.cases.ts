import type { ModuleCase, ProbeCase } from "./cases.ts";

export const planCases: ModuleCase[] = [
  {
    name: "runs when there is no guard",
    args: { cmd: "echo 'hello world' > /tmp/x" },
    expect: { changed: true, steps: [`echo 'hello world' '>' /tmp/x`] },
  },
  {
    name: "skips when creates exists",
    args: { cmd: "make install", creates: "/usr/local/bin/tool" },
    facts: { createsExists: true },
    expect: { changed: false, reason: "/usr/local/bin/tool exists", steps: [] },
  },
  {
    name: "runs when creates is missing, in chdir",
    args: { cmd: "make install", creates: "/usr/local/bin/tool", chdir: "/src/my tool" },
    facts: { createsExists: false },
    expect: { changed: true, steps: ["cd '/src/my tool' && make install"] },
  },
  {
    name: "skips when removes is missing",
    args: { cmd: "rm -rf /opt/old", removes: "/opt/old" },
    facts: { removesExists: false },
    expect: { changed: false, reason: "/opt/old does not exist" },
  },
  { name: "rejects unknown argument", args: { cmd: "true", creats: "/x" }, expect: { error: "creats" } },
  { name: "rejects empty command", args: { cmd: "" }, expect: { error: "cmd" } },
];

export const probeCases: ProbeCase[] = [
  { name: "no guard, no probe", args: { cmd: "true" }, command: null },
  {
    name: "creates and removes in one round trip",
    args: { cmd: "true", creates: "/a b", removes: "/c" },
    command:
      "if test -e '/a b' ; then echo 1; else echo 0; fi ; if test -e /c ; then echo 1; else echo 0; fi",
    output: { stdout: "1\n0\n" },
    facts: { createsExists: true, removesExists: false },
  },
];

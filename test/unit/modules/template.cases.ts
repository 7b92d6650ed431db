import type { ModuleCase, ProbeCase } from "./cases.ts";
import { absent, existing } from "./copy.cases.ts";

const UNIT = "[Service]\nExecStart=/usr/bin/python3 -m http.server {{app_port}} --directory {{app_dir}}\n";
const RENDERED = "[Service]\nExecStart=/usr/bin/python3 -m http.server 8080 --directory /opt/sample\n";
const vars = { app_port: 8080, app_dir: "/opt/sample" };

export const planCases: ModuleCase[] = [
  {
    name: "renders and creates a missing file",
    args: { src: "sample.service.hbs", dest: "/etc/systemd/system/sample.service", mode: "0644" },
    localFiles: { "sample.service.hbs": UNIT },
    vars,
    facts: absent,
    expect: {
      changed: true,
      steps: ["write /etc/systemd/system/sample.service mode=0644"],
      diffs: [{ target: "/etc/systemd/system/sample.service", before: "", after: RENDERED }],
    },
  },
  {
    name: "no-op when the rendered text matches the host",
    args: { src: "sample.service.hbs", dest: "/etc/systemd/system/sample.service" },
    localFiles: { "sample.service.hbs": UNIT },
    vars,
    facts: existing(RENDERED),
    expect: { changed: false, reason: "already has the requested content", steps: [] },
  },
  {
    name: "a changed variable changes the file, diff shows the rendered text",
    args: { src: "sample.service.hbs", dest: "/etc/systemd/system/sample.service" },
    localFiles: { "sample.service.hbs": UNIT },
    vars: { ...vars, app_port: 9090 },
    facts: existing(RENDERED),
    expect: {
      changed: true,
      steps: ["write /etc/systemd/system/sample.service mode=0644 owner=root group=root"],
      diffs: [{ before: RENDERED, after: RENDERED.replace("8080", "9090") }],
    },
  },
  {
    name: "an undefined variable is an error naming it",
    args: { src: "sample.service.hbs", dest: "/etc/systemd/system/sample.service" },
    localFiles: { "sample.service.hbs": UNIT },
    vars: { app_port: 8080 },
    facts: absent,
    expect: { error: "undefined variable 'app_dir'" },
  },
  {
    name: "validate and backup work as in copy",
    args: { src: "sudoers.hbs", dest: "/etc/sudoers.d/app", validate: "visudo -cf %s", backup: true },
    localFiles: { "sudoers.hbs": "{{user}} ALL=(ALL) NOPASSWD: ALL\n" },
    vars: { user: "deploy" },
    facts: existing("app ALL=(ALL) NOPASSWD: ALL\n"),
    expect: {
      changed: true,
      steps: [
        `( t=$(mktemp) || exit 1; cat > "$t" && visudo -cf "$t" ; rc=$?; rm -f "$t"; exit $rc ) <stdin>`,
        `sh -c 'cp -p "$1" "$1.$(date +%Y%m%d%H%M%S)~"' sh /etc/sudoers.d/app`,
        "write /etc/sudoers.d/app mode=0644 owner=root group=root",
      ],
    },
  },
  { name: "error: src is required", args: { dest: "/x" }, expect: { error: "src:" } },
  {
    name: "error: content is not a template argument",
    args: { src: "a", dest: "/x", content: "b" },
    expect: { error: 'Unrecognized key: "content"' },
  },
  {
    name: "error: bad mode",
    args: { src: "a", dest: "/x", mode: "644o" },
    expect: { error: "mode: should be an octal mode" },
  },
];

export const probeCases: ProbeCase[] = [
  {
    name: "the same probe as copy",
    args: { src: "a.hbs", dest: "/etc/app/app.conf" },
    command: "if test -d /etc/app ; then echo lago:parent; else echo lago:noparent; fi ; " +
      "if test -e /etc/app/app.conf ; then stat -L -c '%f %a %u %g %U %G %s %Y' /etc/app/app.conf && " +
      "if test -f /etc/app/app.conf ; then sha256sum < /etc/app/app.conf ; else echo; fi && echo && " +
      "find -L /etc/app/app.conf -maxdepth 0 -type f -size -262144c -exec base64 -w0 '{}' ';' ; " +
      "else echo lago:missing ; fi",
    output: { stdout: "lago:parent\nlago:missing\n" },
    facts: absent,
  },
];

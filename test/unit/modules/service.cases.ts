import type { ModuleCase, ProbeCase } from "./cases.ts";

const unit = (active: string, unitFile: string, load = "loaded") => ({
  exists: true,
  load,
  active,
  unitFile,
});
const notFound = { exists: false, load: "not-found", active: "inactive", unitFile: "" };

export const planCases: ModuleCase[] = [
  {
    name: "starts and enables a stopped, disabled unit",
    args: { name: "nginx", state: "started", enabled: true },
    facts: unit("inactive", "disabled"),
    expect: {
      changed: true,
      reason: "would enable and start service nginx (now inactive, disabled)",
      steps: ["systemctl enable nginx", "systemctl start nginx"],
      diffs: [{ target: "service nginx", before: "inactive, disabled\n", after: "active, enabled\n" }],
    },
  },
  {
    name: "no-op when running and enabled",
    args: { name: "nginx", state: "started", enabled: true },
    facts: unit("active", "enabled"),
    expect: {
      changed: false,
      reason: "service nginx is already started and enabled (active, enabled)",
      steps: [],
    },
  },
  {
    name: "a failed unit is started again",
    args: { name: "nginx", state: "started" },
    facts: unit("failed", "enabled"),
    expect: { changed: true, steps: ["systemctl start nginx"] },
  },
  {
    name: "activating counts as started",
    args: { name: "docker", state: "started" },
    facts: unit("activating", "enabled"),
    expect: { changed: false, steps: [] },
  },
  {
    name: "stops a running unit",
    args: { name: "apache2", state: "stopped" },
    facts: unit("active", "enabled"),
    expect: { changed: true, reason: "would stop service apache2", steps: ["systemctl stop apache2"] },
  },
  {
    name: "stopped and disabled: no-op",
    args: { name: "apache2", state: "stopped", enabled: false },
    facts: unit("inactive", "disabled"),
    expect: { changed: false, reason: "already stopped and disabled", steps: [] },
  },
  {
    name: "a static unit counts as enabled and cannot be disabled",
    args: { name: "systemd-journald", enabled: false },
    facts: unit("active", "static"),
    expect: { changed: false, steps: [] },
  },
  {
    name: "static is enough for enabled: true",
    args: { name: "systemd-journald", enabled: true },
    facts: unit("active", "static"),
    expect: { changed: false, steps: [] },
  },
  {
    name: "disables an enabled unit without touching its state",
    args: { name: "apache2", enabled: false },
    facts: unit("active", "enabled"),
    expect: { changed: true, steps: ["systemctl disable apache2"] },
  },
  {
    name: "restarted always changes",
    args: { name: "sample", state: "restarted" },
    facts: unit("active", "enabled"),
    expect: { changed: true, reason: "would restart service sample", steps: ["systemctl restart sample"] },
  },
  {
    name: "reloaded reloads a running unit",
    args: { name: "nginx", state: "reloaded" },
    facts: unit("active", "enabled"),
    expect: { changed: true, steps: ["systemctl reload nginx"] },
  },
  {
    name: "reloaded starts a stopped unit",
    args: { name: "nginx", state: "reloaded" },
    facts: unit("inactive", "enabled"),
    expect: { changed: true, steps: ["systemctl start nginx"] },
  },
  {
    name: "daemon_reload runs first",
    args: { name: "sample", state: "restarted", daemon_reload: true },
    facts: unit("active", "enabled"),
    expect: { changed: true, steps: ["systemctl daemon-reload", "systemctl restart sample"] },
  },
  {
    name: "daemon_reload alone is not a change",
    args: { name: "sample", daemon_reload: true },
    facts: unit("active", "enabled"),
    expect: { changed: false, reason: "would reload systemd", steps: ["systemctl daemon-reload"] },
  },
  {
    name: "unknown unit: an error that says what to do",
    args: { name: "sample", state: "started" },
    facts: notFound,
    expect: { error: "service sample: no such unit (LoadState=not-found)" },
  },
  {
    name: "unknown unit in check mode: a package or unit file may come first",
    args: { name: "nginx", state: "started", enabled: true },
    facts: notFound,
    check: true,
    expect: {
      changed: true,
      reason: "service nginx not installed yet; would be enabled and started",
      steps: ["systemctl enable nginx", "systemctl start nginx"],
    },
  },
  {
    name: "unknown unit with daemon_reload: the unit file was just written",
    args: { name: "sample", state: "started", enabled: true, daemon_reload: true },
    facts: notFound,
    expect: {
      changed: true,
      reason: "service sample is not loaded yet; would reload systemd and make it enabled and started",
      steps: ["systemctl daemon-reload", "systemctl enable sample", "systemctl start sample"],
    },
  },
  {
    name: "unknown unit to stop: nothing to do",
    args: { name: "apache2", state: "stopped", enabled: false },
    facts: notFound,
    expect: {
      changed: false,
      reason: "service apache2 does not exist: nothing to stop or disable",
      steps: [],
    },
  },
  {
    name: "a masked unit cannot be started",
    args: { name: "nginx", state: "started" },
    facts: unit("inactive", "masked", "masked"),
    expect: { error: "service nginx is masked" },
  },
  {
    name: "error: nothing asked",
    args: { name: "nginx" },
    expect: { error: "give state, enabled or daemon_reload" },
  },
  { name: "error: unknown state", args: { name: "nginx", state: "running" }, expect: { error: "state:" } },
  { name: "error: enabled as text", args: { name: "nginx", enabled: "yes" }, expect: { error: "enabled" } },
  {
    name: "error: a name like an option",
    args: { name: "--all", state: "started" },
    expect: { error: "should be a systemd unit name" },
  },
  {
    name: "error: unknown key",
    args: { name: "nginx", state: "started", scope: "user" },
    expect: { error: 'Unrecognized key: "scope"' },
  },
];

export const probeCases: ProbeCase[] = [
  {
    name: "systemctl show, in the unit's property order",
    args: { name: "nginx", state: "started" },
    command: "systemctl show -p LoadState,ActiveState,UnitFileState nginx",
    output: { stdout: "LoadState=loaded\nActiveState=active\nUnitFileState=enabled\n" },
    facts: { exists: true, load: "loaded", active: "active", unitFile: "enabled" },
  },
  {
    name: "unknown unit: exit 0 with LoadState=not-found",
    args: { name: "sample.service", state: "started" },
    output: { stdout: "ActiveState=inactive\nLoadState=not-found\nUnitFileState=\n" },
    facts: { exists: false, load: "not-found", active: "inactive", unitFile: "" },
  },
  {
    name: "template instance unit",
    args: { name: "getty@tty1", state: "started" },
    command: "systemctl show -p LoadState,ActiveState,UnitFileState getty@tty1",
    output: { stdout: "LoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\n" },
    facts: { exists: true, load: "loaded", active: "inactive", unitFile: "disabled" },
  },
];

/** service: a systemd unit's running state and whether it starts at boot. */
import { z } from "zod";
import type { ExecResult } from "../core/types.ts";
import { UserError } from "../core/errors.ts";
import { probeFailed } from "./_util.ts";
import { defineModule, type ModuleDefinition, type Plan, type Step } from "./types.ts";

const serviceArgs = z.object({
  name: z.string().regex(/^[A-Za-z0-9_@:.\\][A-Za-z0-9_@:.\\-]*$/, {
    error: "should be a systemd unit name like nginx or nginx.service",
  }).describe("The unit (.service is implied when no suffix is given)."),
  state: z.enum(["started", "stopped", "restarted", "reloaded"]).optional().describe(
    "started/stopped: only when not already so; restarted/reloaded: always (a reload starts a stopped unit).",
  ),
  enabled: z.boolean().optional().describe("Start the unit at boot (systemctl enable/disable)."),
  daemon_reload: z.boolean().default(false).describe(
    "Run systemctl daemon-reload first, so changed unit files take effect.",
  ),
}).strict().superRefine((a, ctx) => {
  if (a.state === undefined && a.enabled === undefined && !a.daemon_reload) {
    ctx.addIssue({ code: "custom", path: [], message: "give state, enabled or daemon_reload" });
  }
});
type ServiceArgs = z.infer<typeof serviceArgs>;

export interface ServiceFacts {
  exists: boolean;
  /** LoadState: loaded, not-found, masked, bad-setting, error. */
  load: string;
  /** ActiveState: active, inactive, failed, activating, deactivating, reloading. */
  active: string;
  /** UnitFileState: enabled, disabled, static, masked, ... ("" for an unknown unit). */
  unitFile: string;
}

function parseService(name: string, r: ExecResult): ServiceFacts {
  if (r.exitCode !== 0) throw probeFailed(`service ${name}`, r);
  const props: Record<string, string> = {};
  for (const line of r.stdout.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) props[line.slice(0, i)] = line.slice(i + 1);
  }
  const load = props.LoadState ?? "";
  return {
    exists: load !== "not-found" && load !== "",
    load,
    active: props.ActiveState ?? "",
    unitFile: props.UnitFileState ?? "",
  };
}

const RUNNING = new Set(["active", "activating", "reloading"]);
const ENABLED = new Set(["enabled", "enabled-runtime", "static", "alias", "indirect", "generated"]);
const DISABLEABLE = new Set(["enabled", "enabled-runtime", "alias"]);

const systemctl = (...args: string[]): Step => ({ kind: "exec", command: ["systemctl", ...args] });

function planService(a: ServiceArgs, f: ServiceFacts): Plan {
  const unit = `service ${a.name}`;
  const reload: Step[] = a.daemon_reload ? [systemctl("daemon-reload")] : [];
  const wanted = [a.enabled === true && "enabled", a.enabled === false && "disabled", a.state]
    .filter(Boolean).join(" and ");

  if (!f.exists && (a.state === undefined || a.state === "stopped") && a.enabled !== true) {
    return {
      changed: false,
      reason: `${unit} does not exist: nothing to stop or disable${
        a.daemon_reload ? "; would reload systemd" : ""
      }`,
      steps: reload,
    };
  }
  if (!f.exists) {
    const blind = [
      ...reload,
      ...(a.enabled !== undefined ? [systemctl(a.enabled ? "enable" : "disable", a.name)] : []),
      ...(a.state ? [systemctl(verb(a.state), a.name)] : []),
    ];
    return {
      // A unit file written by an earlier task is known to systemd only after daemon-reload: with it,
      // apply runs the steps; without it, the unit must exist by then.
      assumes: {
        what: `${unit} is not installed yet`,
        path: `/etc/systemd/system/${a.name.includes(".") ? a.name : `${a.name}.service`}`,
        error: `${unit}: no such unit (LoadState=${f.load || "not-found"})`,
        hint:
          "install the package that provides it or write its unit file first (and set daemon_reload: true)",
        stepsProvide: a.daemon_reload || undefined,
      },
      changed: !!wanted,
      reason: a.daemon_reload
        ? `${unit} is not loaded yet; would reload systemd${wanted ? ` and make it ${wanted}` : ""}`
        : `${unit} not installed yet; would be ${wanted}`,
      steps: blind,
    };
  }
  if (
    f.load === "masked" &&
    (a.state === "started" || a.state === "restarted" || a.state === "reloaded" || a.enabled)
  ) {
    throw new UserError(`${unit} is masked`, `unmask it first: systemctl unmask ${a.name}`);
  }

  const steps: Step[] = [];
  const changes: string[] = [];
  const isEnabled = ENABLED.has(f.unitFile);
  if (a.enabled === true && !isEnabled) {
    steps.push(systemctl("enable", a.name));
    changes.push("enable");
  }
  if (a.enabled === false && DISABLEABLE.has(f.unitFile)) {
    steps.push(systemctl("disable", a.name));
    changes.push("disable");
  }
  const running = RUNNING.has(f.active);
  const action = a.state === "started"
    ? (running ? undefined : "start")
    : a.state === "stopped"
    ? (running || f.active === "deactivating" ? "stop" : undefined)
    : a.state === "restarted"
    ? "restart"
    : a.state === "reloaded"
    ? (running ? "reload" : "start")
    : undefined;
  if (action) {
    steps.push(systemctl(action, a.name));
    changes.push(action);
  }

  const now = `${f.active}, ${f.unitFile || "no unit file"}`;
  if (!changes.length) {
    return {
      changed: false,
      reason: `${unit} is already ${
        [a.state, a.enabled !== undefined && (isEnabled ? "enabled" : "disabled")]
          .filter(Boolean).join(" and ") || "loaded"
      } (${now})${a.daemon_reload ? "; would reload systemd" : ""}`,
      steps: reload,
    };
  }
  const runningAfter = action === "stop" ? "inactive" : action ? "active" : f.active;
  const enabledAfter = changes.includes("enable")
    ? "enabled"
    : changes.includes("disable")
    ? "disabled"
    : f.unitFile;
  return {
    changed: true,
    reason: `would ${changes.join(" and ")} ${unit} (now ${now})`,
    steps: [...reload, ...steps],
    diffs: [{
      target: unit,
      before: `${f.active}, ${f.unitFile}\n`,
      after: `${runningAfter}, ${enabledAfter}\n`,
    }],
  };
}

/** What to run on a unit whose state is unknown (it is not loaded yet). */
const verb = (state: NonNullable<ServiceArgs["state"]>) =>
  ({ started: "start", stopped: "stop", restarted: "restart", reloaded: "start" })[state];

export const serviceModule: ModuleDefinition<ServiceArgs, ServiceFacts> = defineModule({
  name: "service",
  description: "Start, stop, restart or reload a systemd unit and enable or disable it at boot.",
  args: serviceArgs,
  probe: (a) => ({
    command: ["systemctl", "show", "-p", "LoadState,ActiveState,UnitFileState", a.name],
    parse: (r) => parseService(a.name, r),
  }),
  plan: planService,
});

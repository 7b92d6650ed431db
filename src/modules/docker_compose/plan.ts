/** docker_compose's pure plan: what to pull, create, recreate, start or remove, and the wait after. */
import { createHash } from "node:crypto";
import { raw } from "../../core/command.ts";
import { UserError } from "../../core/errors.ts";
import { notYet, plural } from "../_util.ts";
import type { Diff, ModuleContext, Plan, Probe, Step } from "../types.ts";
import {
  type ComposeArgs,
  composeCommand,
  type ComposeContainer,
  type ComposeFacts,
  type ComposeService,
} from "./args.ts";
import { LABEL } from "./probe.ts";
import { READY_AWK } from "./scripts.ts";

type Action = "create" | "recreate" | "start";

interface ServicePlan {
  service: ComposeService;
  action: Action | null;
  why: string;
  pull: boolean;
  before: string;
}

const short = (hash: string) => hash.slice(0, 12);
const exitCode = (status: string): number | null => {
  const m = /^Exited \((-?\d+)\)/.exec(status);
  return m ? Number(m[1]) : null;
};
const oneShot = (s: ComposeService) => s.restart === "no" || s.restart === "";

/** "running (healthy)", "exited (0)", "created": stable words for diffs (no "2 minutes ago"). */
function stateText(c: ComposeContainer): string {
  if (c.state === "running") {
    const health = /\((healthy|unhealthy|health: starting)\)/.exec(c.status);
    return health ? `running (${health[1]})` : "running";
  }
  if (c.state === "exited") return `exited (${exitCode(c.status) ?? "?"})`;
  return c.state;
}
const describeContainers = (cs: ComposeContainer[]) => cs.map(stateText).join(", ");

/** Services to converge: the ones asked for and, transitively, what they depend on. */
function selectServices(a: ComposeArgs, services: ComposeService[]): ComposeService[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  if (!a.services) return services;
  const wanted = new Set<string>();
  const add = (name: string) => {
    const s = byName.get(name);
    if (!s) {
      throw new UserError(
        `docker_compose: no service '${name}' in project ${a.project_name}`,
        `services in the compose files: ${services.map((x) => x.name).join(", ")}`,
      );
    }
    if (wanted.has(name)) return;
    wanted.add(name);
    s.dependsOn.forEach(add);
  };
  a.services.forEach(add);
  return services.filter((s) => wanted.has(s.name));
}

function planService(a: ComposeArgs, s: ComposeService, facts: ComposeFacts): ServicePlan {
  const want = facts.hashes[s.name];
  if (!want) {
    throw new UserError(`docker_compose: compose printed no config hash for service ${s.name}`);
  }
  const cs = facts.containers.filter((c) => c.service === s.name);
  const imageId = facts.images[s.image];
  const pull = a.pull === "always" || (a.pull === "missing" && imageId === null);
  const plan = (action: Action | null, why: string): ServicePlan => ({
    service: s,
    action,
    why,
    pull,
    before: cs.length ? `${describeContainers(cs)}, config ${short(cs[0].hash)}` : "(no container)",
  });
  if (cs.length === 0) return plan("create", "no container");
  if (cs.some((c) => c.hash !== want)) return plan("recreate", "config changed");
  // compose v2 also recreates when the tag now names another image (a re-pull); v1 hashes the image.
  if (imageId && cs.some((c) => c.image.startsWith("sha256:") && c.image !== imageId)) {
    return plan("recreate", "image changed");
  }
  if (cs.every((c) => c.state === "running" || c.state === "restarting")) return plan(null, "running");
  if (oneShot(s) && cs.every((c) => c.state === "exited" && exitCode(c.status) === 0)) {
    return plan(null, "completed");
  }
  return plan("start", cs.map((c) => c.state).join(", "));
}

/**
 * `up SERVICE` starts the dependencies of SERVICE that are not running: a completed one-shot (migrate)
 * runs again before a service that depends on it is (re)started.
 */
function rerunOneShotDependencies(plans: ServicePlan[]): void {
  const byName = new Map(plans.map((p) => [p.service.name, p]));
  const visit = (p: ServicePlan, from: string) => {
    for (const dep of p.service.dependsOn) {
      const d = byName.get(dep);
      if (!d) continue;
      if (!d.action && d.why === "completed") {
        d.action = "start";
        d.why = `runs again before ${from}`;
      }
      visit(d, from);
    }
  };
  for (const p of plans.filter((x) => x.action)) visit(p, p.service.name);
}

/** Ready when every long-running service runs (healthy if it has a healthcheck), one-shots exited 0. */
function readyProbe(project: string, running: string[], once: string[]): Probe<boolean> {
  return {
    command: [
      ...["docker", "ps", "-a", "--filter", `label=${LABEL}.project=${project}`],
      ...["--filter", `label=${LABEL}.oneoff=False`, "--format"],
      `{{.Label "${LABEL}.service"}}\t{{.State}}\t{{.Status}}`,
      raw("|"),
      ...["awk", "-F", "\t", "-v", `run=${running.join(" ")}`, "-v", `once=${once.join(" ")}`, READY_AWK],
    ],
    parse(r) {
      const failed = /^failed (\S+) (.*)$/m.exec(r.stdout);
      if (failed) {
        throw new UserError(
          `docker_compose: one-shot service ${failed[1]} failed: ${failed[2].trim()}`,
          `see its output: docker logs ${project}-${failed[1]}-1 (compose v2) or ${project}_${
            failed[1]
          }_1 (v1)`,
        );
      }
      return r.stdout.trim() === "1";
    },
  };
}

function diffLine(p: ServicePlan, want: string): { before: string; after: string } {
  const name = p.service.name;
  const before = `${name}: ${p.before}`;
  if (!p.action && !p.pull) return { before, after: before };
  const target = oneShot(p.service) ? "completed" : "running";
  // A variable of env_file changes (env_template): compose's new hash is known once the file is written.
  const config = p.why.startsWith("reads ") ? `config changes: ${p.why}` : `config ${short(want)}`;
  const after = p.action
    ? `${name}: ${target}, ${config} (${p.action}${p.pull ? `, pull ${p.service.image}` : ""})`
    : `${name}: ${p.before.replace(/^\(no container\)$/, target)} (pull ${p.service.image})`;
  return { before, after };
}

/**
 * env_template given: the variables whose `NAME=...` line differs between the template as it renders
 * now and env_file on the host (compared by sha256), or null when there is nothing to compare. After
 * the template task wrote env_file, none differs.
 */
function changedVariables(a: ComposeArgs, facts: ComposeFacts, ctx: ModuleContext): string[] | null {
  if (!a.env_template || !facts.envHashes) return null;
  const text = ctx.renderTemplate(
    new TextDecoder().decode(ctx.readLocalFile(a.env_template, "templates")),
    a.env_template,
  );
  const wanted: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line);
    if (m) wanted[m[1]] = createHash("sha256").update(line).digest("hex");
  }
  const names = new Set([...Object.keys(wanted), ...Object.keys(facts.envHashes)]);
  return [...names].filter((n) => wanted[n] !== facts.envHashes![n]).sort();
}

/** Services that read a changed variable are recreated (one-shots re-run) once env_file is written. */
function applyChangedVariables(plans: ServicePlan[], changed: string[], refs: Record<string, string[]>) {
  for (const p of plans) {
    if (p.action === "create" || p.action === "recreate") continue;
    const read = (refs[p.service.name] ?? []).filter((n) => changed.includes(n));
    if (read.length) {
      p.action = "recreate";
      p.why = `reads ${read.join(", ")}`;
    }
  }
}

/**
 * The host files what compose does rests on: the compose files, and env_file unless env_template says
 * how it will read (then the plan compares it variable by variable).
 */
function projectFiles(a: ComposeArgs): string[] {
  const files = [...a.files, ...(a.env_file && !a.env_template ? [a.env_file] : [])];
  return files.map((f) => (f.startsWith("/") ? f : `${a.project_src.replace(/\/$/, "")}/${f}`));
}

function planPresent(a: ComposeArgs, facts: ComposeFacts, cli: string, ctx: ModuleContext): Plan {
  if (facts.services.length === 0) {
    throw new UserError(`docker_compose: the compose files of ${a.project_name} define no services`);
  }
  const selected = selectServices(a, facts.services);
  const plans = selected.map((s) => planService(a, s, facts));
  const changedVars = changedVariables(a, facts, ctx);
  if (changedVars?.length) applyChangedVariables(plans, changedVars, facts.refs ?? {});
  rerunOneShotDependencies(plans);
  const known = new Set(facts.services.map((s) => s.name));
  const orphans = a.remove_orphans ? facts.containers.filter((c) => !known.has(c.service)) : [];
  const act = plans.filter((p) => p.action);
  const pulls = plans.filter((p) => p.pull);
  const names = (ps: ServicePlan[]) => ps.map((p) => p.service.name);
  const of = (action: Action) => names(act.filter((p) => p.action === action));

  const steps: Step[] = [];
  if (pulls.length) {
    steps.push({ kind: "exec", command: composeCommand(cli, a, "pull", "-q", ...names(pulls)) });
  }
  if (orphans.length) {
    steps.push({
      kind: "exec",
      command: [
        "docker",
        "rm",
        "-f",
        ...orphans.map((o) => o.id),
      ],
    });
  }
  // pull: always re-pulls, and only compose knows whether that changed an image: up everything asked for.
  const upServices = a.pull === "always" ? names(plans) : names(act);
  if (upServices.length) {
    const up = composeCommand(cli, a, "up", "-d", ...upServices);
    steps.push({ kind: "exec", command: a.pull === "always" ? [raw("echo lago:up-always;"), ...up] : up });
  }
  if (a.state === "restarted") {
    steps.push({ kind: "exec", command: composeCommand(cli, a, "restart", ...(a.services ?? [])) });
  }
  if (a.wait && steps.length) {
    const running = plans.filter((p) => !oneShot(p.service)).map((p) => p.service.name);
    const once = plans.filter((p) => oneShot(p.service)).map((p) => p.service.name);
    steps.push({
      kind: "wait",
      probe: readyProbe(a.project_name, running, once),
      timeoutSec: a.timeout,
      intervalSec: 2,
      what: `${plural(selected.length, "service")} of ${a.project_name} to be running and healthy`,
    });
  }

  const parts = [
    of("create").length && `create ${of("create").join(", ")}`,
    of("recreate").length && `recreate ${of("recreate").join(", ")}`,
    of("start").length && `start ${of("start").join(", ")}`,
    pulls.length && `pull ${plural(new Set(pulls.map((p) => p.service.image)).size, "image")}`,
    orphans.length && `remove orphan ${orphans.map((o) => o.service).join(", ")}`,
    a.state === "restarted" && `restart ${a.services?.join(", ") ?? "every service"}`,
  ].filter(Boolean);
  const changed = act.length > 0 || orphans.length > 0 || a.state === "restarted" ||
    (a.pull === "missing" && pulls.length > 0);
  const lines = plans.map((p) => diffLine(p, facts.hashes[p.service.name]));
  for (const o of orphans) {
    lines.push({ before: `${o.service}: ${describeContainers([o])} (orphan)`, after: "" });
  }
  const diffs: Diff[] = changed
    ? [{
      target: "compose services",
      before: lines.map((l) => l.before).filter(Boolean).join("\n") + "\n",
      after: lines.map((l) => l.after).filter(Boolean).join("\n") + "\n",
    }]
    : [];
  const services = {
    create: of("create"),
    recreate: of("recreate"),
    start: of("start"),
    pull: names(pulls),
    remove: orphans.map((o) => o.service),
    ok: names(plans.filter((p) => !p.action)),
  };
  const becauseOf = changedVars?.length ? ` (${changedVars.join(", ")} in ${a.env_file} would change)` : "";
  const reason = parts.length
    ? `project ${a.project_name}: would ${parts.join("; ")}${becauseOf}`
    : `project ${a.project_name}: ${plural(plans.length, "service")} up to date (${
      plans.map((p) => `${p.service.name} ${p.why}`).join(", ")
    })`;
  return { changed, reason, steps, diffs, result: { compose_cli: cli, services }, reads: projectFiles(a) };
}

function planAbsent(a: ComposeArgs, facts: ComposeFacts): Plan {
  const containers = facts.containers;
  if (containers.length === 0) {
    return { changed: false, reason: `project ${a.project_name} has no containers`, steps: [] };
  }
  // Without its files compose cannot `down` the project: remove its containers by label instead.
  const command = facts.cli && !facts.missing && !facts.configError
    ? composeCommand(facts.cli, a, "down", "--remove-orphans")
    : ["docker", "rm", "-f", ...containers.map((c) => c.id)];
  const before = containers.map((c) => `${c.service}: ${stateText(c)}`).sort().join("\n") + "\n";
  return {
    changed: true,
    reason: `project ${a.project_name}: would remove ${
      plural(containers.length, "container")
    } (volumes kept)`,
    steps: [{ kind: "exec", command }],
    diffs: [{ target: "compose services", before, after: "" }],
    result: { services: { remove: containers.map((c) => c.service) } },
  };
}

export function planCompose(a: ComposeArgs, facts: ComposeFacts, ctx: ModuleContext): Plan {
  if (facts.dockerError !== undefined) {
    return notYet(
      `docker_compose: docker does not answer: ${facts.dockerError}`,
      "install Docker first (the docker role) and make sure its service runs",
      `project ${a.project_name}: would be deployed once docker runs`,
    );
  }
  if (a.state === "absent") return planAbsent(a, facts);
  if (facts.cli === null) {
    return notYet(
      "docker_compose: no compose CLI on the host (neither 'docker compose' nor 'docker-compose')",
      "install Docker and Compose first (the docker role), or give compose_command",
      `project ${a.project_name}: would be deployed once Docker and Compose are installed`,
    );
  }
  if (facts.missing) {
    const { what, path: p } = facts.missing;
    const path = what === "directory" ? a.project_src : p.startsWith("/") ? p : `${a.project_src}/${p}`;
    return notYet(
      `docker_compose: ${path} does not exist`,
      what === "directory"
        ? "create project_src first (file, state: directory)"
        : "write it first (template)",
      `project ${a.project_name}: would be deployed from ${a.project_src} (${path} is not there yet)`,
      [],
      path,
    );
  }
  if (facts.configError !== undefined) {
    throw new UserError(
      `docker_compose: \`${facts.cli} config\` failed in ${a.project_src}: ${facts.configError}`,
      "check the compose files and env_file (run `config` there by hand)",
    );
  }
  return planPresent(a, facts, facts.cli, ctx);
}

/** pull: always: compose alone knows whether the fresh images recreated something. */

/**
 * docker_compose: a Compose project converged like `docker compose up -d` would, but decided first.
 * One probe reads which compose CLI the host has (v2 `docker compose` or v1.29 `docker-compose`), every
 * service's config hash (`config --hash '*'`, the value compose stamps on the containers it creates),
 * the services' images and restart policies (`config`), the project's containers with their labels,
 * and which images are present. The pure plan compares them: create (no container), recreate (config
 * hash differs), start (stopped), pull (image missing), remove (orphan) — so a changed variable shows
 * which services it recreates. `up` then gets exactly those services; a one-shot service (`restart:
 * "no"`, like Lago's migrate) that exited 0 with the current config is done, not run again on every
 * apply — only when a service that depends on it is (re)started, as compose itself does.
 * (Not `--no-deps`: compose v2 then hashes the services without their dependencies, and every later
 * `config --hash` would differ from the label.)
 *
 * Interpolated values (`${VAR}` from `env_file`) are part of the hash; a service-level `env_file:` is
 * not with compose v2.22 up to its fix (`config --hash` skips it), so put the environment in the
 * compose file (`VAR: ${VAR}`), not in `env_file:` of services.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { type Command, quote, raw, splitWords } from "../core/command.ts";
import { type ExecResult } from "../core/types.ts";
import { UserError } from "../core/errors.ts";
import { absPath, notYet, plural, probeFailed } from "./_util.ts";
import {
  defineModule,
  type Diff,
  type ModuleContext,
  type ModuleDefinition,
  type Plan,
  type Probe,
  type Step,
} from "./types.ts";

const serviceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  error: "should be a compose service name (letters, digits, . _ -)",
});

const composeArgs = z.object({
  project_name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, {
    error:
      "should be a compose project name: lowercase letters, digits, _ and -, starting with a letter or digit",
  }).describe("Compose project name, passed as -p (pinned: containers are found by this name's label)."),
  project_src: absPath().describe("Directory holding the compose file(s); compose runs from there."),
  files: z.array(z.string().min(1)).min(1).default(["compose.yml"]).describe(
    "Compose files, relative to project_src (or absolute), passed as -f in this order.",
  ),
  env_file: z.string().min(1).optional().describe(
    "Interpolation variables for ${VAR} in the compose files (--env-file), relative to project_src or absolute.",
  ),
  state: z.enum(["present", "absent", "restarted"]).default("present").describe(
    "present: services created and running (one-shot services completed); absent: the project's containers " +
      "removed (`down`, volumes kept); restarted: present, then `restart`.",
  ),
  pull: z.enum(["missing", "always", "never"]).default("missing").describe(
    "missing: pull the images that are not on the host; always: pull before every up (changed only when " +
      "compose then recreates something); never: do not pull here.",
  ),
  services: z.array(serviceName).optional().describe(
    "Only these services (and the services they depend on). Default: every service of the project.",
  ),
  remove_orphans: z.boolean().default(true).describe(
    "Remove containers of services that are no longer in the compose files.",
  ),
  wait: z.boolean().default(true).describe(
    "After up, wait until every service runs and is healthy (those with a healthcheck) and every one-shot " +
      "service exited 0.",
  ),
  timeout: z.number().int().positive().default(300).describe("wait: give up (fail) after this many seconds."),
  compose_command: z.string().optional().describe(
    'The compose CLI, e.g. "docker compose" or "docker-compose" or "/usr/local/bin/lago-compose". Empty or ' +
      "not given: docker compose (v2) when the host has it, else docker-compose (v1).",
  ),
  env_template: z.string().min(1).optional().describe(
    "The template (role templates/) an earlier task renders env_file from. The plan compares the two " +
      "variable by variable (hashes only) and recreates the services that read a variable that differs: " +
      "so a dry run, where that task has not written env_file yet, names them too.",
  ),
}).strict();
type ComposeArgs = z.infer<typeof composeArgs>;

export interface ComposeService {
  name: string;
  image: string;
  /** The restart policy as compose prints it ("no" when unset). */
  restart: string;
  dependsOn: string[];
}

export interface ComposeContainer {
  id: string;
  name: string;
  service: string;
  hash: string;
  /** docker's state: running, exited, created, paused, restarting, dead. */
  state: string;
  /** "Up 3 minutes (healthy)", "Exited (0) 2 minutes ago". */
  status: string;
  /** The image ID compose v2 recorded (com.docker.compose.image), "" for v1. */
  image: string;
}

/** What the probe saw. `cli` is null when the host has no compose CLI; later fields stay empty when an
 * earlier one failed (no docker, no project directory or file, compose files compose cannot read). */
export interface ComposeFacts {
  cli: string | null;
  dockerError?: string;
  /** A project file (or project_src itself) that is not on the host. */
  missing?: { path: string; what: "directory" | "file" };
  configError?: string;
  containers: ComposeContainer[];
  /** service -> the config hash compose would stamp on its container now. */
  hashes: Record<string, string>;
  services: ComposeService[];
  /** image reference -> local image ID, or null when the host does not have it. */
  images: Record<string, string | null>;
  /** With env_template: sha256 of each `NAME=...` line of env_file, by NAME. */
  envHashes?: Record<string, string>;
  /** With env_template: service -> the variables (`${NAME}`) it reads. */
  refs?: Record<string, string[]>;
}

// ---------------------------------------------------------------------------------------------------
// Probe

/** `dc` is the compose CLI (detected when not given); prints every fact with a `lago:` tag. */
const DETECT = `if [ -z "$dc" ]; then
  if docker compose version >/dev/null 2>&1; then dc="docker compose"
  elif command -v docker-compose >/dev/null 2>&1; then dc=docker-compose
  else echo lago:nocompose; fi
fi
[ -z "$dc" ] || echo "lago:cli $dc"`;

/**
 * Services, images, restart policies and dependencies out of `config` (no values: no secrets); with
 * `-v refs=1`, out of `config --no-interpolate`, only the variables each service reads (`${NAME}`).
 * Compose v1 writes repeated blocks as YAML anchors (`depends_on: &id001`, later `*id001`): replayed.
 */
const CONFIG_AWK = `function emit(kind, value) {
  if (refs == (kind == "ref")) print "lago:" kind " " svc " " value
  if (anchor != "") A[anchor] = A[anchor] kind " " value "\\n"
}
/^services:/ {s=1; next}
/^[^ ]/ {s=0}
!s {next}
/^  [^ ]/ {svc=$1; sub(/:$/, "", svc); gsub(/"/, "", svc); if (!refs) print "lago:svc " svc; d=0; anchor=""; next}
/^    [^ ]/ {
  d=0; anchor=""
  if (match($0, /: &[A-Za-z0-9_]+$/)) {anchor = substr($0, RSTART + 3); A[anchor] = ""}
  else if (match($0, /: [*][A-Za-z0-9_]+$/)) {
    n = split(A[substr($0, RSTART + 3)], R, "\\n")
    for (i = 1; i < n; i++) {split(R[i], kv, " "); emit(kv[1], kv[2])}
  }
}
/^    image:/ {v=$0; sub(/^    image: */, "", v); emit("image", v); next}
/^    restart:/ {v=$0; sub(/^    restart: */, "", v); emit("restart", v); next}
/^    depends_on:/ {d=1; next}
d && /^      [^ -]/ {v=$1; sub(/:$/, "", v); gsub(/"/, "", v); emit("dep", v)}
d && /^      - / {v=$2; gsub(/"/, "", v); emit("dep", v)}
refs {
  line=$0; gsub(/[$][$]/, "", line)
  while (match(line, /[$][{]?[A-Za-z_][A-Za-z0-9_]*/)) {
    v = substr(line, RSTART + 1, RLENGTH - 1); sub(/^[{]/, "", v); emit("ref", v)
    line = substr(line, RSTART + RLENGTH)
  }
}`;

const LABEL = "com.docker.compose";
const PS_FORMAT = [
  "{{.ID}}",
  "{{.Names}}",
  `{{.Label "${LABEL}.service"}}`,
  `{{.Label "${LABEL}.config-hash"}}`,
  "{{.State}}",
  "{{.Status}}",
  `{{.Label "${LABEL}.oneoff"}}`,
  `{{.Label "${LABEL}.image"}}`,
].join("\t");

/** `-p NAME -f FILE... [--env-file FILE]`, the same for the probe and every step. */
function projectArgs(a: ComposeArgs): string[] {
  return [
    "-p",
    a.project_name,
    ...a.files.flatMap((f) => ["-f", f]),
    ...(a.env_file ? ["--env-file", a.env_file] : []),
  ];
}

/**
 * Each `NAME=...` line of a file as `lago:envhash NAME SHA256`; values stay in the shell (printf is
 * built in). NAME as changedVariables reads the template: letters, digits and _ (not `export NAME`).
 */
export const ENV_HASHES = `while IFS= read -r line || [ -n "$line" ]; do case $line in [A-Za-z_]*=*)
  name=\${line%%=*}; case $name in *[!A-Za-z0-9_]*) ;; *)
  printf 'lago:envhash %s %s\\n' "$name" "$(printf '%s' "$line" | sha256sum | cut -c1-64)";; esac;; esac; done <`;

function composeProbe(a: ComposeArgs): Probe<ComposeFacts> {
  const dc = projectArgs(a);
  const fileChecks: Command = [...a.files, ...(a.env_file ? [a.env_file] : [])].flatMap((f) => [
    raw("[ -f"),
    f,
    raw("] || { echo lago:nofile"),
    f,
    raw("; exit 0; };"),
  ]);
  const command: Command = [
    raw(`dc=${quote(a.compose_command ?? "")};`),
    raw(DETECT),
    raw("\nps=$(docker ps -a --filter"),
    `label=${LABEL}.project=${a.project_name}`,
    raw("--format"),
    PS_FORMAT,
    raw(`2>&1) || { echo lago:nodocker; printf '%s\\n' "$ps"; exit 0; }`),
    raw(`\nprintf '%s\\n' "$ps" | sed 's/^/lago:ctr /'`),
    raw('\n[ -n "$dc" ] || exit 0\ncd'),
    a.project_src,
    raw("2>/dev/null || { echo lago:nodir; exit 0; };"),
    ...fileChecks,
    raw("\nhashes=$($dc"),
    ...dc,
    raw(`config --hash '*' 2>&1) || { echo lago:configfailed; printf '%s\\n' "$hashes"; exit 0; }`),
    raw(`\nprintf '%s\\n' "$hashes" | sed -n 's/^\\([^ ]*\\) \\([0-9a-f]\\{64\\}\\)$/lago:hash \\1 \\2/p'`),
    raw("\nservices=$($dc"),
    ...dc,
    raw("config 2>/dev/null | awk"),
    CONFIG_AWK,
    raw(`)\nprintf '%s\\n' "$services"`),
    ...(a.env_template && a.env_file
      ? [
        raw("\n$dc"),
        ...dc,
        raw("config --no-interpolate 2>/dev/null | awk -v refs=1"),
        CONFIG_AWK,
        raw(`\n${ENV_HASHES}`),
        a.env_file,
      ]
      : []),
    raw(`\nprintf '%s\\n' "$services" | sed -n 's/^lago:image [^ ]* //p' | sort -u | while read -r img; do`),
    raw(`\n  if id=$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null); then echo "lago:img $id $img";`),
    raw(`else echo "lago:noimg $img"; fi\ndone`),
  ];
  return { command, parse: parseComposeFacts };
}

const unquote = (v: string) => v.trim().replace(/^(["'])(.*)\1$/, "$2");

function parseComposeFacts(r: ExecResult): ComposeFacts {
  if (r.exitCode !== 0) throw probeFailed("docker_compose", r);
  const lines = r.stdout.split("\n");
  const tagged = (tag: string) =>
    lines.filter((l) => l.startsWith(`lago:${tag} `)).map((l) => l.slice(tag.length + 6));
  const after = (tag: string) => tail(lines.slice(lines.indexOf(`lago:${tag}`) + 1).join("\n"));
  const facts: ComposeFacts = {
    cli: lines.includes("lago:nocompose") ? null : tagged("cli")[0] ?? null,
    containers: [],
    hashes: {},
    services: [],
    images: {},
  };
  if (lines.includes("lago:nodocker")) return { ...facts, dockerError: after("nodocker") };
  for (const l of tagged("ctr")) {
    const [id, name, service, hash, state, status, oneoff, image] = l.split("\t");
    if (!id || oneoff === "True") continue; // `run` containers are not the service's
    facts.containers.push({ id, name, service, hash, state, status, image: image ?? "" });
  }
  if (lines.includes("lago:nodir")) return { ...facts, missing: { path: "", what: "directory" } };
  const nofile = tagged("nofile")[0];
  if (nofile !== undefined) return { ...facts, missing: { path: nofile, what: "file" } };
  if (lines.includes("lago:configfailed")) return { ...facts, configError: after("configfailed") };

  for (const l of tagged("hash")) {
    const [name, hash] = l.split(" ");
    facts.hashes[name] = hash;
  }
  const byName = new Map<string, ComposeService>();
  for (const l of lines) {
    const m = /^lago:(svc|image|restart|dep) (\S+)(?: (.*))?$/.exec(l);
    if (!m) continue;
    let s = byName.get(m[2]);
    if (!s) byName.set(m[2], s = { name: m[2], image: "", restart: "no", dependsOn: [] });
    if (m[1] === "image") s.image = unquote(m[3] ?? "");
    if (m[1] === "restart") s.restart = unquote(m[3] ?? "") || "no";
    if (m[1] === "dep" && m[3]) s.dependsOn.push(unquote(m[3]));
  }
  facts.services = [...byName.values()];
  for (const l of tagged("img")) {
    const sp = l.indexOf(" ");
    facts.images[l.slice(sp + 1)] = l.slice(0, sp);
  }
  for (const img of tagged("noimg")) facts.images[img] = null;
  for (const l of tagged("envhash")) {
    const [name, hash] = l.split(" ");
    (facts.envHashes ??= {})[name] = hash;
  }
  for (const l of tagged("ref")) {
    const [service, name] = l.split(" ");
    const list = (facts.refs ??= {})[service] ??= [];
    if (!list.includes(name)) list.push(name);
  }
  return facts;
}

const tail = (text: string) => text.trim().split("\n").slice(-4).join("; ");

// ---------------------------------------------------------------------------------------------------
// Plan

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

function composeCommand(cli: string, a: ComposeArgs, ...rest: string[]): Command {
  return ["cd", a.project_src, raw("&&"), ...splitWords(cli), ...projectArgs(a), ...rest];
}

/** Ready when every long-running service runs (healthy if it has a healthcheck), one-shots exited 0. */
function readyProbe(project: string, running: string[], once: string[]): Probe<boolean> {
  const awk = `BEGIN {n = split(run, r, " "); for (i = 1; i <= n; i++) want[r[i]] = 1
  m = split(once, o, " "); for (i = 1; i <= m; i++) done[o[i]] = 1}
$1 in want && $2 == "running" && $3 !~ /health: starting|unhealthy/ {ok[$1] = 1}
$1 in done && $3 ~ /^Exited \\(0\\)/ {ok[$1] = 1}
$1 in done && $3 ~ /^Exited \\([1-9]/ {print "failed " $1 " " $3; bad = 1}
END {if (bad) exit; for (s in want) if (!(s in ok)) {print 0; exit}
  for (s in done) if (!(s in ok)) {print 0; exit}; print 1}`;
  return {
    command: [
      ...["docker", "ps", "-a", "--filter", `label=${LABEL}.project=${project}`],
      ...["--filter", `label=${LABEL}.oneoff=False`, "--format"],
      `{{.Label "${LABEL}.service"}}\t{{.State}}\t{{.Status}}`,
      raw("|"),
      ...["awk", "-F", "\t", "-v", `run=${running.join(" ")}`, "-v", `once=${once.join(" ")}`, awk],
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

function planCompose(a: ComposeArgs, facts: ComposeFacts, ctx: ModuleContext): Plan {
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
function resultFrom(outputs: ExecResult[]): Record<string, unknown> {
  const up = outputs.find((o) => o.stdout.startsWith("lago:up-always"));
  if (!up) return {};
  return { changed: /\b(Recreat|Creat|Start)/.test(up.stdout + up.stderr) };
}

export const dockerComposeModule: ModuleDefinition<ComposeArgs, ComposeFacts> = defineModule({
  name: "docker_compose",
  description:
    "A Compose project (v2 or v1.29) converged like `up -d`, decided first: creates, recreates (config hash " +
    "changed), starts and pulls only the services that need it; waits for health.",
  args: composeArgs,
  probe: (a) => composeProbe(a),
  plan: (a, facts, ctx) => planCompose(a, facts, ctx),
  resultFrom,
});

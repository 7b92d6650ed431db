/**
 * What a host runs, read from Docker (the compose project's containers by label, whatever compose
 * version made them), and whether it is healthy: api `GET /health` 200 reporting the expected version,
 * worker liveness `:8080` 200, front `:80` 200, clock running. Scripts are plain sh (HTTP through
 * bash's /dev/tcp, so hosts need no curl); parsing and judging are pure.
 */
import { quote } from "../core/command.ts";
import type { HostState } from "./upgrade.ts";
import type { LagoService } from "./topology.ts";

export type Kind = "api" | "front" | "worker" | "clock";

export interface Container {
  name: string;
  service: string;
  kind?: Kind;
  /** docker's State.Status: running, exited, created, restarting, ... */
  state: string;
  image: string;
  version: string | null;
  oneoff: boolean;
  ip: string;
}

/** Compose service → what it is: `api-worker`, `api-events-worker` are workers; `api-clock` the clock. */
export function serviceKind(service: string): Kind | undefined {
  if (/worker/.test(service)) return "worker";
  if (/clock/.test(service)) return "clock";
  if (/(^|[-_])api$/.test(service)) return "api";
  if (/(^|[-_])front$/.test(service)) return "front";
  return undefined;
}

/** `172.17.0.1:5000/getlago/api:v1.50.0` → v1.50.0; untagged or by digest → null. */
export function imageVersion(image: string): string | null {
  if (image.includes("@")) return null;
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > slash ? image.slice(colon + 1) : null;
}

/** The image without its tag. */
export const imageRepository = (image: string): string => {
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > slash ? image.slice(0, colon) : image;
};

const LABEL = "com.docker.compose";

/** One line per container of the project: `ctr|service|state|image|oneoff|ips|name`. */
export function surveyScript(project: string): string {
  const format = `ctr|{{index .Config.Labels "${LABEL}.service"}}|{{.State.Status}}|{{.Config.Image}}|` +
    `{{index .Config.Labels "${LABEL}.oneoff"}}|{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}|{{.Name}}`;
  return [
    `ids=$(docker ps -aq --filter ${
      quote(`label=${LABEL}.project=${project}`)
    } 2>&1) || { echo "nodocker $ids"; exit 0; }`,
    `[ -z "$ids" ] || docker inspect -f ${quote(format)} $ids`,
  ].join("\n");
}

export function parseSurvey(stdout: string): Container[] | { error: string } {
  const first = stdout.split("\n")[0] ?? "";
  if (first.startsWith("nodocker")) return { error: `docker does not answer: ${first.slice(9).trim()}` };
  const out: Container[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("ctr|")) continue;
    const [, service, state, image, oneoff, ips, name] = line.split("|");
    out.push({
      name: (name ?? "").replace(/^\//, ""),
      service,
      kind: serviceKind(service),
      state,
      image,
      version: imageVersion(image),
      oneoff: oneoff === "True" || oneoff === "true",
      ip: (ips ?? "").trim().split(/\s+/).find(Boolean) ?? "",
    });
  }
  return out;
}

const lasting = (cs: Container[]) => cs.filter((c) => !c.oneoff && c.kind !== undefined);

/**
 * The version a host runs: the one tag all its Lago containers share when they all run; "mixed" when
 * they differ or some are not running (an interrupted deploy); null when there are none.
 */
export function hostState(containers: Container[]): HostState {
  const cs = lasting(containers);
  const clocks = cs.filter((c) => c.kind === "clock" && c.state === "running").length;
  if (cs.length === 0) return { version: null, clocks };
  const versions = new Set(cs.map((c) => c.version));
  const allRunning = cs.every((c) => c.state === "running");
  const [only] = versions;
  return { version: versions.size === 1 && allRunning && only ? only : "mixed", clocks };
}

export interface ProbeTarget {
  name: string;
  kind: Kind;
  ip: string;
  port: number;
  path: string;
}

const PORTS: Record<Exclude<Kind, "clock">, [number, string]> = {
  api: [3000, "/health"],
  worker: [8080, "/"],
  front: [80, "/"],
};

export function probeTargets(containers: Container[]): ProbeTarget[] {
  return lasting(containers).filter((c) => c.state === "running" && c.kind !== "clock").map((c) => {
    const [port, path] = PORTS[c.kind as Exclude<Kind, "clock">];
    return { name: c.name, kind: c.kind!, ip: c.ip || "127.0.0.1", port, path };
  });
}

/**
 * One background probe printing `probe|NAME|status|body`, over bash's /dev/tcp (HTTP/1.0, 5 s). The
 * arguments are shell words (quoted, or variables of the script around it).
 */
export function probeLine(ip: string, port: string, path: string, name: string): string {
  const fetch = `exec 3<>"/dev/tcp/$1/$2" || exit 7; ` +
    `printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n' "$3" "$1" >&3; head -c 8192 <&3`;
  return `( r=$(timeout 5 bash -c ${quote(fetch)} probe ${ip} ${port} ${path} 2>/dev/null | tr -d '\\r' | ` +
    `awk 'NR==1 {s=$2} b {body=body $0} /^$/ {b=1} END {print s "|" body}'); echo "probe|${name}|$r" ) &`;
}

/** `probe|name|status|body` per target, in parallel. */
export function probeScript(targets: ProbeTarget[]): string {
  const lines = targets.map((t) => probeLine(quote(t.ip), String(t.port), quote(t.path), t.name));
  return [...lines, "wait"].join("\n");
}

export interface ProbeResult {
  status: number;
  body: string;
}

export function parseProbes(stdout: string): Map<string, ProbeResult> {
  const out = new Map<string, ProbeResult>();
  for (const line of stdout.split("\n")) {
    const m = /^probe\|([^|]+)\|(\d*)\|(.*)$/.exec(line);
    if (m) out.set(m[1], { status: Number(m[2] || 0), body: m[3] });
  }
  return out;
}

const KIND_OF: Partial<Record<LagoService, Kind>> = {
  api: "api",
  front: "front",
  worker: "worker",
  clock: "clock",
};

function apiProblem(p: ProbeResult | undefined, version: string): string | undefined {
  if (!p || p.status === 0) return "api does not answer on :3000";
  let body: { version?: string; details?: string; reason?: string; message?: string } = {};
  try {
    body = JSON.parse(p.body);
  } catch { /* not JSON */ }
  if (p.status !== 200) {
    const why = body.details ?? body.reason ?? body.message ?? p.body.slice(0, 200);
    return `api /health ${p.status}${why ? `: ${why}` : ""}`;
  }
  if (body.version !== undefined && body.version !== version) {
    return `api /health reports ${body.version}, not ${version}`;
  }
}

/**
 * Why the host is not healthy on `version`, or undefined. `expected` are the services it should run
 * (topology); each must have a running container of that version, and pass its check.
 */
export function judgeHealth(
  expected: LagoService[],
  version: string,
  containers: Container[],
  probes: Map<string, ProbeResult>,
): string | undefined {
  const problems: string[] = [];
  const cs = lasting(containers);
  for (const s of expected) {
    const kind = KIND_OF[s];
    if (!kind) continue;
    const mine = cs.filter((c) => c.kind === kind);
    const running = mine.filter((c) => c.state === "running");
    if (running.length === 0) {
      problems.push(
        mine.length ? `${kind} not running (${mine.map((c) => c.state).join(", ")})` : `no ${kind} container`,
      );
      continue;
    }
    const wrong = running.filter((c) => c.version !== version);
    if (wrong.length) {
      problems.push(`${kind} runs ${wrong.map((c) => c.version ?? c.image).join(", ")}`);
      continue;
    }
    if (kind === "clock") {
      if (running.length > 1) problems.push(`${running.length} clock containers run`);
      continue;
    }
    for (const c of running) {
      const p = probes.get(c.name);
      if (kind === "api") {
        const problem = apiProblem(p, version);
        if (problem) problems.push(problem);
      } else if (!p || p.status !== 200) {
        const port = PORTS[kind][0];
        problems.push(`${kind} :${port} ${p?.status ? `answers ${p.status}` : "does not answer"}`);
      }
    }
  }
  return problems.length ? problems.join("; ") : undefined;
}

/** docker_compose's one probe: the compose CLI, config hashes, services, containers and images. */
import { type Command, quote, raw } from "../../core/command.ts";
import type { ExecResult } from "../../core/types.ts";
import { probeFailed } from "../_util.ts";
import type { Probe } from "../types.ts";
import { type ComposeArgs, type ComposeFacts, type ComposeService, projectArgs } from "./args.ts";
import { CONFIG_AWK, DETECT, ENV_HASHES } from "./scripts.ts";

export const LABEL = "com.docker.compose";
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

export function composeProbe(a: ComposeArgs): Probe<ComposeFacts> {
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

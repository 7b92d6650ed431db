/**
 * Host facts: one shell snippet, one round trip, parsed by a pure function. Also reads the pending
 * handler notifications a failed earlier run left on the host, so they cost no extra round trip.
 */
import type { HostFacts } from "../core/types.ts";
import { PENDING_HANDLERS_FILE } from "../core/state-dir.ts";

export const hostFactsScript = [
  `if [ -r /etc/os-release ]; then . /etc/os-release; fi`,
  `echo "id=\${ID:-unknown}"`,
  `echo "id_like=\${ID_LIKE:-}"`,
  `echo "version_id=\${VERSION_ID:-}"`,
  `echo "codename=\${VERSION_CODENAME:-}"`,
  `echo "arch=$(uname -m)"`,
  `echo "kernel=$(uname -r)"`,
  `echo "hostname=$(hostname 2>/dev/null || cat /etc/hostname)"`,
  `if [ -d /run/systemd/system ]; then echo init=systemd; else echo init=other; fi`,
  `echo "user=$(id -un)"`,
  `echo "uid=$(id -u)"`,
  `if command -v docker >/dev/null 2>&1; then echo "docker=$(docker --version 2>/dev/null)";` +
  ` if docker compose version >/dev/null 2>&1; then echo compose_v2=1; fi; fi`,
  `if command -v docker-compose >/dev/null 2>&1; then echo compose_v1=1; fi`,
  `if [ -r ${PENDING_HANDLERS_FILE} ]; then sed 's/^/pending=/' ${PENDING_HANDLERS_FILE}; fi`,
].join("\n");

export function parseHostFacts(stdout: string): HostFacts {
  const kv = new Map<string, string>();
  const pending: string[] = [];
  for (const line of stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === "pending") {
      if (value && !pending.includes(value)) pending.push(value);
    } else kv.set(key, value);
  }
  const id = kv.get("id") ?? "unknown";
  const like = (kv.get("id_like") ?? "").split(" ");
  const docker = kv.get("docker");
  return {
    hostname: kv.get("hostname") ?? "",
    os_family: id === "debian" || like.includes("debian") ? "Debian" : id,
    distribution: id,
    distribution_version: kv.get("version_id") ?? "",
    distribution_release: kv.get("codename") ?? "",
    architecture: kv.get("arch") ?? "",
    kernel: kv.get("kernel") ?? "",
    init_system: kv.get("init") ?? "other",
    user: kv.get("user") ?? "",
    uid: Number(kv.get("uid") ?? -1),
    docker_present: docker !== undefined,
    docker_version: docker ? (/version ([\w.+~-]+)/.exec(docker)?.[1] ?? null) : null,
    compose_v2: kv.get("compose_v2") === "1",
    compose_v1: kv.get("compose_v1") === "1",
    pending_handlers: pending,
  };
}

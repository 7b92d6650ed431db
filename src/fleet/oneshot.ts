/**
 * One-shot containers beside a running Lago container: its image's successor (migrate, a bridge task)
 * or a tool image, with the environment compose gave it, on its networks. Shell functions and the
 * scripts built from them; nothing here decides anything.
 */
import { quote } from "../core/command.ts";
import type { BridgeStep } from "./bridges.ts";
import { countsCommand } from "./bridge-run.ts";

/**
 * Shell functions. `create_beside CONTAINER ENVFILE CREATE-ARGS...` creates a container (printing its id)
 * with the env file, on every network CONTAINER is on, so it reaches what CONTAINER reaches: the
 * project's internal data network and the outside. `beside CONTAINER ENVFILE IMAGE ARGS...` runs a
 * one-shot container that way, attached, removed afterwards; its exit code is the command's.
 */
export const BESIDE = `create_beside() {
  c=$1; env=$2; shift 2
  nets=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "$c") || return 1
  id=$(docker create --env-file "$env" --network "\${nets%% *}" "$@") || return 1
  for n in \${nets#* }; do [ "$n" = "\${nets%% *}" ] || docker network connect "$n" "$id" || return 1; done
  echo "$id"
}
beside() {
  c=$1; env=$2; shift 2
  docker ps -aq --filter label=lago-provision.oneshot=1 --filter status=exited | xargs -r docker rm >/dev/null
  id=$(create_beside "$c" "$env" --label lago-provision.oneshot=1 "$@") || return 1
  docker start -a "$id"; rc=$?
  docker rm -f "$id" >/dev/null 2>&1
  return $rc
}`;

/** The environment compose gave a container (its env minus what its image sets) into file `$1`. */
export const ENV_OF = `env_of() {
  i=$(mktemp)
  docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$(docker inspect -f '{{.Image}}' "$2")" > "$i" &&
    docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$2" | grep -vxF -f "$i" > "$1"
  rc=$?; rm -f "$i"; [ "$rc" -le 1 ]
}`;

/** Bridge task containers carry this label: a later run removes what a killed one left. */
const BRIDGE_LABEL = "lago-provision.bridge";

/**
 * Starts a bridge task's step detached, beside `container`, and prints `id ID`. The env file exists
 * only until the container is created (0600, removed).
 */
export function startStepScript(container: string, image: string, step: BridgeStep, version: string): string {
  const env = Object.entries(step.env ?? {}).map(([k, v]) => `printf '%s\\n' ${quote(`${k}=${v}`)} >> "$e"`);
  return [
    "set -u; umask 077",
    BESIDE,
    ENV_OF,
    `docker ps -aq --filter label=${BRIDGE_LABEL} | xargs -r docker rm -f >/dev/null`,
    `e=$(mktemp); trap 'rm -f "$e"' EXIT`,
    `env_of "$e" ${quote(container)} || exit 1`,
    ...env,
    `id=$(create_beside ${quote(container)} "$e" --label ${quote(`${BRIDGE_LABEL}=${version}`)} ` +
    `${quote(image)} ${step.command.map(quote).join(" ")}) || exit 1`,
    `docker start "$id" >/dev/null || exit 1`,
    `echo "id $id"`,
  ].join("\n");
}

/** `state RUNNING EXITCODE` then the container's last output lines. */
export const stepStateScript = (id: string): string =>
  `docker inspect -f 'state {{.State.Running}} {{.State.ExitCode}}' ${quote(id)} || exit 1\n` +
  `docker logs --tail 40 ${quote(id)} 2>&1`;

export const removeStepScript = (id: string): string => `docker rm -f ${quote(id)} >/dev/null 2>&1; true`;

/** Runs `args` (an image and its command, quoted) beside `container` with its environment (0600, removed). */
export function besideScript(container: string, args: string): string {
  return [
    "set -u; umask 077",
    BESIDE,
    ENV_OF,
    `e=$(mktemp); trap 'rm -f "$e"' EXIT`,
    `env_of "$e" ${quote(container)} || exit 1`,
    `beside ${quote(container)} "$e" ${args}`,
  ].join("\n");
}

/** The count queries, one number a line, in a one-shot container of `image` with `container`'s env. */
export const countsScript = (container: string, image: string, sql: string[]): string =>
  besideScript(container, `--entrypoint sh ${quote(image)} -c ${quote(countsCommand(sql))}`);

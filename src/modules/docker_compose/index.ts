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
import type { ExecResult } from "../../core/types.ts";
import { defineModule, type ModuleDefinition } from "../types.ts";
import { type ComposeArgs, composeArgs, type ComposeFacts } from "./args.ts";
import { composeProbe } from "./probe.ts";
import { planCompose } from "./plan.ts";

export type { ComposeContainer, ComposeFacts, ComposeService } from "./args.ts";

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

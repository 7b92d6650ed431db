/** docker_compose's arguments, what its probe sees, and the compose command line every step shares. */
import { z } from "zod";
import { type Command, raw, splitWords } from "../../core/command.ts";
import { absPath } from "../_util.ts";

const serviceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  error: "should be a compose service name (letters, digits, . _ -)",
});

export const composeArgs = z.object({
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
export type ComposeArgs = z.infer<typeof composeArgs>;

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

/** `-p NAME -f FILE... [--env-file FILE]`, the same for the probe and every step. */
export function projectArgs(a: ComposeArgs): string[] {
  return [
    "-p",
    a.project_name,
    ...a.files.flatMap((f) => ["-f", f]),
    ...(a.env_file ? ["--env-file", a.env_file] : []),
  ];
}

/** `cd project_src && CLI -p … -f … ARGS`: a compose command of a step. */
export function composeCommand(cli: string, a: ComposeArgs, ...rest: string[]): Command {
  return ["cd", a.project_src, raw("&&"), ...splitWords(cli), ...projectArgs(a), ...rest];
}

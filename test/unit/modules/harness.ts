/** Builds a ModuleContext from a fixture case: no network, no file system. */
import type { HostFacts } from "../../../src/core/types.ts";
import type { ModuleContext } from "../../../src/modules/types.ts";
import { renderText } from "../../../src/vars/template.ts";
import type { ModuleCase } from "./cases.ts";

export const testHost: HostFacts = {
  hostname: "h1",
  os_family: "Debian",
  distribution: "debian",
  distribution_version: "12",
  distribution_release: "bookworm",
  architecture: "x86_64",
  kernel: "6.1.0",
  init_system: "systemd",
  user: "root",
  uid: 0,
  docker_present: false,
  docker_version: null,
  compose_v2: false,
  compose_v1: false,
  pending_handlers: [],
};

export function contextFor(
  c: Pick<ModuleCase, "host" | "localFiles" | "vars" | "secrets">,
): ModuleContext {
  return {
    host: { ...testHost, ...c.host },
    readLocalFile(path) {
      const text = c.localFiles?.[path];
      if (text === undefined) throw new Error(`no such local file: ${path}`);
      return new TextEncoder().encode(text);
    },
    renderTemplate: (text, source) => renderText(text, c.vars ?? {}, source),
    vars: c.vars ?? {},
    secrets: c.secrets,
  };
}

/**
 * What Ansible reads with a warning but a run cannot mean, refused where it stands (issue 16): a name
 * that is both a group and a host (a pattern or --limit naming it is ambiguous), and an inventory that
 * has no hosts at all (a mistyped key, an empty file or directory: the run would change nothing and
 * say it succeeded). `lago-provision inventory` keeps Ansible's warnings; apply, plan, upgrade and lint
 * refuse. Pure: the parsed inventory in, problems out.
 */
import { displayPath, type Problem } from "../problems.ts";
import type { InventoryData } from "./inventory-data.ts";

/** Groups every inventory has; a host may not take their names either. */
const IMPLICIT = new Set(["all", "ungrouped"]);

export function inventoryMistakes(data: InventoryData, sources: string[], isDirectory: boolean): Problem[] {
  const problems: Problem[] = [];
  for (const host of data.hosts.values()) {
    if (!data.groups.has(host.name)) continue;
    const what = IMPLICIT.has(host.name) ? "a group every inventory has" : "a group";
    problems.push({
      ...host.source,
      path: "",
      message: `'${host.name}' is both ${what} and a host: a pattern or --limit naming it is ambiguous; ` +
        `rename the host or the group`,
    });
  }
  if (data.hosts.size === 0) {
    // The reason, when the inventory says it: a key that was skipped (a host written where groups go).
    const why = data.warnings.find((w) => w.message.startsWith("skipped:"));
    if (why) {
      problems.push({
        ...why,
        message: `the inventory has no hosts: ${why.message.replace(/^skipped: /, "")}; ` +
          "hosts go under a group's hosts: key (all: hosts: NAME:)",
      });
    } else {
      problems.push({
        file: displayPath(sources[0]),
        line: 1,
        col: 1,
        path: "",
        message: `the inventory has no hosts${isDirectory ? " (an empty directory)" : ""}: ` +
          `list them under all: hosts:, or give the inventory that has them`,
      });
    }
  }
  return problems;
}

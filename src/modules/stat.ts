/** stat: read facts about a path for `register` (exists, type, mode, owner, size, sha256). Changes nothing. */
import { z } from "zod";
import { parseStatResult, type PathStat, statCommand, type StatOptions } from "./_path.ts";
import { absPath, probeFailed } from "./_util.ts";
import { defineModule, type ModuleDefinition, unchanged } from "./types.ts";

const statArgs = z.object({
  path: absPath().describe("Path on the host."),
  follow: z.boolean().default(false).describe("Follow a symbolic link and describe what it points at."),
  get_checksum: z.boolean().default(true).describe("Compute the sha256 of a regular file (checksum)."),
}).strict();
type StatArgs = z.infer<typeof statArgs>;

const opts = (a: StatArgs): StatOptions => ({ follow: a.follow, checksum: a.get_checksum });

/** The register shape: `stat.exists`, `stat.isdir`, ... (Ansible's names). */
export function statResult(st: PathStat): Record<string, unknown> {
  if (!st.exists) return { exists: false };
  return {
    exists: true,
    isdir: st.type === "directory",
    isreg: st.type === "file",
    islnk: st.type === "link",
    mode: st.mode,
    owner: st.owner,
    group: st.group,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    mtime: st.mtime,
    ...(st.checksum ? { checksum: st.checksum } : {}),
    ...(st.linkTarget !== undefined ? { lnk_target: st.linkTarget } : {}),
  };
}

export const statModule: ModuleDefinition<StatArgs, PathStat> = defineModule({
  name: "stat",
  description: "Read facts about a path (exists, isdir, mode, owner, size, sha256 checksum) for register.",
  args: statArgs,
  probe: (a) => ({
    command: statCommand(a.path, opts(a)),
    parse(r) {
      if (r.exitCode !== 0) throw probeFailed(a.path, r);
      return parseStatResult(r, opts(a));
    },
  }),
  plan: (a, st) =>
    unchanged(
      st.exists ? `${a.path} is a ${st.type} (read only)` : `${a.path} does not exist (read only)`,
      { stat: statResult(st) },
    ),
});

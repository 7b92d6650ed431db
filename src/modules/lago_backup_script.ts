/**
 * lago_backup_script: the host backup script of `lago-provision backup` (src/backup/host-script.ts) as an
 * executable file on the host, for the scheduled backup (roles/lago_backup runs it from a systemd timer).
 * One source for both, so a scheduled backup is the same backup the command makes.
 */
import { z } from "zod";
import { BACKUP_ROOT, hostBackupScript } from "../backup/host-script.ts";
import { type ContentFacts, contentProbe, planContent } from "./_content.ts";
import { absPath } from "./_util.ts";
import { defineModule, type ModuleDefinition } from "./types.ts";

const scriptArgs = z.object({
  dest: absPath().default("/usr/local/sbin/lago-backup").describe("Where the script goes (mode 0755)."),
  dir: absPath().default(BACKUP_ROOT).describe("Where the backups are kept on the host."),
  keep: z.number().int().min(1).default(7).describe("How many backups stay on the host (the newest)."),
  project: z.string().min(1).default("lago").describe("The Compose project of Lago (lago_project)."),
  lago_dir: absPath().default("/opt/lago").describe("The folder of lago.env (lago_dir)."),
}).strict();
type ScriptArgs = z.infer<typeof scriptArgs>;

const settings = { mode: "0755", backup: false, force: true, sensitive: false } as const;

export const lagoBackupScriptModule: ModuleDefinition<ScriptArgs, ContentFacts> = defineModule({
  name: "lago_backup_script",
  description: "Install the script `lago-provision backup` runs on a Lago host, for scheduled backups.",
  args: scriptArgs,
  probe: (a) => contentProbe({ ...a, ...settings }),
  plan: (a, facts) =>
    planContent(
      {
        ...a,
        ...settings,
        content: new TextEncoder().encode(
          hostBackupScript({ dir: a.dir, keep: a.keep, project: a.project, lagoDir: a.lago_dir }),
        ),
      },
      facts,
    ),
});

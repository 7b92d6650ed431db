/**
 * Idempotence rules: tasks that change the host every time they run, or run whatever a download
 * contains. Playbooks are meant to be run again and again with nothing changed the second time.
 */
import { atPath, isMap, linesOf, type Project, tasksOf } from "./project.ts";
import type { Report, Rule } from "./types.ts";

export const idempotenceRules: Rule[] = [
  {
    id: "command-without-guard",
    family: "idempotence",
    severity: "warning",
    title: "command/shell without creates, removes or changed_when",
    explanation: "A command or shell task runs every time and reports `changed` every time, so a re-run " +
      "is never clean and handlers it notifies always fire. Say when it has already been done: " +
      "`creates:` (a path the command makes), `removes:` (a path it deletes), `changed_when:` (for " +
      "read-only commands, `changed_when: false`), or run it only after a change (`when: x is changed`). Better still, use a module that checks first (package, " +
      "file, copy, template, service, git).",
  },
  {
    id: "curl-pipe-shell",
    family: "idempotence",
    severity: "warning",
    title: "A download is piped straight into a shell",
    explanation: "`curl ... | sh` and `wget -O- ... | bash` run whatever the server returns today, " +
      "unverified and as a different script on every run: not repeatable, not reviewable, and a " +
      "compromised or mistyped URL runs as root. Download to a file with a checksum (or install from a " +
      "package repository), then run the file, guarded with `creates:`.",
  },
];

const GUARDS = ["creates", "removes"];
const CURL_PIPE_SH = /\b(?:curl|wget)\b[^|\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:ba|z|da|k)?sh\b/;

/** `when: x is changed` (or `x.changed`): the command runs only after an earlier task changed something. */
function runsOnlyAfterChange(when: unknown): boolean {
  const conditions = Array.isArray(when) ? when : [when];
  return conditions.some((c) => typeof c === "string" && /\bis\s+changed\b|\.changed\b/.test(c));
}

export function checkIdempotence(project: Project, report: Report): void {
  for (const f of project.files) {
    if (f.kind === "template" || f.kind === "file") {
      linesOf(f).forEach((line, i) => {
        const m = CURL_PIPE_SH.exec(line);
        if (m) report("curl-pipe-shell", f.file, { line: i + 1, col: m.index + 1 }, pipeMessage);
      });
      continue;
    }
    for (const t of tasksOf(f, project.modules)) {
      if (t.module !== "command" && t.module !== "shell") continue;
      const args = isMap(t.args) ? t.args : {};
      const cmd = typeof args.cmd === "string" ? args.cmd : "";
      const argsPath = [...t.path, t.module];
      const m = CURL_PIPE_SH.exec(cmd);
      if (m) report("curl-pipe-shell", f.file, f.doc!.locate(argsPath), atPath(f, argsPath, pipeMessage));
      if (GUARDS.some((g) => args[g] !== undefined) || t.raw.changed_when !== undefined) continue;
      if (runsOnlyAfterChange(t.raw.when)) continue;
      report(
        "command-without-guard",
        f.file,
        f.doc!.locate(argsPath, "key"),
        `${t.module} runs on every apply: add creates, removes or changed_when`,
      );
    }
  }
}

const pipeMessage = "a download piped into a shell: download to a file, verify it, then run it";

/**
 * The first thing zod found wrong with a state file (a plan, the secrets store, the run journal), as
 * `path/to/key: message`: one line for the file's one error.
 */
import type { z } from "zod";

export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.map(String).join("/") || "top level"}: ${issue.message}`;
}

/** copy: a file on the host with given content (inline, or a file from the role's `files/`). */
import { z } from "zod";
import { contentArgs, type ContentFacts, contentProbe, planContent } from "./_content.ts";
import { defineModule, type ModuleDefinition } from "./types.ts";

const copyArgs = z.object({
  ...contentArgs,
  content: z.string().optional().describe("The file's content as text (give content or src)."),
  src: z.string().min(1).optional().describe(
    "A file on the control machine, looked up in the role's files/ directory (give content or src).",
  ),
}).strict().superRefine((a, ctx) => {
  if (a.content !== undefined && a.src !== undefined) {
    ctx.addIssue({ code: "custom", path: ["src"], message: "give content or src, not both" });
  }
  if (a.content === undefined && a.src === undefined) {
    ctx.addIssue({ code: "custom", path: [], message: "give content (text) or src (a file under files/)" });
  }
});
type CopyArgs = z.infer<typeof copyArgs>;

export const copyModule: ModuleDefinition<CopyArgs, ContentFacts> = defineModule({
  name: "copy",
  description:
    "Put a file on the host, from inline content or a local file; replaced atomically when it differs.",
  args: copyArgs,
  probe: (a) => contentProbe(a),
  plan: (a, facts, ctx) =>
    planContent(
      {
        ...a,
        content: a.src !== undefined
          ? ctx.readLocalFile(a.src, "files")
          : new TextEncoder().encode(a.content ?? ""),
      },
      facts,
    ),
});

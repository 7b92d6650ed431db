/** template: a handlebars file from the role's `templates/`, rendered with the task's variables. */
import { z } from "zod";
import { contentArgs, type ContentFacts, contentProbe, planContent } from "./_content.ts";
import { defineModule, type ModuleDefinition } from "./types.ts";

const templateArgs = z.object({
  src: z.string().min(1).describe(
    "A handlebars template on the control machine, looked up in the role's templates/ directory.",
  ),
  ...contentArgs,
}).strict();
type TemplateArgs = z.infer<typeof templateArgs>;

export const templateModule: ModuleDefinition<TemplateArgs, ContentFacts> = defineModule({
  name: "template",
  description:
    "Render a handlebars template (strict: undefined variables are errors) into a file on the host.",
  args: templateArgs,
  probe: (a) => contentProbe(a),
  plan(a, facts, ctx) {
    const text = new TextDecoder().decode(ctx.readLocalFile(a.src, "templates"));
    const content = new TextEncoder().encode(ctx.renderTemplate(text, a.src));
    return planContent({ ...a, content }, facts);
  },
});

/**
 * A fixed module registry for the config tests: the real command/shell plus small stand-ins, so the
 * golden error messages do not change whenever a real module gains an argument.
 */
import { z } from "zod";
import { commandModule, shellModule } from "../../../src/modules/command.ts";
import { importTasksModule } from "../../../src/modules/import_tasks.ts";
import { defineModule, type ModuleDefinition, unchanged } from "../../../src/modules/types.ts";

const stub = (name: string, description: string, args: z.ZodType): ModuleDefinition =>
  defineModule({ name, description, args, probe: () => null, plan: () => unchanged("stand-in") });

// A custom zod message (type) and examples (pattern): both reach the messages through the JSON Schema.
const mode = z.string({ error: 'should be a string like "0640"' }).regex(/^0?[0-7]{3,4}$/).meta({
  examples: ["0640"],
});
const absolute = z.string().regex(/^\//, { error: "should be an absolute path (starting with /)" });
const path = z.string().min(1);

export const testModules: Record<string, ModuleDefinition> = {
  command: commandModule,
  shell: shellModule,
  import_tasks: importTasksModule,
  copy: stub(
    "copy",
    "Put a file on the host.",
    z.object({
      dest: absolute.describe("Path on the host."),
      src: path.optional().describe("Local file."),
      content: z.string().optional().describe("Inline content."),
      mode: mode.optional().describe("Octal permissions."),
      backup: z.boolean().default(false).describe("Keep a copy."),
    }).strict(),
  ),
  template: stub(
    "template",
    "Render a template into a file on the host.",
    z.object({
      src: path.describe("Template file."),
      dest: path.describe("Path on the host."),
      mode: mode.optional().describe("Octal permissions."),
    }).strict(),
  ),
  service: stub(
    "service",
    "Start, stop, enable a systemd service.",
    z.object({
      name: z.string().min(1).describe("Unit name."),
      state: z.enum(["started", "stopped", "restarted", "reloaded"]).optional().describe("Wanted state."),
      enabled: z.boolean().optional().describe("Start at boot."),
    }).strict(),
  ),
  wait_for: stub(
    "wait_for",
    "Wait for a port.",
    z.object({
      port: z.number().int().min(1).max(65535).describe("TCP port."),
      timeout: z.number().int().min(1).default(60).describe("Seconds."),
    }).strict(),
  ),
};

/** The module registry. A new module: one file in src/modules/, one line here, one cases table in test/. */
import { commandModule, shellModule } from "./command.ts";
import type { ModuleDefinition } from "./types.ts";

export const modules: Record<string, ModuleDefinition> = {
  command: commandModule,
  shell: shellModule,
};

export const moduleNames = (): string[] => Object.keys(modules).sort();

/** The module registry. A new module: one file in src/modules/, one line here, one cases table in test/. */
import { assertModule } from "./assert.ts";
import { commandModule, shellModule } from "./command.ts";
import { copyModule } from "./copy.ts";
import { debugModule } from "./debug.ts";
import { dockerComposeModule } from "./docker_compose/index.ts";
import { fileModule } from "./file.ts";
import { gitModule } from "./git.ts";
import { importTasksModule } from "./import_tasks.ts";
import { lagoBackupScriptModule } from "./lago_backup_script.ts";
import { lagoSecretsModule } from "./lago_secrets.ts";
import { packageModule } from "./package.ts";
import { serviceModule } from "./service.ts";
import { setFactModule } from "./set_fact.ts";
import { statModule } from "./stat.ts";
import { templateModule } from "./template.ts";
import type { ModuleDefinition } from "./types.ts";
import { waitForModule } from "./wait_for.ts";

export const modules: Record<string, ModuleDefinition> = {
  command: commandModule,
  shell: shellModule,
  package: packageModule,
  // Ansible users write `apt:`; the same definition under a second name.
  apt: packageModule,
  file: fileModule,
  copy: copyModule,
  template: templateModule,
  service: serviceModule,
  wait_for: waitForModule,
  git: gitModule,
  debug: debugModule,
  assert: assertModule,
  docker_compose: dockerComposeModule,
  stat: statModule,
  lago_secrets: lagoSecretsModule,
  lago_backup_script: lagoBackupScriptModule,
  set_fact: setFactModule,
  import_tasks: importTasksModule,
};

export const moduleNames = (): string[] => Object.keys(modules).sort();

/**
 * Ansible's names for our modules and their arguments (ansible-core 2.14, `ansible-doc -j`; checked by
 * test/ansible/modules.expected.json): `ansible.builtin.copy` is `copy`, `file: dest` is `file: path`.
 * Pure data and lookups; src/config/task-names.ts renames a task's keys before it is validated.
 */

/** Our modules Ansible ships in ansible.builtin (ansible.legacy.X names them too). */
const BUILTIN = [
  "apt",
  "assert",
  "command",
  "copy",
  "debug",
  "file",
  "git",
  "import_tasks",
  "package",
  "service",
  "shell",
  "stat",
  "template",
  "wait_for",
];

const COLLECTIONS = ["ansible.builtin", "ansible.legacy"];

/**
 * Ansible's other names for arguments we take under their main name, by module: alias → main name.
 * Only aliases of arguments we have (`file: attr` is Ansible's `attributes`, which we do not take).
 */
export const ARGUMENT_ALIASES: Record<string, Record<string, string>> = {
  apt: {
    package: "name",
    pkg: "name",
    "update-cache": "update_cache",
    "install-recommends": "install_recommends",
  },
  package: {
    package: "name",
    pkg: "name",
    "update-cache": "update_cache",
    "install-recommends": "install_recommends",
  },
  assert: { msg: "fail_msg" },
  file: { dest: "path", name: "path" },
  git: { name: "repo" },
  stat: { dest: "path", name: "path" },
};

/** The module a task key names: the key itself when the registry has it, or its Ansible long name's. */
export function moduleKeyOf(key: string, registry: Record<string, unknown>): string | undefined {
  if (key in registry) return key;
  const dot = key.lastIndexOf(".");
  const short = key.slice(dot + 1);
  return COLLECTIONS.includes(key.slice(0, dot)) && BUILTIN.includes(short) && short in registry
    ? short
    : undefined;
}

/** Every long name of the registry's modules (`ansible.builtin.copy` → `copy`), for docs and tests. */
export function longModuleNames(registry: Record<string, unknown>): Map<string, string> {
  const names = BUILTIN.filter((m) => m in registry);
  return new Map(COLLECTIONS.flatMap((c) => names.map((m) => [`${c}.${m}`, m] as [string, string])));
}

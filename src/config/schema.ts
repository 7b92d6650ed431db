/**
 * The zod schemas of every configuration file: task keywords, plays, playbooks, role files and the
 * inventory. Every key is described: the descriptions become the JSON Schemas in `schemas/` (editor
 * completion and hover), and `lago-provision docs`. Module arguments are not here: each module owns
 * its zod schema and `json-schema.ts` puts them into the task schema.
 */
import { z } from "zod";
import { roleVarsShape } from "./role-vars.ts";
import { templateString } from "./template-string.ts";

export { templateString };

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: "should be a variable name: letters, digits and _, not starting with a digit",
}).meta({ examples: ["web_result"] });

/** A condition: an expression (`app_port == 8080`), a boolean, or a list that must all hold. */
const condition = z.union([z.string(), z.boolean(), z.array(z.union([z.string(), z.boolean()]))]);
const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1))]);
const varsMap = z.record(z.string(), z.unknown());
/** Variables anywhere: any name, the roles' variables typed (src/config/role-vars.ts). */
const typedVars = z.object(roleVarsShape).catchall(z.unknown());

/** Ansible keywords a task or play cannot have here, each with what to write instead. */
const REMOTE_USER = "not supported: each host has one connection, as its inventory's ansible_user; set " +
  "ansible_user for the host or group (group_vars), or run a task as another user with become: true and " +
  "become_user";
const refused = (message: string) => z.never().describe(message);
const NO_HANDLER_BLOCK =
  "not supported in handlers: give each task of the block its own handler (notify can " +
  "name several, or use the same listen topic)";

/** Stands for a task (or handler) inside a play or block; replaced by `$ref` to the generated task schema. */
export const taskRef = z.unknown().describe("A task: a name, one module with its arguments, and keywords.");

/**
 * Task keywords: everything in a task that is not the module. The engine reads them; the module
 * never sees them.
 */
export const taskKeywords = z.object({
  name: z.string().min(1).describe("What this task does, shown in the output."),
  when: condition.describe(
    "Run the task only when this holds: an expression, a boolean, or a list of them that must all hold.",
  ),
  loop: z.union([z.array(z.unknown()), templateString]).describe(
    'Run the task once per item: a list, or "{{ var }}" naming a list. The item is in `item`.',
  ),
  with_items: z.union([z.array(z.unknown()), templateString]).describe(
    "Ansible's older loop: like `loop`, with lists inside the list flattened one level (a single value " +
      "is a list of one).",
  ),
  with_list: z.union([z.array(z.unknown()), templateString]).describe(
    "Ansible's older loop: the same as `loop`.",
  ),
  with_dict: z.union([varsMap, templateString]).describe(
    "Loop over a mapping's entries: `item.key` and `item.value`, in the mapping's order.",
  ),
  loop_control: z.object({
    loop_var: identifier.describe("Name of the loop item variable instead of `item` (for nested loops)."),
  }).strict().describe("How the loop names its item."),
  register: identifier.describe("Save the task's result (changed, failed, rc, stdout ...) in this variable."),
  notify: stringOrList.describe(
    "Handlers to run at the end of the play when this task changed something (handler names or `listen` topics).",
  ),
  tags: stringOrList.describe("Tags for --tags / --skip-tags."),
  changed_when: condition.describe(
    "Report the task as changed only when this holds (evaluated after it ran).",
  ),
  failed_when: condition.describe("Report the task as failed when this holds, instead of by exit code."),
  ignore_errors: z.boolean().describe(
    "Go on with the host when this task fails (the failure is still shown).",
  ),
  become: z.boolean().describe("Run this task as another user (sudo); see become_user."),
  become_user: z.string().min(1).describe("User to become (default root)."),
  vars: varsMap.describe("Variables for this task only."),
  no_log: z.boolean().describe("Hide the task's arguments, output and diff (for tasks that handle secrets)."),
  check_mode: z.boolean().describe(
    "false: run for real even under --check (for read-only commands whose output later tasks use); " +
      "true: only report what would change, even in apply.",
  ),
  run_once: z.boolean().describe(
    "Run on the first host of the batch only; its result (registered, changed, failed) stands for every host.",
  ),
  remote_user: refused(REMOTE_USER),
  block: z.array(taskRef).describe(
    "Tasks run as a group: the block's when, become, vars, tags… apply to each of them. When one fails on a " +
      "host, the rest of the block is skipped there and `rescue` runs; `always` runs in any case.",
  ),
  rescue: z.array(taskRef).describe(
    "Tasks run on a host where a task of the block failed (ansible_failed_task and ansible_failed_result " +
      "say which and how); when they succeed the host goes on as if nothing failed.",
  ),
  always: z.array(taskRef).describe(
    "Tasks run after the block (and its rescue) on every host that entered it, failed or not.",
  ),
  include_tasks: refused(
    "not supported: use import_tasks with the same file (read when the playbook loads; its tasks take the " +
      "import's when, tags and vars); a loop over an included file: loop over each of its tasks",
  ),
}).partial().strict();

/** A handler: a task that runs at the end of the play when notified. */
export const handlerKeywords = taskKeywords.extend({
  name: z.string().min(1).describe("The handler's name, as used by `notify`."),
  block: refused(NO_HANDLER_BLOCK).optional(),
  rescue: refused(NO_HANDLER_BLOCK).optional(),
  always: refused(NO_HANDLER_BLOCK).optional(),
  listen: stringOrList.optional().describe("Other names (topics) this handler answers to in `notify`."),
});

export const handlerRef = z.unknown().describe("A handler: a task with a name, run when notified.");

// 0% is refused like 0: Ansible turns it into batches of one host, which nobody writing 0% meant.
const percent = z.string().regex(/^(?!0+(\.0+)?%$)\d+(\.\d+)?%$/, {
  error: 'should be a percentage above 0 like "30%" (omit serial to run every host at once)',
}).meta({ examples: ["30%"] });
const batch = z.union([
  z.number().int().min(1, { error: "should be at least 1 (omit serial to run every host at once)" }),
  percent,
]);

const roleEntry = z.union([
  z.string().min(1).describe("Role name (a folder in roles/)."),
  z.object({
    role: z.string().min(1).describe("Role name (a folder in roles/)."),
    vars: varsMap.optional().describe("Role parameters: variables for this role's tasks (high precedence)."),
    when: condition.optional().describe("Run the role's tasks only when this holds."),
    tags: stringOrList.optional().describe("Tags added to every task of the role."),
  }).strict(),
]);

export const playSchema = z.object({
  name: z.string().min(1).optional().describe("What this play does, shown in the output."),
  hosts: stringOrList.describe(
    "Host pattern: all, a group or host name, a glob (lago-*), web:db (or), web:&prod (and), web:!db (not).",
  ),
  vars: typedVars.optional().describe("Variables for every task of the play."),
  vars_files: z.array(z.string().min(1)).optional().describe(
    "YAML files of variables, relative to the playbook; they override `vars`.",
  ),
  roles: z.array(roleEntry).optional().describe(
    "Roles to run (their tasks come after pre_tasks and before tasks): names or {role, vars}.",
  ),
  pre_tasks: z.array(taskRef).optional().describe("Tasks that run before the roles."),
  tasks: z.array(taskRef).optional().describe("Tasks that run after the roles."),
  post_tasks: z.array(taskRef).optional().describe("Tasks that run after `tasks`."),
  handlers: z.array(handlerRef).optional().describe("Tasks that run at the end of the play when notified."),
  become: z.boolean().optional().describe(
    "Run every task as another user (sudo) unless a task says otherwise.",
  ),
  become_user: z.string().min(1).optional().describe("User to become (default root)."),
  remote_user: z.never().optional().describe(REMOTE_USER),
  serial: z.union([batch, z.array(batch).min(1)]).optional().describe(
    'Rolling batches: a host count, a percentage ("30%"), or a list of them (the last repeats).',
  ),
  gather_facts: z.boolean().optional().describe("Gather host facts at the start of the play (default true)."),
  any_errors_fatal: z.boolean().optional().describe("Stop the whole play as soon as any host fails."),
  max_fail_percentage: z.number().min(0).max(100).optional().describe(
    "Stop the play when more than this percentage of a batch's hosts failed.",
  ),
}).strict().describe("A play: which hosts, and what to run on them.");

export const playbookSchema = z.array(playSchema).describe("A playbook: a list of plays, run in order.");

const port = z.number().int().min(1).max(65535);
/** A whole number written as text (`ansible_port: "2222"`), which Ansible accepts too. */
const digits = z.string().regex(/^\s*\d+\s*$/, { error: "should be a whole number" }).meta({
  examples: ["2222"],
});
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: "should be the name of an environment variable, like LAGO_SSH_PASSWORD",
}).meta({ examples: ["LAGO_SSH_PASSWORD"] });
const templated = <T extends z.ZodType>(schema: T) => z.union([schema, templateString]);

const NO_BECOME_PASSWORD = "not supported: sudo runs without a password (sudo -n); give the login user " +
  "passwordless sudo, or log in as the user directly (ansible_user)";

/**
 * Variables of a host or group (inventory, group_vars/, host_vars/). The connection variables
 * (Ansible's names) are checked; any other key is a user variable.
 */
export const hostVarsSchema = z.object({
  ansible_host: z.string().min(1).optional().describe(
    "Address to connect to (name or IP); defaults to the host's inventory name.",
  ),
  ansible_port: z.union([port, digits, templateString]).optional().describe("SSH port (default 22)."),
  ansible_user: z.string().min(1).optional().describe("User to log in as (default: the current user)."),
  ansible_ssh_private_key_file: z.string().min(1).optional().describe("Private key file to log in with."),
  ansible_password_env: envName.optional().describe(
    "Name of the environment variable that holds the SSH password (the password never goes in a file).",
  ),
  ssh_password_env: envName.optional().describe("Same as ansible_password_env."),
  ansible_password: z.never().optional().describe(
    "not supported: passwords never go in the inventory; put it in an environment variable and name " +
      "that variable in ansible_password_env",
  ),
  ansible_ssh_pass: z.never().optional().describe(
    "not supported: passwords never go in the inventory; put it in an environment variable and name " +
      "that variable in ansible_password_env",
  ),
  ansible_become_password: z.never().optional().describe(NO_BECOME_PASSWORD),
  ansible_become_pass: z.never().optional().describe(NO_BECOME_PASSWORD),
  ansible_sudo_pass: z.never().optional().describe(NO_BECOME_PASSWORD),
  ansible_ssh_host: z.string().min(1).optional().describe("Ansible's older name for ansible_host."),
  ansible_ssh_port: z.union([port, digits, templateString]).optional().describe(
    "Ansible's older name for ansible_port.",
  ),
  ansible_ssh_user: z.string().min(1).optional().describe("Ansible's older name for ansible_user."),
  ansible_private_key_file: z.string().min(1).optional().describe(
    "Same as ansible_ssh_private_key_file (which wins when both are set, as in Ansible).",
  ),
  ansible_ssh_common_args: z.string().optional().describe(
    "ssh options for this host, as Ansible passes them to ssh: -o Key=Value, -J, -p, -l, -i, -F, -A " +
      "(docs/from-ansible.md); others are refused.",
  ),
  ansible_ssh_extra_args: z.string().optional().describe("Same as ansible_ssh_common_args, which wins."),
  ansible_ssh_args: z.string().optional().describe("Same as ansible_ssh_common_args; these win over both."),
  ansible_become_method: z.union([
    z.enum(["sudo", "ansible.builtin.sudo"], {
      error: "should be sudo: lago-provision becomes another user with sudo -n (give the login user " +
        "passwordless sudo, or log in as that user with ansible_user)",
    }),
    templateString,
  ]).optional()
    .describe(
      "sudo only: lago-provision becomes another user with sudo -n; give the login user passwordless sudo, " +
        "or log in as the user directly (ansible_user).",
    ),
  ansible_become: templated(z.boolean()).optional().describe(
    "Run tasks as another user (sudo) on this host.",
  ),
  ansible_become_user: z.string().min(1).optional().describe("User to become (default root)."),
  ansible_connection: z.union([
    z.enum([
      "ssh",
      "local",
      "smart",
      "paramiko",
      "paramiko_ssh",
      "ansible.builtin.ssh",
      "ansible.builtin.local",
    ], {
      error: "should be ssh or local: lago-provision connects over SSH, or runs on this machine (local)",
    }),
    templateString,
  ]).optional().describe(
    "ssh (default; smart and paramiko mean ssh too), or local to run on the control machine without SSH.",
  ),
  jump_host: z.string().min(1).optional().describe(
    "Reach this host through another one (like ssh -J): user@host:port, or the name of an inventory host.",
  ),
  known_hosts_file: z.string().min(1).optional().describe(
    "known_hosts file to check host keys against " +
      "(default ~/.ssh/known_hosts).",
  ),
  host_key_checking: z.enum(["strict", "accept-new"]).optional().describe(
    "strict (default): unknown or changed host keys are refused; accept-new: unknown keys are recorded, " +
      "changed ones refused.",
  ),
  ansible_group_priority: z.union([z.number().int(), digits]).optional().describe(
    "Group vars only: among groups of the same depth, higher priority wins (default 1).",
  ),
  ...roleVarsShape,
}).catchall(z.unknown()).describe(
  "Variables: connection settings (ansible_*) and any variables of your own.",
);

/** One inventory group: its hosts, child groups and variables. */
export const groupSchema: z.ZodType = z.object({
  hosts: z.union([z.string().min(1), z.record(z.string(), hostVarsSchema.nullable())]).nullable().optional()
    .describe(
      "Hosts of this group: name (with an optional :port) → variables (or empty), or a single name. Ranges " +
        "such as web[01:03] expand to several hosts.",
    ),
  get children() {
    return z.record(z.string(), groupSchema.nullable()).nullable().optional().describe(
      "Child groups: name → group.",
    );
  },
  vars: hostVarsSchema.nullable().optional().describe("Variables for every host of this group."),
}).strict().describe("An inventory group.").meta({ id: "group" });

export const inventorySchema = z.record(z.string(), groupSchema.nullable()).describe(
  "An Ansible YAML inventory: `all:` (and optionally other top-level groups) with hosts, children and vars.",
);

/** Role defaults/ and vars/ files and play vars_files: any mapping of variables. */
export const varsFileSchema = typedVars.describe("Variables: name → value.");

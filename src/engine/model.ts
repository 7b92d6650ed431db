/**
 * What the engine runs: plays and tasks after loading and validation, with task keywords separated
 * from module arguments (a module never sees `when` or `notify`).
 */

export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

export interface TaskKeywords {
  when?: string | boolean | (string | boolean)[];
  loop?: unknown[] | string;
  loop_var?: string;
  register?: string;
  notify?: string[];
  tags?: string[];
  changed_when?: string | boolean | (string | boolean)[];
  failed_when?: string | boolean | (string | boolean)[];
  ignore_errors?: boolean;
  become?: boolean;
  become_user?: string;
  vars?: Record<string, unknown>;
  no_log?: boolean;
  /** Overrides the run's mode for this task: false runs it under --check, true never applies it. */
  check_mode?: boolean;
  /** Run on the first host of the batch only; its result stands for every host of the batch. */
  run_once?: boolean;
  /** Handlers only: extra names this handler answers to. */
  listen?: string[];
}

export interface RoleRef {
  name: string;
  dir: string;
}

export interface Task {
  name: string;
  module: string;
  args: Record<string, unknown>;
  keywords: TaskKeywords;
  source: SourceRef;
  role?: RoleRef;
  /** Variables the task's role brings: defaults (lowest precedence) and role vars/params. */
  roleDefaults?: Record<string, unknown>;
  roleVars?: Record<string, unknown>;
}

export interface Play {
  name: string;
  hosts: string;
  vars: Record<string, unknown>;
  tasks: Task[];
  handlers: Task[];
  become?: boolean;
  becomeUser?: string;
  serial?: (number | string)[];
  gatherFacts: boolean;
  maxFailPercentage?: number;
  anyErrorsFatal?: boolean;
  source: SourceRef;
}

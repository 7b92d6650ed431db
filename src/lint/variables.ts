/**
 * Variable rules: every `{{ }}` in task arguments, vars and template files, and every `when:` /
 * `changed_when:` / `failed_when:` expression, must read variables that something defines; and every
 * variable a role defines in defaults/ or vars/ should be read somewhere.
 *
 * Scopes follow the engine's precedence layers, without values: a play's tasks see the inventory
 * (hosts, groups, group_vars/, host_vars/), the play's vars and vars_files, its roles' defaults, vars
 * and parameters, every `register:` of the play, the task's own vars and loop variable, and facts
 * (`facts`, `ansible_*`, `inventory_hostname`). A role's tasks see the same through every play that
 * uses the role. A template file sees what the tasks that render it see.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { didYouMean } from "../core/suggest.ts";
import { readYaml } from "../config/yaml.ts";
import { isMagicName } from "../vars/magic.ts";
import type { KeyPath } from "../config/yaml.ts";
import { UserError } from "../core/errors.ts";
import { parseExpression, referencedVariables } from "../vars/expression.ts";
import { describeJinja, findJinja, mayHaveJinja } from "../vars/jinja.ts";
import { scanTemplate } from "./handlebars.ts";
import { templateMistakes } from "../vars/template-check.ts";
import {
  atPath,
  isMap,
  listOf,
  type PlaySite,
  playsOf,
  positionInValue,
  type Project,
  roleDirOf,
  type SourceFile,
  type TaskSite,
  tasksOf,
  walkValues,
} from "./project.ts";
import type { Position, Report, Rule } from "./types.ts";

export const variableRules: Rule[] = [
  {
    id: "jinja2",
    family: "variables",
    severity: "error",
    title: "Jinja2 where templates are handlebars",
    explanation: "Templates, task arguments and variables are rendered with handlebars, not Jinja2: " +
      "`{% if %}`, `{% for %}`, `{# #}` and `{{ x | filter }}` would not render, and apply refuses them " +
      "before contacting any host. The message shows the handlebars that does the same when there is " +
      'one (`{{#if x}}`, `{{#each xs as |x|}}`, `{{default x "y"}}`); `lago-provision convert-templates ' +
      "--write` rewrites the common forms in template files. See docs/from-ansible.md.",
  },
  {
    id: "template-syntax",
    family: "variables",
    severity: "error",
    title: "A template or condition does not parse",
    explanation: "A `{{ }}` template (in a task argument, a variable or a template file) or a " +
      "`when:`/`changed_when:`/`failed_when:` expression cannot work: a syntax error (an unclosed `{{#if}}` " +
      "block, a stray brace, an operator with nothing after it), a helper that does not exist or gets the " +
      "wrong number of arguments, or a partial (Jinja is the rule jinja2). Apply " +
      "refuses it too when the files load, before any host is contacted.",
  },
  {
    id: "undefined-variable",
    family: "variables",
    severity: "error",
    title: "A template or condition reads a variable nothing defines",
    explanation: "Templates are strict: a variable that no scope defines is an error at run time, never " +
      "an empty string. Lint looks for it in role defaults and vars, play vars and vars_files, the " +
      "inventory (group_vars/, host_vars/), registered results, loop variables and facts (`facts`, " +
      "`ansible_*`, `inventory_hostname`). Define it (role defaults document a role's variables), fix the " +
      'typo (the message suggests the nearest name), or give a fallback with `{{default name "value"}}`. ' +
      "Variables passed only with `-e` can be declared in .lago-provision-lint.yml under `vars:`.",
  },
  {
    id: "unused-variable",
    family: "variables",
    severity: "warning",
    title: "A role variable is defined but never used",
    explanation: "A variable in a role's defaults/ or vars/ that no template, task argument or condition " +
      "reads is dead configuration: often a leftover after a rename, or a misspelling of the name the " +
      "templates actually use, so the value an operator sets has no effect. Remove it or use it.",
  },
];

type Scope = ReadonlySet<string>;

/** Task keys that are not rendered (names, references), or are conditions (checked as expressions). */
const NOT_RENDERED = new Set(["name", "register", "notify", "tags", "listen", "loop_control", "no_log"]);
const CONDITIONS = ["when", "changed_when", "failed_when"];

interface RoleDefs {
  defined: Set<string>;
  /** Plays that use the role. */
  users: PlaySite[];
}

const keysOf = (v: unknown): string[] => (isMap(v) ? Object.keys(v) : []);
const registeredIn = (tasks: TaskSite[]) =>
  tasks.flatMap((t) => (typeof t.raw.register === "string" ? [t.raw.register] : []));

export interface VariableOptions {
  /** Names known to be given at run time (`-e`), from the config file. */
  extraVars?: string[];
}

export function checkVariables(project: Project, report: Report, options: VariableOptions = {}): void {
  new VariableChecker(project, report, new Set(options.extraVars)).run();
}

class VariableChecker {
  readonly used = new Set<string>();
  readonly inventory = new Set<string>();
  readonly roles = new Map<string, RoleDefs>();
  readonly everything = new Set<string>();
  /** Template file → scopes of the tasks that render it. */
  readonly templateScopes = new Map<string, Set<string>[]>();
  readonly playScopes = new Map<string, Scope>();
  readonly roleScopes = new Map<string, Scope>();
  readonly byAbs: Map<string, SourceFile>;

  constructor(readonly project: Project, readonly report: Report, readonly extra: Set<string>) {
    this.byAbs = new Map(project.files.map((f) => [f.abs, f]));
  }

  run(): void {
    this.collect();
    const { files, modules } = this.project;
    for (const f of files) {
      if (f.kind === "playbook") {
        const tasks = tasksOf(f, modules);
        for (const play of playsOf(f)) {
          const scope = this.playScope(play);
          this.checkValue(f, [play.index, "vars"], play.raw.vars, scope);
          for (const r of play.roles) {
            this.checkValue(f, [...r.path, "vars"], r.vars, scope);
            const entry = listOf(play.raw.roles)[r.path[2] as number];
            if (isMap(entry)) this.checkCondition(f, [...r.path, "when"], entry.when, scope);
          }
          for (const t of tasks) if (t.play?.index === play.index) this.checkTask(t, scope);
        }
      } else if (f.kind === "tasks" || f.kind === "handlers") {
        const scope = f.role ? this.roleScope(f.role) : this.everything;
        for (const t of tasksOf(f, modules)) this.checkTask(t, scope);
      } else if (f.doc && f.kind !== "template" && f.kind !== "file") {
        this.checkValue(f, [], f.doc.value, f.role ? this.roleScope(f.role) : this.everything);
      }
    }
    for (const f of files) if (f.kind === "template") this.checkTemplateFile(f);
    // A role with a file that does not parse may well use its variables there.
    const broken = new Set(files.filter((f) => f.parseError && f.role).map((f) => f.role));
    for (const f of files) {
      if ((f.kind === "defaults" || f.kind === "vars") && f.role && !broken.has(f.role)) this.checkUnused(f);
    }
  }

  // ---- what is defined where ----

  collect(): void {
    const { files, modules } = this.project;
    for (const f of files) {
      const value = f.doc?.value;
      if (f.kind === "inventory") walkValues(value, (v, path) => this.inventoryVars(v, path));
      if (f.kind === "group_vars" || f.kind === "host_vars") {
        keysOf(value).forEach((k) => this.inventory.add(k));
      }
      if (f.role) {
        const role = this.role(f.role);
        if (f.kind === "defaults" || f.kind === "vars") keysOf(value).forEach((k) => role.defined.add(k));
        if (f.kind === "tasks" || f.kind === "handlers") {
          registeredIn(tasksOf(f, modules)).forEach((k) => role.defined.add(k));
        }
      }
      // An import's `vars:` reach the tasks of the file it imports.
      for (const t of tasksOf(f, modules)) {
        if (t.module !== "import_tasks") continue;
        keysOf(t.raw.vars).forEach((k) => (f.role ? this.role(f.role).defined : this.everything).add(k));
      }
    }
    for (const f of files) {
      for (const play of playsOf(f)) for (const r of play.roles) this.role(r.name).users.push(play);
    }
    for (const name of this.inventory) this.everything.add(name);
    for (const role of this.roles.values()) role.defined.forEach((k) => this.everything.add(k));
    for (const f of files) {
      if (f.kind === "vars" && !f.role) keysOf(f.doc?.value).forEach((k) => this.everything.add(k));
      for (const play of playsOf(f)) this.playScope(play).forEach((k) => this.everything.add(k));
    }
  }

  /** Inventory variables: `vars:` of groups and the mappings under `hosts:`. */
  inventoryVars(value: unknown, path: KeyPath): void {
    const parent = path[path.length - 2];
    const key = path[path.length - 1];
    if (key === "vars" || (parent === "hosts" && path.length >= 3)) {
      keysOf(value).forEach((k) => this.inventory.add(k));
    }
  }

  role(name: string): RoleDefs {
    let role = this.roles.get(name);
    if (!role) this.roles.set(name, role = { defined: new Set(), users: [] });
    return role;
  }

  playScope(play: PlaySite): Scope {
    const id = `${play.file.abs}#${play.index}`;
    let scope = this.playScopes.get(id);
    if (scope) return scope;
    const s = new Set(this.inventory);
    keysOf(play.raw.vars).forEach((k) => s.add(k));
    for (const name of listOf(play.raw.vars_files)) {
      if (typeof name === "string") {
        this.varsFileKeys(resolve(dirname(play.file.abs), name)).forEach((k) => s.add(k));
      }
    }
    registeredIn(tasksOf(play.file, this.project.modules).filter((t) => t.play?.index === play.index))
      .forEach((k) => s.add(k));
    for (const r of play.roles) {
      this.roles.get(r.name)?.defined.forEach((k) => s.add(k));
      keysOf(r.vars).forEach((k) => s.add(k));
    }
    this.playScopes.set(id, scope = s);
    return scope;
  }

  roleScope(name: string): Scope {
    let scope = this.roleScopes.get(name);
    if (scope) return scope;
    const role = this.role(name);
    const s = new Set([...this.inventory, ...role.defined]);
    for (const play of role.users) this.playScope(play).forEach((k) => s.add(k));
    this.roleScopes.set(name, scope = s);
    return scope;
  }

  varsFileKeys(abs: string): string[] {
    const f = this.byAbs.get(abs);
    if (f) return keysOf(f.doc?.value);
    try {
      return existsSync(abs) ? keysOf(readYaml(abs).value) : [];
    } catch {
      return []; // reported when that file is linted itself
    }
  }

  // ---- checks ----

  defined(name: string, scope: Scope): boolean {
    return scope.has(name) || isMagicName(name) || this.extra.has(name);
  }

  checkTask(t: TaskSite, base: Scope): void {
    const scope = new Set(base);
    keysOf(t.raw.vars).forEach((k) => scope.add(k));
    if (["loop", "with_items", "with_list", "with_dict"].some((k) => t.raw[k] !== undefined)) {
      const control = t.raw.loop_control;
      scope.add(isMap(control) && typeof control.loop_var === "string" ? control.loop_var : "item");
    }
    for (const [key, value] of Object.entries(t.raw)) {
      if (CONDITIONS.includes(key)) this.checkCondition(t.file, [...t.path, key], value, scope);
      else if (!NOT_RENDERED.has(key)) this.checkValue(t.file, [...t.path, key], value, scope);
    }
    // An assert's `that:` holds conditions, evaluated as `when:` is (src/modules/assert.ts).
    if (t.module?.replace(/^ansible\.builtin\./, "") === "assert" && isMap(t.args)) {
      this.checkCondition(t.file, [...t.path, t.module, "that"], t.args.that, scope);
    }
    const src = isMap(t.args) ? t.args.src : undefined;
    if (t.module === "template" && typeof src === "string" && !src.includes("{{")) {
      const found = this.templateCandidates(t.file, src).find((p) => this.byAbs.get(p)?.kind === "template");
      if (found) this.templateScopes.set(found, [...(this.templateScopes.get(found) ?? []), scope]);
    }
  }

  /** Where the engine looks for a template (src/engine/local-files.ts). */
  templateCandidates(f: SourceFile, src: string): string[] {
    if (isAbsolute(src)) return [src];
    const roleDir = roleDirOf(f);
    const base = dirname(f.abs);
    return [
      ...(roleDir ? [join(roleDir, "templates", src), join(roleDir, src)] : []),
      join(base, "templates", src),
      join(base, src),
      resolve(src),
    ];
  }

  checkValue(f: SourceFile, path: KeyPath, value: unknown, scope: Scope): void {
    walkValues(value, (v, p) => {
      if (typeof v === "string" && mayHaveJinja(v)) {
        this.checkTemplate(f, v, scope, (at) => positionInValue(f, p, at), p);
      }
    }, path);
  }

  checkTemplateFile(f: SourceFile): void {
    const scopes = this.templateScopes.get(f.abs);
    const scope = scopes
      ? new Set(scopes.flatMap((s) => [...s]))
      : f.role
      ? this.roleScope(f.role)
      : this.everything;
    this.checkTemplate(f, f.text, scope, (at) => at);
  }

  checkTemplate(
    f: SourceFile,
    text: string,
    scope: Scope,
    place: (at: Position) => Position,
    path?: KeyPath,
  ): void {
    const say = (message: string) => (path ? atPath(f, path, message) : message);
    const jinja = findJinja(text);
    for (const j of jinja) this.report("jinja2", f.file, place(j), say(describeJinja(j)));
    if (jinja.length) return; // handlebars would only add a syntax error for the same text
    // The same checks apply makes when the files load (src/vars/template-check.ts).
    for (const m of templateMistakes(text)) this.report("template-syntax", f.file, place(m), say(m.message));
    const scan = scanTemplate(text);
    for (const v of scan.vars) {
      this.used.add(v.name);
      if (v.guarded || this.defined(v.name, scope)) continue;
      this.report("undefined-variable", f.file, place(v), say(undefinedMessage(v.name, scope)));
    }
  }

  /** `when:` and friends: an expression, a boolean, or a list of them that must all hold. */
  checkCondition(f: SourceFile, path: KeyPath, cond: unknown, scope: Scope): void {
    if (Array.isArray(cond)) return cond.forEach((c, i) => this.checkCondition(f, [...path, i], c, scope));
    if (typeof cond !== "string") return;
    for (const m of cond.matchAll(/[A-Za-z_]\w*/g)) this.used.add(m[0]);
    const at = (col: number) => positionInValue(f, path, { line: 1, col });
    let names: string[];
    try {
      names = referencedVariables(parseExpression(cond));
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const m = /at column (\d+) in '.*': (.*)$/s.exec(e.message);
      this.report(
        "template-syntax",
        f.file,
        at(Number(m?.[1] ?? 1)),
        atPath(f, path, `condition syntax error: ${m?.[2] ?? e.message}`),
      );
      return;
    }
    for (const name of names) {
      if (this.defined(name, scope)) continue;
      const col = (new RegExp(`\\b${name}\\b`).exec(cond)?.index ?? 0) + 1;
      this.report("undefined-variable", f.file, at(col), atPath(f, path, undefinedMessage(name, scope)));
    }
  }

  checkUnused(f: SourceFile): void {
    for (const key of keysOf(f.doc?.value)) {
      if (this.used.has(key) || isMagicName(key)) continue;
      const where = f.kind === "defaults" ? "defaults" : "vars";
      this.report(
        "unused-variable",
        f.file,
        f.doc!.locate([key], "key"),
        `'${key}' is set in role '${f.role}' ${where} but never used`,
      );
    }
  }
}

const undefinedMessage = (name: string, scope: Scope) =>
  `undefined variable '${name}'${didYouMean(name, scope)}`;

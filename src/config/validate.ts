/**
 * Validation of a YAML document against its JSON Schema (ajv, draft 2020-12), with ajv's raw errors
 * turned into one human message per problem, located in the file:
 *
 *   playbooks/site.yml:14:7 tasks/3/template/mode: should be a string like "0640"
 *
 * anyOf/oneOf noise is collapsed to the branch the value was meant for (the one it got deepest into,
 * or the one whose type it has); unknown keys and modules get a "did you mean".
 */
import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import type Ajv2020Module from "ajv/dist/2020.js";
import {
  type FileKind,
  generateSchemas,
  isTemplateBranch,
  type JsonSchema,
  type ModuleRegistry,
} from "./json-schema.ts";
import { modules as defaultRegistry } from "../modules/index.ts";
import { fingerprint, loadPrecompiled } from "./precompiled.ts";
import { conditionMistake, templateMistakes } from "../vars/template-check.ts";
import { isTemplated } from "../vars/template.ts";
import { argumentProblems } from "./module-args.ts";
import { ConfigError, type Problem } from "./problems.ts";
import { didYouMean, editDistance, suggest } from "../core/suggest.ts";
import { taskLists, useOurNames } from "./task-names.ts";
import { type KeyPath, readYaml, type YamlFile } from "./yaml.ts";

/** ajv's compiler, loaded only when a validator is not precompiled (it is a third of a lint's start). */
const loadAjv = () =>
  createRequire(import.meta.url)("ajv/dist/2020.js").default as typeof Ajv2020Module.default;
type AjvError = ErrorObject & { schema?: unknown; parentSchema?: JsonSchema; data?: unknown };

/** One problem before it is located in the file. */
interface Issue {
  path: string[];
  /** Point at the key (unknown or missing keys) rather than the value. */
  at: "key" | "value";
  message: string;
  keyword: string;
  /** For unknown keys: the key, located instead of the object. */
  key?: string;
}

const compiled = new WeakMap<ModuleRegistry, Map<FileKind, ValidateFunction>>();
// Unoptimised code compiles in 2/3 of the time; validating stays well under 1 ms. Refs are not
// inlined: a playbook refers to the task schema from pre_tasks, tasks and post_tasks, and inlining
// compiled it three times (4x the code, 3x the compile time). Errors inside `$defs/task` then come
// with paths relative to it; `taskPaths` puts the prefix back, which tells task errors apart.
export const ajvOptions = {
  allErrors: true,
  verbose: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
  inlineRefs: false,
  code: { optimize: false },
};

/** Where tasks and handlers are in each kind of file (their values are checked by `$defs/task|handler`). */
const DEF_AT: Partial<Record<FileKind, [RegExp, string][]>> = {
  playbook: [[/^\/\d+\/(?:pre_tasks|tasks|post_tasks)\/\d+(?:\/|$)/, "task"], [
    /^\/\d+\/handlers\/\d+(?:\/|$)/,
    "handler",
  ]],
  tasks: [[/^\/\d+(?:\/|$)/, "task"]],
  handlers: [[/^\/\d+(?:\/|$)/, "handler"]],
};

/** `#/properties/copy/...` raised inside the task definition → `#/$defs/task/properties/copy/...`. */
function taskPaths(errors: AjvError[], kind: FileKind): AjvError[] {
  const defs = DEF_AT[kind];
  if (!defs) return errors;
  return errors.map((e) => {
    const def = defs.find(([at]) => at.test(e.instancePath))?.[1];
    return def ? { ...e, schemaPath: `#/$defs/${def}${e.schemaPath.slice(1)}` } : e;
  });
}

/** Keywords in our schemas that carry messages, not rules. */
export const MESSAGE_KEYWORDS = ["errorMessage", "patternErrorMessage"];

/** The default registry's validators from the build, when they match its schemas (precompiled.ts). */
let precompiled: Partial<Record<FileKind, ValidateFunction>> | undefined;

function validator(kind: FileKind, registry: ModuleRegistry): ValidateFunction {
  let byKind = compiled.get(registry);
  if (!byKind) compiled.set(registry, byKind = new Map());
  let fn = byKind.get(kind);
  if (!fn) {
    if (registry === defaultRegistry) {
      precompiled ??= loadPrecompiled(() => fingerprint(generateSchemas(registry).files, ajvOptions)) ?? {};
      fn = precompiled[kind];
    }
    if (!fn) {
      const ajv = new (loadAjv())(ajvOptions);
      ajv.addVocabulary(MESSAGE_KEYWORDS);
      fn = ajv.compile(generateSchemas(registry).files[kind]);
    }
    byKind.set(kind, fn);
  }
  return fn;
}

export interface ValidateOptions {
  /** Module registry to validate tasks against (default: all modules). */
  modules?: ModuleRegistry;
  /** Check templates and conditions from their text (default true; lint locates them itself). */
  texts?: boolean;
}

/**
 * Every problem in one parsed document, located and sorted by position: its JSON Schema, then the
 * rules of each task's module arguments (src/config/module-args.ts).
 */
export function validateDocument(doc: YamlFile, kind: FileKind, options: ValidateOptions = {}): Problem[] {
  const registry = options.modules ?? defaultRegistry;
  const problems = [
    ...useOurNames(doc, kind, registry).map((p) => problemAt(doc, kind, p.path, p.message, "key")),
    ...validateWith(validator(kind, registry), doc, kind, registry),
    ...ruleProblems(doc, kind, registry),
    ...(options.texts === false ? [] : textProblems(doc, kind)),
  ];
  return problems.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Task keys whose strings are conditions (`assert: that:` too). */
const isCondition = (path: KeyPath): boolean => {
  const [key, parent, grand] = [path.at(-1), path.at(-2), path.at(-3)].map(String);
  const conditions = ["when", "changed_when", "failed_when"];
  return conditions.includes(key) || conditions.includes(parent) ||
    (key === "that" && parent === "assert") || (parent === "that" && grand === "assert");
};

/**
 * Templates and conditions that cannot work, found from their text: every templated string in the
 * document (task arguments, loops, variables) and every condition of a task, located at its value.
 */
function textProblems(doc: YamlFile, kind: FileKind): Problem[] {
  const problems: Problem[] = [];
  const tasks = new Set(taskLists(doc.value, kind).flatMap((l) => l.tasks));
  const visit = (value: unknown, path: KeyPath, inTask: boolean): void => {
    if (typeof value === "string") {
      if (inTask && isCondition(path)) {
        const mistake = conditionMistake(value);
        if (mistake) problems.push(problemAt(doc, kind, path, mistake));
      } else if (isTemplated(value)) {
        for (const m of templateMistakes(value)) {
          const where = value.includes("\n") ? ` (line ${m.line}, column ${m.col} of the template)` : "";
          problems.push(problemAt(doc, kind, path, m.message + where));
        }
      }
      return;
    }
    if (Array.isArray(value)) return value.forEach((v, i) => visit(v, [...path, i], inTask));
    if (value !== null && typeof value === "object") {
      const isTask = tasks.has(value);
      for (const [k, v] of Object.entries(value)) {
        visit(v, [...path, k], (inTask || isTask) && !(isTask && k === "vars"));
      }
    }
  };
  visit(doc.value, [], false);
  return problems;
}

/** The module-argument rules of every task in the document (the JSON Schema says the rest). */
function ruleProblems(doc: YamlFile, kind: FileKind, registry: ModuleRegistry): Problem[] {
  return taskLists(doc.value, kind).flatMap(({ path, tasks }) =>
    tasks.flatMap((task, j) => {
      if (task === null || typeof task !== "object") return [];
      const found = Object.keys(task).filter((k) => k in registry && k !== "import_tasks");
      if (found.length !== 1) return [];
      const module = found[0];
      const mod = registry[module];
      const raw = (task as Record<string, unknown>)[module];
      const args = typeof raw === "string" && mod.freeForm ? { [mod.freeForm]: raw } : raw ?? {};
      return argumentProblems(mod, args).map((p) =>
        problemAt(doc, kind, [...path, j, module, ...p.path], p.message)
      );
    })
  );
}

/** The problems `validate` finds in `doc`, explained (exported to compare validators in tests). */
export function validateWith(
  validate: ValidateFunction,
  doc: YamlFile,
  kind: FileKind,
  registry: ModuleRegistry,
): Problem[] {
  // An empty file is an empty list or mapping (a playbook needs plays).
  if (validate(doc.value) || (doc.value === null && kind !== "playbook")) return [];
  const errors = taskPaths(validate.errors as AjvError[], kind);
  const problems = explain(errors, registry).map((i) =>
    problemAt(doc, kind, i.path, i.message, i.at, i.key === undefined ? i.path : [...i.path, i.key])
  );
  const unique = [...new Map(problems.map((p) => [JSON.stringify(p), p])).values()];
  return unique.sort((a, b) => a.line - b.line || a.col - b.col);
}

/**
 * A problem about `path` in `doc`, located at `target` (default: `path`). In a playbook of one play,
 * the path reads `tasks/3/...` rather than `0/tasks/3/...`.
 */
export function problemAt(
  doc: YamlFile,
  kind: FileKind,
  path: KeyPath,
  message: string,
  at: "key" | "value" = "value",
  target: KeyPath = path,
): Problem {
  const { line, col } = doc.locate(target, at);
  const strip = kind === "playbook" && Array.isArray(doc.value) && doc.value.length === 1 ? 1 : 0;
  const written = doc.writtenPath?.(path) ?? path;
  return { file: doc.file, line, col, path: written.slice(strip).join("/"), message };
}

/** What a file of each kind is, in messages about the file itself ("the inventory does not exist"). */
const WHAT: Record<FileKind, string> = {
  inventory: "inventory",
  playbook: "playbook",
  tasks: "tasks file",
  handlers: "handlers file",
  vars: "vars file",
  host_vars: "variables file",
};

/** Throw a ConfigError listing every problem of the document, if it has any. */
export function checkDocument(doc: YamlFile, kind: FileKind, options: ValidateOptions = {}): void {
  const problems = validateDocument(doc, kind, options);
  if (problems.length) throw new ConfigError(problems);
}

/** Read a YAML file and check it against the schema of its kind; throws a ConfigError. */
export function readValid(path: string, kind: FileKind, options: ValidateOptions = {}): YamlFile {
  const doc = readYaml(path, { what: WHAT[kind] });
  checkDocument(doc, kind, options);
  return doc;
}

// ---- from ajv errors to issues ----

const isCombinator = (e: AjvError) => e.keyword === "anyOf" || e.keyword === "oneOf";
const segments = (pointer: string): string[] =>
  pointer === "" ? [] : pointer.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer + "/");
const inside = (e: AjvError, c: AjvError) =>
  e !== c && within(e.instancePath, c.instancePath) && e.schemaPath.startsWith(c.schemaPath + "/");
/** `#/$defs/task/...` → the task's module, when the error is inside module arguments. */
const TASK_PATH = /^#\/\$defs\/(?:task|handler)(?:\/properties\/([^/]+))?/;

function explain(errors: AjvError[], registry: ModuleRegistry): Issue[] {
  const combinators = errors.filter(isCombinator);
  const top = errors.filter((e) => e.keyword !== "if" && !combinators.some((c) => inside(e, c)));
  // A type error makes the other complaints about the same value moot.
  const typeErrors = new Set(top.filter((e) => e.keyword === "type").map((e) => e.instancePath));
  const issues: Issue[] = [];
  const missing = new Map<string, { path: string[]; what: string; names: string[] }>();
  for (const e of top) {
    if (e.keyword !== "type" && typeErrors.has(e.instancePath)) continue;
    if (isCombinator(e)) issues.push(...explainCombinator(e, errors.filter((x) => inside(x, e)), registry));
    else if (e.keyword === "required") {
      // Several missing keys of one object make one message.
      const what = keyNoun(e, registry);
      const entry = missing.get(e.instancePath) ?? { path: segments(e.instancePath), what, names: [] };
      entry.names.push(`'${e.params.missingProperty}'`);
      missing.set(e.instancePath, entry);
    } else issues.push(explainOne(e, registry));
  }
  for (const { path, what, names } of missing.values()) {
    const noun = names.length > 1 ? `${what}s` : what;
    issues.push(issue(path, "key", "required", `missing required ${noun} ${list(names, "and")}`));
  }
  return suppressNoModule(issues);
}

function explainCombinator(c: AjvError, inner: AjvError[], registry: ModuleRegistry): Issue[] {
  const path = segments(c.instancePath);
  const data = c.data;
  const taskMatch = /^#\/\$defs\/(?:task|handler)\/oneOf$/.test(c.schemaPath);
  if (taskMatch) return [moduleCountIssue(path, data as Record<string, unknown>, registry)];
  if (c.keyword === "oneOf" && c.params.passingSchemas) {
    return [issue(path, "value", "oneOf", "matches more than one of the allowed forms")];
  }
  const branches = (c.schema as JsonSchema[]).map((schema, i) => ({
    schema,
    errors: inner.filter((e) => e.schemaPath.slice(c.schemaPath.length + 1).split("/")[0] === String(i)),
  })).filter((b) => !isTemplateBranch(b.schema));
  if (branches.length === 1) return explain(branches[0].errors, registry);
  // The branch the value got deepest into is the one it was written for.
  const depth = (errs: AjvError[]) => Math.max(...errs.map((e) => segments(e.instancePath).length));
  const deepest = Math.max(...branches.map((b) => depth(b.errors)));
  if (deepest > path.length) {
    return explain(branches.find((b) => depth(b.errors) === deepest)!.errors, registry);
  }
  const typed = branches.filter((b) => matchesType(b.schema, data));
  if (typed.length === 1) {
    const issues = explain(typed[0].errors, registry);
    if (!issues.every((i) => i.keyword === "pattern")) return issues;
  }
  const expect = expected({ anyOf: (typed.length > 1 ? typed : branches).map((b) => b.schema) });
  return [issue(path, "value", "type", `should be ${expect}${yamlHint(data, expect)}`)];
}

function issue(path: string[], at: Issue["at"], keyword: string, message: string, key?: string): Issue {
  return { path, at, keyword, message, key };
}

const LIMITS: Record<string, string> = {
  ">=": "at least",
  ">": "more than",
  "<=": "at most",
  "<": "less than",
};

function explainOne(e: AjvError, registry: ModuleRegistry): Issue {
  const path = segments(e.instancePath);
  const parent = e.parentSchema ?? {};
  const p = e.params;
  const says = (message: string) => issue(path, "value", e.keyword, message);
  switch (e.keyword) {
    case "type": {
      const expect = expected(parent);
      return says(parent.errorMessage ?? `should be ${expect}${yamlHint(e.data, expect)}`);
    }
    case "additionalProperties":
      return unknownKey(e, path, String(p.additionalProperty), registry);
    case "enum": {
      const hint = typeof e.data === "string"
        ? didYouMean(e.data, (p.allowedValues as unknown[]).map(String))
        : "";
      return says(`${parent.errorMessage ?? `should be ${expected(parent)}`}${hint}`);
    }
    case "const":
      return says(parent.errorMessage ?? `should be ${show(p.allowedValue)}`);
    case "pattern": {
      const example = parent.examples?.[0];
      const fallback = example === undefined
        ? `should match ${p.pattern}`
        : `should look like ${JSON.stringify(example)}`;
      return says(parent.patternErrorMessage ?? fallback);
    }
    case "minimum":
    case "exclusiveMinimum":
    case "maximum":
    case "exclusiveMaximum":
      // A schema's own message says what it takes as a whole ("a number of milliseconds or ''").
      return says(parent.errorMessage ?? `should be ${LIMITS[p.comparison] ?? p.comparison} ${p.limit}`);
    case "minLength":
      return says(p.limit === 1 ? "should not be empty" : `should be at least ${p.limit} characters`);
    case "minItems":
      return says(p.limit === 1 ? "should not be an empty list" : `should have at least ${p.limit} items`);
    case "not":
      return issue(path, "key", "not", parent.description ?? "is not allowed here");
    default:
      return says(e.message ?? "is not valid");
  }
}

/** Keys of module arguments are "arguments"; every other key is a "key". */
function keyNoun(e: AjvError, registry: ModuleRegistry): "argument" | "key" {
  const module = TASK_PATH.exec(e.schemaPath)?.[1];
  return module && registry[module] ? "argument" : "key";
}

/** An unknown key: in a task it may be a misspelled module; anywhere, suggest the nearest valid key. */
function unknownKey(e: AjvError, path: string[], key: string, registry: ModuleRegistry): Issue {
  const parent = e.parentSchema ?? {};
  const valid = Object.keys(parent.properties ?? {});
  const inTask = /^#\/\$defs\/(?:task|handler)\/additionalProperties$/.test(e.schemaPath);
  const unknown = (what: string, hint = "") =>
    issue(path, "key", "additionalProperties", `unknown ${what} '${key}'${hint}`, key);
  if (!inTask) return unknown(keyNoun(e, registry), didYouMean(key, valid));
  const moduleNames = Object.keys(registry);
  const keywords = valid.filter((k) => !(k in registry));
  const bare = key.replace(/^ansible\.(?:builtin|legacy)\./, "");
  const nearModule = bare in registry ? bare : suggest(bare, moduleNames);
  const nearKeyword = suggest(key, keywords);
  const hasModule = Object.keys(e.data as object).some((k) => k in registry);
  if (nearModule && !(nearKeyword && editDistance(key, nearKeyword) < editDistance(key, nearModule))) {
    return unknown("module", ` — did you mean '${nearModule}'?`);
  }
  if (nearKeyword) return unknown("key", ` — did you mean '${nearKeyword}'?`);
  return hasModule ? unknown("key") : unknown("module");
}

/** Exactly one module per task: name the two, or say none was given. */
function moduleCountIssue(path: string[], task: Record<string, unknown>, registry: ModuleRegistry): Issue {
  const found = Object.keys(task).filter((k) => k in registry);
  const names = list(found.map(show), "and");
  if ("block" in task && found.length > 0) {
    return issue(
      path,
      "value",
      "modules",
      `is a block and has ${names}: move it into the block's list of tasks`,
    );
  }
  const sections = ["rescue", "always"].filter((k) => k in task);
  if (sections.length > 0 && found.length === 0) {
    const what = list(sections.map(show), "and");
    return issue(
      path,
      "value",
      "no-module",
      `has ${what} but no 'block': put the tasks they follow in block:`,
    );
  }
  if (found.length > 1) {
    return issue(path, "value", "modules", `has ${found.length} modules, ${names}: a task runs exactly one`);
  }
  return issue(
    path,
    "value",
    "no-module",
    `has no module: add one of ${Object.keys(registry).sort().join(", ")}`,
  );
}

/** "has no module" is noise when the task also has an unknown module (its misspelled module) or a refused keyword. */
function suppressNoModule(issues: Issue[]): Issue[] {
  const misspelled = new Set([
    ...issues.filter((i) => i.message.startsWith("unknown module")).map((i) => i.path.join("/")),
    // A keyword refused with its replacement (block, include_tasks) says enough about the task.
    ...issues.filter((i) => i.keyword === "not").map((i) => i.path.slice(0, -1).join("/")),
  ]);
  return issues.filter((i) => !(i.keyword === "no-module" && misspelled.has(i.path.join("/"))));
}

// ---- describing what a schema expects ----

/** Does the value have a JSON type the schema allows (ignoring every other constraint)? */
function matchesType(s: JsonSchema, v: unknown): boolean {
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return alternatives.some((b: JsonSchema) => matchesType(b, v));
  if (s.type === undefined) return true;
  const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
  return types.some((t) => t === jsonType(v) || (t === "number" && jsonType(v) === "integer"));
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** A noun phrase for what a schema accepts: `a string like "0640"`, `an integer from 1 to 65535`. */
export function expected(s: JsonSchema): string {
  const alternatives: JsonSchema[] | undefined = s.anyOf ?? s.oneOf;
  if (alternatives) {
    const phrases = alternatives.filter((b) => !isTemplateBranch(b)).map((b) =>
      expected({ ...b, type: b.type ?? s.type }).replace(/^true or false$/, "a boolean")
    );
    return list([...new Set(phrases)], "or");
  }
  if (s.const !== undefined) return show(s.const);
  if (s.enum) {
    return s.enum.length === 2 ? list(s.enum.map(show), "or") : `one of ${s.enum.map(show).join(", ")}`;
  }
  if (s.type === undefined) return "a value";
  const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
  if (types.length === 1 && types[0] === "boolean") return "true or false";
  return list(types.map((t) => noun(t, s)), "or");
}

function noun(type: string, s: JsonSchema): string {
  switch (type) {
    case "string":
      return s.examples?.length ? `a string like ${JSON.stringify(s.examples[0])}` : "a string";
    case "integer":
    case "number": {
      const name = type === "integer" ? "an integer" : "a number";
      if (s.minimum !== undefined && s.maximum !== undefined) {
        return `${name} from ${s.minimum} to ${s.maximum}`;
      }
      if (s.minimum !== undefined) return `${name} (at least ${s.minimum})`;
      return name;
    }
    case "boolean":
      return "a boolean";
    case "array": {
      const item = s.items ? expected(s.items) : "";
      const plural: Record<string, string> = {
        "a string": "strings",
        "an integer": "integers",
        "a number": "numbers",
      };
      return plural[item] ? `a list of ${plural[item]}` : "a list";
    }
    case "object":
      return "a mapping";
    case "null":
      return "empty";
    default:
      return type;
  }
}

/** YAML 1.2 reads `yes`/`no` as strings and `0640` as the number 640: say so when it bites. */
function yamlHint(value: unknown, expect: string): string {
  if (
    typeof value === "string" && /^(yes|no|on|off|y|n)$/i.test(value) && /true or false|boolean/.test(expect)
  ) {
    return ` (YAML 1.2 reads '${value}' as text: write true or false)`;
  }
  return "";
}

const show = (v: unknown) => (typeof v === "string" ? `'${v}'` : JSON.stringify(v));

function list(items: string[], conjunction: "and" | "or"): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

/**
 * `-e` values checked as a variables file is (the roles' typed variables, src/config/role-vars.ts): one
 * line per problem, naming the variable, never its value (an `-e` may carry a secret).
 */
export function extraVarsProblems(values: Record<string, unknown>): string[] {
  const doc: YamlFile = { file: "-e", value: values, locate: () => ({ line: 0, col: 0 }) };
  return validateWith(validator("vars", defaultRegistry), doc, "vars", defaultRegistry)
    .map((p) => `-e ${p.path}: ${p.message}`);
}

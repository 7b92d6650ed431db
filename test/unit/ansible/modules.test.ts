/**
 * Module names and argument aliases as ansible-core 2.14 takes them (test/ansible/modules.cases.ts):
 * what Ansible accepts loads here as the same module with the same arguments under their main names;
 * what we refuse is refused at the task's file:line. And every alias `ansible-doc` lists for an
 * argument we take is one we read, to the same argument.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ARGUMENT_ALIASES, longModuleNames, moduleKeyOf } from "../../../src/config/ansible/module-names.ts";
import { moduleArgsSchema } from "../../../src/config/json-schema.ts";
import { loadPlaybook } from "../../../src/config/playbook.ts";
import { modules } from "../../../src/modules/index.ts";
import { moduleCaseHash, moduleCases } from "../../ansible/modules.cases.ts";

const table = JSON.parse(readFileSync("test/ansible/modules.expected.json", "utf8"));
interface AnsibleResult {
  /** What Ansible's task loader made of the task. */
  parsed: { action: string; args: Record<string, unknown> } | { error: string };
  /** Its check-mode run ("error": the loader refused it, so it did not run). */
  status: string;
  msg?: string;
  warnings?: string[];
}
const results = table.results as Record<string, AnsibleResult>;
const options = table.options as Record<string, Record<string, string[]>>;
const REGENERATE = "npx deno run -A test/ansible/generate.ts --modules";

function load(task: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), "lago-ansible-modules-"));
  const file = join(dir, "play.yml");
  writeFileSync(file, JSON.stringify([{ hosts: "all", tasks: [{ name: "the task", ...task }] }], null, 2));
  return () => loadPlaybook(file).plays[0].tasks[0];
}

describe("module names and arguments as ansible-core 2.14 takes them", () => {
  it(`has Ansible's result for every case (else: ${REGENERATE})`, () => {
    expect(Object.keys(results).sort()).toEqual(moduleCases.map((c) => c.name).sort());
  });
  for (const c of moduleCases) {
    it(c.name, () => {
      expect(table.hashes[c.name], `the case changed: ${REGENERATE}`).toBe(moduleCaseHash(c));
      const ansible = results[c.name];
      const task = load(c.task);
      if (ansible.status === "error" || ansible.status === "failed") {
        expect(c.refuse, `Ansible refuses it (${JSON.stringify(ansible)}): so must we`).toBeDefined();
      } else if (!c.refuse) {
        expect(c.ours).toEqual(asOurs(ansible.parsed, c.ours!.args));
      }
      if (c.refuse) {
        // One message, at the task's module key (line 5 of the file written above), naming the change.
        expect(task).toThrow(c.refuse);
        expect(task).toThrow(/play\.yml:\d+:\d+ /);
        return;
      }
      expect(task()).toMatchObject(c.ours!);
    });
  }
});

describe("every Ansible alias of an argument we take is read as that argument (ansible-doc -j)", () => {
  it(`has ansible-doc of every module Ansible ships that we implement (else: ${REGENERATE})`, () => {
    const builtin = [...longModuleNames(modules).keys()].filter((n) => n.startsWith("ansible.builtin."));
    expect(Object.keys(options).sort()).toEqual(builtin.sort());
  });
  for (const long of Object.keys(options)) {
    const module = moduleKeyOf(long, modules)!;
    it(`${long} is ${module}`, () => {
      expect(module).toBe(long.replace("ansible.builtin.", ""));
      expect(moduleKeyOf(long.replace("builtin", "legacy"), modules)).toBe(module);
      const ours = Object.keys(moduleArgsSchema(modules[module]).properties ?? {});
      const wanted = aliasesOf(long, ours);
      // apt's aliases reach it through `package` too (Ansible's package hands its arguments to apt).
      const expected = module === "package"
        ? { ...wanted, ...aliasesOf("ansible.builtin.apt", ours) }
        : wanted;
      expect(ARGUMENT_ALIASES[module] ?? {}).toEqual(expected);
    });
  }
});

const TRUE = ["y", "yes", "on", "1", "true", "t"];

/**
 * Ansible's loaded task in our terms, to compare with a case's `ours`: the module its action names,
 * `_raw_params` as the free-form argument, aliases as ansible-doc resolves them, and `key=value` texts
 * typed as the value `ours` expects (Ansible's argument spec types them when the module runs).
 */
function asOurs(parsed: AnsibleResult["parsed"], like: Record<string, unknown>) {
  if ("error" in parsed) throw new Error(`Ansible refused the task: ${parsed.error}`);
  const module = moduleKeyOf(parsed.action, modules)!;
  const documented = options[`ansible.builtin.${module}`] ?? {};
  const main = (arg: string) =>
    arg === "_raw_params"
      ? modules[module].freeForm!
      : Object.entries(documented).find(([, aliases]) => aliases.includes(arg))?.[0] ?? arg;
  const args: Record<string, unknown> = {};
  for (const [arg, value] of Object.entries(parsed.args)) args[main(arg)] = typedLike(like[main(arg)], value);
  return { module, args };
}

/** Texts of `key=value` words typed as `want` is (booleans, numbers, comma-separated lists). */
function typedLike(want: unknown, value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (typeof want === "boolean") return TRUE.includes(value.toLowerCase());
  if (typeof want === "number") return Number(value);
  if (Array.isArray(want)) return value.split(",");
  return value;
}

function aliasesOf(long: string, ours: string[]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(options[long]).filter(([main]) => ours.includes(main)).flatMap(([main, aliases]) =>
      aliases.map((alias) => [alias, main])
    ),
  );
}

/** The generated JSON Schemas: every key documented, templates accepted, the sample playbook valid. */
import { describe, expect, it } from "vitest";
import { generateSchemas, type JsonSchema } from "../../../src/config/json-schema.ts";
import { validateDocument } from "../../../src/config/validate.ts";
import { parseYaml, readYaml } from "../../../src/config/yaml.ts";
import { testModules } from "./registry.ts";

/** Paths of properties (`properties.x`) that have no description, directly or on their anyOf. */
function undocumented(node: unknown, path: string, out: string[]): string[] {
  if (typeof node !== "object" || node === null) return out;
  const schema = node as JsonSchema;
  for (const [key, value] of Object.entries(schema.properties ?? {})) {
    if (!(value as JsonSchema).description) out.push(`${path}/properties/${key}`);
  }
  for (const [key, value] of Object.entries(schema)) undocumented(value, `${path}/${key}`, out);
  return out;
}

describe("generated schemas", () => {
  const { files, modules } = generateSchemas();

  for (
    const [name, schema] of [
      ...Object.entries(files),
      ...Object.entries(modules).map(([n, s]) => [`modules/${n}`, s]),
    ]
  ) {
    it(`${name}: every property has a description`, () => {
      expect(undocumented(schema, "#", [])).toEqual([]);
    });
  }

  it("the sample playbook is valid", () => {
    expect(validateDocument(readYaml("playbooks/sample.yml"), "playbook")).toEqual([]);
  });

  it("accepts {{ templates }} where numbers, booleans, enums and patterns are expected", () => {
    const doc = parseYaml(
      `
- hosts: all
  tasks:
    - wait_for: { port: "{{ app_port }}", timeout: "{{ t }}" }
    - service: { name: app, state: "{{ wanted }}", enabled: "{{ on_boot }}" }
    - template: { src: a.hbs, dest: "{{ dir }}/a", mode: "{{ mode }}" }
      loop: "{{ files }}"
`,
      "t.yml",
    );
    expect(validateDocument(doc, "playbook", { modules: testModules })).toEqual([]);
  });

  it("accepts free-form strings only for modules that have one", () => {
    const doc = parseYaml("- hosts: all\n  tasks:\n    - command: echo hi\n    - template: a.hbs\n", "t.yml");
    expect(validateDocument(doc, "playbook", { modules: testModules }).map((p) => p.message)).toEqual([
      "should be a mapping",
    ]);
  });

  it("an empty role file is an empty list; an empty playbook is an error", () => {
    expect(validateDocument(parseYaml("# nothing yet\n", "t.yml"), "tasks")).toEqual([]);
    expect(validateDocument(parseYaml("", "t.yml"), "playbook").map((p) => p.message)).toEqual([
      "should be a list",
    ]);
  });
});

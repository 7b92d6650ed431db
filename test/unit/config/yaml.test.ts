import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/problems.ts";
import { editDistance, suggest } from "../../../src/core/suggest.ts";
import { parseYaml } from "../../../src/config/yaml.ts";

const text = `# comment
- name: web
  hosts: web
  vars:
    empty:
    port: 8080
  tasks:
    - name: one
      copy: { dest: /x, mode: 0640 }
`;

describe("YAML with positions", () => {
  const doc = parseYaml(text, "site.yml");

  it("parses to plain values (YAML 1.2: 0640 is a number)", () => {
    expect(doc.value).toEqual([
      {
        name: "web",
        hosts: "web",
        vars: { empty: null, port: 8080 },
        tasks: [{ name: "one", copy: { dest: "/x", mode: 640 } }],
      },
    ]);
  });

  it("locates values, keys, list items and flow mappings", () => {
    expect(doc.locate([0])).toEqual({ line: 2, col: 3 });
    expect(doc.locate([0, "vars", "port"])).toEqual({ line: 6, col: 11 });
    expect(doc.locate([0, "vars", "port"], "key")).toEqual({ line: 6, col: 5 });
    expect(doc.locate([0, "tasks", 0, "copy", "mode"])).toEqual({ line: 9, col: 31 });
  });

  it("points at the key of an empty value, and at the nearest ancestor of a missing path", () => {
    expect(doc.locate([0, "vars", "empty"])).toEqual({ line: 5, col: 5 });
    expect(doc.locate([0, "tasks", 0, "template", "src"])).toEqual({ line: 8, col: 7 });
    expect(doc.locate([3])).toEqual({ line: 2, col: 1 });
  });

  it("reports malformed YAML as one located problem", () => {
    const error = (() => {
      try {
        parseYaml("a: [1, 2\nb: 3\n", "bad.yml");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(1);
    expect((error as ConfigError).message).toMatch(/^bad\.yml:\d+:\d+: YAML syntax error: /);
    expect((error as ConfigError).stack).toBeDefined();
  });

  it("refuses duplicate keys, naming the key", () => {
    expect(() => parseYaml("a: 1\n'b': 2\nb: 3\n", "dup.yml")).toThrow("dup.yml:3:1: duplicate key 'b'");
  });
});

describe("did you mean", () => {
  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("tempalte", "template")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });

  it("suggests only plausible typos", () => {
    expect(suggest("tempalte", ["copy", "template", "file"])).toBe("template");
    expect(suggest("Hosts", ["hosts", "vars"])).toBe("hosts");
    expect(suggest("xyz", ["template", "copy"])).toBeUndefined();
    expect(suggest("cp", ["copy"])).toBeUndefined();
  });
});

/**
 * One scope, one lazy resolver: a variable whose value is a template reads as what it renders to in
 * a template, in any helper's argument and in a condition alike; only when it is read; cycles are an
 * error naming them.
 */
import { describe, expect, it } from "vitest";
import { evaluateCondition } from "../../../src/vars/expression.ts";
import { renderDeep, renderString, renderText } from "../../../src/vars/template.ts";

const vars = {
  env: "prod",
  mode: "{{ env }}",
  domain: "lago.example.com",
  api_url: "https://{{ domain }}/api",
  password: "p@ss/word",
  db: { user: "lago", url: "postgres://{{ db.user }}:{{ urlencode password }}@db/{{ env }}" },
  hosts: ["{{ domain }}", "other"],
  broken: "{{ nowhere }}",
};

describe("a templated value reads as what it renders to", () => {
  const cases: [string, string, unknown][] = [
    ["a plain reference", "{{ mode }}", "prod"],
    ["inside text", "url={{ api_url }}", "url=https://lago.example.com/api"],
    ["in a helper's argument (eq)", '{{#if (eq mode "prod")}}yes{{else}}no{{/if}}', "yes"],
    ["in a helper's argument (upper)", "{{ upper mode }}", "PROD"],
    ["in includes", '{{#if (includes hosts "lago.example.com")}}in{{/if}}', "in"],
    ["nested in a mapping", "{{ db.url }}", "postgres://lago:p%40ss%2Fword@db/prod"],
    ["a list, each item resolved", "{{ hosts }}", ["lago.example.com", "other"]],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => expect(renderString(text, vars, "t")).toEqual(want));
  }

  it("conditions agree with templates", () => {
    expect(evaluateCondition("mode == 'prod'", vars, "when")).toBe(true);
    expect(evaluateCondition("'lago.example.com' in hosts", vars, "when")).toBe(true);
    expect(evaluateCondition("db.url.startswith is defined", vars, "when")).toBe(false);
    expect(renderText("{{#if (eq mode 'prod')}}1{{/if}}", vars, "t")).toBe("1");
  });

  it("module arguments are plain data, everything in them resolved", () => {
    const args = renderDeep({ list: "{{ hosts }}", conf: "{{ db }}" }, vars, "t") as Record<string, unknown>;
    expect(args).toEqual({
      list: ["lago.example.com", "other"],
      conf: { user: "lago", url: "postgres://lago:p%40ss%2Fword@db/prod" },
    });
    expect(structuredClone(args)).toEqual(args); // no proxies left
  });
});

describe("lazily, and cycles named", () => {
  it("a broken variable is an error only where it is read", () => {
    expect(renderString("{{ domain }}", vars, "t")).toBe("lago.example.com");
    expect(() => renderString("{{ broken }}", vars, "site.yml:3:5 x")).toThrow(
      /^site\.yml:3:5 x: .*undefined variable 'nowhere'/,
    );
  });

  it("variables referring to each other in a cycle", () => {
    const loop = { a: "{{ b }}", b: "x{{ c }}", c: "{{ a }}" };
    expect(() => renderString("{{ a }}", loop, "t")).toThrow(/cycle: a → b → c → a/);
    expect(() => evaluateCondition("a == 1", loop, "when")).toThrow(/cycle/);
  });
});

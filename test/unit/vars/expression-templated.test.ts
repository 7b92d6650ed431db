/** Conditions see what a templated variable renders to (role defaults that point at other variables). */
import { describe, expect, it } from "vitest";
import { evaluateCondition } from "../../../src/vars/expression.ts";

const vars = {
  domain: "lago.example.com",
  public_url: "https://{{ domain }}",
  secret: "{{ store.secrets.KEY }}",
  store: { secrets: { KEY: "" } },
  nested: { url: "{{ public_url }}/api" },
};

describe("templated variables in conditions", () => {
  const cases: [string, boolean][] = [
    ["public_url == 'https://lago.example.com'", true],
    ["nested.url == 'https://lago.example.com/api'", true],
    ["secret != ''", false],
    ["'example' in public_url", true],
  ];
  for (const [cond, want] of cases) it(cond, () => expect(evaluateCondition(cond, vars, "t")).toBe(want));

  it("an undefined variable behind a template is named", () => {
    expect(() => evaluateCondition("x != ''", { x: "{{ missing.value }}" }, "t")).toThrow(
      /undefined variable 'missing.value'/,
    );
  });
});

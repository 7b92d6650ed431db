/**
 * The condition evaluator as data: expression + variables in, value (or error text) out.
 */
import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/core/errors.ts";
import {
  type Condition,
  evaluate,
  evaluateCondition,
  parseExpression,
  referencedVariables,
} from "../../../src/vars/expression.ts";

const vars: Record<string, unknown> = {
  a: 1,
  b: 2,
  zero: 0,
  name: "Lago",
  empty: "",
  spaced: "  hi  ",
  list: [1, 2, 3],
  nested: [[1, 2], ["x"]],
  no_list: [],
  dict: { key: "value", "with-dash": 5, inner: { deep: true } },
  no_dict: {},
  nothing: null,
  flag: "yes",
  off: "off",
  version: "24.0",
  str_num: "12",
  reg_ok: { changed: false, failed: false, rc: 0, stdout: "active" },
  reg_changed: { changed: true, failed: false },
  reg_failed: { changed: false, failed: true, msg: "boom" },
  reg_skipped: { skipped: true, changed: false },
  distro: { os_family: "Debian", distribution_version: "12" },
};

type Case = [expression: string, expected: unknown] | [expression: string, error: { error: string }];

const cases: Case[] = [
  // literals
  ["42", 42],
  ["3.5", 3.5],
  ["-1", -1],
  ["'single'", "single"],
  ['"double"', "double"],
  ["'it\\'s'", "it's"],
  ["true", true],
  ["True", true],
  ["False", false],
  ["none", null],
  ["None", null],
  ["null", null],
  ["[1, 'b', none]", [1, "b", null]],
  ["[]", []],
  ["{{ a }}", 1],
  ["  {{ a == 1 }}  ", true],
  // variable paths
  ["name", "Lago"],
  ["dict.key", "value"],
  ["dict['key']", "value"],
  ["dict['with-dash']", 5],
  ["dict.inner.deep", true],
  ["list[0]", 1],
  ["list[-1]", 3],
  ["list.1", 2],
  ["nested[1][0]", "x"],
  ["reg_ok.stdout", "active"],
  ["name[0]", "L"],
  // comparisons
  ["a == 1", true],
  ["a == 1.0", true],
  ["a != b", true],
  ["a < b", true],
  ["a <= 1", true],
  ["b > a", true],
  ["b >= 3", false],
  ["a < b < 3", true],
  ["a < b < 2", false],
  ["name == 'Lago'", true],
  ["'1' == 1", false],
  ["list == [1, 2, 3]", true],
  ["dict.inner == dict.inner", true],
  ["'abc' < 'abd'", true],
  ["true == 1", true],
  ["nothing == none", true],
  // in / not in
  ["2 in list", true],
  ["5 not in list", true],
  ["'ag' in name", true],
  ["'key' in dict", true],
  ["'nope' in dict", false],
  ["os_family in ['Debian', 'Ubuntu']", { error: "undefined variable 'os_family'" }],
  ["distro.os_family in ['Debian', 'Ubuntu']", true],
  ["[1, 2] in nested", true],
  // boolean logic (returns operands, like Python)
  ["a and b", 2],
  ["zero and b", 0],
  ["zero or name", "Lago"],
  ["not a", false],
  ["not empty", true],
  ["not no_list and not no_dict", true],
  ["not a == 2", true],
  ["not 5 in list", true],
  ["a == 1 and b == 2 or false", true],
  ["false and undefined_thing", false],
  ["true or undefined_thing", true],
  ["(a == 2 or b == 2) and name", "Lago"],
  ["a == 2 or b == 2 and false", false],
  // tests
  ["a is defined", true],
  ["missing is defined", false],
  ["missing is not defined", true],
  ["missing is undefined", true],
  ["missing.deep.path is defined", false],
  ["dict.missing is defined", false],
  ["dict.inner.deep is defined", true],
  ["list[7] is defined", false],
  ["nothing is none", true],
  ["a is not none", true],
  ["reg_ok is succeeded", true],
  ["reg_failed is failed", true],
  ["reg_failed is succeeded", false],
  ["reg_changed is changed", true],
  ["reg_ok is not changed", true],
  ["reg_skipped is skipped", true],
  ["reg_ok is skipped", false],
  ["reg_failed is success", false],
  ["missing is defined and missing > 1", false],
  // filters
  ["list | length", 3],
  ["name | length > 3", true],
  ["dict | count", 3],
  ["no_list | length == 0", true],
  ["flag | bool", true],
  ["off | bool", false],
  ["'TRUE' | bool", true],
  ["1 | bool", true],
  ["version | int >= 24", true],
  ["str_num | int + 1", { error: "unexpected '+'" }],
  ["'abc' | int", 0],
  ["'abc' | int(7)", 7],
  ["'3.9' | int", 3],
  ["true | int", 1],
  ["name | lower", "lago"],
  ["name | upper == 'LAGO'", true],
  ["spaced | trim", "hi"],
  ["missing | default('x')", "x"],
  ["missing | d(5)", 5],
  ["missing.path | default('x')", "x"],
  ["a | default(5)", 1],
  ["empty | default('fallback')", ""],
  ["empty | default('fallback', true)", "fallback"],
  ["nothing | default('fallback')", null],
  ["missing | default(name) | upper", "LAGO"],
  ["a | string == '1'", true],
  ["missing | default([]) | length", 0],
  // the version test (Ansible's LooseVersion order: numbers as numbers, letters as text)
  ["'v1.50.0' is version('v1.51.0', '<')", true],
  ["'v1.9.0' is version('v1.50.0', 'lt')", true],
  ["'v1.50.0' is version('v1.50', '>')", true],
  ["'v1.50.0' is version('v1.50.0')", true],
  ["'v1.50.0' is not version('v1.50.0', 'ne')", true],
  ["version is version('24.0.7', '>=')", false],
  ["distro.distribution_version is version('12', 'ge')", true],
  ["'1.0rc1' is version('1.0', '>')", true],
  // errors: undefined variables
  ["foo", { error: "undefined variable 'foo'" }],
  ["foo == 1", { error: "undefined variable 'foo'" }],
  ["dict.missing == 1", { error: "undefined variable 'dict.missing'" }],
  ["missing.deep.path", { error: "undefined variable 'missing'" }],
  ["dict['nope']", { error: "undefined variable 'dict.nope'" }],
  ["list[9]", { error: "undefined variable 'list[9]'" }],
  ["not foo", { error: "undefined variable 'foo'" }],
  ["foo | length", { error: "undefined variable 'foo'" }],
  ["[foo]", { error: "undefined variable 'foo'" }],
  ["foo is changed", { error: "undefined variable 'foo'" }],
  ["dict.constructor", { error: "undefined variable 'dict.constructor'" }],
  ["toString", { error: "undefined variable 'toString'" }],
  // errors: types
  ["version >= 24", { error: "'>=' not supported between str and int" }],
  ["a < 'x'", { error: "'<' not supported between int and str" }],
  ["1 in name", { error: "requires a string on the left" }],
  ["1 in a", { error: "'in' needs a string, list or dict on the right, not int" }],
  ["'v1.50.0' is version('1.51.0', '<')", {
    error:
      "cannot compare 'v1.50.0' with '1.51.0' as versions: part 1 is letters in 'v1.50.0' but digits in '1.51.0'",
  }],
  ["name is version('1.51.0', '<')", {
    error: "cannot compare name with '1.51.0' as versions: part 1 is letters in name but digits in '1.51.0'",
  }],
  ["'1.2' is version('1.3', 'older')", {
    error: "the 'version' test: 'older' is not an operator it knows (known: <, lt,",
  }],
  ["'1.2' is version('1.3', name)", { error: "the 'version' test: name is not an operator it knows" }],
  ["'1.2' is version()", { error: "the 'version' test needs a version on each side" }],
  ["foo is version('1.2')", { error: "undefined variable 'foo'" }],
  ["a is failed", { error: "the 'failed' test needs a registered result (a dict), not int" }],
  ["a | length", { error: "'length' needs a string, list or dict, not int" }],
  ["-name", { error: "cannot negate str" }],
  // errors: syntax
  ["a == = b", { error: "syntax error at column 6 in 'a == = b': unexpected '='" }],
  ["a ==", { error: "syntax error at column 5 in 'a ==': unexpected end of expression" }],
  ["(a == 1", { error: "column 8 in '(a == 1': unexpected end of expression, expected ')'" }],
  ["a b", { error: "column 3 in 'a b': unexpected 'b'" }],
  ["'open", { error: "column 1 in ''open': unterminated string" }],
  ["a | nope", { error: "column 5 in 'a | nope': unknown filter 'nope' (known: bool, d, default" }],
  ["a is nope", { error: "unknown test 'nope'" }],
  ["a is", { error: "unexpected end of expression, expected a test name" }],
  ["a and", { error: "unexpected end of expression" }],
  ["", { error: "empty expression" }],
  ["{{ }}", { error: "empty expression" }],
  ["a.b.", { error: "unexpected end of expression" }],
  ["[1, 2", { error: "expected ','" }],
  ["a & b", { error: "column 3 in 'a & b': unexpected '&'" }],
  ["and", { error: "unexpected 'and'" }],
  ["a.1.5", { error: "unexpected '1.5'" }],
];

function run(expression: string): unknown {
  return evaluate(parseExpression(expression), vars);
}

describe("evaluate", () => {
  for (const [expression, expected] of cases) {
    const isError = expected !== null && typeof expected === "object" && "error" in expected;
    it(`${JSON.stringify(expression)} → ${isError ? "error" : JSON.stringify(expected)}`, () => {
      if (isError) {
        expect(() => run(expression)).toThrow(UserError);
        expect(() => run(expression)).toThrow(expected.error);
      } else {
        expect(run(expression)).toEqual(expected);
      }
    });
  }

  it("has a table of 40+ cases", () => expect(cases.length).toBeGreaterThan(40));

  it("caches parsed expressions", () => {
    expect(parseExpression("a == 1 and b")).toBe(parseExpression("a == 1 and b"));
  });

  it("reads variables layered with prototypes, but never Object.prototype", () => {
    const scope = Object.assign(Object.create({ inherited: "play" }), { own: "task" });
    expect(evaluate(parseExpression("inherited == 'play' and own == 'task'"), scope)).toBe(true);
    expect(() => evaluate(parseExpression("hasOwnProperty"), scope)).toThrow("undefined variable");
  });
});

const conditionCases: [cond: Condition, expected: boolean | { error: string }][] = [
  [true, true],
  [false, false],
  ["a == 1", true],
  ["empty", false],
  ["no_dict", false],
  ["list", true],
  ["nothing", false],
  ["'0'", true],
  ["zero", false],
  [["a == 1", "b == 2"], true],
  [["a == 1", "b == 3"], false],
  [["a == 1", true], true],
  [[], true],
  [["a == 2", "foo"], false], // stops at the first false, like Ansible
  ["foo", { error: "playbooks/site.yml:12:5 when: undefined variable 'foo'" }],
  ["a == = b", {
    error: "playbooks/site.yml:12:5 when: syntax error at column 6 in 'a == = b': unexpected '='",
  }],
  [[true, "foo.bar"], { error: "playbooks/site.yml:12:5 when: undefined variable 'foo'" }],
];

describe("evaluateCondition", () => {
  for (const [cond, expected] of conditionCases) {
    it(`${JSON.stringify(cond)} → ${JSON.stringify(expected)}`, () => {
      const run = () => evaluateCondition(cond, vars, "playbooks/site.yml:12:5 when");
      if (typeof expected === "boolean") expect(run()).toBe(expected);
      else expect(run).toThrow(expected.error);
    });
  }

  it("keeps a hint for undefined variables", () => {
    try {
      evaluateCondition("foo", vars, "x when");
      expect.unreachable();
    } catch (e) {
      expect((e as UserError).hint).toContain("foo is defined");
    }
  });

  it("rejects a condition that is neither text, boolean nor list", () => {
    expect(() => evaluateCondition(3 as unknown as Condition, vars, "x when")).toThrow(
      "x when: should be an expression, a boolean or a list of them, not int",
    );
  });
});

const referenceCases: [expression: string, names: string[]][] = [
  ["a == 1", ["a"]],
  ["a.b.c and d['e'] or f[g]", ["a", "d", "f", "g"]],
  ["x is defined and x > 1", []],
  ["x is not defined or y", ["y"]],
  ["x | default(y) == z", ["y", "z"]],
  ["'lit' in [a, b, a]", ["a", "b"]],
  ["reg is changed and not (q | length)", ["reg", "q"]],
  ["true", []],
];

describe("referencedVariables", () => {
  for (const [expression, names] of referenceCases) {
    it(`${expression} → ${names.join(", ") || "(none)"}`, () => {
      expect(referencedVariables(parseExpression(expression))).toEqual(names);
    });
  }
});

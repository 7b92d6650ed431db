/**
 * Template and condition mistakes found from the text alone (what stops a command when the files
 * load): one message each, where it is.
 */
import { describe, expect, it } from "vitest";
import { conditionMistake, templateMistakes } from "../../../src/vars/template-check.ts";

describe("templates that cannot render", () => {
  const cases: [string, string, string][] = [
    [
      "an unclosed block",
      "a\n{{#if x}}on",
      "2:1 template syntax error: a block is not closed ({{#…}} without its {{/…}})",
    ],
    ["an unclosed mustache", "port={{ port", "1:6 template syntax error: a {{ is not closed with }}"],
    [
      "a mismatched block",
      "{{#if x}}a{{/each}}",
      "1:4 template syntax error: {{#if}} is closed by {{/each}}",
    ],
    [
      "an unclosed triple-stash",
      "{{{ raw }}",
      "1:9 template syntax error: {{{ is closed by }} (a triple-stash needs }}})",
    ],
    [
      "an unknown helper",
      "{{ shout name }}",
      "1:1 unknown helper 'shout' (helpers: and, coalesce, concat, default, each, eq, if, includes, join, json, log, lookup, lower, ne, not, or, quote, replace, unless, upper, urlencode, userinfo, with)",
    ],
    [
      "an unknown helper in a subexpression",
      "{{#if (isset x)}}y{{/if}}",
      "1:7 unknown helper 'isset' (helpers: and, coalesce, concat, default, each, eq, if, includes, join, json, log, lookup, lower, ne, not, or, quote, replace, unless, upper, urlencode, userinfo, with)",
    ],
    ["a helper with too few arguments", "{{default x}}", "1:1 helper 'default' takes 2 arguments, got 1"],
    ["a helper with too many", "{{upper a b}}", "1:1 helper 'upper' takes 1 argument, got 2"],
    ["a known helper with none", "{{ urlencode }}", "1:1 helper 'urlencode' takes 1 argument, got 0"],
    ["if without a condition", "{{#if}}a{{/if}}", "1:1 helper 'if' takes 1 argument, got 0"],
    [
      "a partial",
      "x\n{{> header}}",
      "2:1 partials ({{> header}}) are not supported: there are none to include",
    ],
  ];
  for (const [name, text, want] of cases) {
    it(
      name,
      () => expect(templateMistakes(text).map((m) => `${m.line}:${m.col} ${m.message}`)).toEqual([want]),
    );
  }
  // Jinja2 is one problem, with its handlebars equivalent, from src/config/jinja-check.ts: not twice.
  for (const text of ["{{ x | default('a') }}", "a\n{% if x %}b{% endif %}"]) {
    it(`Jinja2 is left to the jinja2 check: ${JSON.stringify(text)}`, () => {
      expect(templateMistakes(text)).toEqual([]);
    });
  }

  const fine = [
    "plain text",
    '{{ a.b }} and {{default port "80"}}',
    "{{#each items as |item|}}{{item}}{{/each}}",
    "{{#section}}in a section{{/section}}",
    '{{#if (and a (eq b "x"))}}y{{else}}z{{/if}}',
    '{{join list ", "}} {{json x}} {{{ raw }}}',
    "{{! a comment }}",
  ];
  for (const text of fine) it(`fine: ${text}`, () => expect(templateMistakes(text)).toEqual([]));
});

describe("conditions that do not parse", () => {
  it("say where", () => {
    expect(conditionMistake("x ==")).toMatch(
      /syntax error at column 5 in 'x ==': unexpected end of expression/,
    );
    expect(conditionMistake("x | shout")).toMatch(/unknown filter 'shout'/);
    expect(conditionMistake("x == 1 and y is defined")).toBeUndefined();
  });
});

/**
 * docs/lint.md lists every rule as the registry describes it (UPDATE_GOLDEN=1 rewrites the list; then
 * `deno fmt` wraps it, so the comparison ignores how whitespace is laid out).
 */
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { expect, it } from "vitest";
import { rulesMarkdown } from "../../../src/lint/rules.ts";

const START = "<!-- rules:start -->\n";
const END = "<!-- rules:end -->";

it("docs/lint.md has the rule reference of the registry", () => {
  const text = readFileSync("docs/lint.md", "utf8");
  const [head, rest] = text.split(START);
  const tail = rest.slice(rest.indexOf(END));
  const wanted = `${head}${START}${rulesMarkdown()}${END}${tail.slice(END.length)}`;
  if (process.env.UPDATE_GOLDEN) return writeFileSync("docs/lint.md", wanted);
  const words = (s: string) => s.replace(/\s+/g, " ");
  expect(words(text)).toBe(words(wanted));
});

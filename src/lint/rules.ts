/**
 * Every lint rule, gathered from the rule families (one file each), with lookups for `--explain`,
 * the config file and the output formats.
 */
import { didYouMean } from "../core/suggest.ts";
import { UserError } from "../core/errors.ts";
import { idempotenceRules } from "./idempotence.ts";
import { lagoRules } from "./lago.ts";
import { schemaRules } from "./schema.ts";
import { styleRules } from "./style.ts";
import { topologyRules } from "./topology.ts";
import type { Rule } from "./types.ts";
import { variableRules } from "./variables.ts";

export const RULES: readonly Rule[] = [
  ...schemaRules,
  ...variableRules,
  ...lagoRules,
  ...topologyRules,
  ...idempotenceRules,
  ...styleRules,
];

const byId = new Map(RULES.map((r) => [r.id, r]));

export const findRule = (id: string): Rule | undefined => byId.get(id);

/** The rule with this id; a UserError naming the nearest rule otherwise. */
export function ruleById(id: string): Rule {
  const rule = byId.get(id);
  if (!rule) {
    throw new UserError(`unknown rule '${id}'${didYouMean(id, byId.keys())}`, "list them with --list-rules");
  }
  return rule;
}

/** `lago-provision lint --explain RULE`: title, severity and the paragraph. */
export function explainRule(rule: Rule): string {
  const state = rule.enabled === false ? ", off unless enabled in .lago-provision-lint.yml" : "";
  return `${rule.id} (${rule.severity}${state}): ${rule.title}\n\n${wrap(rule.explanation, 100)}\n`;
}

/** `--list-rules`: one line per rule. */
export function listRules(): string {
  const width = Math.max(...RULES.map((r) => r.id.length));
  return RULES.map((r) => `${r.id.padEnd(width)}  ${r.severity.padEnd(7)}  ${r.title}\n`).join("");
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join("\n");
}

/** The rule reference of docs/lint.md: a list, then one section per rule, in registry order. */
export function rulesMarkdown(): string {
  const list = RULES.map((r) =>
    `- [\`${r.id}\`](#${r.id}) (${r.severity}${r.enabled === false ? ", off by default" : ""}): ${r.title}`
  );
  const sections = RULES.map((r) =>
    `### ${r.id}\n\n**${r.severity}**, ${r.family}: ${r.title}.\n\n${r.explanation}\n`
  );
  return `${list.join("\n")}\n\n${sections.join("\n")}`;
}

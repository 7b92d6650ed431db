/**
 * `-e` values, as Ansible takes them: `key=value` pairs (values read as YAML scalars, so
 * `debug=true` is a boolean and `port=8080` a number), a JSON/YAML mapping, or `@file.yml`.
 *
 * An `-e` often carries a secret (`-e db_password=…`), so an error names the variable (or which `-e`
 * it is, or the file) and says what is wrong, never showing the value or a part of it.
 */
import { parseDocument } from "yaml";
import { UserError } from "../core/errors.ts";
import { splitWords } from "../core/command.ts";
import { readTextFile } from "../core/files.ts";
import { countRead } from "../core/stats.ts";
import { MAX_CONFIG_BYTES, yamlProblem } from "./yaml.ts";

export function parseExtraVars(values: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  values.forEach((value, i) => Object.assign(out, parseOne(value, i + 1)));
  return out;
}

const ordinal = (n: number) =>
  `${n}${["th", "st", "nd", "rd"][n % 100 > 10 && n % 100 < 14 ? 0 : n % 10] ?? "th"}`;
const NAME_THEN_EQUALS = /^\s*([A-Za-z_][A-Za-z0-9_]*)=/;

function parseOne(value: string, position: number): Record<string, unknown> {
  const nth = `the ${ordinal(position)} -e`;
  if (value.startsWith("@")) {
    const file = value.slice(1);
    countRead(file);
    // A regular file of bounded size only: a FIFO or /dev/zero must not hang or fill the controller.
    const text = readTextFile(file, { what: "-e file", maxBytes: MAX_CONFIG_BYTES });
    return asMapping(parseYamlText(text, `-e @${file}`, "file"), `-e @${file}`);
  }
  if (value.trim().startsWith("{")) {
    return asMapping(parseYamlText(value.trim(), `${nth} (a mapping)`, "mapping"), nth);
  }
  let words: string[];
  try {
    words = splitWords(value);
  } catch {
    const name = NAME_THEN_EQUALS.exec(value)?.[1];
    throw new UserError(
      `-e ${name ?? `(${nth})`}: a quote is not closed (the value is not shown)`,
      "close the quote, or quote the whole -e for your shell and the value inside it: -e 'name=\"text\"'",
    );
  }
  const out: Record<string, unknown> = {};
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq <= 0) {
      throw new UserError(
        `${nth}: expected NAME=value, a JSON/YAML mapping or @file.yml (the value is not shown)`,
        'e.g. -e lago_version=v1.20.0, -e \'{"lago_version": "v1.20.0"}\' or -e @vars.yml',
      );
    }
    const name = word.slice(0, eq);
    const raw = word.slice(eq + 1);
    out[name] = raw === "" ? "" : parseYamlText(raw, `-e ${name}`, "value");
  }
  return out;
}

/** YAML text as a value; an error says where and what (`yamlProblem` shows no text of the value). */
function parseYamlText(text: string, where: string, what: "value" | "mapping" | "file"): unknown {
  const doc = parseDocument(text);
  // A warning (an unknown `!tag`) would change the value silently: refused like an error.
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const at = problem.linePos?.[0];
    const place = !at
      ? ""
      : what === "file"
      ? ` at line ${at.line}, column ${at.col}`
      : ` at column ${at.col}`;
    throw new UserError(
      `${where}: ${what === "file" ? "the file" : `the ${what}`} is not valid YAML${place}: ${
        yamlProblem(problem)
      }`,
      what === "value"
        ? `to pass it as text, quote it for YAML inside the shell's quotes: -e "${
          where.slice(3)
        }='…'" (a ' inside is written '')`
        : undefined,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch {
    throw new UserError(`${where}: the ${what} is not valid YAML (an alias to no anchor)`);
  }
}

function asMapping(v: unknown, where: string): Record<string, unknown> {
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    const got = v === null || v === undefined ? "nothing" : Array.isArray(v) ? "a list" : `a ${typeof v}`;
    throw new UserError(`${where}: expected a mapping of variables (NAME: value), got ${got}`);
  }
  return v as Record<string, unknown>;
}

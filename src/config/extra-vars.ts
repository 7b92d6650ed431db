/**
 * `-e` values, as Ansible takes them: `key=value` pairs (values read as YAML scalars, so
 * `debug=true` is a boolean and `port=8080` a number), a JSON/YAML mapping, or `@file.yml`.
 */
import { parse } from "yaml";
import { UserError } from "../core/errors.ts";
import { splitWords } from "../core/command.ts";
import { readTextFile } from "../core/files.ts";
import { MAX_CONFIG_BYTES } from "./yaml.ts";
import { countRead } from "../core/stats.ts";

export function parseExtraVars(values: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const value of values) Object.assign(out, parseOne(value));
  return out;
}

function parseOne(value: string): Record<string, unknown> {
  if (value.startsWith("@")) {
    const file = value.slice(1);
    countRead(file);
    // A regular file of bounded size only: a FIFO or /dev/zero must not hang or fill the controller.
    const text = readTextFile(file, { what: "-e file", maxBytes: MAX_CONFIG_BYTES });
    return asMapping(parseYamlText(text, value), value);
  }
  const trimmed = value.trim();
  if (trimmed.startsWith("{")) return asMapping(parseYamlText(trimmed, value), value);
  const out: Record<string, unknown> = {};
  for (const word of splitWords(value)) {
    const eq = word.indexOf("=");
    if (eq <= 0) throw new UserError(`-e ${value}: expected key=value, a JSON object or @file.yml`);
    const raw = word.slice(eq + 1);
    out[word.slice(0, eq)] = raw === "" ? "" : parseYamlText(raw, value);
  }
  return out;
}

function parseYamlText(text: string, where: string): unknown {
  try {
    return parse(text);
  } catch (e) {
    throw new UserError(`-e ${where}: ${String((e as Error).message).split("\n")[0]}`);
  }
}

function asMapping(v: unknown, where: string): Record<string, unknown> {
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    throw new UserError(`-e ${where}: expected a mapping of variables`);
  }
  return v as Record<string, unknown>;
}

/**
 * `lago-provision convert-templates [PATHS...] [--write]`: rewrite the common Jinja2 forms in template
 * files as handlebars (`{% if %}` → `{{#if}}`, `{% for x in xs %}` → `{{#each xs as |x|}}`,
 * `{{ x | default('y') }}` → `{{default x "y"}}`, …; src/vars/jinja.ts), so that each renders as
 * Ansible rendered it. Without --write it shows the changes; with it, files are rewritten in place
 * (their names stay, so `template: src:` still finds them). What has no equivalent is listed with its
 * line: exit 1 until it is rewritten by hand.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, sep } from "node:path";
import { createTwoFilesPatch } from "diff";
import { UserError } from "../core/errors.ts";
import { displayPath } from "../config/problems.ts";
import { writeStdout } from "../runtime.ts";
import { convertJinja, describeJinja, findJinja } from "../vars/jinja.ts";

export interface ConvertOptions {
  write: boolean;
}

/** Where template files are looked for when no path is given. */
export const DEFAULT_TEMPLATE_PATHS = ["roles", "playbooks", "templates"];

export function convertTemplatesCommand(paths: string[], opts: ConvertOptions): number {
  const given = paths.length > 0;
  const roots = given ? paths : DEFAULT_TEMPLATE_PATHS.filter((p) => existsSync(p));
  for (const p of roots) if (!existsSync(p)) throw new UserError(`no such file or directory: ${p}`);
  const files = roots.flatMap((p) => templateFiles(p, given && statSync(p).isFile()));
  let converted = 0;
  let left = 0;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    if (text.includes("\0")) continue;
    const found = findJinja(text);
    if (found.length === 0) continue;
    const result = convertJinja(text);
    const shown = displayPath(file);
    const done = found.length - result.unconverted.length;
    converted += done;
    left += result.unconverted.length;
    if (done > 0) {
      if (opts.write) writeFileSync(file, result.text);
      else writeStdout(createTwoFilesPatch(shown, shown, text, result.text, "Jinja2", "handlebars"));
    }
    const verb = opts.write ? "converted" : "would convert";
    writeStdout(`${shown}: ${verb} ${done} of ${found.length}\n`);
    for (const f of result.unconverted) writeStdout(`  ${shown}:${f.line}:${f.col}: ${describeJinja(f)}\n`);
  }
  const verb = opts.write ? "converted" : "would convert (run again with --write)";
  writeStdout(
    files.length === 0
      ? "no template files found\n"
      : `${verb}: ${converted}; left for you to rewrite: ${left}\n`,
  );
  return left > 0 ? 1 : 0;
}

/** Template files: everything under a `templates/` folder (or the file itself, when named). */
function templateFiles(path: string, named: boolean): string[] {
  if (named) return [path];
  const out: string[] = [];
  const walk = (dir: string, inTemplates: boolean) => {
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith(".") || entry === "node_modules") continue;
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full, inTemplates || entry === "templates");
      else if (inTemplates) out.push(full);
    }
  };
  if (statSync(path).isDirectory()) walk(path, path.split(sep).includes("templates"));
  return out;
}

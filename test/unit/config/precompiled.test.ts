/**
 * The validators the build compiles ahead of time (src/config/precompiled.ts) behave exactly like the
 * ones ajv compiles at run time, for every YAML file of the repository (lint corpus, fixtures,
 * playbooks, roles, inventory) against every schema: the same problems reported to the user, and the
 * same raw ajv errors. And a file generated from other schemas is never used.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020Module from "ajv/dist/2020.js";
import { afterAll, describe, expect, it } from "vitest";
import { type FileKind, generateSchemas } from "../../../src/config/json-schema.ts";
import { standaloneValidators } from "../../../src/config/precompile.ts";
import { fingerprint, loadPrecompiled } from "../../../src/config/precompiled.ts";
import { ajvOptions, MESSAGE_KEYWORDS, validateWith } from "../../../src/config/validate.ts";
import { parseYaml, type YamlFile } from "../../../src/config/yaml.ts";
import { modules } from "../../../src/modules/index.ts";

const Ajv2020 = Ajv2020Module.default;

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yamlFiles(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

function documents(): YamlFile[] {
  const dirs = ["test/lint/corpus", "test/fixtures", "playbooks", "roles", "inventory"];
  return dirs.flatMap((d) => yamlFiles(d)).flatMap((file) => {
    try {
      return [parseYaml(readFileSync(file, "utf8"), file)];
    } catch {
      return []; // malformed on purpose (yaml-syntax cases)
    }
  });
}

/**
 * An ajv error as JSON, without the `$ref`/`$defs` plumbing of the schemas it quotes: the precompiled
 * code shares the task and handler definitions between kinds (precompile.ts), so a quoted root schema
 * refers to them elsewhere. Nothing reads those keys from an error (validate.ts).
 */
const errorsJson = (errors: unknown) =>
  JSON.stringify(
    errors,
    (key, value) =>
      key === "$defs"
        ? undefined
        : key === "$ref"
        ? String(value).replace(/^(#\/\$defs\/|lago-provision-)/, "")
        : value,
  );

describe("precompiled validators", () => {
  const { files } = generateSchemas();
  const dir = mkdtempSync(join(tmpdir(), "lago-precompiled-"));
  const path = join(dir, "validators.generated.js");
  writeFileSync(path, standaloneValidators(files, ajvOptions, MESSAGE_KEYWORDS));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const current = () => fingerprint(files, ajvOptions);

  const precompiled = loadPrecompiled(current, path)!;
  const ajv = new Ajv2020(ajvOptions);
  ajv.addVocabulary(MESSAGE_KEYWORDS);
  const kinds = Object.keys(files) as FileKind[];
  const compiled = Object.fromEntries(kinds.map((k) => [k, ajv.compile(files[k])]));
  const docs = documents();

  it("loads one validator per file kind", () => {
    expect(Object.keys(precompiled ?? {}).sort()).toEqual([...kinds].sort());
    expect(docs.length).toBeGreaterThan(60);
  });

  for (const kind of kinds) {
    it(`${kind}: same problems and errors as run-time compilation on every file`, () => {
      const differ: string[] = [];
      let invalid = 0;
      for (const doc of docs) {
        const problems = validateWith(precompiled[kind], doc, kind, modules);
        const expected = validateWith(compiled[kind], doc, kind, modules);
        if (expected.length) invalid++;
        const a = precompiled[kind](doc.value);
        const b = compiled[kind](doc.value);
        const same = JSON.stringify(problems) === JSON.stringify(expected) && a === b &&
          errorsJson(precompiled[kind].errors) === errorsJson(compiled[kind].errors);
        if (!same) differ.push(doc.file);
      }
      expect(differ).toEqual([]);
      expect(invalid).toBeGreaterThan(0); // the comparison saw problems, not only valid files
    });
  }

  it("is not used when generated from other schemas or options", () => {
    expect(loadPrecompiled(() => fingerprint(files, { ...ajvOptions, allErrors: false }), path))
      .toBeUndefined();
    const other = { ...files, vars: { ...files.vars, description: "changed" } };
    expect(loadPrecompiled(() => fingerprint(other, ajvOptions), path)).toBeUndefined();
  });

  it("is cut short (an interrupted build): run-time compilation", () => {
    const cut = join(dir, "cut.js");
    writeFileSync(cut, readFileSync(path, "utf8").slice(0, 50_000));
    expect(loadPrecompiled(current, cut)).toBeUndefined();
  });

  it("is not there: run-time compilation", () => {
    expect(loadPrecompiled(current, join(dir, "missing.js"))).toBeUndefined();
  });
});

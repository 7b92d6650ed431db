/**
 * SARIF output against the official SARIF 2.1.0 JSON Schema (OASIS, schema version 2.1.0-rtm.5, as
 * shipped by Microsoft's SARIF SDK in the npm package @microsoft/jest-sarif), validated by ajv as the
 * schema declares itself: JSON Schema draft-04 (ajv-draft-04). GitHub code scanning rejects uploads
 * that do not validate.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import Ajv04Module from "ajv-draft-04";
import { describe, expect, it } from "vitest";
import { ruleSettings } from "../../../src/lint/config.ts";
import { formatSarif, RULES } from "../../../src/lint/index.ts";
import { cli } from "./helpers.ts";

const require = createRequire(import.meta.url);
const schemaFile = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
const schema = JSON.parse(readFileSync(schemaFile, "utf8"));

const Ajv04 = Ajv04Module.default ?? Ajv04Module;
// unicodeRegExp off: the schema's `language` pattern has a stray `]`, legal in ECMA-262 regexes
// (which JSON Schema patterns are) but not under the `u` flag ajv uses by default.
const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
// The schema's formats, checked rather than ignored (RFC 3986 URIs, RFC 3339 date-times).
ajv.addFormat("uri", (s: string) => URL.canParse(s));
ajv.addFormat("uri-reference", (s: string) => URL.canParse(s, "file:///base/") && !/\s/.test(s));
ajv.addFormat(
  "date-time",
  (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s),
);
const validate = ajv.compile(schema);

const valid = (log: unknown) => {
  const ok = validate(log);
  return ok ? "valid" : ajv.errorsText(validate.errors, { separator: "\n" });
};

describe("SARIF 2.1.0", () => {
  it("the schema is the official 2.1.0 one, draft-04", () => {
    expect(schema.$schema).toBe("http://json-schema.org/draft-04/schema#");
    expect(schema.title).toMatch(/^Static Analysis Results Format \(SARIF\) Version 2\.1\.0/);
    // The validator really checks: a log without runs, or with a bad level, is refused.
    expect(valid({ version: "2.1.0" })).not.toBe("valid");
    expect(
      valid({
        version: "2.1.0",
        runs: [{ tool: { driver: { name: "x" } }, results: [{ message: { text: "m" }, level: "fatal" }] }],
      }),
    )
      .not.toBe("valid");
  });

  for (const name of ["lago", "schema", "variables", "fleet", "idempotence", "clean"]) {
    it(`lint --format sarif on the '${name}' corpus validates`, async () => {
      const r = await cli(["lint", "--format", "sarif"], resolve("test/lint/corpus", name));
      const log = JSON.parse(r.stdout);
      expect(valid(log)).toBe("valid");
      expect(log.runs[0].tool.driver.rules).toHaveLength(RULES.length);
      if (name === "clean") expect(log.runs[0].results).toEqual([]);
      else expect(log.runs[0].results.length).toBeGreaterThan(0);
    });
  }

  it("results point at the file, line and column, with the rule's level", () => {
    const settings = ruleSettings({
      rules: { "unused-variable": "off", "command-without-guard": "error" },
      exclude: [],
      vars: [],
    });
    const text = formatSarif([
      {
        rule: "public-db-port",
        severity: "error",
        file: "roles/lago/templates/compose yml.hbs",
        line: 5,
        col: 10,
        message: "m1",
      },
      { rule: "schema-comment", severity: "info", file: "/abs/site.yml", line: 1, col: 1, message: "m2" },
    ], { version: "0.1.0", settings });
    const log = JSON.parse(text);
    expect(valid(log)).toBe("valid");
    const [first, second] = log.runs[0].results;
    expect(first).toEqual({
      ruleId: "public-db-port",
      ruleIndex: RULES.findIndex((r) => r.id === "public-db-port"),
      level: "error",
      message: { text: "m1" },
      locations: [{
        physicalLocation: {
          artifactLocation: { uri: "roles/lago/templates/compose%20yml.hbs", uriBaseId: "%SRCROOT%" },
          region: { startLine: 5, startColumn: 10 },
        },
      }],
    });
    expect(second.level).toBe("note");
    expect(second.locations[0].physicalLocation.artifactLocation).toEqual({ uri: "file:///abs/site.yml" });
    const rules = log.runs[0].tool.driver.rules;
    const rule = (id: string) => rules.find((r: { id: string }) => r.id === id);
    expect(rule("unused-variable").defaultConfiguration).toEqual({ enabled: false, level: "warning" });
    expect(rule("command-without-guard").defaultConfiguration).toEqual({ enabled: true, level: "error" });
    expect(rule("public-db-port")).toMatchObject({
      shortDescription: { text: "PostgreSQL or Redis is published on every interface" },
      fullDescription: { text: expect.stringContaining("Docker's iptables rules bypass the host firewall") },
      help: { text: expect.stringContaining("# lago-provision-lint: ignore public-db-port") },
    });
  });
});

/** The pieces of lint on their own: template scanning, rule ids for validation messages, Lago data, port and suppression parsing. */
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { excluder } from "../../../src/lint/config.ts";
import { scanTemplate } from "../../../src/lint/handlebars.ts";
import { formatText, lint } from "../../../src/lint/index.ts";
import {
  isPlaceholder,
  LAGO_ENV_NAMES,
  LAGO_ENV_TABLE,
  PLACEHOLDER_DEFAULTS,
} from "../../../src/lint/lago-env.ts";
import { schemaRuleOf } from "../../../src/lint/schema.ts";
import { inDir, tempRepo } from "./helpers.ts";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
/** Lint a temporary repository and return the text findings. */
function lintRepo(files: Record<string, string>, paths = ["."]): Promise<string> {
  const dir = tempRepo(files);
  temps.push(dir);
  return inDir(dir, async () => formatText((await lint(paths)).findings));
}

describe("scanTemplate", () => {
  const names = (text: string) =>
    scanTemplate(text).vars.map((v) => `${v.name}${v.guarded ? "?" : ""}@${v.line}:${v.col}`);

  it("finds variables with their positions, not helpers", () => {
    expect(names("a {{ app.port }}\n{{upper (lower name) }} {{json cfg}}")).toEqual([
      "app@1:6",
      "name@2:16",
      "cfg@2:32",
    ]);
  });

  it("guards default's first argument and conditions, and what a condition proves", () => {
    expect(
      names(
        '{{default x "v"}} {{#if y}}{{ y.z }}{{else}}{{ y }}{{/if}} {{#unless w}}{{else}}{{ w }}{{/unless}}',
      ),
    )
      .toEqual(["x?@1:11", "y?@1:25", "y?@1:31", "y@1:48", "w?@1:70", "w?@1:84"]);
  });

  it("skips the item context of each/with, block params, @data; follows ../ and @root", () => {
    expect(
      names(
        "{{#each items as |it|}}{{ it.x }}{{ name }}{{ ../top }}{{ @root.r }}{{ @index }}{{/each}}{{#with cfg}}{{ port }}{{/with}}",
      ),
    )
      .toEqual(["items@1:9", "top@1:47", "r@1:59", "cfg@1:98"]);
  });

  it("reports syntax errors in one short sentence", () => {
    expect(scanTemplate("x\n{{#if a}}").error).toEqual({
      line: 2,
      col: 1,
      message: "template syntax error: unexpected end of template (a block left open?)",
    });
    expect(scanTemplate("{{ a b").error?.message).toBe("template syntax error: unexpected invalid");
  });
});

describe("schemaRuleOf: validation messages → rules", () => {
  it.each([
    ["YAML syntax error: bad indentation", "yaml-syntax"],
    ["duplicate key 'dest'", "yaml-syntax"],
    ["unknown module 'tempalte' — did you mean 'template'?", "unknown-module"],
    ["unknown argument 'dset'", "unknown-argument"],
    ["unknown key 'becom'", "unknown-key"],
    ["missing required arguments 'src' and 'dest'", "missing-required"],
    ["has no module: add one of command, copy", "module-count"],
    ["has 2 modules, 'command' and 'shell': a task runs exactly one", "module-count"],
    ['should be a string like "0640"', "wrong-type"],
    ["should be true or false (YAML 1.2 reads 'yes' as text: write true or false)", "wrong-type"],
    ["should be 'present' or 'absent'", "invalid-value"],
    ["should be one of 'started', 'stopped'", "invalid-value"],
    ["should be at most 65535", "invalid-value"],
    ['should be a percentage like "30%"', "invalid-value"],
    ["not supported: passwords never go in the inventory", "invalid-value"],
  ])("%s → %s", (message, rule) => expect(schemaRuleOf(message)).toBe(rule));
});

describe("Lago environment data (from the seed's table)", () => {
  it("has every row of the documented table", () => {
    expect(LAGO_ENV_TABLE).toHaveLength(57);
    expect(LAGO_ENV_TABLE.find(([n]) => n === "LAGO_PDF_URL")).toEqual([
      "LAGO_PDF_URL",
      "http://pdf:3000",
      "PDF Service URL on your infrastructure",
    ]);
    for (
      const name of [
        "DATABASE_URL",
        "SECRET_KEY_BASE",
        "LAGO_REDIS_CACHE_URL",
        "LAGO_SMTP_PASSWORD",
        "RAILS_ENV",
      ]
    ) {
      expect(LAGO_ENV_NAMES.has(name)).toBe(true);
    }
  });

  it("knows the placeholders and the variables that default to one", () => {
    expect([...PLACEHOLDER_DEFAULTS].sort()).toEqual([
      "LAGO_AWS_S3_ACCESS_KEY_ID",
      "LAGO_AWS_S3_SECRET_ACCESS_KEY",
      "LAGO_ENCRYPTION_DETERMINISTIC_KEY",
      "LAGO_ENCRYPTION_KEY_DERIVATION_SALT",
      "LAGO_ENCRYPTION_PRIMARY_KEY",
      "POSTGRES_PASSWORD",
      "SECRET_KEY_BASE",
    ]);
    expect(["ChangeMe", " azerty123456", "your-encryption-anything", "password"].every(isPlaceholder)).toBe(
      true,
    );
    expect(["s3cret-value", "changeme2", ""].some(isPlaceholder)).toBe(false);
  });
});

describe("public-db-port", () => {
  const lines = [
    ['- "5432:5432"', true],
    ["- 6379:6379/tcp", true],
    ['ports: ["0.0.0.0:5432:5432"]', true],
    ['- "[::]:6379:6379"', true],
    ["docker run -p 15432:5432 postgres", true],
    ['- "${POSTGRES_PORT:-5432}:5432"', true],
    ['- "127.0.0.1:5432:5432"', false],
    ['- "10.0.0.5:6379:6379"', false],
    ['- "[::1]:6379:6379"', false],
    ['- "{{ lago_db_bind }}:5432:5432"', false],
    ["- 3000:3000", false],
    ["REDIS_URL=redis://redis:6379", false],
    ["DATABASE_URL=postgresql://lago:pw@db:5432/lago", false],
    ["expose: [5432]", false],
  ] as const;
  it.each(lines)("%s → %s", async (line, flagged) => {
    const out = await lintRepo({ "files/compose.yml": `${line}\n` });
    expect(out.includes("public-db-port")).toBe(flagged);
  });
});

describe("suppression comments", () => {
  it("apply to their own line and the next, for the rules named", async () => {
    const out = await lintRepo({
      "templates/a.env": [
        "LAGO_X=1 # lago-provision-lint: ignore unknown-lago-env",
        "# lago-provision-lint: ignore placeholder-secret,unknown-lago-env",
        "LAGO_Y=1",
        "LAGO_Z=1",
        "# lago-provision-lint: ignore placeholder-secret",
        "LAGO_W=1",
      ].join("\n"),
    });
    expect(out.trimEnd().split("\n").map((l) => l.split(" ")[0])).toEqual([
      "templates/a.env:4:1",
      "templates/a.env:6:1",
    ]);
  });
});

describe("excluder", () => {
  it("matches globs and folders against display paths", () => {
    const excluded = excluder(["roles/legacy", "**/old-*.yml", "inventory/*.bak.yml"]);
    expect(
      ["roles/legacy/tasks/main.yml", "playbooks/sub/old-site.yml", "old-x.yml", "inventory/a.bak.yml"].every(
        excluded,
      ),
    )
      .toBe(true);
    expect(["roles/legacy2/tasks/main.yml", "inventory/deep/a.bak.yml", "playbooks/site.yml"].some(excluded))
      .toBe(false);
  });
});

describe("an assert's that: is read as conditions", () => {
  it("a role variable used only there is used; a name nothing defines is reported there", async () => {
    const out = await lintRepo({
      "roles/app/defaults/main.yml": "app_strict: true\napp_port: 8080\n",
      "roles/app/tasks/main.yml":
        "- name: App settings hold\n  assert:\n    that:\n      - not app_strict or app_port > 1024\n      - app_mode != 'debug'\n",
      "site.yml": "- hosts: all\n  roles: [app]\n",
    });
    expect(out).not.toContain("unused-variable");
    expect(out).toContain(
      "roles/app/tasks/main.yml:5:9 undefined-variable (error) 0/assert/that/1: undefined variable 'app_mode'",
    );
  });
});

/**
 * `lago-provision lint` end to end (in-process): exit codes, --explain, --list-rules, the config
 * file and the output formats on the corpus repositories.
 */
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RULES } from "../../../src/lint/index.ts";
import { cli, tempRepo } from "./helpers.ts";

const corpus = (name: string) => resolve("test/lint/corpus", name);
const temps: string[] = [];
const repo = (files: Record<string, string>) => {
  const dir = tempRepo(files);
  temps.push(dir);
  return dir;
};
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("exit codes", () => {
  it("0 for a clean repository, with a summary on stderr", async () => {
    const r = await cli(["lint"], corpus("clean"));
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(r.stderr).toMatch(/^no problems in \d+ files\n$/);
  });

  it("0 when there are only warnings", async () => {
    const r = await cli(["lint"], corpus("idempotence"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("command-without-guard (warning)");
    expect(r.stderr).toMatch(/^0 errors, 4 warnings in \d+ files\n$/);
  });

  it("1 when a finding is at error level", async () => {
    const r = await cli(["lint"], corpus("fleet"));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("inventory/prod.yml:14:5 multiple-clock-hosts (error) 2 hosts run the clock");
  });

  it("1 when the config file raises a warning to an error", async () => {
    const dir = repo({
      "playbooks/site.yml": "- hosts: all\n  tasks:\n    - command: uptime\n",
      ".lago-provision-lint.yml": "rules:\n  command-without-guard: error\n  schema-comment: off\n",
    });
    const r = await cli(["lint", "playbooks"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      "playbooks/site.yml:3:7 command-without-guard (error) command runs on every apply: add creates, removes or changed_when\n",
    );
  });

  it("lints only the paths given", async () => {
    const r = await cli(["lint", "roles/tools/templates"], corpus("idempotence"));
    expect(r.stdout).toBe(
      "roles/tools/templates/setup.sh.hbs:3:1 curl-pipe-shell (warning) a download piped into a shell: download to a file, verify it, then run it\n",
    );
  });

  it.each([
    [["lint", "--format", "xml"], /argument 'xml' is invalid/],
    [["lint", "no/such/dir"], /error: no such file or directory: no\/such\/dir/],
    [
      ["lint", "--explain", "unused-variables"],
      /unknown rule 'unused-variables' — did you mean 'unused-variable'\?/,
    ],
    [["lint", "--config", "missing.yml"], /config file not found: missing.yml/],
  ])("2 for a usage error: %j", async (args, message) => {
    const r = await cli(args, corpus("clean"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("2 when there is nothing to lint", async () => {
    const r = await cli(["lint"], repo({ "README.md": "nothing here\n" }));
    expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining("nothing to lint") });
  });
});

describe("config file", () => {
  it.each([
    [
      "rules:\n  unused-varible: off\n",
      "2:3 rules/unused-varible: unknown rule 'unused-varible' — did you mean 'unused-variable'?",
    ],
    [
      "rules:\n  unused-variable: fatal\n",
      "2:3 rules/unused-variable: should be one of off, on, error, warning, info",
    ],
    ["exclude: roles\n", "1:1 exclude: should be a list of strings"],
    ["excludes: [roles]\n", "1:1 excludes: unknown key 'excludes' — did you mean 'exclude'?"],
  ])("refuses %j with a located message (exit 2)", async (text, message) => {
    const dir = repo({ ".lago-provision-lint.yml": text, "playbooks/site.yml": "- hosts: all\n" });
    const r = await cli(["lint"], dir);
    expect(r).toMatchObject({ code: 2, stderr: `error: .lago-provision-lint.yml:${message}\n` });
  });

  it("is taken from --config when given", async () => {
    const dir = repo({
      "ci/lint.yml": "rules:\n  command-without-guard: off\n  schema-comment: off\n",
      "playbooks/site.yml": "- hosts: all\n  tasks:\n    - command: uptime\n",
    });
    expect((await cli(["lint"], dir)).stdout).toContain("command-without-guard");
    expect(await cli(["lint", "--config", "ci/lint.yml"], dir)).toMatchObject({ code: 0, stdout: "" });
  });

  it("can turn on a rule that is off and exclude files by glob", async () => {
    const dir = repo({
      ".lago-provision-lint.yml": "rules: { schema-comment: error }\nexclude: ['**/old-*.yml']\n",
      "playbooks/site.yml": "- hosts: all\n",
      "playbooks/old-site.yml": "- hosts: all\n  tasks: [{ tempalte: {} }]\n",
    });
    const r = await cli(["lint"], dir);
    expect(r.stdout).toBe(
      "playbooks/site.yml:1:1 schema-comment (error) start the file with '# yaml-language-server: $schema=playbook.schema.json'\n",
    );
  });
});

describe("--explain and --list-rules", () => {
  it("explains every rule in a paragraph", async () => {
    for (const rule of RULES) {
      const r = await cli(["lint", "--explain", rule.id]);
      expect(r.code).toBe(0);
      expect(r.stdout.startsWith(`${rule.id} (${rule.severity}): ${rule.title}\n\n`)).toBe(true);
      expect(rule.explanation.length).toBeGreaterThan(150);
      expect(r.stdout.split("\n").every((line) => line.length <= 100)).toBe(true);
    }
  });

  it("lists every rule once with its severity", async () => {
    const r = await cli(["lint", "--list-rules"]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(RULES.map((rule) => rule.id));
    expect(new Set(RULES.map((rule) => rule.id)).size).toBe(RULES.length);
    expect(lines[0]).toMatch(/^yaml-syntax\s+error\s+The file is not valid YAML$/);
  });
});

describe("formats", () => {
  it("github: one workflow command per finding, escaped", async () => {
    const r = await cli(["lint", "--format", "github"], corpus("idempotence"));
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe(
      "::warning file=playbooks/site.yml,line=6,col=7,title=command-without-guard::command runs on every apply: add creates, removes or changed_when",
    );
    const lago = await cli(["lint", "--format", "github", "inventory"], corpus("lago"));
    expect(lago.stdout).toContain(
      "::error file=inventory/group_vars/all.yml,line=4,col=3,title=placeholder-secret::'LAGO_SMTP_PASSWORD' is empty\n",
    );
    expect(lago.stderr).toBe("");
  });

  it("json: the findings as an array", async () => {
    const r = await cli(["lint", "--format", "json"], corpus("fleet"));
    const findings = JSON.parse(r.stdout);
    expect(findings).toHaveLength(7);
    expect(findings[4]).toEqual({
      rule: "multiple-clock-hosts",
      severity: "error",
      file: "inventory/prod.yml",
      line: 14,
      col: 5,
      message: "2 hosts run the clock (worker1, clock1): exactly one may, or billing runs twice",
    });
  });

  it("--output writes the report to a file and the summary to stderr", async () => {
    const dir = repo({ "playbooks/site.yml": "- hosts: all\n  tasks: [{ command: uptime }]\n" });
    const r = await cli(["lint", "-f", "json", "-o", "report.json"], dir);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^0 errors, 1 warning, 1 info in 1 file\n$/);
    expect(JSON.parse(readFileSync(join(dir, "report.json"), "utf8"))).toHaveLength(2);
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { convertJinja, describeJinja, findJinja } from "../../../src/vars/jinja.ts";
import { renderText } from "../../../src/vars/template.ts";
import { jinjaCases } from "../../ansible/jinja.cases.ts";

const rendered = JSON.parse(readFileSync("test/ansible/jinja.expected.json", "utf8")).outputs as Record<
  string,
  string
>;

describe("Jinja2 templates converted to handlebars render as Ansible renders them (ansible-core 2.14)", () => {
  it("has Ansible's output for every case (else: npx deno run -A test/ansible/generate.ts --jinja)", () => {
    expect(Object.keys(rendered).sort()).toEqual(jinjaCases.map((c) => c.name).sort());
  });
  for (const c of jinjaCases) {
    it(c.name, () => {
      const { text, unconverted } = convertJinja(c.template);
      expect(unconverted.map((f) => f.text)).toEqual(c.unconverted ?? []);
      if (c.unconverted) return;
      expect(findJinja(text), text).toEqual([]);
      expect(renderText(text, c.vars, c.name)).toBe(rendered[c.name]);
    });
  }
});

describe("finding Jinja2 where handlebars is expected", () => {
  const cases: [string, string[]][] = [
    ['{{ name }} {{#if x}}{{/if}} {{!-- c --}} {{> p}} {{default x "y"}} {{{raw}}} {{@root.a}}', []],
    ["echo ${#array[@]} and a lone {% here", []],
    ["{{ x | default('y') }}", ["1:1 {{ x | default('y') }} → {{default x \"y\"}}"]],
    ["a\n  {% if tls %}", ["2:3 {% if tls %} → {{#if tls}}"]],
    ["{# note #}", ["1:1 {# note #} → {{!-- note --}}"]],
    ["{{ a ~ b }}", ["1:1 {{ a ~ b }} → none"]],
    ["{{ hostvars[inventory_hostname]['ip'] }}", [
      "1:1 {{ hostvars[inventory_hostname]['ip'] }} → {{lookup (lookup hostvars inventory_hostname) \"ip\"}}",
    ]],
    ["{{ 'a' if x else 'b' }}", ["1:1 {{ 'a' if x else 'b' }} → none"]],
  ];
  for (const [text, want] of cases) {
    it(text, () => {
      const found = findJinja(text).map((f) => `${f.line}:${f.col} ${f.text} → ${f.replacement ?? "none"}`);
      expect(found).toEqual(want);
    });
  }

  it("says what it is and what to write", () => {
    const [f] = findJinja("{% if tls %}x{% endif %}");
    expect(describeJinja(f)).toBe(
      "Jinja2 statement {% if tls %} (templates are handlebars): write {{#if tls}}",
    );
    expect(describeJinja(findJinja("{% set x = 1 %}")[0])).toBe(
      "Jinja2 statement {% set x = 1 %} (templates are handlebars): handlebars has no `set` statement; " +
        "see docs/from-ansible.md",
    );
  });
});

describe("lago-provision convert-templates", () => {
  it("shows the changes, rewrites with --write, and exits 1 while something is left to rewrite by hand", async () => {
    const { mkdtempSync, mkdirSync, readFileSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { convertTemplatesCommand } = await import("../../../src/commands/convert-templates.ts");
    const dir = mkdtempSync(join(tmpdir(), "lago-convert-"));
    mkdirSync(join(dir, "roles/web/templates"), { recursive: true });
    const file = join(dir, "roles/web/templates/site.conf.j2");
    writeFileSync(file, "{% if tls %}\nssl on;\n{% endif %}\nport={{ port | default(80) }}\n");
    expect(convertTemplatesCommand([join(dir, "roles")], { write: false })).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("{% if tls %}"); // a dry run changes nothing
    expect(convertTemplatesCommand([join(dir, "roles")], { write: true })).toBe(0);
    expect(readFileSync(file, "utf8")).toBe("{{#if tls}}\nssl on;\n{{/if}}\nport={{default port 80}}\n");
    writeFileSync(file, "{% set x = 1 %}{{ x }}\n");
    expect(convertTemplatesCommand([file], { write: true })).toBe(1);
  });
});

/**
 * Jinja2 templates as Ansible users write them. Each is rendered by Ansible's template module
 * (ansible-core 2.14, jinja.expected.json, test/ansible/generate.ts); lago-provision converts it to
 * handlebars (`convertJinja`) and the result must render to the very same text, or the construct is
 * left as it is and named as having no equivalent (`unconverted`).
 */
export interface JinjaCase {
  name: string;
  template: string;
  vars: Record<string, unknown>;
  /** Constructs the converter leaves as they are (no handlebars equivalent): their text. */
  unconverted?: string[];
}

export const jinjaCases: JinjaCase[] = [
  {
    name: "if-else",
    template: "server {\n{% if tls %}\n  listen 443 ssl;\n{% else %}\n  listen 80;\n{% endif %}\n}\n",
    vars: { tls: true },
  },
  {
    name: "if-false",
    template: "a\n{% if tls %}\nssl\n{% endif %}\nb\n",
    vars: { tls: false },
  },
  {
    name: "elif-comparisons",
    template:
      "{% if env == 'prod' %}\nlevel: warn\n{% elif env != 'dev' %}\nlevel: info\n{% else %}\nlevel: debug\n{% endif %}\n",
    vars: { env: "staging" },
  },
  {
    name: "inline-if",
    template: "debug={% if debug %}on{% else %}off{% endif %}\n",
    vars: { debug: false },
  },
  {
    name: "not-and-or",
    template: "{% if not a and (b or c) %}yes{% endif %}|{% if a or not c %}also{% endif %}\n",
    vars: { a: false, b: false, c: true },
  },
  {
    name: "in-list",
    template:
      "{% if 'api' in services %}api\n{% endif %}{% if 'front' not in services %}no front\n{% endif %}",
    vars: { services: ["api", "worker"] },
  },
  {
    name: "for-list",
    template:
      "upstream app {\n{% for host in backends %}\n  server {{ host }}:{{ port }};\n{% endfor %}\n}\n",
    vars: { backends: ["10.0.0.1", "10.0.0.2"], port: 3000 },
  },
  {
    name: "for-dict-items",
    template: "{% for key, value in env.items() %}\n{{ key }}={{ value }}\n{% endfor %}",
    vars: { env: { A: "1", B: "two" } },
  },
  {
    name: "for-loop-variables",
    template:
      "{% for u in users %}{{ loop.index0 }}:{{ u.name }}{% if not loop.last %},{% endif %}{% endfor %}\n",
    vars: { users: [{ name: "ann" }, { name: "bob" }, { name: "cy" }] },
  },
  {
    name: "for-first",
    template: "{% for x in xs %}{% if loop.first %}[{% endif %}{{ x }}{% endfor %}]\n",
    vars: { xs: [1, 2] },
  },
  {
    name: "for-nested",
    template:
      "{% for g in groups_list %}{% for h in g.hosts %}{{ g.name }}/{{ h }} {% endfor %}{% endfor %}\n",
    vars: { groups_list: [{ name: "web", hosts: ["w1", "w2"] }, { name: "db", hosts: ["d1"] }] },
  },
  {
    name: "for-else",
    template: "{% for x in empty %}{{ x }}{% else %}none{% endfor %}\n",
    vars: { empty: [] },
  },
  {
    name: "default-filter",
    template:
      "port={{ http_port | default(8080) }} name={{ app_name | default('lago') }} set={{ set_one | d('x') }}\n",
    vars: { set_one: "given" },
  },
  {
    name: "upper-lower-join-length",
    template:
      "{{ name | upper }} {{ name | lower }} {{ hosts | join(',') }} {{ hosts | join }} {{ hosts | length }}\n",
    vars: { name: "Lago", hosts: ["a", "b", "c"] },
  },
  {
    name: "mandatory-string",
    template: "{{ domain | mandatory }} {{ count | string }}\n",
    vars: { domain: "example.com", count: 3 },
  },
  {
    name: "subscripts",
    template: "{{ cfg['db-host'] }} {{ cfg.port }} {{ items[0] }} {{ cfg[key] }}\n",
    vars: { cfg: { "db-host": "pg", port: 5432, other: "o" }, items: ["first"], key: "other" },
  },
  {
    name: "comment-and-whitespace",
    template: "{# the upstream block #}\nline1\n{%- if x %}\n  x\n{%- endif %}\nline2\n",
    vars: { x: true },
  },
  {
    name: "plain-handlebars-compatible",
    template: "listen {{ port }};\nserver_name {{ domain }};\n",
    vars: { port: 443, domain: "lago.example.com" },
  },
  {
    name: "indented-block-tags",
    template: "server {\n    {% if tls %}\n    listen 443;\n    {% endif %}\n    root /srv;\n}\n",
    vars: { tls: true },
  },
  {
    name: "expression-whitespace-control",
    template: "a\n  {{- x }}\nb {{ y -}}  \n c\n",
    vars: { x: 1, y: 2 },
  },
  {
    name: "filter-in-condition",
    template:
      "{% if feature | default(false) %}on{% else %}off{% endif %} {% if name | upper == 'LAGO' %}L{% endif %}\n",
    vars: { name: "lago" },
  },
  {
    name: "no-final-newline",
    template: "{% if x %}a{% endif %}",
    vars: { x: true },
  },
  {
    name: "block-at-end",
    template: "first\n{% for i in xs %}\n- {{ i }}\n{% endfor %}\n",
    vars: { xs: ["a", "b"] },
  },
  {
    name: "not-convertible",
    template:
      "{% set n = 3 %}{{ n }} {{ count | int + 1 }} {{ path | basename }} {{ loop_free | to_json }} {{ name ~ '!' }}\n",
    vars: { count: "4", path: "/a/b.txt", loop_free: ["a", "b"], name: "x" },
    unconverted: [
      "{% set n = 3 %}",
      "{{ count | int + 1 }}",
      "{{ path | basename }}",
      "{{ loop_free | to_json }}",
      "{{ name ~ '!' }}",
    ],
  },
];

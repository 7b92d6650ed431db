/**
 * Inventories as Ansible users write them, each loaded by lago-provision and compared with what
 * `ansible-inventory --list` (ansible-core 2.14) says about the same files. The expected values are in
 * inventory.expected.json, written by `npx deno run -A test/ansible/generate.ts` (see its header).
 *
 * A case behaves as Ansible does (same groups, hosts and variables), or is refused by both, or is
 * refused by lago-provision on purpose (`refuse`: the message it must give, naming file:line).
 */
import { createHash } from "node:crypto";

/** What a case's expected values depend on: changing any of it needs a regeneration. */
export function caseHash(c: InventoryCase): string {
  const input = JSON.stringify([c.files, c.sources ?? null, c.vault ?? null]);
  return createHash("sha256").update(input).digest("hex").slice(0, 16);
}

export interface InventoryCase {
  name: string;
  /** The files of the case: path → text. */
  files: Record<string, string>;
  /** The `-i` arguments, relative to the case's directory (default: `hosts`). */
  sources?: string[];
  /** Vault: `password` is written to `vault-pass`; files listed in `encrypt` are encrypted with it, and
   * `!vault PLAINTEXT` in a file becomes the value ansible-vault encrypt_string gives (id: 1.2 format). */
  vault?: { password: string; encrypt?: string[]; id?: string; decryptWith?: string };
  /** lago-provision refuses what Ansible accepts, on purpose: the one line it must print. */
  refuse?: RegExp;
  /** lago-provision warns (Ansible too, or silently skips): one warning must match. */
  warns?: RegExp;
  /** Also compare `--graph`. */
  graph?: boolean;
}

/** What ansible-inventory said about a case (inventory.expected.json). */
export interface InventoryExpected {
  hash: string;
  /** Files as given to Ansible, when they differ from the case (vault-encrypted ones). */
  files?: Record<string, string>;
  list?: unknown;
  graph?: string;
  error?: string;
  warnings: string[];
}

export const inventoryCases: InventoryCase[] = [
  // ---- INI ----
  {
    name: "ini-basic",
    graph: true,
    files: {
      hosts: `# a comment
; another comment
mail.example.com

[webservers]
foo.example.com
bar.example.com   # trailing comment

[dbservers]
one.example.com
two.example.com
three.example.com
`,
    },
  },
  {
    name: "ini-children",
    graph: true,
    files: {
      hosts: `[atlanta]
host1
host2

[raleigh]
host2
host3

[southeast:children]
atlanta
raleigh

[usa:children]
southeast
northeast

[northeast]
host4

[southeast:vars]
some_server=foo.southeast.example.com
halon_system_timeout=30
escape_pods=2
`,
    },
  },
  {
    name: "ini-group-vars-typing",
    files: {
      hosts: `[g]
h1

[g:vars]
int = 42
negative=-7
float=1.5
exp=1e3
hex=0x1F
octal_py=0o17
octal_text=0644
leading_zero=08
underscore=1_000
true_py=True
true_text=true
yes_text=yes
none=None
list=[1, 'two', 3.0]
tuple=(1, 2)
top_tuple=1, 2
dict={'a': 1, "b": [True, None]}
str_single='quoted'
str_double="double"
str_concat='a' "b"
str_escape='a\\tb\\x41\\u00e9'
raw=r'C:\\temp'
bytes=b'bytes'
ip=10.0.0.1
ipv6=2001:db8::1
path=/usr/bin/python3
url=https://example.com/x?a=1&b=2
comment_text=hello # not a comment here
comment_literal="1" # python drops this comment
spaces =   padded value   
empty=
equals=a=b=c
jinja={{ inventory_hostname }}
jinja_quoted="{{ inventory_hostname }}"
name_call=len('x')
minus_true=-True
fstring=f'x'
`,
    },
  },
  {
    name: "ini-host-line-values",
    files: {
      hosts: `[g]
h1 a=1 b="x y" c=True d=yes e=0644 f=1e3 g="[1,2]" h='{"k": "v"}' i="'1'" j=a\\ b k=a#b l=x=y m='' n=None
h2 ansible_host=10.0.0.2 ansible_port=2222 ansible_user=deploy ansible_python_interpreter=/usr/bin/python3
h3 msg="it's" other='say "hi"' # trailing comment x=1
`,
    },
  },
  {
    name: "ini-ranges",
    graph: true,
    files: {
      hosts: `[web]
www[01:03].example.com
db-[a:c].example.com
node[A:C]
n[:2]
step[1:9:4]
r[1:2]-[a:b]
ranged[1:2].lan:2222
`,
    },
  },
  {
    name: "ini-ports",
    files: {
      hosts: `[a]
host1:2222
10.0.0.1:2200
[::1]:2201
2001:db8::5
host2 ansible_port=2300
[b]
host1:3333
`,
    },
  },
  {
    name: "ini-vars-before-group",
    files: {
      hosts: `[web:vars]
http_port=8080

[web]
w1

[all:vars]
ntp=time.example.com
`,
    },
  },
  {
    name: "ini-host-in-several-groups",
    files: {
      hosts: `[a]
h1 x=1 only_a=1

[b]
h1 x=2 only_b=2

[a:vars]
gv=a

[b:vars]
gv=b
`,
    },
  },
  {
    name: "ini-ungrouped-and-all",
    graph: true,
    files: {
      hosts: `lonely
both

[all]
direct

[web]
both
`,
    },
  },
  {
    name: "ini-group-rename",
    files: {
      hosts: `[web-servers]
w1

[web-servers:vars]
port=80
`,
    },
  },
  {
    name: "ini-extension",
    sources: ["inventory.ini"],
    files: {
      "inventory.ini": `[web]
w1
`,
    },
  },
  { name: "ini-error-undeclared-child", files: { hosts: `[parent:children]\nmissing\n` } },
  { name: "ini-error-vars-undeclared-group", files: { hosts: `[ghost:vars]\nx=1\n` } },
  { name: "ini-error-section-with-space", files: { hosts: `[bad section]\nh1\n` } },
  { name: "ini-error-section-type", files: { hosts: `[g:hostz]\nh1\n` } },
  { name: "ini-error-not-key-value", files: { hosts: `[g]\nh1 ansible_port\n` } },
  { name: "ini-error-vars-line", files: { hosts: `[g]\nh1\n[g:vars]\njust_a_word\n` } },
  { name: "ini-error-unclosed-quote", files: { hosts: `[g]\nh1 x="open\n` } },
  { name: "ini-error-trailing-colon", files: { hosts: `[g]\nh1:\n` } },
  { name: "ini-error-cycle", files: { hosts: `[a:children]\nb\n[b:children]\na\n` } },
  { name: "ini-error-range-end", files: { hosts: `[g]\nweb[1:]\n` } },
  {
    name: "ini-error-complex-number",
    files: { hosts: `[g]\nh1 x=1j\n` },
    refuse: /hosts:2:1: the value 1j is a Python literal with no YAML\/JSON form \(complex numbers\)/,
  },

  // ---- YAML ----
  {
    name: "yaml-basic",
    graph: true,
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  hosts:
    mail.example.com:
  children:
    webservers:
      hosts:
        foo.example.com:
        bar.example.com:
    dbservers:
      hosts:
        one.example.com:
        two.example.com:
        three.example.com:
      vars:
        db_port: 5432
  vars:
    ntp_server: ntp.example.com
`,
    },
  },
  {
    name: "yaml-1.1-types",
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  hosts:
    h1:
      yes_bool: yes
      no_bool: No
      on_bool: on
      off_bool: OFF
      y_text: y
      n_text: n
      octal: 0644
      not_octal: 0o644
      leading_zero_text: 09
      underscore: 1_000
      sexagesimal: 1:30
      float: 1.5
      exp_text: 1e3
      exp_float: 1.0e+3
      hex: 0x1F
      binary: 0b101
      tilde: ~
      null_word: null
      empty:
      date: 2024-01-31
      datetime: 2001-12-14 21:59:43.10 -5
      datetime_z: 2001-12-14t21:59:43Z
      quoted_yes: "yes"
      quoted_octal: '0644'
      mode_string: "0755"
      multiline: |
        line one
        line two
      folded: >
        folded
        text
`,
    },
  },
  {
    name: "yaml-empty-values",
    graph: true,
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  children:
    empty_group:
    web:
      hosts:
        w1:
        w2:
    db:
      hosts:
    cache:
      children:
    app:
      vars:
      hosts:
        a1:
`,
    },
  },
  {
    name: "yaml-single-names",
    graph: true,
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  children:
    web:
      hosts: w1
    lb:
      children: web
`,
    },
  },
  {
    name: "yaml-host-keys",
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  children:
    web:
      hosts:
        db1.example.com:2222:
        "[::1]:2201":
        10.0.0.[1:3]:
        node[A:C]:
        n[:2]:
        www[01:03].lan:
          role: web
        ranged[1:2]:2200:
`,
    },
  },
  {
    name: "yaml-unknown-keys",
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  children:
    web:
      host:
        w1:
      hosts:
        w2:
      varz:
        x: 1
`,
    },
    warns: /unknown key 'host' in group 'web'/,
  },
  {
    name: "yaml-not-a-group",
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  hosts:
    h1:
web:
  - w1
`,
    },
    warns: /group 'web' should be a mapping/,
  },
  {
    name: "yaml-unsafe",
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  hosts:
    h1:
      password: !unsafe "p{{ss}}{%word"
      plain: !unsafe 42
`,
    },
  },
  {
    name: "yaml-top-level-groups",
    graph: true,
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `web:
  hosts:
    w1:
      x: host
  vars:
    x: web
    y: web
prod:
  children:
    web:
  vars:
    y: prod
    z: prod
all:
  vars:
    z: all
    a: all
`,
    },
  },
  {
    name: "yaml-group-priority",
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  children:
    a:
      hosts: { h: }
      vars: { v: a, ansible_group_priority: 10 }
    b:
      hosts: { h: }
      vars: { v: b }
    c:
      hosts: { h2: }
      vars: { v: c, ansible_group_priority: "5" }
`,
    },
  },
  {
    name: "yaml-depth-beats-name",
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  vars: { v: all }
  children:
    z_parent:
      vars: { v: z_parent }
      children:
        a_child:
          vars: { v: a_child }
          hosts: { h: }
    b_sibling:
      vars: { v: b_sibling }
      hosts: { h: }
`,
    },
  },
  {
    name: "yaml-merge-keys",
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:
  hosts:
    h1: &defaults
      ansible_user: deploy
      tier: web
    h2:
      <<: *defaults
      tier: db
`,
    },
  },
  {
    name: "yaml-json-file",
    sources: ["hosts.json"],
    files: {
      "hosts.json": `{"all": {"children": {"web": {"hosts": {"w1": {"port": 80, "on": true}}}}}}`,
    },
  },
  {
    name: "yaml-no-extension",
    files: {
      hosts: `all:
  children:
    web:
      hosts:
        w1:
          answer: yes
`,
    },
  },
  {
    name: "yaml-error-hosts-list",
    sources: ["hosts.yml"],
    files: { "hosts.yml": `all:\n  hosts:\n    - a\n    - b\n` },
  },
  {
    name: "yaml-error-host-vars-text",
    sources: ["hosts.yml"],
    files: { "hosts.yml": `all:\n  hosts:\n    a: just text\n` },
  },
  {
    name: "yaml-empty-file",
    sources: ["hosts.yml"],
    files: { "hosts.yml": `# nothing\n` },
    warns: /the inventory has no hosts/,
  },
  {
    name: "yaml-error-cycle",
    sources: ["hosts.yml"],
    files: {
      "hosts.yml":
        `all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n`,
    },
  },
  {
    name: "yaml-plugin-config",
    sources: ["aws_ec2.yml"],
    files: { "aws_ec2.yml": `plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n` },
    refuse:
      /aws_ec2\.yml:1:9 plugin: this is the configuration of the inventory plugin 'amazon\.aws\.aws_ec2'/,
  },
  {
    name: "yaml-duplicate-key",
    sources: ["hosts.yml"],
    files: { "hosts.yml": `all:\n  hosts:\n    h1:\n      x: 1\n      x: 2\n` },
    refuse: /hosts\.yml:5:7: duplicate key 'x'/,
  },

  // ---- several sources, directories, host lists ----
  {
    name: "sources-ini-then-yaml",
    sources: ["a.ini", "b.yml"],
    graph: true,
    files: {
      "a.ini": `[web]
w1 x=from_ini y=from_ini

[web:vars]
g=ini
`,
      "b.yml": `all:
  children:
    web:
      hosts:
        w1:
          x: from_yaml
        w2:
      vars:
        g: yaml
    db:
      hosts:
        d1:
`,
    },
  },
  {
    name: "sources-directory",
    sources: ["inventory"],
    graph: true,
    files: {
      "inventory/01-hosts": `[web]
w1
`,
      "inventory/02-more.yml": `all:
  children:
    db:
      hosts:
        d1:
`,
      "inventory/ignored.ini": `[ignored]
not-loaded
`,
      "inventory/README.md": `# not an inventory\n`,
      "inventory/.hidden": `[hidden]\nh\n`,
      "inventory/nested/03-deep": `[deep]
deep1
`,
      "inventory/group_vars/web.yml": `web_var: 1\n`,
      "inventory/group_vars/all": `from_all_file: true\n`,
      "inventory/host_vars/d1.json": `{"host_json": "yes"}\n`,
    },
  },
  {
    name: "sources-host-list",
    sources: ["web1,web2:2222,10.0.0.5,"],
    files: {},
  },
  {
    name: "sources-two-dirs",
    sources: ["one/hosts", "two/hosts.yml"],
    files: {
      "one/hosts": `[web]\nw1\n`,
      "one/group_vars/web.yml": `a: one\nb: one\n`,
      "one/group_vars/all.yml": `c: one\n`,
      "two/hosts.yml": `web:\n  hosts:\n    w2:\n`,
      "two/group_vars/web.yml": `a: two\n`,
      "two/host_vars/w1.yml": `h: two\n`,
    },
  },

  // ---- group_vars/ and host_vars/ ----
  {
    name: "vars-precedence",
    files: {
      hosts: `[web]
w1 host_inline=inventory

[web:vars]
from_child_inline=web
clash_all_file_vs_child_inline=web_inline

[all:vars]
clash_all_file_vs_child_inline=all_inline
from_all_inline=all
`,
      "group_vars/all.yml":
        `clash_all_file_vs_child_inline: all_file\nall_file: true\nhost_inline: group_vars_all\n`,
      "group_vars/web.yml": `from_child_inline: web_file\n`,
      "host_vars/w1.yml": `host_inline: host_vars\n`,
    },
  },
  {
    name: "vars-file-forms",
    files: {
      hosts: `[a]\nh1\n[b]\nh1\n[c]\nh1\n[d]\nh1\n[e]\nh1\n`,
      "group_vars/a": `no_extension: yes\n`,
      "group_vars/b.json": `{"json": 1}`,
      "group_vars/c.yml": `yml_wins: yml\n`,
      "group_vars/c.yaml": `yml_wins: yaml\n`,
      "group_vars/d/10-first.yml": `order: first\nfirst: 1\n`,
      "group_vars/d/20-second.yml": `order: second\n`,
      "group_vars/d/nested/30-deep.yml": `order: deep\ndeep: true\n`,
      "group_vars/d/backup.yml~": `order: backup\n`,
      "group_vars/d/.hidden.yml": `order: hidden\n`,
      "group_vars/d/notes.txt": `order: txt\n`,
      "group_vars/e.yml": ``,
    },
  },
  {
    name: "vars-files-for-unknown-names",
    files: {
      hosts: `[web]\nw1\n`,
      "group_vars/wbe.yml": `x: 1\n`,
      "host_vars/w9.yml": `y: 2\n`,
    },
    warns: /group_vars\/wbe\.yml:1:1: not read: the inventory has no group 'wbe' — did you mean 'web'\?/,
  },
  {
    name: "vars-file-types",
    files: {
      hosts: `[web]\nw1\n`,
      "group_vars/web.yml": `answer: yes\nmode: 0644\nwhen: 2024-01-31\n`,
    },
  },
  {
    name: "vars-error-list-file",
    files: { hosts: `[web]\nw1\n`, "group_vars/web.yml": `- a\n- b\n` },
  },

  // ---- Ansible Vault ----
  {
    name: "vault-file",
    vault: { password: "correct horse", encrypt: ["group_vars/all/vault.yml"] },
    files: {
      hosts: `[web]\nw1\n`,
      "group_vars/all/vars.yml": `db_user: lago\n`,
      "group_vars/all/vault.yml": `vault_db_password: s3cr3t-from-vault\napi_token: tok-123456\n`,
    },
  },
  {
    name: "vault-inline-value",
    vault: { password: "correct horse" },
    sources: ["hosts.yml"],
    files: {
      "hosts.yml": `all:\n  hosts:\n    w1:\n      db_password: !vault s3cr3t-inline\n`,
    },
  },
  {
    name: "vault-id-1.2",
    vault: { password: "pw-prod", id: "prod", encrypt: ["host_vars/w1.yml"] },
    files: { hosts: `[web]\nw1\n`, "host_vars/w1.yml": `secret: from-1.2\n` },
  },
  {
    name: "vault-wrong-password",
    vault: { password: "right", encrypt: ["group_vars/web.yml"], decryptWith: "wrong" },
    files: { hosts: `[web]\nw1\n`, "group_vars/web.yml": `x: 1\n` },
  },

  // ---- connection variables under their Ansible names (loaded unchanged; see connection.cases.ts) ----
  {
    name: "connection-variable-names",
    files: {
      hosts: `[web]
w1 ansible_ssh_host=10.0.0.1 ansible_ssh_port=2222 ansible_ssh_user=admin
w2 ansible_host=10.0.0.2 ansible_port="2200" ansible_user=deploy ansible_private_key_file=~/.ssh/id
w3 ansible_ssh_common_args='-o ProxyJump=bastion' ansible_become_method=sudo
`,
    },
  },
];

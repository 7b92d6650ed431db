import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  expandHostPattern,
  loadInventory,
  matchHosts,
  resolveConnection,
  selectHosts,
} from "../../../src/config/inventory.ts";
import type { Inventory } from "../../../src/config/model.ts";

const inventory = loadInventory("test/fixtures/inventory/hosts.yml");
const host = (name: string) => inventory.hosts.find((h) => h.name === name)!;

/** An inventory written to a temporary directory: file name → YAML text. */
function tempInventory(files: Record<string, string>): Inventory {
  const dir = mkdtempSync(join(tmpdir(), "lago-inventory-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return loadInventory(join(dir, "hosts.yml"));
}

describe("inventory structure", () => {
  it("lists hosts in inventory order, with ranges expanded", () => {
    expect(inventory.hosts.map((h) => h.name)).toEqual(["solo", "lago-web1", "lago-web2", "lago-db1"]);
    expect(host("lago-web1").source).toEqual({
      file: "test/fixtures/inventory/hosts.yml",
      line: 18,
      col: 13,
    });
  });

  it("puts every host in all, and hosts of no group in ungrouped", () => {
    expect(host("solo").groups).toEqual(["all", "ungrouped"]);
    expect(host("lago-web1").groups).toEqual(["all", "lago", "prod", "web"]);
    expect(host("lago-db1").groups).toEqual(["all", "lago", "prod", "db"]);
    // As Ansible orders them: `ungrouped` first (it exists before any source is read).
    expect(inventory.groups.get("all")!.children).toEqual(["ungrouped", "lago", "prod"]);
    expect(inventory.groups.get("web")).toMatchObject({
      parents: ["lago"],
      depth: 2,
      hosts: ["lago-web1", "lago-web2"],
    });
  });

  it("expands host ranges", () => {
    expect(expandHostPattern("web[01:03].lan").hosts).toEqual(["web01.lan", "web02.lan", "web03.lan"]);
    expect(expandHostPattern("db-[a:c]").hosts).toEqual(["db-a", "db-b", "db-c"]);
    expect(expandHostPattern("n[1:7:3]").hosts).toEqual(["n1", "n4", "n7"]);
    expect(expandHostPattern("r[1:2]-[a:b]").hosts).toEqual(["r1-a", "r1-b", "r2-a", "r2-b"]);
  });
});

describe("variable precedence (Ansible's)", () => {
  it("inventory-file group vars: all < parent < child", () => {
    expect(host("lago-web1").vars.tier).toBe("web");
    expect(host("lago-db1").vars.tier).toBe("lago");
    expect(host("solo").vars.ansible_user).toBe("deploy");
  });

  it("groups of the same depth: by name, so prod beats lago", () => {
    expect(host("lago-web1").vars.dup).toBe("prod");
  });

  it("group_vars/ files beat every inventory-file group var; a directory's files merge in name order", () => {
    expect(host("solo").vars.level).toBe("group_vars-all");
    expect(host("lago-web1").vars.level).toBe("group_vars-web");
    expect(host("lago-web1").vars).toMatchObject({ env: "prod-a", x: "b", only_in_group_vars_all: true });
    expect(host("lago-web2").vars.env).toBeUndefined();
  });

  it("inventory-file host vars beat group_vars/; host_vars/ beats everything", () => {
    expect(host("lago-db1").vars.level).toBe("inventory-host");
    expect(host("lago-web2").vars.level).toBe("host_vars-web2");
  });

  it("ansible_group_priority orders groups of the same depth", () => {
    const inv = tempInventory({
      "hosts.yml": `all:
  children:
    a: { hosts: { h: }, vars: { v: a, ansible_group_priority: 10 } }
    b: { hosts: { h: }, vars: { v: b } }
`,
    });
    expect(inv.hosts[0].vars.v).toBe("a");
  });

  it("warns about a group_vars file for a group that does not exist (Ansible skips it), refuses bad host_vars", () => {
    const files = {
      "hosts.yml": "all:\n  children:\n    web:\n      hosts:\n        w1:\n",
      "group_vars/wbe.yml": "x: 1\n",
    };
    expect(tempInventory(files).warnings.map((w) => w.message)).toEqual([
      "not read: the inventory has no group 'wbe' — did you mean 'web'?",
    ]);
    expect(() => tempInventory({ ...files, "host_vars/w1.yml": "ansible_port: nope\n" })).toThrow(
      /host_vars\/w1\.yml:1:15 ansible_port: should be an integer from 1 to 65535 or a string like "2222"$/m,
    );
  });
});

describe("host patterns", () => {
  const cases: [string, string[]][] = [
    ["all", ["solo", "lago-web1", "lago-web2", "lago-db1"]],
    ["*", ["solo", "lago-web1", "lago-web2", "lago-db1"]],
    ["web", ["lago-web1", "lago-web2"]],
    ["db:web", ["lago-web1", "lago-web2", "lago-db1"]],
    ["web,db", ["lago-web1", "lago-web2", "lago-db1"]],
    ["lago:&prod", ["lago-web1", "lago-db1"]],
    ["lago:!db", ["lago-web1", "lago-web2"]],
    ["all:!lago:&ungrouped", ["solo"]],
    ["lago-web*", ["lago-web1", "lago-web2"]],
    ["lago-?b1", ["lago-db1"]],
    ["solo:lago-db1", ["solo", "lago-db1"]],
    ["~^lago-(db1|web2)$", ["lago-web2", "lago-db1"]],
    ["nothing-*", []],
  ];
  for (const [pattern, hosts] of cases) {
    it(pattern, () => expect(matchHosts(inventory, pattern)).toEqual(hosts));
  }

  it("refuses an unknown group or host, with a suggestion", () => {
    expect(() => matchHosts(inventory, "web:&prd")).toThrow(
      "unknown group or host 'prd' in pattern 'web:&prd' — did you mean 'prod'?",
    );
  });

  it("narrows a play's hosts with --limit", () => {
    expect(selectHosts(inventory, "lago", "prod:!db")).toEqual(["lago-web1"]);
    expect(selectHosts(inventory, "lago")).toEqual(["lago-web1", "lago-web2", "lago-db1"]);
  });
});

describe("connection settings", () => {
  const options = { inventory, user: "me", home: "/home/me" };

  it("fills defaults", () => {
    expect(resolveConnection("bare", {}, options)).toEqual({
      name: "bare",
      connection: "ssh",
      host: "bare",
      port: 22,
      user: "me",
      knownHostsFile: "/home/me/.ssh/known_hosts",
      hostKeyChecking: "strict",
      become: false,
      becomeUser: "root",
    });
  });

  it("maps Ansible's names, renders templates, and resolves a jump host from the inventory", () => {
    const web2 = resolveConnection("lago-web2", host("lago-web2").vars, options);
    expect(web2).toMatchObject({ host: "192.168.1.2", user: "deploy" });
    const db = resolveConnection("lago-db1", host("lago-db1").vars, options);
    expect(db).toMatchObject({ host: "lago-db1", port: 2222, user: "deploy" });
    expect(db.jump).toMatchObject({ name: "solo", host: "10.0.0.9", port: 22, user: "deploy" });
  });

  it("reads every connection variable", () => {
    const vars = {
      ansible_host: "10.1.1.1",
      ansible_port: "2200",
      ansible_user: "admin",
      ansible_ssh_private_key_file: "~/.ssh/lago",
      ansible_password_env: "LAGO_PW",
      ansible_become: true,
      ansible_become_user: "postgres",
      ansible_connection: "ssh",
      jump_host: "ops@bastion.example.com:2022",
      known_hosts_file: "~/lago/known_hosts",
      host_key_checking: "accept-new",
    };
    expect(resolveConnection("h", vars, options)).toEqual({
      name: "h",
      connection: "ssh",
      host: "10.1.1.1",
      port: 2200,
      user: "admin",
      keyFile: "/home/me/.ssh/lago",
      passwordEnv: "LAGO_PW",
      knownHostsFile: "/home/me/lago/known_hosts",
      hostKeyChecking: "accept-new",
      become: true,
      becomeUser: "postgres",
      jump: {
        name: "ops@bastion.example.com:2022",
        connection: "ssh",
        host: "bastion.example.com",
        port: 2022,
        user: "ops",
        knownHostsFile: "/home/me/lago/known_hosts",
        hostKeyChecking: "accept-new",
        become: false,
        becomeUser: "root",
      },
    });
  });

  it("says which host and variable is wrong after rendering", () => {
    expect(() => resolveConnection("h", { ansible_port: "{{ p }}", p: "ssh" }, options)).toThrow(
      `host 'h': ansible_port should be an integer from 1 to 65535, got text`,
    );
    expect(() => resolveConnection("h", { host_key_checking: "off" }, options)).toThrow(
      `host 'h': host_key_checking should be one of strict, accept-new, got something else`,
    );
    const loop = {
      ...options,
      inventory: tempInventory({
        "hosts.yml": "all:\n  hosts:\n    a: { jump_host: b }\n    b: { jump_host: a }\n",
      }),
    };
    expect(() => resolveConnection("a", loop.inventory.hosts[0].vars, loop)).toThrow(
      "jump_host loop: a → b → a",
    );
  });
});

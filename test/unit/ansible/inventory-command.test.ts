/**
 * `lago-provision inventory` prints what ansible-inventory prints, byte for byte. Expected texts: the
 * output of ansible-inventory (ansible-core 2.14.18) for this inventory, `-i hosts --list`,
 * `--graph`, `--host w1`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "./run-cli.ts";

const INVENTORY =
  "# comment\n[web]\nw1 ansible_port=2222 x=1\nw2 ansible_host=10.0.0.2\n[db]\nd1 ansible_ssh_user=pg\n[prod:children]\nweb\n[prod:vars]\nenv=prod\n";

const ANSIBLE: Record<string, string> = {
  "--list":
    '{\n    "_meta": {\n        "hostvars": {\n            "d1": {\n                "ansible_ssh_user": "pg"\n            },\n            "w1": {\n                "ansible_port": 2222,\n                "env": "prod",\n                "x": 1\n            },\n            "w2": {\n                "ansible_host": "10.0.0.2",\n                "env": "prod"\n            }\n        }\n    },\n    "all": {\n        "children": [\n            "ungrouped",\n            "db",\n            "prod"\n        ]\n    },\n    "db": {\n        "hosts": [\n            "d1"\n        ]\n    },\n    "prod": {\n        "children": [\n            "web"\n        ]\n    },\n    "web": {\n        "hosts": [\n            "w1",\n            "w2"\n        ]\n    }\n}\n',
  "--graph":
    "@all:\n  |--@ungrouped:\n  |--@db:\n  |  |--d1\n  |--@prod:\n  |  |--@web:\n  |  |  |--w1\n  |  |  |--w2\n",
  "--host w1": '{\n    "ansible_port": 2222,\n    "env": "prod",\n    "x": 1\n}\n',
};

const run = runCli;

afterEach(() => vi.restoreAllMocks());

describe("lago-provision inventory, as ansible-inventory", () => {
  const dir = mkdtempSync(join(tmpdir(), "lago-inventory-command-"));
  writeFileSync(join(dir, "hosts"), INVENTORY);
  for (const [flags, want] of Object.entries(ANSIBLE)) {
    it(flags, async () => {
      const r = await run(["inventory", join(dir, "hosts"), ...flags.split(" ")]);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toBe(want);
    });
  }

  it("takes -i like ansible-inventory", async () => {
    expect((await run(["inventory", "-i", join(dir, "hosts"), "--list"])).out).toBe(ANSIBLE["--list"]);
  });

  it("refuses what it cannot show, in one line", async () => {
    const none = await run(["inventory", join(dir, "hosts")]);
    expect(none.code).toBe(2);
    const twice = await run(["inventory", join(dir, "hosts"), "--list", "--graph"]);
    expect(twice.code).toBe(2);
    await expect(run(["inventory", join(dir, "hosts"), "--host", "nope"])).resolves.toMatchObject({
      code: 1,
      err: "no host 'nope' in the inventory",
    });
  });
});

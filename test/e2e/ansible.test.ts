/**
 * Where Ansible users keep their connection settings, proven over real SSH on testbed hosts: an
 * inventory that names only hosts, reached through ~/.ssh/config (HostName, Port, User, IdentityFile,
 * UserKnownHostsFile, ProxyJump through another host), `-F FILE` in ansible_ssh_common_args, and
 * known_hosts as ssh reads it (hashed names, wildcard patterns, @revoked, @cert-authority).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { failuresOf, recapOf, runCli } from "./cli.ts";
import { execIn, type Testbed, useTestbed } from "./testbed.ts";

let tb: Testbed;
let dir: string;
let home: string;
/** Each testbed host's address on the containers' network (reached only through another host). */
let innerAddress: string[];
/** Each host's public host key line (`type base64`), from the testbed's known_hosts. */
let hostKeys: string[];

const MARKER = "/tmp/lago-provision-ansible-marker";

/** A run of `apply --json` with HOME set to the test's home (so ~/.ssh/config is the test's). */
const apply = (inventory: string, ...more: string[]) =>
  runCli(["apply", join(dir, inventory), "-p", join(dir, "marker.yml"), "--json", ...more], {
    env: { HOME: home, SSH_AUTH_SOCK: "" },
  });

/** known_hosts lines for `names` (one line per host key of host `i`). */
const keyLine = (names: string, i: number) => `${names} ${hostKeys[i]}\n`;

/** `ssh-keygen -H` on a copy: hashed names, as many distributions write known_hosts by default. */
function hashed(text: string): string {
  const file = join(dir, `kh-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text);
  execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" });
  return readFileSync(file, "utf8");
}

beforeAll(async () => {
  tb = await useTestbed(2);
  dir = mkdtempSync(join(tmpdir(), "lago-ansible-e2e-"));
  home = join(dir, "home");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  const known = readFileSync(tb.knownHostsPath, "utf8");
  hostKeys = tb.hosts.map((h) => {
    const line = known.split("\n").find((l) => l.startsWith(`[127.0.0.1]:${h.port} `))!;
    return line.split(" ").slice(1).join(" ");
  });
  innerAddress = await Promise.all(
    tb.hosts.map(async (h) => (await execIn(h.name, ["hostname", "-I"])).stdout.trim().split(/\s+/)[0]),
  );
  // Marks each host with the inventory name it was reached as.
  writeFileSync(
    join(dir, "marker.yml"),
    `- hosts: all\n  tasks:\n    - name: Mark\n      copy:\n        dest: ${MARKER}\n` +
      `        content: "{{ inventory_hostname }}\\n"\n`,
  );
}, 900_000);

async function markers(): Promise<string[]> {
  return await Promise.all(
    tb.hosts.map(async (h) => (await execIn(h.name, ["cat", MARKER], { allowFailure: true })).stdout.trim()),
  );
}

async function clearMarkers(): Promise<void> {
  await Promise.all(tb.hosts.map((h) => execIn(h.name, ["rm", "-f", MARKER])));
}

describe("connection settings from ~/.ssh/config", () => {
  it("reaches hosts named only in the inventory, one directly and one through a ProxyJump", async () => {
    await clearMarkers();
    const [one] = tb.hosts;
    writeFileSync(
      join(home, ".ssh", "config"),
      [
        "Host alpha",
        `  Port ${one.port}`,
        "Host beta",
        `  HostName ${innerAddress[1]}`,
        "  Port 22",
        "  ProxyJump alpha",
        "Host alpha beta",
        "  HostName 127.0.0.1", // alpha's: beta's HostName came first
        "  User root",
        "  Port 2", // never used: each host's Port came first
        `  IdentityFile ${tb.keyPath}`,
        "  UserKnownHostsFile ~/.ssh/lab_known_hosts",
        "",
      ].join("\n"),
    );
    // alpha's name hashed; beta by a wildcard over the containers' addresses, one negated.
    const prefix = innerAddress[1].split(".").slice(0, 2).join(".");
    writeFileSync(
      join(home, ".ssh", "lab_known_hosts"),
      hashed(keyLine(`[127.0.0.1]:${one.port}`, 0)) + keyLine(`${prefix}.*,!${innerAddress[0]}`, 1),
    );
    writeFileSync(join(dir, "names-only.ini"), "alpha\nbeta\n");
    const r = await apply("names-only.ini");
    expect(r.code, failuresOf(r)).toBe(0);
    expect(recapOf(r).alpha).toMatchObject({ failed: 0, unreachable: 0 });
    expect(await markers()).toEqual(["alpha", "beta"]);
  });

  it("refuses a host whose key is @revoked, even with --accept-new-host-keys, and records nothing", async () => {
    await clearMarkers();
    const revoked = `@revoked * ${hostKeys[0]}\n`;
    writeFileSync(join(home, ".ssh", "lab_known_hosts"), revoked);
    const r = await apply("names-only.ini", "--accept-new-host-keys", "-l", "alpha");
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(
      /REVOKED host key for \[127\.0\.0\.1\]:\d+: .* is marked @revoked at .*lab_known_hosts:1/,
    );
    expect(readFileSync(join(home, ".ssh", "lab_known_hosts"), "utf8")).toBe(revoked);
    expect((await markers())[0]).toBe("");
  });

  it("refuses a host vouched for by a @cert-authority instead of trusting a key it cannot check", async () => {
    const ca = `@cert-authority 127.0.0.1,[127.0.0.1]:* ${hostKeys[1]}\n`;
    writeFileSync(join(home, ".ssh", "lab_known_hosts"), ca);
    const r = await apply("names-only.ini", "--accept-new-host-keys", "-l", "alpha");
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/vouched for by a certificate authority \(@cert-authority at .*:1\)/);
    expect(readFileSync(join(home, ".ssh", "lab_known_hosts"), "utf8")).toBe(ca);
  });
});

describe("-F FILE in ansible_ssh_common_args", () => {
  it("reads that file instead of ~/.ssh/config, and the inventory's own values win over it", async () => {
    await clearMarkers();
    const [one, two] = tb.hosts;
    writeFileSync(join(home, ".ssh", "config"), "Host *\n  Port 1\n"); // would fail if read
    writeFileSync(
      join(dir, "lab_ssh_config"),
      `Host *\n  HostName 127.0.0.1\n  User nobody\n  IdentityFile ${tb.keyPath}\n` +
        `  UserKnownHostsFile ${tb.knownHostsPath}\n  Port ${one.port}\n`,
    );
    writeFileSync(
      join(dir, "with-f.ini"),
      `[lab]\ngamma\ndelta ansible_port=${two.port}\n\n[lab:vars]\nansible_user=root\n` +
        `ansible_ssh_common_args='-F ${join(dir, "lab_ssh_config")}'\n`,
    );
    const r = await apply("with-f.ini");
    expect(r.code, failuresOf(r)).toBe(0);
    expect(await markers()).toEqual(["gamma", "delta"]);
  });
});

describe("keys", () => {
  it("a key behind a passphrase, with no agent to hold it, is refused with how to load it", async () => {
    const key = join(dir, "passphrase_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "secret words", "-f", key], { stdio: "ignore" });
    const [one] = tb.hosts;
    writeFileSync(
      join(dir, "passphrase.ini"),
      `epsilon ansible_host=127.0.0.1 ansible_port=${one.port} ansible_user=root ` +
        `ansible_ssh_private_key_file=${key} known_hosts_file=${tb.knownHostsPath}\n`,
    );
    const r = await apply("passphrase.ini");
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(
      `private key ${key} is encrypted with a passphrase, and no ssh-agent is running to unlock it`,
    );
    expect(r.stdout + r.stderr).toContain(`ssh-add ${key}`);
    expect(r.stdout + r.stderr).not.toContain("internal error");
  });
});

describe("playbooks as Ansible users write them", () => {
  it("runs Ansible's module names, argument aliases, with_items and key=value on real hosts", async () => {
    const dest = "/tmp/lago-provision-ansible-play";
    await Promise.all(tb.hosts.map((h) => execIn(h.name, ["rm", "-rf", dest])));
    writeFileSync(
      join(dir, "ansible-names.yml"),
      `- hosts: all
  tasks:
    - name: Already installed, named as apt's pkg alias
      ansible.builtin.apt: { pkg: bash }
    - name: A directory, named as file's dest alias
      ansible.builtin.file: { dest: ${dest}, state: directory, mode: "0750" }
    - name: Look at it, named as stat's name alias
      ansible.legacy.stat: { name: ${dest} }
      register: st
    - ansible.builtin.assert: { that: ["st.stat.isdir"], msg: "${dest} is not a directory" }
    - name: Files in it, from an older loop and key=value shorthand
      copy: dest=${dest}/{{ item }} content="{{ item }} file" mode=0640
      with_items: [[one, two], three]
`,
    );
    const r = await runCli(["apply", tb.inventoryPath, "-p", join(dir, "ansible-names.yml"), "--json"]);
    expect(r.code, failuresOf(r)).toBe(0);
    for (const h of tb.hosts) {
      expect((await execIn(h.name, ["stat", "-c", "%F %a", dest])).stdout.trim()).toBe("directory 750");
      const files = await execIn(h.name, ["sh", "-c", `cd ${dest} && stat -c '%n %a' * && cat one`]);
      expect(files.stdout).toBe("one 640\nthree 640\ntwo 640\none file");
    }
    const again = await runCli(["apply", tb.inventoryPath, "-p", join(dir, "ansible-names.yml"), "--json"]);
    expect(again.code, failuresOf(again)).toBe(0);
    expect(Object.values(recapOf(again)).map((c) => c.changed)).toEqual(tb.hosts.map(() => 0));
  });
});

describe("block, rescue and always on real hosts", () => {
  it("rescues the host where a task failed, runs always on both, and the run succeeds", async () => {
    const out = "/tmp/lago-provision-block";
    await Promise.all(tb.hosts.map((h) => execIn(h.name, ["rm", "-rf", out])));
    // The second host only has the file that makes the block's first task fail there.
    await execIn(tb.hosts[1].name, ["sh", "-c", `mkdir -p ${out} && touch ${out}/broken`]);
    writeFileSync(
      join(dir, "block.yml"),
      `- hosts: all
  tasks:
    - name: Deploy with a fallback
      block:
        - ansible.builtin.file: { path: ${out}, state: directory }
        - name: Check the host is sound
          command: test ! -e ${out}/broken
        - copy: { dest: ${out}/deployed, content: "deployed\\n" }
      rescue:
        - copy: { dest: ${out}/rescued, content: "{{ ansible_failed_task.name }} rc={{ ansible_failed_result.rc }}\\n" }
      always:
        - copy: { dest: ${out}/always, content: "always\\n" }
      become: true
`,
    );
    const r = await runCli(["apply", tb.inventoryPath, "-p", join(dir, "block.yml"), "--json"]);
    expect(r.code, failuresOf(r)).toBe(0);
    const files = await Promise.all(
      tb.hosts.map(async (h) =>
        (await execIn(h.name, ["sh", "-c", `cd ${out} && for f in *; do echo "$f: $(cat $f)"; done`])).stdout
      ),
    );
    expect(files[0]).toBe("always: always\ndeployed: deployed\n");
    expect(files[1]).toBe("always: always\nbroken: \nrescued: Check the host is sound rc=1\n");
    const recap = Object.values(recapOf(r));
    expect(recap.map((c) => [c.failed, c.rescued])).toEqual([[0, 0], [0, 1]]);
  });
});

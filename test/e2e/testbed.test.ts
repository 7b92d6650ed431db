/**
 * Smoke test of the testbed itself: real hosts answer real SSH with strict host key checking, and the
 * harness's fault-injection building blocks do what the engine e2e tests rely on.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { startHostProbe } from "./host-probe.ts";
import {
  execIn,
  fileMtime,
  hostName,
  hostNamed,
  regenerateHostKeys,
  restoreKnownHosts,
  sshRun,
  type Testbed,
  useTestbed,
  withHostStopped,
} from "./testbed.ts";

let tb: Testbed;

beforeAll(async () => {
  tb = await useTestbed(3);
});

describe("testbed", () => {
  it("brings up three hosts alternating Debian 12 and 13", () => {
    expect(tb.hosts.map((h) => [h.name, h.codename])).toEqual([
      [hostName(1), "bookworm"],
      [hostName(2), "trixie"],
      [hostName(3), "bookworm"],
    ]);
  });

  it("writes an Ansible-layout inventory pointing at loopback", () => {
    const inv = parse(readFileSync(tb.inventoryPath, "utf8"));
    expect(inv.all.vars.known_hosts_file).toBe(tb.knownHostsPath);
    for (const h of tb.hosts) {
      expect(inv.all.hosts[h.name]).toEqual({
        ansible_host: "127.0.0.1",
        ansible_port: h.port,
        ansible_user: "root",
        ansible_ssh_private_key_file: tb.keyPath,
      });
      expect(inv.all.children[h.codename].hosts).toHaveProperty(h.name);
    }
  });

  it("each host answers ssh as root, host key checked strictly, with the right release", async () => {
    for (const h of tb.hosts) {
      const r = await sshRun(h, "cat /etc/os-release");
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`VERSION_CODENAME=${h.codename}`);
    }
  });

  it("deploy can sudo without a password", async () => {
    for (const h of tb.hosts) {
      const r = await sshRun(h, "sudo -n true && id -un && sudo -n id -un", { user: "deploy" });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.split("\n").slice(0, 2)).toEqual(["deploy", "root"]);
    }
  });

  it("execs in a host and reads file mtimes", async () => {
    const h = hostNamed(tb, hostName(3));
    await execIn(h.name, "echo one > /tmp/lago-mtime && touch -d @1700000000.5 /tmp/lago-mtime");
    expect(await fileMtime(h.name, "/tmp/lago-mtime")).toBe(1700000000500);
    expect(await fileMtime(h.name, "/tmp/does-not-exist")).toBeNull();
    const r = await execIn(h.name, "exit 3", { allowFailure: true });
    expect(r.exitCode).toBe(3);
  });

  it("a probe kept open on a host answers once per line, and starts again after it died", async () => {
    const h = hostNamed(tb, hostName(1));
    await execIn(h.name, "rm -f /tmp/lago-probe-runs");
    const loop = "while read -r _; do echo run >> /tmp/lago-probe-runs; wc -l < /tmp/lago-probe-runs; done";
    const probe = startHostProbe(h.name, ["sh", "-c", loop]);
    try {
      expect(await probe.sample()).toBe("1");
      expect(await Promise.all([probe.sample(), probe.sample()])).toEqual(["2", "3"]);
      // The program killed on the host: what was pending gets "" (or its answer), the next sample a new one.
      const pending = probe.sample();
      await execIn(h.name, "pkill -f 'while read -r [_]; do' || true");
      expect(["", "4"]).toContain(await pending);
      expect(await probe.sample()).toMatch(/^[45]$/);
    } finally {
      await probe.stop();
    }
    expect((await execIn(h.name, "pgrep -f 'while read -r [_]; do' || true")).stdout.trim()).toBe("");
  });

  it("a changed host key is refused until known_hosts is refreshed", async () => {
    const h = hostNamed(tb, hostName(3));
    await regenerateHostKeys(h.name);
    try {
      const r = await sshRun(h, "true");
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/host key/i);
    } finally {
      await restoreKnownHosts(tb);
    }
    expect((await sshRun(h, "true")).exitCode).toBe(0);
  });

  it("a stopped host is unreachable and comes back", async () => {
    const h = hostNamed(tb, hostName(3));
    await withHostStopped(h.name, async () => {
      const r = await sshRun(h, "true");
      expect(r.exitCode).toBe(255);
    });
    expect((await sshRun(h, "true")).exitCode).toBe(0);
  });
});

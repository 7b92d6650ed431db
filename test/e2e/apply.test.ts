/**
 * The engine end to end, on real testbed hosts over real SSH: converge, idempotent re-run (0 changed,
 * no mtime moves), validation before any connection, a host lost mid-run, a changed host key, handlers
 * that survive a failure, become through sudo, and the same CLI under Deno.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { recapOf, repoRoot, resultsOf, runCli } from "./cli.ts";
import {
  execIn,
  fileMtime,
  regenerateHostKeys,
  restoreKnownHosts,
  startHost,
  stopHost,
  type Testbed,
  useTestbed,
} from "./testbed.ts";

let tb: Testbed;
/** Host names come from the testbed, so a separate one (LAGO_TESTBED_PREFIX) works too. */
let h1: string, h2: string, h3: string;
const sample = ["-p", "playbooks/sample.yml"];
const fixture = (name: string) => ["-p", `test/e2e/fixtures/${name}`];
const watched = [
  "/opt/sample",
  "/opt/sample/index.html",
  "/opt/sample/secret.key",
  "/etc/systemd/system/sample.service",
];

const mtimes = (host: string) => Promise.all(watched.map((p) => fileMtime(host, p)));

async function sshLogins(host: string): Promise<number> {
  const r = await execIn(host, [
    "sh",
    "-c",
    "journalctl -u ssh -u sshd --no-pager -q 2>/dev/null | grep -c 'Accepted publickey' || true",
  ]);
  return Number(r.stdout.trim());
}

beforeAll(async () => {
  tb = await useTestbed(3, { fresh: true });
  [h1, h2, h3] = tb.hosts.map((h) => h.name);
});

describe("apply on the testbed", () => {
  it("converges three bare hosts", async () => {
    const r = await runCli(["apply", tb.inventoryPath, ...sample, "--json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const recap = recapOf(r);
    for (const h of tb.hosts) {
      expect(recap[h.name].failed).toBe(0);
      expect(recap[h.name].unreachable).toBe(0);
      expect(recap[h.name].changed).toBeGreaterThanOrEqual(6);
      const page = await execIn(h.name, [
        "sh",
        "-c",
        "python3 -c \"import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:8080/index.html').read().decode())\"",
      ]);
      expect(page.stdout).toContain(`hello from lago-provision on debian`);
      expect(page.stdout).toContain(h.codename);
      const mode = await execIn(h.name, ["stat", "-c", "%a", "/opt/sample/secret.key"]);
      expect(mode.stdout.trim()).toBe("600");
    }
  });

  it("a second apply changes nothing and touches no file", async () => {
    const before = await Promise.all(tb.hosts.map((h) => mtimes(h.name)));
    const key = await execIn(h1, ["cat", "/opt/sample/secret.key"]);
    const r = await runCli(["apply", tb.inventoryPath, ...sample, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    for (const h of tb.hosts) {
      expect(recapOf(r)[h.name]).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    }
    expect(await Promise.all(tb.hosts.map((h) => mtimes(h.name)))).toEqual(before);
    expect((await execIn(h1, ["cat", "/opt/sample/secret.key"])).stdout).toBe(key.stdout);
  });

  it("text output has a recap per host and exit code 0", async () => {
    const r = await runCli(["apply", tb.inventoryPath, ...sample]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/RECAP\s+ok\s+changed\s+failed\s+skipped\s+unreachable/);
    // Columns: ok changed failed skipped unreachable.
    for (const h of tb.hosts) {
      expect(r.stdout).toMatch(new RegExp(`${h.name}\\s+[1-9]\\d*\\s+0\\s+0\\s+\\d+\\s+0\\n`));
    }
  });

  it("a wrong type fails validation before any host is contacted", async () => {
    // Let journald catch up with the logins of the previous test before taking the baseline.
    await new Promise((r) => setTimeout(r, 1500));
    const logins = await sshLogins(h1);
    const r = await runCli(["apply", tb.inventoryPath, ...fixture("wrong-type.yml")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/wrong-type\.yml:8:\d+ .*mode/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await sshLogins(h1)).toBe(logins);
  });

  it("a host stopped mid-run is reported unreachable while the others finish", async () => {
    let stopped: Promise<void> | undefined;
    const r = await runCli(["apply", tb.inventoryPath, ...fixture("slow.yml"), "--json"], {
      onEvent: (e) => {
        if (e.type === "task_start" && e.task === "Wait a little" && !stopped) {
          stopped = stopHost(h2);
        }
      },
    });
    await stopped;
    await startHost(h2);
    expect(r.code).not.toBe(0);
    const recap = recapOf(r);
    expect(recap[h2].unreachable).toBe(1);
    for (const name of [h1, h3]) {
      expect(recap[name]).toMatchObject({ ok: 3, failed: 0, unreachable: 0 });
    }
    const lost = resultsOf(r, h2).find((e) => e.status === "unreachable");
    expect(lost?.msg).toContain(h2);
  });

  it("a changed host key is refused, the other hosts go on", async () => {
    await regenerateHostKeys(h3);
    try {
      const r = await runCli(["apply", tb.inventoryPath, ...fixture("slow.yml"), "--json"]);
      expect(r.code).not.toBe(0);
      expect(recapOf(r)[h3].unreachable).toBe(1);
      expect(recapOf(r)[h1].ok).toBe(3);
      const refused = resultsOf(r, h3).find((e) => e.status === "unreachable");
      expect(refused?.msg).toMatch(/HOST KEY CHANGED/);
      // --accept-new-host-keys records unknown keys, but never overrides a changed one.
      const again = await runCli([
        "apply",
        tb.inventoryPath,
        ...fixture("slow.yml"),
        "--json",
        "--accept-new-host-keys",
      ]);
      expect(recapOf(again)[h3].unreachable).toBe(1);
    } finally {
      await restoreKnownHosts(tb);
    }
  });

  it("notified handlers are not lost when a later task fails", async () => {
    await Promise.all(
      tb.hosts.map((h) => execIn(h.name, ["rm", "-f", "/tmp/lp-handler-config", "/tmp/lp-handler-runs"])),
    );
    const first = await runCli([
      "apply",
      tb.inventoryPath,
      ...fixture("handlers.yml"),
      "--json",
      "-e",
      "fail_late=true",
      "-l",
      h1,
    ]);
    expect(first.code).not.toBe(0);
    expect(recapOf(first)[h1].failed).toBe(1);
    expect((await execIn(h1, ["cat", "/tmp/lp-handler-runs"], { allowFailure: true })).exitCode).not.toBe(0);
    const pending = await execIn(h1, ["cat", "/var/lib/lago-provision/pending-handlers"]);
    expect(pending.stdout).toBe("count restarts\n");

    const second = await runCli([
      "apply",
      tb.inventoryPath,
      ...fixture("handlers.yml"),
      "--json",
      "-l",
      h1,
    ]);
    expect(second.code, second.stderr).toBe(0);
    expect((await execIn(h1, ["cat", "/tmp/lp-handler-runs"])).stdout).toBe("restart\n");
    expect(
      (await execIn(h1, ["test", "-e", "/var/lib/lago-provision/pending-handlers"], { allowFailure: true }))
        .exitCode,
    )
      .toBe(1);

    const third = await runCli([
      "apply",
      tb.inventoryPath,
      ...fixture("handlers.yml"),
      "--json",
      "-l",
      h1,
    ]);
    expect(recapOf(third)[h1].changed).toBe(0);
    expect((await execIn(h1, ["cat", "/tmp/lp-handler-runs"])).stdout).toBe("restart\n");
  });

  it("become: an unprivileged login writes root-owned files through sudo", async () => {
    const inv = {
      all: {
        hosts: Object.fromEntries(tb.hosts.map((h) => [h.name, {
          ansible_host: "127.0.0.1",
          ansible_port: h.port,
          ansible_user: "deploy",
          ansible_ssh_private_key_file: tb.keyPath,
        }])),
        vars: { known_hosts_file: tb.knownHostsPath },
      },
    };
    const path = join(repoRoot, ".cache", "become-inventory.yml");
    mkdirSync(dirname(path), { recursive: true }); // a fresh clone has no .cache/ yet
    writeFileSync(path, stringify(inv));
    const r = await runCli(["apply", path, ...fixture("become.yml"), "--json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const stat = await execIn(h2, ["stat", "-c", "%U %a", "/root/lp-become-proof"]);
    expect(stat.stdout.trim()).toBe("root 600");
    expect((await execIn(h2, ["cat", "/root/lp-become-proof"])).stdout).toBe("written as root\n");
  });

  it("the same CLI runs under Deno: a no-op re-run", async () => {
    const r = await runCli(["apply", tb.inventoryPath, ...sample, "--json"], { runtime: "deno" });
    expect(r.code, r.stderr).toBe(0);
    for (const h of tb.hosts) expect(recapOf(r)[h.name]).toMatchObject({ changed: 0, failed: 0 });
  });
});

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConnection } from "../../../src/config/connection-vars.ts";
import { loadInventory } from "../../../src/config/inventory.ts";
import type { ConnectionSettings } from "../../../src/connection/settings.ts";
import { readSshConfig } from "../../../src/connection/ssh-config.ts";
import { connectionCases, connectionHash } from "../../ansible/connection.cases.ts";
import type { SshResolved } from "../../ansible/generate.ts";

const table = JSON.parse(readFileSync("test/ansible/connection.expected.json", "utf8"));
const resolved = table.resolved as Record<string, SshResolved>;
const hashes = table.hashes as Record<string, string>;

/** One real private key (ssh skips, and so does lago-provision, a default key it cannot use). */
let keyText: string | undefined;
function privateKey(): string {
  if (keyText === undefined) {
    const file = join(mkdtempSync(join(tmpdir(), "lago-ansible-key-")), "key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file], { stdio: "ignore" });
    keyText = readFileSync(file, "utf8");
  }
  return keyText;
}

/** A home directory holding every key ssh would try, so the first one ssh names is the one to use. */
function homeWithKeys(): string {
  const home = mkdtempSync(join(tmpdir(), "lago-ansible-home-"));
  mkdirSync(join(home, ".ssh"));
  for (const name of ["id_rsa", "id_ecdsa", "id_ed25519", "web_key", "deploy"]) {
    writeFileSync(join(home, ".ssh", name), privateKey(), { mode: 0o600 });
  }
  return home;
}

/** OpenSSH's resolution (ssh -G) in the terms of lago-provision's settings. */
function fromSsh(want: SshResolved, home: string) {
  const path = (p: string) => p.replace(/^~(?=\/)/, home);
  const strict = want.stricthostkeychecking[0];
  const out: Record<string, unknown> = {
    host: want.hostname[0],
    port: Number(want.port[0]),
    user: want.user[0],
    // ssh tries its identities in order; lago-provision takes the first that exists.
    keyFile: want.identityfile.map(path).find((p) => !p.startsWith(home) || existsSync(p)),
    // ssh reads every file named; lago-provision reads and records in the first.
    knownHostsFile: path(want.userknownhostsfile[0].split(" ")[0]),
    hostKeyChecking: strict === "ask" || strict === "true" ? "strict" : "accept-new",
  };
  const jump = want.proxyjump?.[0] ?? want.proxycommand?.[0].replace(/^ssh -W %h:%p -q /, "");
  if (jump !== undefined) out.jump = jump;
  return out;
}

function ours(s: ConnectionSettings) {
  const out: Record<string, unknown> = {
    host: s.host,
    port: s.port,
    user: s.user,
    keyFile: s.keyFile,
    knownHostsFile: s.knownHostsFile,
    hostKeyChecking: s.hostKeyChecking,
  };
  if (s.jump) out.jump = `${s.jump.user}@${s.jump.host}${s.jump.port === 22 ? "" : `:${s.jump.port}`}`;
  return out;
}

describe("hosts are reached where Ansible's ssh connection reaches them (ansible-core 2.14, ssh -G)", () => {
  it("has Ansible's result for every case (else: npx deno run -A test/ansible/generate.ts --connections)", () => {
    expect(Object.keys(resolved).sort()).toEqual(connectionCases.map((c) => c.name).sort());
  });
  for (const c of connectionCases) {
    it(c.name, () => {
      expect(hashes[c.name], "the case changed: npx deno run -A test/ansible/generate.ts --connections").toBe(
        connectionHash(c),
      );
      const home = homeWithKeys();
      const dir = mkdtempSync(join(tmpdir(), "lago-ansible-connection-"));
      writeFileSync(join(dir, "hosts"), c.inventory);
      writeFileSync(join(dir, "ssh_config"), c.sshConfig ?? "");
      const warnings: string[] = [];
      // Refused at load (naming file:line) or when the host's settings are resolved.
      const resolve = () => {
        const inventory = loadInventory([join(dir, "hosts")]);
        const host = inventory.hosts.find((h) => h.name === (c.target ?? c.inventory.split(/\s/)[0]))!;
        return resolveConnection(host.name, host.vars, {
          inventory,
          // The generator ran ansible as root: the user it logs in as by default.
          user: "root",
          home,
          sshConfig: readSshConfig(join(dir, "ssh_config"), home),
          warn: (m: string) => warnings.push(m),
        });
      };
      if (c.refuse) {
        expect(resolve).toThrow(c.refuse);
        return;
      }
      const want = resolved[c.name];
      expect(want.hostname, `Ansible did not connect: ${want.ansible}`).toBeDefined();
      expect(ours(resolve())).toEqual(fromSsh(want, home));
      if (c.warns) expect(warnings.join("\n")).toMatch(c.warns);
      else expect(warnings).toEqual([]);
    });
  }
});

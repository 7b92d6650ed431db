import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  evaluateSshConfig,
  matchPatternList,
  parseSshConfig,
  readSshConfig,
  splitConfigLine,
} from "../../../src/connection/ssh-config.ts";

describe("ssh_config(5) as ssh reads it", () => {
  const patterns: [string, string[], boolean][] = [
    ["web1", ["web*"], true],
    ["WEB1", ["web?"], true],
    ["web12", ["web?"], false],
    ["db1", ["*", "!db*"], false],
    ["app", ["*,!db*"], true],
    ["db1", ["!db*"], false],
    ["app", ["!db*"], false], // a negation alone matches nothing
    ["a.b.c", ["*.b.*"], true],
  ];
  for (const [name, list, want] of patterns) {
    it(`${list.join(" ")} ${want ? "matches" : "does not match"} ${name}`, () => {
      expect(matchPatternList(name, list)).toBe(want);
    });
  }

  const lines: [string, string[]][] = [
    ["Port 22", ["Port", "22"]],
    ["Port=22", ["Port", "22"]],
    ["  User = deploy  ", ["User", "deploy"]],
    ['IdentityFile "/keys/my key"', ["IdentityFile", "/keys/my key"]],
    ["UserKnownHostsFile a b", ["UserKnownHostsFile", "a", "b"]],
  ];
  for (const [text, want] of lines) {
    it(`splits ${JSON.stringify(text)}`, () => expect(splitConfigLine(text)).toEqual(want));
  }

  it("names the file and line of unbalanced quotes", () => {
    expect(() => parseSshConfig('Host a\n  User "x\n', "cfg")).toThrow("cfg:2: unbalanced quotes");
  });

  it("takes the first value, accumulates identity files, and names what it cannot honour", () => {
    const cfg = parseSshConfig(
      "Host web1\n  IdentityFile ~/.ssh/a\n  CertificateFile ~/.ssh/a-cert.pub\nHost *\n  User all\n" +
        "  IdentityFile ~/.ssh/b\n  Compression yes\n  Port 2200\n",
      "cfg",
    );
    const web = evaluateSshConfig(cfg, { host: "web1", localUser: "me" });
    expect(web).toMatchObject({ user: "all", port: 2200, identityFiles: ["~/.ssh/a", "~/.ssh/b"] });
    expect(web.unsupported).toEqual([{
      keyword: "certificatefile",
      where: "cfg:3",
      refuse: true,
    }]);
    const other = evaluateSshConfig(cfg, { host: "db1", localUser: "me" });
    expect(other.unsupported).toEqual([]);
    expect(() => evaluateSshConfig(parseSshConfig("Port http\n", "cfg"), { host: "x", localUser: "me" }))
      .toThrow("cfg:1: Port should be a number from 1 to 65535, got 'http'");
  });

  it("follows Include relative to the file's own directory (~/.ssh or /etc/ssh)", () => {
    const home = mkdtempSync(join(tmpdir(), "lago-ssh-config-"));
    mkdirSync(join(home, ".ssh", "conf.d"), { recursive: true });
    writeFileSync(join(home, ".ssh", "config"), "Include conf.d/*.conf\nHost *\n  User later\n");
    writeFileSync(join(home, ".ssh", "conf.d", "10-web.conf"), "Host web1\n  User from-include\n");
    writeFileSync(join(home, ".ssh", "conf.d", "skip.txt"), "User never\n");
    const lines = readSshConfig(join(home, ".ssh", "config"), home);
    expect(evaluateSshConfig(lines, { host: "web1", localUser: "me" }).user).toBe("from-include");
    const system = join(home, "etc");
    mkdirSync(join(system, "d"), { recursive: true });
    writeFileSync(join(system, "ssh_config"), "Include d/*\n");
    writeFileSync(join(system, "d", "a"), "Port 2022\n");
    expect(
      evaluateSshConfig(readSshConfig(join(system, "ssh_config"), home, system), {
        host: "x",
        localUser: "me",
      }).port,
    )
      .toBe(2022);
  });
});

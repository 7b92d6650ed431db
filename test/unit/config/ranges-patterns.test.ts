/**
 * Host ranges as Ansible expands them (and refuses them), capped before anything is expanded; host
 * patterns from user text (`--limit`, `hosts:`) checked before they become regular expressions.
 */
import { describe, expect, it } from "vitest";
import {
  checkLimit,
  expandHostRange,
  globToRegExp,
  loadInventory,
  MAX_RANGE_HOSTS,
  patternSyntaxError,
} from "../../../src/config/inventory.ts";

describe("expandHostRange", () => {
  it.each([
    ["web", ["web"]],
    ["web[1:3]", ["web1", "web2", "web3"]],
    ["web[01:03].lan", ["web01.lan", "web02.lan", "web03.lan"]],
    ["web[:2]", ["web0", "web1", "web2"]],
    ["n[1:7:3]", ["n1", "n4", "n7"]],
    ["db-[a:c]", ["db-a", "db-b", "db-c"]],
    ["x[y:B]", ["xy", "xz", "xA", "xB"]],
    ["x[a:e:2]", ["xa", "xc", "xe"]],
    ["r[1:2]-[a:b]", ["r1-a", "r1-b", "r2-a", "r2-b"]],
    ["web[5:5]", ["web5"]],
    ["host]", ["host]"]],
  ])("%s", (pattern, hosts) => expect(expandHostRange(pattern)).toEqual(hosts));

  it.each([
    ["web[9:1]", "host range must have begin <= end"],
    ["web[c:a]", "host range must have begin <= end (letters run a–z, then A–Z)"],
    ["web[A:z]", "host range must have begin <= end"],
    ["web[1:3:0]", "host range step must be a positive number, got '0'"],
    ["web[1:3:x]", "host range step must be a positive number, got 'x'"],
    ["web[01:3]", "host range must specify equal-length begin and end formats"],
    ["web[1:]", "host range must specify an end value"],
    ["web[1]", "host range must be [begin:end] or [begin:end:step]"],
    ["web[1:2:3:4]", "host range must be [begin:end] or [begin:end:step]"],
    ["web[a:9]", "host range bounds must be two numbers or two letters"],
    ["web[aa:zz]", "host range bounds must be two numbers or two letters"],
    ["web[1:3", "host range has no closing ]"],
    ["web[1:[1:9]]", "host ranges cannot be nested"],
    ["web[1:100000000]", "host range names 100000000 hosts; an inventory may name at most 10000"],
    ["a[1:1000]b[1:1000]c[1:1000]", "host range names 1000000000 hosts"],
    ["web[0:99999999999999999999999]", "host range names 100000000000000000000000 hosts"],
  ])("refuses %s", (pattern, error) => expect(() => expandHostRange(pattern)).toThrow(error));

  it("counts against what the inventory named before", () => {
    expect(expandHostRange("web[1:100]", 100)).toHaveLength(100);
    expect(() => expandHostRange("web[1:101]", 100)).toThrow(
      `host range names 101 hosts, and ${MAX_RANGE_HOSTS - 100} were named before it`,
    );
  });
});

describe("globToRegExp (fnmatch, as Ansible)", () => {
  it.each([
    ["web*", "web12", true],
    ["web?", "web1", true],
    ["web?", "web12", false],
    ["web[12]", "web2", true],
    ["web[!12]", "web2", false],
    ["web[!12]", "web3", true],
    ["[ab", "[ab", true],
    ["a.b", "axb", false],
    ["a+(b)", "a+(b)", true],
    ["[]]x", "]x", true],
    ["[!]]x", "]x", false],
    ["[!]]x", "ax", true],
  ])("%s against %s: %s", (glob, name, matches) => expect(globToRegExp(glob).test(name)).toBe(matches));
});

describe("patternSyntaxError", () => {
  it.each(["all", "web:&prod:!db", "~^web(1|2)$", "lago-*", "[ab", "web,db"])("accepts %s", (p) =>
    expect(patternSyntaxError(p)).toBeUndefined());

  it.each([
    ["", "empty host pattern"],
    [" , ", "empty host pattern"],
    ["&", "'&' without a group or host name"],
    ["web:!", "'!' without a group or host name"],
    ["~(", "'(' in pattern '~(' is not a valid regular expression (unterminated group)"],
    ["~[", "is not a valid regular expression"],
    ["~*", "is not a valid regular expression (nothing to repeat)"],
    ["[z-a]", "'[z-a]' in pattern '[z-a]' is not a valid wildcard pattern (range out of order in character class)"],
  ])("refuses %j", (p, error) => expect(patternSyntaxError(p)).toContain(error));
});

describe("checkLimit", () => {
  const inventory = loadInventory("test/fixtures/inventory/hosts.yml");
  it.each(["all", "web", "lago-web*", "~db"])("accepts %s", (l) => expect(checkLimit(inventory, l)).toBeUndefined());

  it.each([
    ["nothing-*", "'nothing-*' matches no host of test/fixtures/inventory/hosts.yml (hosts: solo, lago-web1"],
    ["web:!web", "'web:!web' matches no host"],
    ["web:&db", "'web:&db' matches no host"],
    ["nosuch", "unknown group or host 'nosuch'"],
    ["~(", "is not a valid regular expression"],
  ])("refuses %s", (l, error) => expect(checkLimit(inventory, l)).toContain(error));
});

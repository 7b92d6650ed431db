/**
 * Host patterns from user text (`--limit`, `hosts:`, a saved plan) checked before they become regular
 * expressions; a `--limit` that matches no host refused, as Ansible does.
 */
import { describe, expect, it } from "vitest";
import {
  checkLimit,
  globToRegExp,
  loadInventory,
  patternSyntaxError,
} from "../../../src/config/inventory.ts";

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
  it.each(["all", "web:&prod:!db", "~^web(1|2)$", "lago-*", "[ab", "web,db"])(
    "accepts %s",
    (p) => expect(patternSyntaxError(p)).toBeUndefined(),
  );

  it.each([
    ["", "empty host pattern"],
    [" , ", "empty host pattern"],
    ["&", "'&' without a group or host name"],
    ["web:!", "'!' without a group or host name"],
    ["~(", "'(' in pattern '~(' is not a valid regular expression (unterminated group)"],
    ["~[", "is not a valid regular expression"],
    ["~*", "is not a valid regular expression (nothing to repeat)"],
    [
      "[z-a]",
      "'[z-a]' in pattern '[z-a]' is not a valid wildcard pattern (range out of order in character class)",
    ],
  ])("refuses %j", (p, error) => expect(patternSyntaxError(p)).toContain(error));
});

describe("checkLimit", () => {
  const inventory = loadInventory("test/fixtures/inventory/hosts.yml");
  it.each(["all", "web", "lago-web*", "~db"])(
    "accepts %s",
    (l) => expect(checkLimit(inventory, l)).toBeUndefined(),
  );

  it.each([
    ["nothing-*", "'nothing-*' matches no host of test/fixtures/inventory/hosts.yml (hosts: solo, lago-web1"],
    ["web:!web", "'web:!web' matches no host"],
    ["web:&db", "'web:&db' matches no host"],
    ["nosuch", "unknown group or host 'nosuch'"],
    ["~(", "is not a valid regular expression"],
  ])("refuses %s", (l, error) => expect(checkLimit(inventory, l)).toContain(error));
});

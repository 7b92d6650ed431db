import { describe, expect, it } from "vitest";
import { expandHostPattern, parseAddress } from "../../../src/config/ansible/host-pattern.ts";

// What Ansible expands is compared with ansible-inventory in inventory.cases.ts (ini-ranges,
// yaml-host-keys); here the addresses and the ranges it refuses, or that lago-provision refuses.
describe("inventory host entries", () => {
  const addresses: [string, { host: string; port?: number } | undefined][] = [
    ["web1", { host: "web1", port: undefined }],
    ["web1:2222", { host: "web1", port: 2222 }],
    ["10.0.0.1:22", { host: "10.0.0.1", port: 22 }],
    ["[::1]:2201", { host: "::1", port: 2201 }],
    ["2001:db8::5", { host: "2001:db8::5", port: undefined }],
    ["web[1:3].lan:2200", { host: "web[1:3].lan", port: 2200 }],
    ["not a host", undefined],
  ];
  for (const [text, want] of addresses) it(`address ${text}`, () => expect(parseAddress(text)).toEqual(want));

  const refused: [string, RegExp][] = [
    ["web[1:100000000]", /names 100000000 hosts; an inventory may name at most 10000/],
    ["a[1:200]b[1:200]", /names 40000 hosts/],
    ["web[5:1]", /\[5:1\] in 'web\[5:1\]' must have begin <= end$/],
    ["web[c:a]", /must have begin <= end \(letters run a–z, then A–Z\)/],
    ["web[1:]", /must specify an end value/],
    ["web[01:100]", /equal-length begin and end formats/],
    ["web[1:3:0]", /step that is a whole number from 1/],
    ["web[1:2:3:4]", /must be begin:end or begin:end:step/],
    ["web[1:[2:3]]", /cannot be nested/],
    ["web[1:3", /has no closing \]/],
    ["web[1:z]", /should be two numbers \(01:10\) or two letters \(a:f\)/],
  ];
  for (const [pattern, message] of refused) {
    it(`refuses ${pattern}`, () => expect(() => expandHostPattern(pattern)).toThrow(message));
  }

  it("counts against what the inventory already names", () => {
    expect(() => expandHostPattern("web[1:10]", 5)).toThrow(/names 10 hosts/);
    expect(expandHostPattern("web[1:10]", 10).hosts).toHaveLength(10);
  });
});

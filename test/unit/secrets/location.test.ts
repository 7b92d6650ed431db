/** Where the store is: the same answer for the module (task variables) and the CLI (inventory host vars). */
import { describe, expect, it } from "vitest";
import { storePath, storePathOfHost } from "../../../src/secrets/location.ts";

describe("store location", () => {
  const cases: [string, string | undefined, string | undefined, string][] = [
    ["default beside the inventory", undefined, "/srv/inv", "/srv/inv/lago-secrets.enc"],
    ["absolute path as given", "/etc/lago/s.enc", "/srv/inv", "/etc/lago/s.enc"],
    ["absolute path without an inventory", "/etc/lago/s.enc", undefined, "/etc/lago/s.enc"],
    [
      "relative path from the inventory's folder",
      "secrets/prod.enc",
      "/srv/inv",
      "/srv/inv/secrets/prod.enc",
    ],
  ];
  for (const [name, configured, dir, want] of cases) {
    it(name, () => expect(storePath(configured, dir)).toBe(want));
  }

  it("no store and no inventory: says what to set", () => {
    expect(() => storePath(undefined, undefined)).toThrow("the inventory's location is not known");
  });

  it("an inventory host's lago_secrets_file, templated like any variable", () => {
    const vars = { env_name: "prod", lago_secrets_file: "{{ inventory_dir }}/{{ env_name }}.enc" };
    expect(storePathOfHost(vars, "/srv/inv/hosts.yml", "h1")).toBe("/srv/inv/prod.enc");
    expect(storePathOfHost({}, "/srv/inv/hosts.yml", "h1")).toBe("/srv/inv/lago-secrets.enc");
  });
});

import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { lagoInventoryText, testbedLagoVars } from "../../../scripts/lib/testbed-lago.ts";

const tb = {
  hosts: [
    { name: "t-1", port: 2201, codename: "bookworm" as const },
    { name: "t-2", port: 2202, codename: "trixie" as const },
  ],
  keyPath: "/k/id",
  knownHostsPath: "/k/known",
};
const reach = (port: number) => ({
  ansible_host: "127.0.0.1",
  ansible_port: port,
  ansible_user: "root",
  ansible_ssh_private_key_file: "/k/id",
});

describe("lagoInventoryText: the e2e tests' inventory for playbooks/site.yml on testbed hosts", () => {
  it("the testbed's Lago vars under the given ones; each host reachable, with its own vars", () => {
    const text = lagoInventoryText(tb, "172.17.0.1:5000", {
      vars: { tls_mode: "none", lago_org_name: "Acme" },
      groups: { lago: { "t-1": { lago_version: "v1.49.0" } }, extdb: { "t-2": {} } },
    });
    expect(parse(text)).toEqual({
      all: {
        vars: { ...testbedLagoVars("/k/known", "172.17.0.1:5000"), tls_mode: "none", lago_org_name: "Acme" },
        children: {
          lago: { hosts: { "t-1": { ...reach(2201), lago_version: "v1.49.0" } } },
          extdb: { hosts: { "t-2": reach(2202) } },
        },
      },
    });
  });

  it("a host that is not in the testbed is an error naming the ones there are", () => {
    expect(() => lagoInventoryText(tb, "x:5000", { groups: { lago: { "t-9": {} } } })).toThrow(
      "no testbed host t-9 (have t-1, t-2)",
    );
  });
});

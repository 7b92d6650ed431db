/** What testbed hosts need to run Lago with playbooks/site.yml (the demo and the e2e tests). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { execIn, type TestbedHost } from "./testbed-hosts.ts";
import { connectionVars } from "./testbed-inventory.ts";
import { repoRoot } from "./testbed-paths.ts";

/**
 * Testbed hosts are unprivileged containers: there, Docker 26 (Debian 13) cannot turn IPv6 off on a
 * container's interface and fails to start containers on user-defined networks unless told to go on.
 * Harmless before Docker is installed and on Debian 12. Used by the demo and the lago and fleet e2e tests.
 */
export async function prepareTestbedHost(name: string): Promise<void> {
  const script = `set -e
d=/etc/systemd/system/docker.service.d
want='[Service]
Environment=DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1'
if [ "$(cat $d/testbed-ipv6.conf 2>/dev/null)" != "$want" ]; then
  mkdir -p $d && printf '%s\\n' "$want" > $d/testbed-ipv6.conf
  systemctl daemon-reload
  if systemctl cat docker.service >/dev/null 2>&1; then systemctl try-restart docker; fi
fi`;
  await execIn(name, ["sh", "-c", script]);
}

/**
 * Inventory variables for playbooks/site.yml on testbed hosts: Debian's Docker (Docker's repository is not
 * reachable there), images from the local registry (plain HTTP), nginx with a self-signed certificate.
 */
export function testbedLagoVars(knownHostsPath: string, registryPullAddr: string): Record<string, unknown> {
  return {
    known_hosts_file: knownHostsPath,
    docker_source: "distro",
    docker_insecure_registries: [registryPullAddr],
    lago_image_registry: `${registryPullAddr}/`,
    tls_mode: "selfsigned",
  };
}

/**
 * `all: vars:` for testbed hosts that all listen on 127.0.0.1 (each host gives its own `ansible_port`), as
 * root with the testbed key, the Lago stack plain HTTP: the fleet, bridges and adopt tests.
 */
export function testbedAllVars(
  tb: { keyPath: string; knownHostsPath: string },
  registryPullAddr: string,
): Record<string, unknown> {
  return {
    ansible_host: "127.0.0.1",
    ansible_user: "root",
    ansible_ssh_private_key_file: tb.keyPath,
    ...testbedLagoVars(tb.knownHostsPath, registryPullAddr),
    tls_mode: "none",
  };
}

export interface LagoInventoryOptions {
  /** Over the testbed's Lago vars, for all hosts. */
  vars?: Record<string, unknown>;
  /** group → host name → the host's own vars (how to reach it is added). */
  groups: Record<string, Record<string, Record<string, unknown>>>;
}

/**
 * An inventory (YAML text) for playbooks/site.yml on testbed hosts: `testbedLagoVars` and `vars` for
 * all, and each group's hosts with how to reach them and their own vars. For the e2e tests.
 */
export function lagoInventoryText(
  tb: { hosts: TestbedHost[]; keyPath: string; knownHostsPath: string },
  registryPullAddr: string,
  opts: LagoInventoryOptions,
): string {
  const reach = (name: string) => {
    const host = tb.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no testbed host ${name} (have ${tb.hosts.map((h) => h.name).join(", ")})`);
    return connectionVars(host, tb.keyPath);
  };
  const children = Object.fromEntries(
    Object.entries(opts.groups).map(([group, hosts]) => [group, {
      hosts: Object.fromEntries(
        Object.entries(hosts).map(([name, vars]) => [name, { ...reach(name), ...vars }]),
      ),
    }]),
  );
  const vars = { ...testbedLagoVars(tb.knownHostsPath, registryPullAddr), ...opts.vars };
  return stringify({ all: { vars, children } });
}

/**
 * inventory/example.yml's Lago settings, a production start (sign-up closed, the first organization made
 * by migrate), all but its domain: what the demo and the lago e2e test deploy, so they prove the example.
 */
export function exampleLagoVars(): Record<string, unknown> {
  const example = parse(readFileSync(join(repoRoot, "inventory", "example.yml"), "utf8"));
  const vars: Record<string, unknown> = example.all.children.lago.vars;
  return Object.fromEntries(
    Object.entries(vars).filter(([k]) => k.startsWith("lago_") && k !== "lago_domain"),
  );
}

/** The first organization's password, as an operator reads it on a Lago host. */
export async function orgPassword(host: string): Promise<string> {
  return (await execIn(host, "sed -n 's/^LAGO_ORG_USER_PASSWORD=//p' /opt/lago/secrets.env")).stdout.trim();
}

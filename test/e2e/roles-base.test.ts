/**
 * The docker, git and tls roles on bare testbed hosts (test/e2e/fixtures/base-roles.yml), with real
 * parts: Debian's Docker pulling from the local registry through daemon.json, nginx with a self-signed
 * certificate on hosts 1 (Debian 12) and 2 (Debian 13), and on host 3 a real ACME certificate from
 * pebble (Let's Encrypt's RFC 8555 test server) through certbot's HTTP-01 webroot, renewed by the
 * role's timer and deploy hook. Then a re-run changes nothing.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { $ } from "zx";
import { containerAddress, ensurePebble, type Pebble, pebbleRoot, setARecord } from "./acme.ts";
import { failuresOf, recapOf, repoRoot, runCli } from "./cli.ts";
import { ensureStack, type Stack, waitFor } from "./stack.ts";
import { curlIn, execIn, type Testbed, type TestbedHost, useTestbed } from "./testbed.ts";

let tb: Testbed;
let stack: Stack;
let pebble: Pebble;
let inventory: string;
/** Hosts 1 and 2 (bookworm, trixie): selfsigned; host 3 (bookworm): letsencrypt from pebble. */
let selfsigned: TestbedHost[];
let acmeHost: TestbedHost;

const domainOf = (h: TestbedHost) => `${h.name}.e2e.test`;
const CA_ON_HOST = "/usr/local/share/e2e-acme-ca.pem";
const EXTRA_SANS = ["lago.internal", "127.0.0.1"];
const fixture = ["-p", "test/e2e/fixtures/base-roles.yml"];

/** The served certificate, read inside the host: `openssl x509` text of what 127.0.0.1:443 presents. */
async function servedCert(h: TestbedHost, fields = "-subject -issuer -serial -ext subjectAltName") {
  const r = await execIn(
    h.name,
    `echo | openssl s_client -connect 127.0.0.1:443 -servername ${domainOf(h)} 2>/dev/null ` +
      `| openssl x509 -noout ${fields}`,
  );
  return r.stdout;
}

/** curl inside the host, its test domain resolved to 127.0.0.1. */
const curlDomain = (h: TestbedHost, url: string) => curlIn(h.name, domainOf(h), url);

beforeAll(async () => {
  const started = Date.now();
  [tb, stack, pebble] = await Promise.all([useTestbed(3, { fresh: true }), ensureStack(), ensurePebble()]);
  selfsigned = tb.hosts.slice(0, 2);
  acmeHost = tb.hosts[2];
  await setARecord(domainOf(acmeHost), await containerAddress(acmeHost.name));

  const host = (h: TestbedHost, vars: Record<string, unknown>) => ({
    ansible_host: "127.0.0.1",
    ansible_port: h.port,
    ansible_user: "root",
    ansible_ssh_private_key_file: tb.keyPath,
    lago_domain: domainOf(h),
    ...vars,
  });
  const inv = {
    all: {
      hosts: {
        ...Object.fromEntries(selfsigned.map((h) => [
          h.name,
          host(h, { tls_mode: "selfsigned", tls_selfsigned_sans: EXTRA_SANS }),
        ])),
        [acmeHost.name]: host(acmeHost, {
          tls_mode: "letsencrypt",
          tls_acme_directory: pebble.directory,
          tls_acme_email: `ops@${domainOf(acmeHost)}`,
          tls_acme_ca_bundle: CA_ON_HOST,
          e2e_acme_ca_pem: pebble.caBundlePem,
        }),
      },
      vars: {
        known_hosts_file: tb.knownHostsPath,
        docker_insecure_registries: [stack.registry.pullAddr],
      },
    },
  };
  inventory = join(repoRoot, ".cache", `${tb.hosts[0].name}-base-roles-inventory.yml`);
  writeFileSync(inventory, stringify(inv));
  console.log(
    `roles-base: testbed, stack and pebble ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
});

describe("docker, git and tls roles on bare hosts", () => {
  it("converge three bare hosts (docker distro, git, tls selfsigned and letsencrypt)", async () => {
    const started = Date.now();
    const r = await runCli(["apply", inventory, ...fixture, "--json"]);
    console.log(`roles-base: first apply in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(r.code, failuresOf(r)).toBe(0);
    for (const h of tb.hosts) {
      expect(recapOf(r)[h.name]).toMatchObject({ failed: 0, unreachable: 0 });
      expect(recapOf(r)[h.name].changed).toBeGreaterThan(10);
    }
  });

  it("docker: engine enabled, compose through lago-compose (v1 on Debian 12, v2 on 13), daemon.json applied", async () => {
    for (const h of tb.hosts) {
      expect((await execIn(h.name, "systemctl is-active docker; systemctl is-enabled docker")).stdout)
        .toBe("active\nenabled\n");
      const compose = await execIn(h.name, ["lago-compose", "version"]);
      expect(compose.stdout).toMatch(
        h.codename === "bookworm" ? /docker-compose version 1\./ : /Compose version v?2\./,
      );
      const daemon = JSON.parse((await execIn(h.name, ["cat", "/etc/docker/daemon.json"])).stdout);
      expect(daemon["log-opts"]).toEqual({ "max-size": "10m", "max-file": "3" });
      expect(daemon["insecure-registries"]).toEqual([stack.registry.pullAddr]);
    }
    // The insecure registry setting is live: a plain-HTTP pull from the local registry works.
    const front = stack.images["front:v1.49.0"];
    await Promise.all(tb.hosts.map((h) => execIn(h.name, ["docker", "pull", "-q", front])));
    for (const h of tb.hosts) {
      expect((await execIn(h.name, ["docker", "image", "inspect", "-f", "ok", front])).stdout).toBe("ok\n");
    }
  });

  it("git: the repository is checked out at the pinned tag, not its newer commit", async () => {
    for (const h of tb.hosts) {
      const r = await execIn(h.name, [
        "sh",
        "-c",
        "cd /opt/lago-src && git describe --tags --exact-match && test $(git rev-parse HEAD) = " +
        "$(git -C /srv/e2e-repo rev-parse v1.0.0^{commit}) && echo pinned",
      ]);
      expect(r.stdout).toBe("v1.0.0\npinned\n");
    }
  });

  it("tls selfsigned: HTTPS with the domain and extra names, 80 redirects, the api's paths and the front proxied", async () => {
    for (const h of selfsigned) {
      const cert = await servedCert(h);
      expect(cert).toMatch(new RegExp(`subject=\\s*CN\\s*=\\s*${domainOf(h).replaceAll(".", "\\.")}`));
      expect(cert).toContain(`DNS:${domainOf(h)}`);
      expect(cert).toContain("DNS:lago.internal");
      expect(cert).toContain("IP Address:127.0.0.1");
      expect((await execIn(h.name, ["stat", "-c", "%a %U", "/etc/lago-provision/tls/selfsigned.key"])).stdout)
        .toBe("600 root\n");

      const http = await curlDomain(h, `http://${domainOf(h)}/invoices?page=2`);
      expect(http.status).toBe(301);
      expect(http.location).toBe(`https://${domainOf(h)}/invoices?page=2`);

      // Nothing listens upstream yet: nginx answers 502 for both routes.
      expect((await curlDomain(h, `https://${domainOf(h)}/health`)).status).toBe(502);
      // A self-signed certificate is no reason for browsers to pin HTTPS.
      const head = await execIn(h.name, [
        "curl",
        ...["-sk", "-o", "/dev/null", "-D", "-", "--resolve", `${domainOf(h)}:443:127.0.0.1`],
        `https://${domainOf(h)}/`,
      ]);
      expect(head.stdout.toLowerCase()).not.toContain("strict-transport-security");

      // Throwaway upstreams on the lago role's loopback ports, each file naming the path it was asked for:
      // the api's paths reach it unchanged (/api/v1/... included), the rest reaches the front.
      const apiFiles = [
        "health",
        "api/v1/customers",
        "graphql",
        "rails/active_storage/disk/x",
        "webhooks/stripe/1",
      ];
      await execIn(
        h.name,
        "mkdir -p /tmp/e2e-front && echo front-index > /tmp/e2e-front/index.html && " +
          apiFiles.map((f) => `mkdir -p /tmp/e2e-api/$(dirname ${f}) && echo api:/${f} > /tmp/e2e-api/${f}`)
            .join(" && ") +
          " && echo api:/metrics > /tmp/e2e-api/metrics && " +
          "systemd-run -q --unit e2e-api python3 -m http.server 3000 --bind 127.0.0.1 --directory /tmp/e2e-api && " +
          "systemd-run -q --unit e2e-front python3 -m http.server 8080 --bind 127.0.0.1 --directory /tmp/e2e-front",
      );
      try {
        // Both python servers take a moment to listen (longer on a loaded machine).
        const reach = (path: string) =>
          waitFor(`${path} through nginx`, async () => {
            const reply = await curlDomain(h, `https://${domainOf(h)}${path}`);
            return reply.status !== 502 ? reply : undefined;
          }, 30_000);
        for (const f of apiFiles) {
          expect(await reach(`/${f}`)).toMatchObject({ status: 200, body: `api:/${f}\n` });
        }
        // Where the former /api-prefixed layout had the api's root: links made with it keep working.
        expect(await reach("/api/health")).toMatchObject({ status: 200, body: "api:/health\n" });
        expect(await reach("/api/rails/active_storage/disk/x")).toMatchObject({
          body: "api:/rails/active_storage/disk/x\n",
        });
        expect(await reach("/")).toMatchObject({ status: 200, body: "front-index\n" });
        expect((await reach("/api-keys"))!.status).toBe(404); // the front's (python's 404), not the api's
        // The api's metrics are not served from outside.
        for (const path of ["/metrics", "/sidekiq/queues"]) {
          expect((await reach(path))!.status, path).toBe(404);
        }
      } finally {
        await execIn(h.name, "systemctl stop e2e-api e2e-front; rm -rf /tmp/e2e-api /tmp/e2e-front", {
          allowFailure: true,
        });
      }
    }
  });

  it("tls letsencrypt: a certificate from pebble through HTTP-01, the renewal timer enabled", async () => {
    const h = acmeHost;
    const cert = await servedCert(h);
    expect(cert).toMatch(/issuer=\s*CN\s*=\s*Pebble Intermediate CA/);
    expect(cert).toContain(`DNS:${domainOf(h)}`);
    // The chain nginx serves verifies up to pebble's current root.
    await execIn(h.name, ["sh", "-c", "cat > /tmp/pebble-root.pem"], { input: await pebbleRoot() });
    const verify = await execIn(
      h.name,
      `echo | openssl s_client -connect 127.0.0.1:443 -servername ${
        domainOf(h)
      } -CAfile /tmp/pebble-root.pem ` +
        `-verify_return_error -verify_hostname ${domainOf(h)} 2>&1`,
      { allowFailure: true },
    );
    expect(verify.stdout).toContain("Verify return code: 0 (ok)");
    // A certificate browsers trust: HSTS on by default.
    const head = await execIn(h.name, [
      "curl",
      ...["-sk", "-o", "/dev/null", "-D", "-", "--resolve", `${domainOf(h)}:443:127.0.0.1`],
      `https://${domainOf(h)}/`,
    ]);
    expect(head.stdout.toLowerCase()).toContain("strict-transport-security: max-age=31536000");

    const units = await execIn(
      h.name,
      "systemctl is-enabled lago-certbot-renew.timer; systemctl is-active lago-certbot-renew.timer; " +
        "systemctl is-enabled certbot.timer || true",
    );
    expect(units.stdout).toBe("enabled\nactive\ndisabled\n");
    // The timer's service runs clean (nothing is due: it renews nothing).
    await execIn(h.name, ["systemctl", "start", "lago-certbot-renew.service"]);
    expect((await execIn(h.name, ["systemctl", "show", "-p", "Result", "lago-certbot-renew.service"])).stdout)
      .toBe("Result=success\n");
  });

  it("tls letsencrypt: a renewal reloads nginx through the deploy hook", async () => {
    const h = acmeHost;
    const before = await servedCert(h, "-serial");
    await execIn(h.name, [
      "env",
      `REQUESTS_CA_BUNDLE=${CA_ON_HOST}`,
      ...["certbot", "renew", "--force-renewal", "--no-random-sleep-on-renew", "-q"],
    ]);
    // nginx's new workers take over a moment after the reload.
    const after = await waitFor("nginx to serve the renewed certificate", async () => {
      const serial = await servedCert(h, "-serial");
      return serial !== before && serial;
    }, 15_000);
    expect(after).toMatch(/^serial=/);
  });

  it("tls provided: a certificate from the controller replaces the self-signed one, and back", async () => {
    const h = selfsigned[0];
    const dir = join(repoRoot, ".cache", `${h.name}-provided-tls`);
    mkdirSync(dir, { recursive: true });
    const [cert, key, vars] = ["cert.pem", "key.pem", "vars.yml"].map((f) => join(dir, f));
    await $`openssl req -x509 -nodes -newkey rsa:2048 -days 30 -subj ${`/CN=${
      domainOf(h)
    }`} -addext ${`subjectAltName=DNS:${domainOf(h)}`} -keyout ${key} -out ${cert}`
      .quiet();
    const serialOf = async (pem: string) =>
      (await $({ input: pem })`openssl x509 -noout -serial`.quiet()).stdout;
    writeFileSync(vars, stringify({ tls_mode: "provided", tls_provided_cert: cert, tls_provided_key: key }));

    const provided = await runCli(["apply", inventory, ...fixture, "-l", h.name, "-e", `@${vars}`, "--json"]);
    expect(provided.code, failuresOf(provided)).toBe(0);
    const want = await serialOf(readFileSync(cert, "utf8"));
    // waitFor throws when the served serial never becomes this one.
    await waitFor(
      "nginx to serve the provided certificate",
      async () => (await servedCert(h, "-serial")) === want,
      15_000,
    );
    expect((await execIn(h.name, ["stat", "-c", "%a", "/etc/lago-provision/tls/provided.key"])).stdout).toBe(
      "600\n",
    );

    // The inventory's selfsigned again: the links go back to the certificate made before, kept as it was.
    const back = await runCli(["apply", inventory, ...fixture, "-l", h.name, "--json"]);
    expect(back.code, failuresOf(back)).toBe(0);
    const selfSerial = await serialOf(
      (await execIn(h.name, ["cat", "/etc/lago-provision/tls/selfsigned.crt"])).stdout,
    );
    // waitFor throws when the served serial never becomes this one.
    await waitFor(
      "nginx to serve the self-signed certificate again",
      async () => (await servedCert(h, "-serial")) === selfSerial,
      15_000,
    );
  });

  it("a second apply changes nothing", async () => {
    const started = Date.now();
    const r = await runCli(["apply", inventory, ...fixture, "--json"]);
    console.log(`roles-base: re-run in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(r.code, failuresOf(r)).toBe(0);
    for (const h of tb.hosts) {
      expect(recapOf(r)[h.name]).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
    }
  });
});

/**
 * Backups you can restore, on two testbed hosts running Lago behind nginx (A at v1.49.0, B at v1.50.0,
 * one installation: the same secrets store): data made through the API on A (a customer, an invoice whose
 * PDF a worker wrote into the file storage); `backup` of A copied to this machine and to B, checked; A's
 * database volume and files destroyed; `restore` brings the same data back through the API. The off-host
 * copy restores on B (older backup: migrated to B's schema). Refused, with Lago left running as it was:
 * a corrupt and a truncated copy, another installation's backup, a backup of a newer schema; a full disk
 * during backup fails with one error and leaves no partial backup.
 */
import { cpSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  exampleLagoVars,
  lagoInventoryText,
  orgPassword,
  prepareTestbedHost,
} from "../../scripts/lib/testbed-lago.ts";
import {
  apiKey,
  curlInHost,
  download,
  frontApiUrl,
  type Http,
  rest,
  signIn,
} from "../../scripts/lib/lago-client.ts";
import { type CliResult, failuresOf, recapOf, runCli } from "./cli.ts";
import { ensureStack, type Stack, waitFor } from "./stack.ts";
import { execIn, type Testbed, type TestbedHost, useTestbed } from "./testbed.ts";

const PASSPHRASE = "e2e backup passphrase, long enough";
const EXAMPLE = exampleLagoVars();
const EMAIL = String(EXAMPLE.lago_org_user_email);
const LONG = 1_800_000;

let tb: Testbed;
let stack: Stack;
let a: TestbedHost;
let b: TestbedHost;
let dir: string;
let inventory: string;
let copies: string;

const cli = (...args: string[]) => runCli(args, { env: { LAGO_SECRETS_PASSPHRASE: PASSPHRASE } });

/** The last line of stderr that starts with "error:" and the whole stderr has no stack trace. */
function oneError(r: CliResult): string {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0];
}

interface Client {
  http: Http;
  url: string;
  key: string;
}

async function client(h: TestbedHost): Promise<Client> {
  const http = curlInHost(h.name);
  const url = await frontApiUrl(http, `https://${h.name}`);
  const session = await signIn(http, url, EMAIL, await orgPassword(h.name));
  return { http, url, key: await apiKey(http, url, session) };
}

/** Which of the test's customers the API finds (GET customers/ID), or a status other than 200 and 404. */
async function customers(c: Client): Promise<string[] | number> {
  const found: string[] = [];
  for (const id of ["cust-1", "cust-2"]) {
    const [status, body] = await rest(c.http, c.url, c.key, "GET", `customers/${id}`).catch((): [
      number,
      null,
    ] => [0, null]);
    if (status === 200 && body.customer.external_id === id) found.push(id);
    else if (status !== 404) return status;
  }
  return found;
}

/** An invoice's PDF through its file_url: the sha256 of what the client gets. */
async function invoicePdf(c: Client, id: string): Promise<string> {
  const fileUrl: string = await waitFor("the invoice's PDF", async () => {
    const [, body] = await rest(c.http, c.url, c.key, "POST", `invoices/${id}/download`);
    return body?.invoice?.file_url;
  }, 120_000);
  const chain = await download(c.http, fileUrl);
  const last = chain[chain.length - 1];
  expect(last.status, fileUrl).toBe(200);
  return last.sha256;
}

/** Lago's containers on a host: service → id and state (unchanged ids: nothing was restarted). */
async function containers(h: TestbedHost): Promise<Record<string, string>> {
  const r = await execIn(
    h.name,
    "docker ps -a --filter label=com.docker.compose.project=lago --filter label=com.docker.compose.oneoff=False " +
      "--format '{{.Label \"com.docker.compose.service\"}} {{.ID}} {{.State}}'",
  );
  return Object.fromEntries(
    r.stdout.trim().split("\n").map((l) => l.split(" ")).map(([s, id, st]) => [s, `${id} ${st}`]),
  );
}

const health = async (h: TestbedHost) =>
  (await execIn(h.name, "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:3000/health", {
    allowFailure: true,
  }))
    .stdout;

beforeAll(async () => {
  [tb, stack] = await Promise.all([useTestbed(2, { fresh: true }), ensureStack()]);
  [a, b] = tb.hosts;
  await Promise.all(tb.hosts.map((h) => prepareTestbedHost(h.name)));
  dir = mkdtempSync(join(tmpdir(), "lago-backup-e2e-"));
  copies = join(dir, "copies");
  inventory = join(dir, "inventory.yml");
  writeFileSync(
    inventory,
    lagoInventoryText(tb, stack.registry.pullAddr, {
      vars: EXAMPLE,
      groups: { lago: { [a.name]: { lago_version: "v1.49.0" }, [b.name]: { lago_version: "v1.50.0" } } },
    }),
  );
}, LONG);

describe("backup and restore", () => {
  let c: Client;
  let invoiceId: string;
  let pdf: string;
  let stamp: string;
  let copy: string;

  it("deploys two hosts and makes data through the API", async () => {
    const r = await cli("apply", inventory, "--json");
    expect(r.code, failuresOf(r)).toBe(0);
    expect(recapOf(r)[a.name]).toMatchObject({ failed: 0 });
    c = await client(a);
    for (const id of ["cust-1", "cust-2"]) {
      const [status] = await rest(c.http, c.url, c.key, "POST", "customers", {
        customer: { external_id: id, name: `Customer ${id}` },
      });
      expect(status).toBe(200);
    }
    const [, invoice] = await rest(c.http, c.url, c.key, "POST", "invoices", {
      invoice: {
        external_customer_id: "cust-1",
        currency: "EUR",
        fees: [{ add_on_code: "setup", units: 1, unit_amount_cents: 4200 }],
      },
    });
    invoiceId = invoice.invoice.lago_id;
    pdf = await invoicePdf(c, invoiceId);
    expect(await customers(c)).toEqual(["cust-1", "cust-2"]);
  }, LONG);

  it("backup: kept on the host, copied to this machine and to the other host, checked", async () => {
    const r = await cli(
      "backup",
      inventory,
      "--limit",
      a.name,
      "--copy-to",
      copies,
      "--copy-to-host",
      b.name,
      "--json",
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const result = r.events.find((e) => e.type === "backup")!.backups[0];
    stamp = result.manifest.id;
    expect(result.manifest).toMatchObject({ lago_version: "v1.49.0", storage: "local", project: "lago" });
    expect(result.manifest.schema_version).toMatch(/^\d+$/);
    copy = join(copies, a.name, stamp);
    expect(result.copies).toEqual([copy, `${b.name}:/var/backups/lago/${stamp}`]);
    // The same bytes in all three places.
    const sums = async (h: TestbedHost) =>
      (await execIn(h.name, `cd /var/backups/lago/${stamp} && sha256sum db.dump storage.tar.gz`)).stdout;
    expect(await sums(b)).toBe(await sums(a));
    const local = readFileSync(join(copy, "manifest.json"), "utf8");
    expect(JSON.parse(local).files.map((f: { name: string }) => f.name)).toEqual([
      "db.dump",
      "storage.tar.gz",
    ]);
    // No secret in the backup's files (they are in the encrypted store).
    const env = (await execIn(a.name, "sed -n \"s/^SECRET_KEY_BASE='\\(.*\\)'$/\\1/p\" /opt/lago/lago.env"))
      .stdout.trim();
    expect(env.length).toBeGreaterThan(20);
    const grep = await execIn(a.name, [
      "sh",
      "-c",
      `cd /var/backups/lago/${stamp} && zcat storage.tar.gz | grep -c "$1"; grep -c "$1" db.dump manifest.json`,
      "sh",
      env,
    ], { allowFailure: true });
    expect(grep.stdout.trim().split("\n").map((l) => l.replace(/.*:/, ""))).toEqual(["0", "0", "0"]);
  }, LONG);

  it("restore after the database volume and files are destroyed: the same data answers", async () => {
    await execIn(
      a.name,
      "cd /opt/lago && docker rm -f $(docker ps -aq --filter label=com.docker.compose.project=lago --filter label=com.docker.compose.service=db) " +
        "&& docker volume rm lago_lago_postgres_data && find $(docker volume inspect -f '{{.Mountpoint}}' lago_lago_storage_data) -mindepth 1 -delete",
    );
    expect(await customers(c)).not.toEqual(["cust-1", "cust-2"]);
    const check = await cli("restore", inventory, "--limit", a.name, "--from", stamp, "--check");
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/would restore/);
    expect(check.stdout).not.toMatch(/migrate/);
    const r = await cli("restore", inventory, "--limit", a.name, "--from", stamp);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${a.name}: restored ${stamp}, healthy`));
    expect(await customers(c)).toEqual(["cust-1", "cust-2"]);
    expect(await invoicePdf(c, invoiceId)).toBe(pdf);
  }, LONG);

  it("the off-host copy restores on the other host, migrated to its newer release", async () => {
    const cb = await client(b);
    expect(await customers(cb)).toEqual([]);
    const r = await cli("restore", inventory, "--limit", b.name, "--from", stamp);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/migrate with v1\.50\.0/);
    // A's organization now, with A's API key: signed in again.
    const restored = await client(b);
    expect(await customers(restored)).toEqual(["cust-1", "cust-2"]);
    expect(await invoicePdf(restored, invoiceId)).toBe(pdf);
  }, LONG);

  it(
    "refuses a corrupt, a truncated, another installation's and a newer schema's backup; Lago untouched",
    async () => {
      const before = await containers(a);
      const variant = (name: string, change: (d: string) => void) => {
        const d = join(dir, name);
        cpSync(copy, d, { recursive: true });
        change(d);
        return d;
      };
      const corrupt = variant("corrupt", (d) => {
        const f = join(d, "db.dump");
        const bytes = readFileSync(f);
        bytes[Math.floor(bytes.length / 2)] ^= 0xff;
        writeFileSync(f, bytes);
      });
      const truncated = variant("truncated", (d) => truncateSync(join(d, "storage.tar.gz"), 100));
      const foreign = variant("foreign", (d) => {
        const m = JSON.parse(readFileSync(join(d, "manifest.json"), "utf8"));
        writeFileSync(join(d, "manifest.json"), JSON.stringify({ ...m, installation: "0123456789abcdef" }));
      });
      expect(oneError(await cli("restore", inventory, "--limit", a.name, "--from", corrupt))).toMatch(
        /damaged: db\.dump: sha256 differs/,
      );
      expect(oneError(await cli("restore", inventory, "--limit", a.name, "--from", truncated))).toMatch(
        /damaged: storage\.tar\.gz: 100 bytes, expected \d+ \(truncated\?\)/,
      );
      expect(oneError(await cli("restore", inventory, "--limit", a.name, "--from", foreign))).toMatch(
        /is of another installation/,
      );
      // B's own backup is of v1.50.0: A runs v1.49.0.
      const newer = await cli("backup", inventory, "--limit", b.name, "--copy-to", copies, "--json");
      expect(newer.code, newer.stderr).toBe(0);
      const newerDir = newer.events.find((e) => e.type === "backup")!.backups[0].copies[0];
      expect(oneError(await cli("restore", inventory, "--limit", a.name, "--from", newerDir))).toMatch(
        /newer than the v1\.49\.0/,
      );
      expect(await containers(a)).toEqual(before);
      expect(await health(a)).toBe("200");
    },
    LONG,
  );

  it("a full disk during backup: one error, no partial backup, Lago untouched", async () => {
    const before = await containers(a);
    await execIn(a.name, "mkdir -p /var/backups/lago && mount -t tmpfs -o size=8k tmpfs /var/backups/lago");
    try {
      const line = oneError(await cli("backup", inventory, "--limit", a.name));
      expect(line).toMatch(/backup failed, nothing else was changed: pg_dump failed on .*KiB free/);
      expect((await execIn(a.name, "ls -A /var/backups/lago")).stdout.trim()).toBe("");
    } finally {
      await execIn(a.name, "umount /var/backups/lago");
    }
    expect(await containers(a)).toEqual(before);
    expect(await health(a)).toBe("200");
    expect(await customers(c)).toEqual(["cust-1", "cust-2"]);
  }, LONG);
});

describe("status", () => {
  const status = (...extra: string[]) => cli("status", inventory, "--limit", a.name, "--json", ...extra);
  const report = (r: CliResult) => r.events.find((e) => e.type === "status")!;

  it("a healthy host: exit 0, one round trip, every fact on one screen", async () => {
    const r = await status();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [h] = report(r).hosts;
    expect(h).toMatchObject({ host: a.name, version: "v1.49.0", nginx: 200, lock: "free", problems: [] });
    expect(h.certificate.days).toBeGreaterThanOrEqual(360);
    expect(h.backup.age_hours).toBeLessThan(2);
    expect(h.timer).toMatchObject({ active: true });
    expect(h.disks.map((d: { path: string }) => d.path)).toEqual(["/var/lib/docker", "/var/backups/lago"]);
    expect(h.services).toContainEqual({ service: "api-worker", state: "running", health: "healthy" });
    const text = await cli("status", inventory);
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${a.name} {2}Lago v1\\.49\\.0 {2}ok$`, "m"));
    expect(text.stdout).toMatch(new RegExp(`^${b.name} {2}Lago v1\\.50\\.0 {2}ok$`, "m"));
  }, LONG);

  it("--drift: the playbook's dry run; a changed file is drift, exit 6", async () => {
    const clean = await status("--drift");
    expect(clean.code, JSON.stringify(report(clean)?.hosts[0].problems) + clean.stderr).toBe(0);
    expect(report(clean).hosts[0].drift).toBe(0);
    await execIn(a.name, "chmod 0644 /opt/lago/lago.env");
    try {
      const r = await status("--drift");
      expect(r.code, r.stderr).toBe(6);
      expect(report(r).hosts[0].drift).toBeGreaterThan(0);
    } finally {
      await execIn(a.name, "chmod 0600 /opt/lago/lago.env");
    }
  }, LONG);

  it("a stopped service: exit 3", async () => {
    await execIn(
      a.name,
      "docker stop $(docker ps -q --filter label=com.docker.compose.project=lago --filter label=com.docker.compose.service=api-worker)",
    );
    try {
      const r = await status();
      expect(r.code).toBe(3);
      expect(report(r).hosts[0].problems).toContainEqual({ code: 3, text: "worker not running (exited)" });
    } finally {
      await execIn(
        a.name,
        "docker start $(docker ps -aq --filter label=com.docker.compose.project=lago --filter label=com.docker.compose.service=api-worker)",
      );
      // The worker is "starting" until its health check passes: the next test must find the host healthy
      // again, or its exit code is this one's (3 comes before 4).
      await waitFor("the worker healthy again", async () => (await status()).code === 0, 120_000);
    }
  }, LONG);

  it("a certificate that expires in two days: exit 4", async () => {
    const dir = "/etc/lago-provision/tls";
    await execIn(
      a.name,
      `cp ${dir}/selfsigned.crt /root/selfsigned.keep && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=${a.name} ` +
        `-keyout /root/short.key -out ${dir}/selfsigned.crt 2>/dev/null`,
    );
    try {
      const r = await status();
      expect(r.code, JSON.stringify(report(r).hosts[0].problems)).toBe(4);
      expect(report(r).hosts[0].problems).toContainEqual({
        code: 4,
        text: "the certificate expires in 1 days",
      });
    } finally {
      await execIn(a.name, `mv /root/selfsigned.keep ${dir}/selfsigned.crt`);
    }
  }, LONG);

  it("a stale backup: exit 5, and --backup-hours moves the line", async () => {
    await execIn(
      a.name,
      "touch -d '30 hours ago' $(ls -d /var/backups/lago/2*Z | sort | tail -n 1)/manifest.json",
    );
    const r = await status();
    expect(r.code).toBe(5);
    expect(report(r).hosts[0].problems).toContainEqual({ code: 5, text: "the last backup is 30h 00m old" });
    expect((await status("--backup-hours", "48")).code).toBe(0);
  }, LONG);

  it("the scheduled backup runs the same backup", async () => {
    await execIn(a.name, "systemctl start lago-backup.service");
    const r = await status();
    expect(r.code, JSON.stringify(report(r).hosts[0].problems)).toBe(0);
    expect(report(r).hosts[0].timer).toMatchObject({ active: true, last_result: "success" });
    expect(report(r).hosts[0].backup.age_hours).toBeLessThan(1);
  }, LONG);
});

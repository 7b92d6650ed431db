/**
 * A dry run you can trust (issue 4), on real hosts: what `--check` predicts to change is exactly what
 * the following apply changes, task for task, on a bare host, a converged host and a converged host
 * with one variable changed; `--check` leaves every host byte-for-byte as it was; no secret reaches
 * the output or plan.json; a saved plan is refused when a host drifted.
 */
import { Buffer } from "node:buffer";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliResult, recapOf, repoRoot, resultsOf, runCli } from "./cli.ts";
import { execIn, type Testbed, useTestbed } from "./testbed.ts";

let tb: Testbed;
const sample = ["-p", "playbooks/sample.yml"];

/** Everything check mode could touch: files under the deploy paths with mtimes, packages, units, containers. */
async function fingerprint(host: string): Promise<string> {
  const script = [
    "find /opt /etc /root /var/lib/lago-provision -xdev -printf '%p %T@ %s %m %u\\n' 2>/dev/null | sort",
    "dpkg-query -W -f='${Package} ${Version} ${Status}\\n' | sort",
    "systemctl list-unit-files --no-legend --no-pager | sort",
    "systemctl list-units --all --no-legend --no-pager --plain | awk '{print $1, $3, $4}' | sort",
    "if command -v docker >/dev/null; then docker ps -a --format '{{.Names}} {{.Image}} {{.Status}}'; fi",
  ].join("; ");
  return (await execIn(host, ["sh", "-c", script])).stdout;
}

/** host -> sorted task names with the given outcome. */
function tasksBy(r: CliResult, pick: (e: Record<string, any>) => boolean): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of resultsOf(r).filter(pick)) (out[e.host] ??= []).push(e.task);
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}
const changedTasks = (r: CliResult) => tasksBy(r, (e) => e.status === "changed" && e.unknown === undefined);
const unknownTasks = (r: CliResult) => tasksBy(r, (e) => e.unknown !== undefined);

/** Check, prove it changed nothing, apply, and compare the prediction with what happened. */
async function predictThenApply(extra: string[]) {
  const before = await Promise.all(tb.hosts.map((h) => fingerprint(h.name)));
  const check = await runCli(["apply", tb.inventoryPath, ...sample, "--check", "--json", ...extra]);
  expect(check.code, check.stderr).toBe(0);
  expect(await Promise.all(tb.hosts.map((h) => fingerprint(h.name)))).toEqual(before);
  const apply = await runCli(["apply", tb.inventoryPath, ...sample, "--json", ...extra]);
  expect(apply.code, apply.stderr).toBe(0);
  expect(unknownTasks(check)).toEqual({});
  expect(changedTasks(check)).toEqual(changedTasks(apply));
  return { check, apply };
}

beforeAll(async () => {
  tb = await useTestbed(2, { fresh: true });
});

describe("check mode predicts apply, task for task", () => {
  it("on bare hosts", async () => {
    const { apply } = await predictThenApply([]);
    for (const h of tb.hosts) expect(recapOf(apply)[h.name].changed).toBeGreaterThanOrEqual(7);
  });

  it("on converged hosts: nothing to change, and --detailed-exitcode says 0", async () => {
    const { check } = await predictThenApply([]);
    expect(changedTasks(check)).toEqual({});
    const detailed = await runCli(["apply", tb.inventoryPath, ...sample, "--check", "--detailed-exitcode"]);
    expect(detailed.code).toBe(0);
  });

  it("on converged hosts with one variable changed: only the task that uses it", async () => {
    const changed = ["-e", "greeting='hello again'"];
    const detailed = await runCli([
      "apply",
      tb.inventoryPath,
      ...sample,
      "--check",
      "--detailed-exitcode",
      ...changed,
    ]);
    expect(detailed.code).toBe(2);
    expect(detailed.stdout).toMatch(/Check: 2 hosts, 2 tasks to change/);
    const { check } = await predictThenApply(changed);
    for (const h of tb.hosts) expect(changedTasks(check)[h.name]).toEqual(["Index page"]);
  });
});

describe("secrets never reach output", () => {
  const password = "p@ss/w:rd!Zq9#x";
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const rsaB64 = Buffer.from(pem).toString("base64");
  const vars = ["-e", `db_password='${password}'`, "-e", `lago_rsa_private_key=${rsaB64}`];
  const forms = [password, encodeURIComponent(password), rsaB64, rsaB64.slice(0, 40), pem.split("\n")[1]];

  it("check --diff, apply and plan.json hide the password, its URL-encoded form and the key", async () => {
    expect(createPrivateKey(pem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    const pb = ["-p", "test/e2e/fixtures/check-secrets.yml"];
    const planPath = join(repoRoot, ".cache", "check-secrets-plan.json");
    const outputs = [
      await runCli(["apply", tb.inventoryPath, ...pb, "--check", "--diff", ...vars]),
      await runCli(["apply", tb.inventoryPath, ...pb, "--check", "--diff", "--json", ...vars]),
      await runCli(["plan", tb.inventoryPath, ...pb, "--diff", "-o", planPath, ...vars]),
      await runCli(["apply", tb.inventoryPath, ...pb, "--diff", ...vars]),
    ];
    const plan = readFileSync(planPath, "utf8");
    for (const text of [...outputs.flatMap((o) => [o.stdout, o.stderr]), plan]) {
      for (const secret of forms) expect(text).not.toContain(secret);
    }
    expect(outputs[0].stdout).toMatch(/redacted/);
    expect(outputs[3].code).toBe(0);
    // The host really has the values: redaction is in the output only.
    const onHost = await execIn(tb.hosts[0].name, ["cat", "/opt/check-secrets.env"]);
    expect(onHost.stdout).toContain(`postgresql://lago:${password}@db.internal`);
  });
});

describe("saved plans", () => {
  it("apply plan.json applies exactly the plan, and refuses when a host drifted", async () => {
    const planPath = join(repoRoot, ".cache", "check-plan.json");
    const host = tb.hosts[1].name;
    const changed = ["-e", "greeting='planned greeting'"];
    const plan = await runCli([
      "plan",
      tb.inventoryPath,
      ...sample,
      "-o",
      planPath,
      "--detailed-exitcode",
      ...changed,
    ]);
    expect(plan.code).toBe(2);
    const saved = JSON.parse(readFileSync(planPath, "utf8"));
    expect(saved).toMatchObject({
      format: "lago-provision-plan",
      version: 1,
      summary: { hosts: 2, change: 2 },
    });

    await execIn(host, ["sh", "-c", "echo edited by hand > /opt/sample/index.html"]);
    const refused = await runCli(["apply", planPath, ...changed]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${host}: task 'Index page'`);
    expect(refused.stderr).toContain("/opt/sample/index.html");
    expect(refused.stderr).toMatch(/nothing was applied/);
    expect((await execIn(host, ["cat", "/opt/sample/index.html"])).stdout).toBe("edited by hand\n");

    const replanned = await runCli(["plan", tb.inventoryPath, ...sample, "-o", planPath, ...changed]);
    expect(replanned.code).toBe(0);
    const applied = await runCli(["apply", planPath, ...changed, "--json"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(changedTasks(applied)[host]).toEqual(["Index page"]);
    expect((await execIn(host, ["cat", "/opt/sample/index.html"])).stdout).toContain("planned greeting");
    // Different -e values than the plan's are refused.
    const otherVars = await runCli(["apply", planPath, "-e", "greeting='something else'"]);
    expect(otherVars.code).toBe(1);
    expect(otherVars.stderr).toMatch(/-e values differ/);
  });
});

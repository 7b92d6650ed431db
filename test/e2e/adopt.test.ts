/**
 * `adopt` on a real testbed host running Lago the way upstream's docs install it: getlago/lago's
 * docker-compose.yml (its services, container names, environment with the docs' placeholder defaults)
 * started with `docker compose up -d` from /root/lago, a .env holding only the RSA key and
 * POSTGRES_PASSWORD=changeme, and a payment provider whose secret is encrypted with the placeholder keys.
 *
 * - bad input changes nothing: a --from without .env, a relative --from, an inventory that does not say
 *   what the install runs with; --check prints the plan (keys kept, each placeholder loudly) and writes
 *   no store;
 * - adopt keeps the keys, dumps the database (restorable by docs/adopt.md's command), replaces upstream's
 *   containers by the role's on the same volumes: the provider's secret still decrypts, the api is
 *   healthy, the webhook signing key is the same;
 * - a re-run of adopt changes nothing, nor does apply.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { prepareTestbedHost, testbedAllVars } from "../../scripts/lib/testbed-lago.ts";
import { type CliResult, failuresOf, repoRoot, resultsOf, runCli } from "./cli.ts";
import { ensureStack, lagoSecrets, type Stack, waitFor } from "./stack.ts";
import { execIn, type Testbed, useTestbed } from "./testbed.ts";
import { upstreamCompose } from "./upstream-compose.ts";

const PASSPHRASE = "adopt e2e passphrase, long enough";
const DIR = "/root/lago";
const USER = { email: "owner@adopt.test", password: "adopt-Password-1", organizationName: "Adopted" };
const STRIPE_KEY = "sk_live_adopt_e2e_key_kq7";
/** The one key upstream's docs make the operator generate (`openssl genrsa 2048 | openssl base64 -A`). */
const rsaKey = lagoSecrets().LAGO_RSA_PRIVATE_KEY;

let tb: Testbed;
let stack: Stack;
let host: string;
let work: string;
let inventory: string;
let store: string;

const cli = (args: string[]) => runCli(args, { env: { LAGO_SECRETS_PASSPHRASE: PASSPHRASE } });
const sh = async (script: string) => (await execIn(host, ["sh", "-c", script])).stdout.trim();

/** The running Lago api container of project lago (upstream's or the role's). */
const apiContainer = () =>
  sh(
    "docker ps -q --filter label=com.docker.compose.project=lago --filter label=com.docker.compose.service=api | head -1",
  );

/** curl in the api container itself (the stand-in has curl, as upstream's image does). */
async function api(path: string, body?: object, headers: Record<string, string> = {}) {
  const c = await apiContainer();
  const args = ["docker", "exec", c, "curl", "-s", "--max-time", "10", "-w", "\n%{http_code}"];
  if (body) args.push("-H", "Content-Type: application/json", "--data-binary", JSON.stringify(body));
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  const r = await execIn(host, [...args, `http://127.0.0.1:3000${path}`], { allowFailure: true });
  const lines = r.stdout.split("\n");
  const status = Number(lines.pop());
  const text = lines.join("\n");
  return { status, body: text.startsWith("{") ? JSON.parse(text) : { text } };
}

const login = async () =>
  (await api("/graphql", {
    query:
      "mutation l($input: LoginUserInput!) { loginUser(input: $input) { token user { organizations { id } } } }",
    variables: { input: { email: USER.email, password: USER.password } },
  })).body.data.loginUser;

/** The Stripe provider's secret key as the api shows it: it must decrypt the row to. */
async function providerKey(): Promise<{ status: number; secretKey?: string }> {
  const { token, user } = await login();
  const r = await api("/graphql", {
    query: "query { paymentProviders { collection { ... on StripeProvider { code secretKey } } } }",
  }, { Authorization: `Bearer ${token}`, "x-lago-organization": user.organizations[0].id });
  return { status: r.status, secretKey: r.body.data?.paymentProviders?.collection?.[0]?.secretKey };
}

/** The webhook signing key as receivers fetch it (GET /api/v1/webhooks/public_key takes the org's API key). */
async function webhookPublicKey(): Promise<string> {
  const { token, user } = await login();
  const auth = { Authorization: `Bearer ${token}`, "x-lago-organization": user.organizations[0].id };
  const keys = await api("/graphql", { query: "query { apiKeys { collection { id } } }" }, auth);
  const id = keys.body.data.apiKeys.collection[0].id;
  const key = await api("/graphql", {
    query: "query k($id: ID!) { apiKey(id: $id) { value } }",
    variables: { id },
  }, auth);
  const r = await api("/api/v1/webhooks/public_key", undefined, {
    Authorization: `Bearer ${key.body.data.apiKey.value}`,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.text;
}

/** Every container as "name id state": a container stopped, removed or recreated shows; uptime does not. */
const containers = () => sh("docker ps -a --format '{{.Names}} {{.ID}} {{.State}}' | sort");

function writeInventory(vars: Record<string, unknown> = {}): void {
  const h = tb.hosts[0];
  writeFileSync(
    inventory,
    stringify({
      all: {
        hosts: { [host]: { ansible_port: h.port } },
        vars: {
          ...testbedAllVars(tb, stack.registry.pullAddr),
          ...vars,
        },
      },
    }),
  );
}

const expectRefused = (r: CliResult, message: string) => {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain(message);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
};

beforeAll(async () => {
  [tb, stack] = await Promise.all([useTestbed(1, { fresh: true }), ensureStack()]);
  host = tb.hosts[0].name;
  await prepareTestbedHost(host);
  work = join(repoRoot, ".cache", `${host}-adopt`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  inventory = join(work, "inventory.yml");
  store = join(work, "lago-secrets.enc");
  writeInventory();
  // Docker as the docs want it before `docker compose up` (the docker role; nothing of Lago).
  const docker = await cli(["apply", inventory, "-p", "test/e2e/fixtures/docker.yml", "--json"]);
  expect(docker.code, failuresOf(docker)).toBe(0);
  const upstream = upstreamCompose(stack.registry.pullAddr);
  const env = `LAGO_RSA_PRIVATE_KEY="${rsaKey}"\nPOSTGRES_PASSWORD=changeme\n`;
  await execIn(host, ["sh", "-c", `mkdir -p ${DIR} && cat > ${DIR}/docker-compose.yml`], { input: upstream });
  await execIn(host, ["sh", "-c", `umask 077 && cat > ${DIR}/.env`], { input: env });
  await sh(`cd ${DIR} && lago-compose up -d 2>&1`);
  await waitFor("upstream's api", async () => (await api("/health")).status === 200, 180_000);
  // A user, and a provider whose secret is encrypted with the placeholder keys.
  const reg = await api("/graphql", {
    query: "mutation r($input: RegisterUserInput!) { registerUser(input: $input) { token } }",
    variables: { input: USER },
  });
  expect(reg.body.data.registerUser.token).toMatch(/^ey/);
  const { token, user } = await login();
  const add = await api("/graphql", {
    query:
      "mutation a($input: AddStripePaymentProviderInput!) { addStripePaymentProvider(input: $input) { secretKey } }",
    variables: { input: { code: "stripe", name: "Stripe", secretKey: STRIPE_KEY } },
  }, { Authorization: `Bearer ${token}`, "x-lago-organization": user.organizations[0].id });
  expect(add.body.data.addStripePaymentProvider.secretKey).toBe("••••••••…kq7");
}, 1_800_000);

afterAll(() => {
  if (!process.env.LAGO_ADOPT_KEEP) rmSync(work, { recursive: true, force: true });
});

let publicKey: string;
let before: string;

describe("adopting an install made with upstream's compose file", () => {
  it("bad input: one clear error each, the host and the store as they were; --check shows the plan", async () => {
    publicKey = await webhookPublicKey();
    expect(publicKey.length).toBeGreaterThan(100);
    before = await containers();
    expect(before).toMatch(/^lago-api \w+ running$/m);

    expectRefused(
      await cli(["adopt", inventory, "--host", host, "--from", "/root/nowhere"]),
      `${host}:/root/nowhere/.env cannot be read: no such file`,
    );
    expectRefused(await cli(["adopt", inventory, "--host", host, "--from", "lago"]), "not an absolute path");
    expectRefused(await cli(["adopt", inventory, "--host", "nope", "--from", DIR]), "--host: no host 'nope'");
    const unsaid = await cli(["adopt", inventory, "--host", host, "--from", DIR]);
    expectRefused(unsaid, "the inventory does not say what the install runs with; nothing was changed");
    expect(unsaid.stderr).toContain("lago_allow_insecure_defaults: true");

    const check = await cli(["adopt", inventory, "--host", host, "--from", DIR, "--check"]);
    expect(check.code, check.stderr).toBe(0);
    for (
      const line of [
        "+ store LAGO_RSA_PRIVATE_KEY (from the api environment)",
        "+ store LAGO_ENCRYPTION_PRIMARY_KEY (from the api environment, PLACEHOLDER kept)",
        "+ store POSTGRES_PASSWORD (from the db container, PLACEHOLDER kept)",
        "= volume lago_lago_postgres_data (reused as it is)",
        "+ backup: pg_dump in lago-db to /var/backups/lago/ before anything stops",
        "- container lago-api (upstream's compose; its volumes kept)",
        "~ inventory lago_allow_insecure_defaults: false → true",
      ]
    ) expect(check.stdout).toContain(line);
    expect(check.stdout).toMatch(
      /WARNING: LAGO_ENCRYPTION_PRIMARY_KEY is upstream's placeholder.*never rotate it/,
    );
    expect(check.stdout).toMatch(/WARNING: POSTGRES_PASSWORD .*ALTER ROLE/);
    // No value in the output.
    for (const v of ["changeme", "your-encryption-primary-key", rsaKey.slice(0, 40)]) {
      expect(check.stdout + check.stderr).not.toContain(v);
    }

    expect(existsSync(store)).toBe(false);
    expect(await containers()).toBe(before);
    expect(await sh("ls /var/backups/lago 2>/dev/null | wc -l")).toBe("0");
  });

  it("adopt keeps the keys and the volumes: the encrypted row still decrypts, the webhook key is the same", async () => {
    writeInventory({
      lago_project: "lago",
      lago_version: "v1.50.0",
      lago_allow_insecure_defaults: true,
    });
    const r = await cli(["adopt", inventory, "--host", host, "--from", DIR]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("added LAGO_RSA_PRIVATE_KEY, SECRET_KEY_BASE, LAGO_ENCRYPTION_PRIMARY_KEY");
    expect(r.stdout).toContain("stopped and removed lago-api");
    expect(r.stdout).toContain("adopted:");
    expect(r.stdout + r.stderr).not.toContain("changeme");

    // The role's containers, not upstream's, on the same volumes.
    const after = await containers();
    expect(after).not.toMatch(/^lago-(api|db|redis|migrate) /m);
    expect(await sh("docker volume ls -q | grep -c '^lago_lago_postgres_data$'")).toBe("1");
    const apiDir = await sh(
      `docker inspect -f '{{index .Config.Labels "com.docker.compose.project.working_dir"}}' ${await apiContainer()}`,
    );
    expect(apiDir).toBe("/opt/lago");

    expect((await api("/health")).status).toBe(200);
    expect(await providerKey()).toEqual({ status: 200, secretKey: "••••••••…kq7" });
    expect(await webhookPublicKey()).toBe(publicKey);
  });

  it("the backup taken before the takeover restores with docs/adopt.md's command", async () => {
    const file = await sh("ls -1 /var/backups/lago/*-adopt-v1.50.0.sql.gz | tail -1");
    expect(file).toMatch(/^\/var\/backups\/lago\/\d{8}T\d{6}Z-adopt-v1\.50\.0\.sql\.gz$/);
    const db = await sh(
      "docker ps -q --filter label=com.docker.compose.project=lago --filter label=com.docker.compose.service=db",
    );
    // docs/adopt.md, "Restoring the backup", into a scratch database rather than over the live one.
    await sh(
      `docker exec ${db} sh -c 'dropdb -U lago --if-exists lago_restore && createdb -U lago lago_restore'`,
    );
    await sh(
      `gunzip -c ${file} | docker exec -i ${db} psql -U lago -d lago_restore -v ON_ERROR_STOP=1 -q >/dev/null`,
    );
    const count = (dbname: string) =>
      sh(
        `docker exec ${db} psql -U lago -d ${dbname} -Atc "select count(*) || ':' || min(secrets) from payment_providers"`,
      );
    expect(await count("lago_restore")).toBe(await count("lago"));
    expect(await count("lago_restore")).toMatch(/^1:\{"p"/);
  });

  it("a re-run changes nothing: adopt finds the role running it, apply has nothing to do", async () => {
    const again = await cli(["adopt", inventory, "--host", host, "--from", DIR]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("= already run by lago-provision (from /opt/lago): nothing to take over");
    expect(again.stdout).toContain("already holds every key");
    expect(again.stdout).not.toContain("backup:");
    const apply = await cli(["apply", inventory, "--json"]);
    expect(apply.code, failuresOf(apply)).toBe(0);
    expect(resultsOf(apply, host).filter((e) => e.status === "changed").map((e) => e.task)).toEqual([]);
    expect(await providerKey()).toEqual({ status: 200, secretKey: "••••••••…kq7" });
  });
});

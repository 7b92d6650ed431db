/**
 * Harness for e2e tests that deploy a Lago stack (docs/testbed.md, "Stack images"). Call `ensureStack()`
 * in `beforeAll`: the first run builds and pushes every image (a few minutes), later ones only check
 * (about a second). Images for testbed hosts are in `stack.images` (pull address), the same images for
 * docker on the controller in `stack.local` (push address, trusted without TLS).
 */
import { Buffer } from "node:buffer";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { $ } from "zx";
import type { Stack } from "../../scripts/lib/stack-lib.ts";

export * from "../../scripts/lib/stack-lib.ts";

export interface LagoSecrets {
  LAGO_RSA_PRIVATE_KEY: string;
  SECRET_KEY_BASE: string;
  LAGO_ENCRYPTION_PRIMARY_KEY: string;
  LAGO_ENCRYPTION_DETERMINISTIC_KEY: string;
  LAGO_ENCRYPTION_KEY_DERIVATION_SALT: string;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const alnum = (n: number): string => [...randomBytes(n)].map((b) => ALNUM[b % ALNUM.length]).join("");

/** A fresh, well-formed set of Lago secrets, in the formats lago-stack.md documents. */
export function lagoSecrets(): LagoSecrets {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return {
    LAGO_RSA_PRIVATE_KEY: Buffer.from(privateKey).toString("base64"),
    SECRET_KEY_BASE: randomBytes(64).toString("hex"),
    LAGO_ENCRYPTION_PRIMARY_KEY: alnum(32),
    LAGO_ENCRYPTION_DETERMINISTIC_KEY: alnum(32),
    LAGO_ENCRYPTION_KEY_DERIVATION_SALT: alnum(32),
  };
}

/** Polls `fn` until it returns something truthy; throws with the last value (or error) at the deadline. */
export async function waitFor<T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last as T;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} (last: ${String(last)})`);
}

/** PostgreSQL and Redis outside a fleet: containers on the controller's docker that every host reaches. */
export interface ExternalServices {
  db: string;
  redis: string;
  /** The address the hosts reach the controller at (the bridge gateway). */
  gateway: string;
  /** The lago role's variables that point a fleet at them. */
  vars: Record<string, unknown>;
  /** Removes both containers and their data (kept when `keep`). */
  remove(keep?: boolean): Promise<void>;
}

/**
 * Starts (again, from empty) `<prefix>-db` and `<prefix>-redis` from the stack's images, published on the
 * bridge gateway the testbed hosts reach, and waits until PostgreSQL answers.
 */
export async function startExternalServices(
  stack: Stack,
  prefix: string,
  o: { dbPassword: string; redisPassword: string; schema: string },
): Promise<ExternalServices> {
  const gateway = stack.registry.pullAddr.split(":")[0];
  const [db, redis] = [`${prefix}-db`, `${prefix}-redis`];
  const remove = async (keep = false) => {
    if (!keep) await $`docker rm -f -v ${db} ${redis}`.quiet().nothrow();
  };
  await remove();
  await $`docker run -d --name ${db} -p ${`${gateway}::5432`} -e POSTGRES_USER=lago -e ${`POSTGRES_PASSWORD=${o.dbPassword}`} -e POSTGRES_DB=lago -e PGDATA=/data/postgres ${stack.local.postgres}`
    .quiet();
  await $`docker run -d --name ${redis} -p ${`${gateway}::6379`} ${stack.local.redis} --port 6379 --requirepass ${o.redisPassword}`
    .quiet();
  await waitFor(
    "external PostgreSQL",
    async () =>
      (await $`docker exec ${db} pg_isready -U lago -d lago -h 127.0.0.1`.quiet().nothrow()).exitCode === 0,
    60_000,
  );
  const port = async (container: string, p: number) =>
    Number(/:(\d+)\s*$/m.exec((await $`docker port ${container} ${`${p}/tcp`}`.quiet()).stdout)![1]);
  const vars = {
    lago_db_external: true,
    lago_postgres_host: gateway,
    lago_postgres_port: await port(db, 5432),
    lago_postgres_password: o.dbPassword,
    lago_postgres_schema: o.schema,
    lago_redis_external: true,
    lago_redis_host: gateway,
    lago_redis_port: await port(redis, 6379),
    lago_redis_password: o.redisPassword,
  };
  return { db, redis, gateway, vars, remove };
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Arguments after the image (the command). */
  args?: string[];
  /** Other names on the network, like compose service names. */
  aliases?: string[];
  /** Container ports published on 127.0.0.1 (a free host port each); see `LocalDocker.addr`. */
  publish?: number[];
  /** Anonymous volumes (container paths), for another container to share with `volumesFrom`. */
  volumes?: string[];
  /** Mount the volumes of this container (its full name, as `run` returns it). */
  volumesFrom?: string;
  /** Files put into the container before it starts: path → content. */
  files?: Record<string, string>;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Containers of the stack images on the controller's own docker, on a user-defined network of their
 * own (service names resolve like in compose). Everything carries one label; `cleanup()` removes it all.
 */
export class LocalDocker {
  readonly network: string;
  private readonly label: string;

  constructor(readonly prefix: string) {
    this.network = `${prefix}-${process.pid}`;
    this.label = `lago.stack.test=${this.network}`;
  }

  async createNetwork(): Promise<void> {
    await $`docker network create --label ${this.label} ${this.network}`.quiet();
  }

  private flags(opts: RunOptions): string[] {
    return [
      "--label",
      this.label,
      "--network",
      this.network,
      ...(opts.aliases ?? []).flatMap((a) => ["--network-alias", a]),
      ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      ...(opts.publish ?? []).flatMap((p) => ["-p", `127.0.0.1::${p}`]),
      ...(opts.volumes ?? []).flatMap((v) => ["-v", v]),
      ...(opts.volumesFrom ? ["--volumes-from", opts.volumesFrom] : []),
    ];
  }

  /** Starts a detached container named `<network>-<name>`; returns that name. */
  async run(name: string, image: string, opts: RunOptions = {}): Promise<string> {
    const full = `${this.network}-${name}`;
    await $`docker create --name ${full} --hostname ${name} ${this.flags(opts)} ${image} ${opts.args ?? []}`
      .quiet();
    if (opts.files) {
      // A tree copied onto / makes the folders the paths need.
      const tree = mkdtempSync(join(tmpdir(), "lago-stack-files-"));
      for (const [path, content] of Object.entries(opts.files)) {
        mkdirSync(join(tree, dirname(path)), { recursive: true });
        writeFileSync(join(tree, path), content);
      }
      await $`docker cp ${`${tree}/.`} ${`${full}:/`}`.quiet();
      rmSync(tree, { recursive: true, force: true });
    }
    await $`docker start ${full}`.quiet();
    return full;
  }

  /** Runs a one-shot container to completion (like compose's migrate service); never throws on exit codes. */
  async runOnce(image: string, opts: RunOptions = {}): Promise<ExecResult> {
    const r = await $`docker run --rm ${this.flags(opts)} ${image} ${opts.args ?? []}`.quiet().nothrow();
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
  }

  async exec(container: string, argv: string[]): Promise<ExecResult> {
    const r = await $`docker exec ${container} ${argv}`.quiet().nothrow();
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
  }

  /** `127.0.0.1:PORT` where a published container port is reachable from the controller. */
  async addr(container: string, port: number): Promise<string> {
    const r = await $`docker port ${container} ${`${port}/tcp`}`.quiet();
    const line = r.stdout.split("\n").find((l) => l.startsWith("127.0.0.1:"));
    if (!line) throw new Error(`${container}: port ${port} is not published on 127.0.0.1`);
    return line.trim();
  }

  async cleanup(): Promise<void> {
    const ids = (await $`docker ps -aq --filter ${`label=${this.label}`}`.quiet()).stdout.split("\n")
      .filter(Boolean);
    if (ids.length) await $`docker rm -f -v ${ids}`.quiet().nothrow();
    await $`docker network rm ${this.network}`.quiet().nothrow();
  }
}

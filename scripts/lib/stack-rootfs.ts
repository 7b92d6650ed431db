/**
 * `lago-stack/rootfs:bookworm`: a minbase Debian rootfs imported into docker, the FROM of
 * test/images/base (there is no debian:bookworm to pull). debootstrap shares the testbed's .deb cache
 * and its per-codename lock, so the two never write that cache at once and the second one downloads
 * nothing.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { $ } from "zx";
import { withLock } from "./testbed-lock.ts";
import { log, mirror, testbedPaths } from "./testbed-paths.ts";

export const ROOTFS_IMAGE = "lago-stack/rootfs:bookworm";
export const RECIPE_LABEL = "lago.stack.recipe";
const SUITE = "bookworm";

// Nothing in the images reads these; the base image's dpkg excludes keep packages from adding them back.
const EXCLUDES = [
  "./usr/share/doc/*",
  "./usr/share/man/*",
  "./usr/share/info/*",
  "./usr/share/locale/*",
  "./var/cache/apt/archives/*.deb",
  "./var/cache/apt/*.bin",
  "./var/lib/apt/lists/*",
  "./var/log/*",
];

export function rootfsRecipe(): string {
  const recipe = JSON.stringify({ v: 1, suite: SUITE, mirror: mirror(), variant: "minbase", EXCLUDES });
  return createHash("sha256").update(recipe).digest("hex").slice(0, 12);
}

/** The recipe label of a local image, or null when there is no such image. */
export async function imageRecipe(ref: string): Promise<string | null> {
  const format = `{{index .Config.Labels "${RECIPE_LABEL}"}}`;
  const r = await $`docker image inspect -f ${format} ${ref}`.quiet().nothrow();
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

/** A failed debootstrap can leave /proc and /sys mounted in the target: unmount before removing. */
async function removeTarget(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const m of ["dev/pts", "proc", "sys"]) await $`umount -l ${join(dir, m)}`.quiet().nothrow();
  await $`rm -rf --one-file-system ${dir}`.quiet();
}

export async function ensureRootfs(rebuild = false): Promise<void> {
  const hash = rootfsRecipe();
  if (!rebuild && await imageRecipe(ROOTFS_IMAGE) === hash) return;
  const { cacheDir } = testbedPaths();
  const debs = join(cacheDir, "debs", SUITE);
  const dir = join(cacheDir, `stack-rootfs-${SUITE}.build`);
  const logFile = join(cacheDir, `debootstrap-stack-${SUITE}.log`);
  mkdirSync(debs, { recursive: true });
  await withLock(join(cacheDir, `build-${SUITE}.lock`), async () => {
    if (!rebuild && await imageRecipe(ROOTFS_IMAGE) === hash) return;
    const started = Date.now();
    log(`debootstrap ${SUITE} minbase for the stack images (log: ${logFile})`);
    await removeTarget(dir);
    const r =
      await $`debootstrap --variant=minbase --cache-dir=${debs} ${SUITE} ${dir} ${mirror()} > ${logFile} 2>&1`
        .quiet().nothrow();
    if (r.exitCode !== 0) {
      const tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
      throw new Error(`debootstrap ${SUITE} (stack rootfs) failed (exit ${r.exitCode}):\n${tail}`);
    }
    const excludes = EXCLUDES.flatMap((e) => ["--exclude", e]);
    await $`tar -C ${dir} --numeric-owner ${excludes} -c . | docker import -c ${`LABEL ${RECIPE_LABEL}=${hash}`} - ${ROOTFS_IMAGE}`
      .quiet();
    await removeTarget(dir);
    log(`image ${ROOTFS_IMAGE} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

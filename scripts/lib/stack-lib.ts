/**
 * The test stack as a whole: the local registry plus every image pushed to it. Used by the CLI
 * (scripts/stack.ts) and the e2e harness (test/e2e/stack.ts). See docs/testbed.md.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ensureRegistry,
  manifestDigest,
  type Registry,
  REGISTRY_PORT,
  type RegistryStatus,
  registryStatus,
} from "./registry.ts";
import {
  buildImages,
  type BuildOptions,
  imageSpecs,
  type PushedImages,
  pushImages,
  removeSuperseded,
} from "./stack-images.ts";
import { withLock } from "./testbed-lock.ts";

export { ensureRegistry, type Registry, stopRegistry } from "./registry.ts";
export { type ImageSpec, imageSpecs, LAGO_VERSIONS, type LagoVersion } from "./stack-images.ts";

export interface Stack extends PushedImages {
  registry: Registry;
}

/**
 * The registry running and every image built and pushed; a second call only checks (about a second).
 * One caller at a time per registry: e2e workers starting together must not push and prune at once.
 */
export async function ensureStack(opts: BuildOptions = {}): Promise<Stack> {
  return await withLock(join(tmpdir(), `lago-stack-${REGISTRY_PORT}.lock`), async () => {
    const registry = await ensureRegistry();
    const { superseded } = await buildImages(opts);
    const pushed = await pushImages(registry);
    await removeSuperseded(superseded);
    return { registry, ...pushed };
  });
}

export interface StackStatus {
  registry: RegistryStatus;
  /** key → the references (pull address) the registry holds, whatever their age. */
  pushed: Record<string, string[]>;
}

export async function stackStatus(): Promise<StackStatus> {
  const registry = await registryStatus();
  if (!registry.running) return { registry, pushed: {} };
  const held = await Promise.all(
    imageSpecs().map(async (spec) => {
      const refs = await Promise.all(spec.push.map(async (path) => {
        const [repo, tag] = path.split(":");
        return await manifestDigest(repo, tag) ? [`${registry.pullAddr}/${path}`] : [];
      }));
      return [spec.key, refs.flat()] as const;
    }),
  );
  return { registry, pushed: Object.fromEntries(held.filter(([, refs]) => refs.length)) };
}

/**
 * Lago versions and bridge releases. Some releases must be installed, in order, on the way to a later
 * one (their migrations and data tasks assume the previous bridge ran, src/fleet/bridges.ts): an
 * upgrade goes through each of them, and a path that would skip one is refused.
 *
 * @example
 * upgradePath("v1.49.0", "v1.51.0") // => ["v1.49.0", "v1.50.0", "v1.51.0"]
 */
import { UserError } from "../core/errors.ts";
import { compareVersions, parseVersion, sortVersions } from "../core/release-tag.ts";
import { BRIDGES } from "./bridges.ts";

/** The versions an upgrade stops at, in order (src/fleet/bridges.ts has what each one needs). */
export const BRIDGE_RELEASES: readonly string[] = BRIDGES.map((b) => b.version);

/**
 * Lago's release tags, oldest first (getlago/lago-api tags `vX.Y.Z`, read up to v1.51.0; images are
 * published under the same tags). A tag between two of these that is not one of them does not exist;
 * one newer than the last is allowed with a note (this list cannot know it, nor its bridges).
 */
export const LAGO_RELEASES: readonly string[] = (
  "1.0.0 1.1.0 1.1.1 1.1.2 1.2.0 1.2.1 1.3.0 1.4.0 1.5.0 1.5.1 1.6.0 1.6.1 1.6.2 1.6.3 1.6.4 1.6.5 1.7.0 " +
  "1.8.0 1.8.1 1.8.2 1.9.0 1.10.0 1.11.0 1.11.1 1.11.2 1.12.0 1.12.1 1.12.2 1.12.3 1.13.1 1.14.0 1.15.0 " +
  "1.15.1 1.15.2 1.16.0 1.16.1 1.17.0 1.17.1 1.17.2 1.17.3 1.17.4 1.17.5 1.18.0 1.19.0 1.19.1 1.20.0 1.20.1 " +
  "1.20.2 1.21.0 1.22.0 1.22.1 1.23.0 1.24.0 1.24.1 1.25.0 1.26.0 1.26.1 1.27.0 1.27.1 1.28.0 1.28.1 1.29.0 " +
  "1.30.0 1.31.0 1.32.0 1.32.1 1.32.2 1.32.3 1.32.4 1.33.0 1.33.1 1.33.2 1.33.3 1.33.4 1.34.0 1.34.1 1.34.2 " +
  "1.35.0 1.36.0 1.37.0 1.38.0 1.39.0 1.40.0 1.40.1 1.41.0 1.41.1 1.41.2 1.41.3 1.42.0 1.43.0 1.44.0 1.45.0 " +
  "1.45.1 1.45.2 1.46.0 1.47.0 1.47.1 1.47.2 1.48.0 1.48.1 1.49.0 1.50.0 1.51.0"
).split(" ").map((v) => `v${v}`);

export { compareVersions, isVersion, parseVersion, sortVersions, type Version } from "../core/release-tag.ts";

/**
 * The stops from `from` to `to`, both included: every bridge strictly between them, in order. A
 * downgrade or a no-op is just `[from, to]` / `[from]` (rollback re-deploys, it never migrates down).
 */
export function upgradePath(
  from: string,
  to: string,
  bridges: readonly string[] = BRIDGE_RELEASES,
): string[] {
  const c = compareVersions(from, to);
  if (c === 0) return [from];
  if (c > 0) return [from, to];
  const between = sortVersions(
    bridges.filter((b) => compareVersions(b, from) > 0 && compareVersions(b, to) < 0),
  );
  return [from, ...between, to];
}

/** `v1.49.0 → v1.50.0 → v1.51.0` */
export const showPath = (path: string[]): string => path.join(" → ");

export interface UpgradePlan {
  /** Every version the fleet will run, `from` first, `to` last (just `[from]` when they are equal). */
  path: string[];
  /** What the operator should know about the path (a custom build, a release newer than we know). */
  notes: string[];
}

const isRelease = (v: string): boolean => LAGO_RELEASES.includes(v);
const lastKnown = (): string => LAGO_RELEASES[LAGO_RELEASES.length - 1];

/** Releases on either side of a tag that does not exist, for the hint. */
function near(version: string): string {
  const after = LAGO_RELEASES.findIndex((r) => compareVersions(r, version) > 0);
  const around = after <= 0 ? LAGO_RELEASES.slice(0, 1) : LAGO_RELEASES.slice(after - 1, after + 1);
  return around.join(", ");
}

/**
 * A tag an upgrade may go to or through: a release; one newer than the releases known (noted); a
 * custom build `vX.Y.Z-suffix` (noted, placed where X.Y.Z is). A plain tag among the known releases
 * that is not one of them does not exist.
 */
export function checkRelease(version: string, where: string, notes: string[]): void {
  const v = parseVersion(version);
  if (v.suffix !== "") {
    notes.push(
      `${version} is not a Lago release tag: a custom build, placed where v${v.major}.${v.minor}.${v.patch} is`,
    );
  } else if (compareVersions(version, lastKnown()) > 0) {
    notes.push(
      `${version} is newer than the last release this lago-provision knows (${lastKnown()}): bridge releases ` +
        `after it are unknown here, read Lago's migration guides (https://getlago.com/docs/guide/migration)`,
    );
  } else if (!isRelease(version)) {
    throw new UserError(
      `${where}: ${version} is not a Lago release`,
      `the releases next to it are ${near(version)} (https://github.com/getlago/lago/releases)`,
    );
  }
}

/**
 * The path of an upgrade from the version the fleet runs: every bridge release between them, in order,
 * plus the stops `via` asks for. Refused: a downgrade, a tag that is not a release, a `via` stop outside
 * the way, and a `via` list that leaves out a bridge (bridges cannot be skipped).
 */
export function planUpgrade(from: string, to: string, via?: readonly string[]): UpgradePlan {
  const notes: string[] = [];
  parseVersion(from);
  checkRelease(to, "--to", notes);
  const order = compareVersions(to, from);
  if (order < 0) {
    throw new UserError(
      `--to ${to} is older than ${from}, which the fleet runs: upgrade does not go down`,
      "to go back to the previous version: lago-provision rollback INVENTORY",
    );
  }
  const bridges = upgradePath(from, to).slice(1, -1);
  if (!via?.length || order === 0) {
    if (via?.length) {
      throw new UserError(`--via: the fleet already runs ${to}: there is no way to go through`);
    }
    return { path: order === 0 ? [from] : [from, ...bridges, to], notes };
  }
  for (const stop of via) {
    checkRelease(stop, "--via", notes);
    if (compareVersions(stop, from) <= 0 || compareVersions(stop, to) >= 0) {
      throw new UserError(
        `--via: ${stop} is not between ${from} (what the fleet runs) and ${to}`,
        `the path is ${showPath([from, ...bridges, to])}`,
      );
    }
  }
  const missing = bridges.filter((b) => !via.includes(b));
  const full = sortVersions([...new Set([...bridges, ...via])]);
  if (missing.length) {
    throw new UserError(
      `--via leaves out bridge release${missing.length > 1 ? "s" : ""} ${missing.join(", ")}, which ` +
        `must be installed in order, each with its task`,
      `the path with your stops is ${showPath([from, ...full, to])} (or leave out --via)`,
    );
  }
  return { path: [from, ...full, to], notes };
}

/** The hops of a path: `[[a, b], [b, c]]`. */
export const hopsOf = (path: readonly string[]): [string, string][] =>
  path.slice(1).map((v, i) => [path[i], v]);

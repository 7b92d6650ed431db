/**
 * Lago versions and bridge releases. Some releases must be installed, in order, on the way to a later
 * one (their migrations and data tasks assume the previous bridge ran): an upgrade that would skip one
 * is refused, and `--via` stages through them one hop at a time.
 *
 * @example
 * upgradePath("v1.49.0", "v1.51.0") // => ["v1.49.0", "v1.50.0", "v1.51.0"]
 */
import { UserError } from "../core/errors.ts";

/** From lago-stack.md: v1.31.0 via v1.30.0 and v1.43.0 via v1.42.0 make both of each pair bridges. */
export const BRIDGE_RELEASES = [
  "v1.25.0",
  "v1.28.1",
  "v1.30.0",
  "v1.31.0",
  "v1.32.0",
  "v1.42.0",
  "v1.43.0",
  "v1.44.0",
  "v1.45.0",
  "v1.50.0",
] as const;

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** `-rc1`, `-broken`: sorts before the same release without one, as in semver. */
  suffix: string;
  text: string;
}

const VERSION = /^v(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;

export const isVersion = (text: string): boolean => VERSION.test(text);

export function parseVersion(text: string): Version {
  const m = VERSION.exec(text);
  if (!m) {
    throw new UserError(
      `'${text}' is not a Lago release tag`,
      "tags look like v1.50.0 (never `latest`: a fleet must run one known version)",
    );
  }
  return { major: +m[1], minor: +m[2], patch: +m[3], suffix: m[4] ?? "", text };
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  const d = x.major - y.major || x.minor - y.minor || x.patch - y.patch;
  if (d !== 0) return d;
  if (x.suffix === y.suffix) return 0;
  if (x.suffix === "") return 1;
  if (y.suffix === "") return -1;
  return x.suffix < y.suffix ? -1 : 1;
}

export const sortVersions = (versions: string[]): string[] => [...versions].sort(compareVersions);

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

/**
 * The hops to run. Without `via`, a path that crosses a bridge is refused with the path to take.
 */
export function planHops(from: string, to: string, via: boolean): [string, string][] {
  const path = upgradePath(from, to);
  if (path.length > 2 && !via) {
    const skipped = path.slice(1, -1);
    throw new UserError(
      `${from} → ${to} would skip bridge release${skipped.length > 1 ? "s" : ""} ${skipped.join(", ")}, ` +
        `which must be installed in order; the path is ${showPath(path)}`,
      `re-run with --via to upgrade through each of them (one backup, migrate and rolling restart per hop)`,
    );
  }
  return path.slice(1).map((v, i) => [path[i], v]);
}

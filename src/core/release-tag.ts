/**
 * Lago release tags (`v1.50.0`, `v1.50.1-rc1`): parsed and ordered. Low in the layers because the fleet,
 * the backups' manifests and the apply's version check all order releases the same way.
 */
import { UserError } from "./errors.ts";

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

/**
 * Ansible's `version` test (`lago_version is version('v1.51.0', '<')`), with its default LooseVersion
 * ordering: a version is split into runs of digits (compared as numbers) and runs of letters (compared
 * as text), dots dropped, and the parts compared left to right, a shorter prefix first.
 *
 * @example
 * ```ts
 * compareVersions("v1.9.0", "v1.50.0"); // => -1
 * versionTest("v1.50.0", "v1.51.0", "lt"); // => true
 * ```
 */
import { UserError } from "../core/errors.ts";

type Part = number | string;

/** Ansible's names for each comparison, symbols and words alike. */
const OPERATORS: Record<string, (order: number) => boolean> = {
  "<": (o) => o < 0,
  lt: (o) => o < 0,
  "<=": (o) => o <= 0,
  le: (o) => o <= 0,
  ">": (o) => o > 0,
  gt: (o) => o > 0,
  ">=": (o) => o >= 0,
  ge: (o) => o >= 0,
  "==": (o) => o === 0,
  "=": (o) => o === 0,
  eq: (o) => o === 0,
  "!=": (o) => o !== 0,
  "<>": (o) => o !== 0,
  ne: (o) => o !== 0,
};

function parts(version: string): Part[] {
  return (version.match(/\d+|[a-z]+|[^\d\sa-z.]+/gi) ?? []).map((p) => /^\d+$/.test(p) ? Number(p) : p);
}

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const [x, y] = [pa[i], pb[i]];
    if (typeof x !== typeof y) {
      throw new UserError(`cannot compare versions '${a}' and '${b}': '${x}' against '${y}'`);
    }
    if (x !== y) return x < y ? -1 : 1;
  }
  return Math.sign(pa.length - pb.length);
}

/** `value is version(other, operator)`; the operator defaults to `eq`, as in Ansible. */
export function versionTest(value: unknown, other: unknown, operator: unknown = "eq"): boolean {
  const holds = OPERATORS[String(operator)];
  if (!holds) {
    throw new UserError(
      `the 'version' test has no operator '${operator}' (known: ${Object.keys(OPERATORS).join(", ")})`,
    );
  }
  if (value === null || value === undefined || other === null || other === undefined) {
    throw new UserError("the 'version' test needs a version on each side, e.g. x is version('1.2.0', '>=')");
  }
  return holds(compareVersions(String(value), String(other)));
}

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

/** Where two versions cannot be ordered: part `index` (1-based) is letters on one side, digits on the other. */
export class VersionMismatch extends Error {
  constructor(readonly index: number, readonly lettersLeft: boolean) {
    super(
      `part ${index} is ${lettersLeft ? "letters" : "digits"} on the left, ${
        lettersLeft ? "digits" : "letters"
      } on the right`,
    );
  }
}

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b`; VersionMismatch when they cannot be ordered. */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const [x, y] = [pa[i], pb[i]];
    if (typeof x !== typeof y) throw new VersionMismatch(i + 1, typeof x === "string");
    if (x !== y) return x < y ? -1 : 1;
  }
  return Math.sign(pa.length - pb.length);
}

/**
 * What a message calls each side of `value is version(other, operator)`: the variable's name (a value
 * may come from -e or an inventory, and may be a secret, so it is never shown), or a description.
 */
export interface VersionTestNames {
  value: string;
  other: string;
  operator: string;
}

const UNNAMED: VersionTestNames = {
  value: "the tested value",
  other: "the version given",
  operator: "the operator",
};

/** `value is version(other, operator)`; the operator defaults to `eq`, as in Ansible. */
export function versionTest(
  value: unknown,
  other: unknown,
  operator: unknown = "eq",
  names: VersionTestNames = UNNAMED,
): boolean {
  const holds = OPERATORS[String(operator)];
  if (!holds) {
    throw new UserError(
      `the 'version' test: ${names.operator} is not an operator it knows (known: ${
        Object.keys(OPERATORS).join(", ")
      })`,
    );
  }
  if (value === null || value === undefined || other === null || other === undefined) {
    throw new UserError("the 'version' test needs a version on each side, e.g. x is version('1.2.0', '>=')");
  }
  try {
    return holds(compareVersions(String(value), String(other)));
  } catch (e) {
    if (!(e instanceof VersionMismatch)) throw e;
    const [letters, digits] = e.lettersLeft ? [names.value, names.other] : [names.other, names.value];
    throw new UserError(
      `cannot compare ${names.value} with ${names.other} as versions: part ${e.index} is letters in ${letters} ` +
        `but digits in ${digits} (write both the same way, e.g. both with or both without a leading 'v')`,
    );
  }
}

/**
 * Host entries of an inventory as Ansible reads them: an optional `:port` (`db:2222`, `[::1]:2222`,
 * `10.0.0.[1:3]:22`) and ranges expanded (`web[01:03]`, `db-[a:c]`, `node[A:C]`, `[:3]` from 0,
 * `[1:9:2]` with a step, several ranges in one name). Pure.
 */

export class HostPatternError extends Error {}

/** The most hosts an inventory's ranges may name: more is a typo (`[1:100000000]`), never a fleet. */
export const MAX_RANGE_HOSTS = 10_000;

const numericRange = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const hexRange = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const alphanumericRange = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const ipv6Part = `(?:[0-9a-f]{1,4}|${hexRange})`;
const ipv4Part = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${numericRange})`;
const word = String.raw`[\p{L}\p{N}\p{M}_]`;
const label = `(?:${word}|${alphanumericRange})(?:${word}|-|${alphanumericRange})*(?<![_-])`;
const ipv4InIpv6 = `(?:${ipv4Part}\\.){3}${ipv4Part}`;
const p6 = ipv6Part;

const PATTERNS = {
  bracketedHostPort: /^\[(.+)\]:([0-9]+)$/,
  hostPort: /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/,
  ipv4: new RegExp(`^(?:${ipv4Part}\\.){3}${ipv4Part}$`, "i"),
  ipv6: new RegExp(
    "^(?:" + [
      `(?:${p6}:){7}${p6}`,
      `(?:${p6}:){1,6}:`,
      `(?:${p6}:)(?::${p6}){1,6}`,
      `(?:${p6}:){2}(?::${p6}){1,5}`,
      `(?:${p6}:){3}(?::${p6}){1,4}`,
      `(?:${p6}:){4}(?::${p6}){1,3}`,
      `(?:${p6}:){5}(?::${p6}){1,2}`,
      `(?:${p6}:){6}(?::${p6})`,
      `:(?::${p6}){1,6}`,
      `${p6}?::`,
      `(?:0:){6}${ipv4InIpv6}`,
      `::(?:ffff:)?${ipv4InIpv6}`,
      `(?:0:){5}ffff:${ipv4InIpv6}`,
    ].join("|") + ")$",
    "iu",
  ),
  hostname: new RegExp(`^${label}(?:\\.${label})*$`, "iu"),
};

/**
 * Ansible's `parse_address`: the host part and the port, or undefined when the text is not a host
 * name or address (Ansible then keeps the whole text as the name, with no port).
 */
export function parseAddress(address: string): { host: string; port?: number } | undefined {
  let host = address;
  let port: number | undefined;
  for (const re of [PATTERNS.bracketedHostPort, PATTERNS.hostPort]) {
    const m = re.exec(host);
    if (m) [host, port] = [m[1], Number(m[2])];
  }
  const valid = [PATTERNS.ipv4, PATTERNS.ipv6, PATTERNS.hostname].some((re) => re.test(host));
  return valid ? { host, port } : undefined;
}

/**
 * The host names and port of one inventory entry (`web[1:3].lan:2222` → 3 names, port 2222). A range
 * Ansible refuses, a reversed one (Ansible silently gives no host for numbers) or one naming more than
 * `max` hosts (counted before anything is expanded) is a HostPatternError.
 */
export function expandHostPattern(
  pattern: string,
  max = MAX_RANGE_HOSTS,
): { hosts: string[]; port?: number } {
  const address = parseAddress(pattern);
  const name = address?.host ?? pattern;
  if (!name.includes("[")) return { hosts: [name], port: address?.port };
  const parts = splitRanges(name, pattern);
  const count = parts.reduce((n, p) => (typeof p === "string" ? n : n * BigInt(p.length)), 1n);
  if (count > BigInt(max)) {
    throw new HostPatternError(
      `host range '${pattern}' names ${count} hosts; an inventory may name at most ${MAX_RANGE_HOSTS}`,
    );
  }
  const hosts = parts.reduce<string[]>(
    (
      names,
      p,
    ) => (typeof p === "string" ? names.map((n) => n + p) : names.flatMap((n) => p.map((i) => n + i))),
    [""],
  );
  return { hosts, port: address?.port };
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** The literal parts and the ranges (their items) of a name: `web[1:3].lan` → ["web", [1,2,3], ".lan"]. */
function splitRanges(name: string, pattern: string): (string | string[])[] {
  const parts: (string | string[])[] = [];
  let rest = name;
  for (let open = rest.indexOf("["); open >= 0; open = rest.indexOf("[")) {
    const close = rest.indexOf("]", open);
    if (close < 0) throw new HostPatternError(`host range in '${pattern}' has no closing ]`);
    const spec = rest.slice(open + 1, close);
    if (spec.includes("[")) throw new HostPatternError(`host ranges in '${pattern}' cannot be nested`);
    parts.push(rest.slice(0, open), rangeItems(spec, pattern));
    rest = rest.slice(close + 1);
  }
  parts.push(rest);
  return parts;
}

/** Ansible's `expand_hostname_range` for one `[begin:end(:step)]` (letters run a–z, then A–Z). */
function rangeItems(range: string, pattern: string): string[] {
  const fail = (why: string): never => {
    throw new HostPatternError(`host range [${range}] in '${pattern}' ${why}`);
  };
  const bounds = range.split(":");
  if (bounds.length !== 2 && bounds.length !== 3) fail("must be begin:end or begin:end:step");
  const [begin, end, stepText] = [bounds[0] || "0", bounds[1], bounds[2] ?? "1"];
  if (!end) fail("must specify an end value");
  if (!/^\d+$/.test(stepText) || Number(stepText) < 1) fail("needs a step that is a whole number from 1");
  const step = Number(stepText);
  const padded = begin.length > 1 && begin[0] === "0";
  if (padded && begin.length !== end.length) {
    fail("must specify equal-length begin and end formats (like [01:10])");
  }
  const [first, last] = [LETTERS.indexOf(begin), LETTERS.indexOf(end)];
  if (begin.length === 1 && end.length === 1 && first >= 0 && last >= 0) {
    if (first > last) fail("must have begin <= end (letters run a–z, then A–Z)");
    return [...LETTERS.slice(first, last + 1)].filter((_, i) => i % step === 0);
  }
  if (!/^\d+$/.test(begin) || !/^\d+$/.test(end)) fail("should be two numbers (01:10) or two letters (a:f)");
  const [from, to] = [Number(begin), Number(end)];
  // Ansible gives a reversed number range no host at all, silently: refused, as its letters are.
  if (from > to) fail("must have begin <= end");
  const count = Math.floor((to - from) / step) + 1;
  if (count > MAX_RANGE_HOSTS) fail(`names ${count} hosts; an inventory may name at most ${MAX_RANGE_HOSTS}`);
  const items: string[] = [];
  for (let i = from; i <= to; i += step) {
    items.push(padded ? String(i).padStart(begin.length, "0") : String(i));
  }
  return items;
}

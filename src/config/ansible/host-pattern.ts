/**
 * Host entries of an inventory as Ansible reads them: an optional `:port` (`db:2222`, `[::1]:2222`,
 * `10.0.0.[1:3]:22`) and ranges expanded (`web[01:03]`, `db-[a:c]`, `node[A:C]`, `[:3]` from 0,
 * `[1:9:2]` with a step, several ranges in one name). Pure.
 */

export class HostPatternError extends Error {}

/** Ranges expand to at most this many hosts per entry: a typo such as `[1:100000000]` must not hang. */
export const MAX_RANGE_HOSTS = 100_000;

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

/** The host names and port of one inventory entry (`web[1:3].lan:2222` → 3 names, port 2222). */
export function expandHostPattern(pattern: string): { hosts: string[]; port?: number } {
  const address = parseAddress(pattern);
  const name = address?.host ?? pattern;
  const hosts = name.includes("[") ? expandRanges(name, pattern) : [name];
  return { hosts, port: address?.port };
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Ansible's `expand_hostname_range`: the first `[…]` expanded, then the rest of each name in turn. */
function expandRanges(line: string, pattern: string, out: string[] = []): string[] {
  const open = line.indexOf("[");
  const close = line.indexOf("]", open);
  if (close < 0) throw new HostPatternError(`host range in '${pattern}' has no closing ]`);
  const [head, range, tail] = [line.slice(0, open), line.slice(open + 1, close), line.slice(close + 1)];
  const bounds = range.split(":");
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new HostPatternError(`host range [${range}] in '${pattern}' must be begin:end or begin:end:step`);
  }
  const [begin = "0", end, stepText = "1"] = [bounds[0] || "0", bounds[1], bounds[2]];
  if (!end) throw new HostPatternError(`host range [${range}] in '${pattern}' must specify an end value`);
  const step = Number(stepText);
  if (!/^\s*\+?\d+\s*$/.test(stepText) || step < 1) {
    throw new HostPatternError(
      `host range [${range}] in '${pattern}': the step should be a whole number from 1`,
    );
  }
  const padded = begin.length > 1 && begin[0] === "0";
  if (padded && begin.length !== end.length) {
    throw new HostPatternError(
      `host range [${range}] in '${pattern}' must specify equal-length begin and end formats`,
    );
  }
  let items: string[];
  const [first, last] = [LETTERS.indexOf(begin), LETTERS.indexOf(end)];
  if (begin.length === 1 && end.length === 1 && first >= 0 && last >= 0) {
    if (first > last) {
      throw new HostPatternError(`host range [${range}] in '${pattern}' must have begin <= end`);
    }
    items = [];
    for (let i = first; i <= last; i += step) items.push(LETTERS[i]);
  } else {
    if (!/^\s*[+-]?\d+\s*$/.test(begin) || !/^\s*[+-]?\d+\s*$/.test(end)) {
      throw new HostPatternError(
        `host range [${range}] in '${pattern}' should be numbers (01:10) or single letters (a:f)`,
      );
    }
    const [from, to] = [Number(begin), Number(end)];
    if (from > to) throw new HostPatternError(`host range [${range}] in '${pattern}' must have begin <= end`);
    if ((to - from) / step >= MAX_RANGE_HOSTS) {
      throw new HostPatternError(
        `host range [${range}] in '${pattern}' gives more than ${MAX_RANGE_HOSTS} hosts: split the inventory`,
      );
    }
    items = [];
    for (let i = from; i <= to; i += step) {
      items.push(padded ? String(i).padStart(begin.length, "0") : String(i));
    }
  }
  for (const item of items) {
    const name = head + item + tail;
    if (name.includes("[")) expandRanges(name, pattern, out);
    else out.push(name);
    if (out.length > MAX_RANGE_HOSTS) {
      throw new HostPatternError(
        `host ranges in '${pattern}' give more than ${MAX_RANGE_HOSTS} hosts: split the inventory`,
      );
    }
  }
  return out;
}

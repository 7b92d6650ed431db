/** Run `fn` over items with at most `limit` in flight (hosts in parallel, `--forks`). */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Split hosts into `serial` batches: numbers, percentages ("30%"), or a list that ramps up. */
export function batches<T>(hosts: T[], serial: (number | string)[] | undefined): T[][] {
  if (!serial || serial.length === 0) return [hosts];
  const sizes = serial.map((s) => {
    if (typeof s === "number") return Math.max(1, s);
    const pct = /^(\d+(?:\.\d+)?)%$/.exec(s);
    if (pct) return Math.max(1, Math.floor((hosts.length * Number(pct[1])) / 100));
    return Math.max(1, Number(s));
  });
  const out: T[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const size = sizes[Math.min(k++, sizes.length - 1)];
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}

/**
 * Whether to colour output: never when `NO_COLOR` is set (to anything, even empty), always when
 * `FORCE_COLOR` is set (except `0`/`false`), otherwise only on a terminal that is not `TERM=dumb`.
 *
 * @example
 * ```ts
 * colorEnabled({ isTTY: true, env: { NO_COLOR: "" } }); // false
 * ```
 */
export function colorEnabled(options: { isTTY: boolean; env: Record<string, string | undefined> }): boolean {
  const { isTTY, env } = options;
  if (env.NO_COLOR !== undefined) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  return isTTY && env.TERM !== "dumb";
}

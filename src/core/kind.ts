/**
 * What kind of value something is, in words, for error messages about a value: they name the variable
 * and its kind, never the value (an inventory or `-e` value may be a secret).
 *
 * @example
 * kindOf("") // => "an empty string"
 * kindOf([1]) // => "a list"
 */
export function kindOf(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return v === "" ? "an empty string" : "text";
  if (typeof v === "number") return Number.isInteger(v) ? "a whole number" : "a number";
  if (typeof v === "boolean") return "true/false";
  return `a ${typeof v}`;
}

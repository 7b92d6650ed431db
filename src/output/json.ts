/**
 * `--json`: one compact JSON object per event and line, with `"v": 1` (the event format version)
 * first. Sensitive diffs carry no content here either.
 */
import type { Reporter, RunEvent } from "./events.ts";

/** Version of the JSON lines format; bumped only on incompatible changes. */
export const JSON_FORMAT_VERSION = 1;

export function createJsonReporter(options: { write(text: string): void }): Reporter {
  return {
    emit(event: RunEvent): void {
      options.write(`${JSON.stringify({ v: JSON_FORMAT_VERSION, ...withoutSecrets(event) }, replacer)}\n`);
    },
    close(): void {},
  };
}

function withoutSecrets(event: RunEvent): RunEvent {
  if (event.type !== "task_result" || !event.diffs?.some((d) => d.sensitive)) return event;
  return {
    ...event,
    diffs: event.diffs.map((
      d,
    ) => (d.sensitive ? { target: d.target, before: "", after: "", sensitive: true } : d)),
  };
}

/** Values YAML or a module may put in `item` that JSON has no form for. */
const replacer = (_key: string, value: unknown): unknown =>
  typeof value === "bigint"
    ? value.toString()
    : value instanceof Uint8Array
    ? `<${value.length} bytes>`
    : value;

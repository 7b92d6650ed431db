/**
 * YAML as Ansible reads it (PyYAML, YAML 1.1): `yes`/`no`/`on`/`off` are booleans, `0644` is octal
 * (420), `1_000` and `1:30` (sexagesimal, 90) are integers, `2024-01-31` is a date, while `y`, `1e3`
 * and `0o17` stay text. Ansible's own tags: `!unsafe` (text never templated) and `!vault` (a value
 * encrypted with ansible-vault). These are custom tags for the `yaml` library, whose resolution
 * patterns are PyYAML's.
 */
import type { CollectionTag, ScalarTag } from "yaml";

/** What to do with the tagged values: the parse tells the caller what it found. */
export interface AnsibleTagHandlers {
  /** The value of a `!vault` scalar: its plaintext, or a placeholder; throws to refuse it. */
  vault(ciphertext: string): unknown;
  /** A `!unsafe` value was read (its text is to be used as it is, never templated). */
  unsafe?(text: string): void;
}

const scalar = (tag: string, test: RegExp, resolve: (text: string) => unknown): ScalarTag => ({
  tag,
  default: true,
  test,
  resolve: (text: string, onError: (message: string) => void) => {
    try {
      return resolve(text);
    } catch (e) {
      onError((e as Error).message);
      return text;
    }
  },
});

const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT = new RegExp(
  "^(?:" + [
    String.raw`[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?`,
    String.raw`\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?`,
    String.raw`[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*`,
    String.raw`[-+]?\.(?:inf|Inf|INF)`,
    String.raw`\.(?:nan|NaN|NAN)`,
  ].join("|") + ")$",
);
const INT = new RegExp(
  "^(?:" + [
    "[-+]?0b[0-1_]+",
    "[-+]?0[0-7_]+",
    "[-+]?(?:0|[1-9][0-9_]*)",
    "[-+]?0x[0-9a-fA-F_]+",
    "[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
  ].join("|") + ")$",
);
const NULL = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP = new RegExp(
  String.raw`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})` +
    String.raw`(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?` +
    String.raw`(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$`,
);
/** PyYAML's implicit timestamp pattern (stricter than the one that reads its parts). */
const TIMESTAMP_IMPLICIT = new RegExp(
  String
    .raw`^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}` +
    String.raw`:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$`,
);

function sexagesimal(text: string, parse: (s: string) => number): number {
  return text.split(":").reduce((sum, part) => sum * 60 + parse(part), 0);
}

function yamlInt(text: string): number {
  let value = text.replaceAll("_", "");
  const sign = value[0] === "-" ? -1 : 1;
  if (value[0] === "+" || value[0] === "-") value = value.slice(1);
  const n = value === "0"
    ? 0
    : value.startsWith("0b")
    ? parseInt(value.slice(2), 2)
    : value.startsWith("0x")
    ? parseInt(value.slice(2), 16)
    : value[0] === "0"
    ? parseInt(value, 8)
    : value.includes(":")
    ? sexagesimal(value, Number)
    : Number(value);
  if (Number.isNaN(n)) throw new Error(`'${text}' is not a number`);
  if (!Number.isSafeInteger(n)) {
    throw new Error(`${text} is too large to keep exactly: quote it to keep it as text`);
  }
  return sign * n;
}

function yamlFloat(text: string): number {
  let value = text.replaceAll("_", "").toLowerCase();
  const sign = value[0] === "-" ? -1 : 1;
  if (value[0] === "+" || value[0] === "-") value = value.slice(1);
  if (value === ".inf" || value === ".nan") {
    throw new Error(`${text} has no JSON form: quote it to keep it as text`);
  }
  return sign * (value.includes(":") ? sexagesimal(value, Number) : Number(value));
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A date or time as Ansible shows it (Python's isoformat()). */
function yamlTimestamp(text: string): string {
  const m = TIMESTAMP.exec(text)!;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || year < 1) {
    throw new Error(`${text} is not a valid date: quote it to keep it as text`);
  }
  const ymd = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  if (m[4] === undefined) return ymd;
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23 || minute > 59 || second > 59) throw new Error(`${text} is not a valid time: quote it`);
  const micro = m[7] ? `.${m[7].slice(0, 6).padEnd(6, "0")}` : "";
  const fraction = micro === ".000000" ? "" : micro;
  let zone = "";
  if (m[9]) {
    const minutes = Number(m[10]) * 60 + Number(m[11] ?? 0);
    zone = `${m[9]}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  } else if (m[8] === "Z") zone = "+00:00";
  return `${ymd}T${pad(hour)}:${pad(minute)}:${pad(second)}${fraction}${zone}`;
}

/** The tags of Ansible's YAML loader (use with the `failsafe` schema, which gives maps, lists, text). */
export function ansibleYamlTags(handlers: AnsibleTagHandlers): (ScalarTag | CollectionTag)[] {
  const vault: ScalarTag = {
    tag: "!vault",
    resolve: (text, onError) => {
      try {
        return handlers.vault(text);
      } catch (e) {
        onError((e as Error).message);
        return null;
      }
    },
  };
  return [
    scalar("tag:yaml.org,2002:null", NULL, () => null),
    scalar("tag:yaml.org,2002:bool", BOOL, (t) => /^(?:yes|true|on)$/i.test(t)),
    scalar("tag:yaml.org,2002:int", INT, yamlInt),
    scalar("tag:yaml.org,2002:float", FLOAT, yamlFloat),
    scalar("tag:yaml.org,2002:timestamp", TIMESTAMP_IMPLICIT, yamlTimestamp),
    vault,
    { ...vault, tag: "!vault-encrypted" },
    {
      tag: "!unsafe",
      resolve: (text: string) => {
        handlers.unsafe?.(text);
        return text;
      },
    },
  ];
}

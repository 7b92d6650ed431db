/**
 * INI inventories, read as Ansible's INI plugin reads them: `[group]` host lines (`web1
 * ansible_port=2222 user=admin`), `[group:vars]` lines (`key = value`), `[group:children]` lines,
 * host lines before any section in `ungrouped`, `;` and `#` comments. Host line words are split like a
 * POSIX shell (quotes, `#` comments); every value is typed like a Python literal (python-literal.ts).
 * The first mistake is refused with its line.
 */
import { ConfigError } from "../problems.ts";
import { expandHostPattern, HostPatternError, MAX_RANGE_HOSTS } from "./host-pattern.ts";
import { InventoryData, InventoryDataError, lineDocument } from "./inventory-data.ts";
import { iniValue } from "./python-literal.ts";
import { ShlexError, shlexSplit } from "./shlex.ts";

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/u;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/u;
/** Python's str.splitlines() line breaks (file, group and record separators included). */
// deno-lint-ignore no-control-regex
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

interface Pending {
  line: number;
  state: "vars" | "children";
  parents: string[];
}

/** Add the inventory in `text` (the file `file`, as shown in messages) to `data`. */
export function parseIniInventory(text: string, file: string, data: InventoryData): void {
  const fail = (line: number, message: string): never => {
    throw new ConfigError([{ file, line, col: 1, path: "", message }]);
  };
  const pending = new Map<string, Pending>();
  let group = "ungrouped";
  let state = "hosts";
  const lines = text.split(LINE_BREAK);
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    const line = raw.trim();
    if (!line || line[0] === ";" || line[0] === "#") continue;
    try {
      const section = SECTION.exec(line);
      if (section) {
        group = section[1];
        state = section[2] ?? "hosts";
        if (!["hosts", "children", "vars"].includes(state)) {
          fail(
            lineNo,
            `section [${section[1]}:${state}] has unknown type '${state}': use hosts, children or vars`,
          );
        }
        if (!data.groups.has(group)) {
          if (state === "vars" && !pending.has(group)) {
            pending.set(group, { line: lineNo, state, parents: [] });
          }
          data.addGroup(group);
        }
        const waiting = pending.get(group);
        if (waiting && state !== "vars") {
          if (waiting.state === "children") addPendingChildren(group, pending, data);
          else pending.delete(group);
        }
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        fail(
          lineNo,
          `invalid section '${line}': a section is [name], [name:vars] or [name:children], without spaces`,
        );
      }
      if (state === "hosts") hostLine(line, group, { file, line: lineNo, col: 1 }, data);
      else if (state === "vars") {
        const eq = line.indexOf("=");
        if (eq < 0) fail(lineNo, `expected key=value, got: ${line}`);
        const [key, value] = [line.slice(0, eq).trim(), typed(line.slice(eq + 1).trim())];
        data.varsDocs.push(lineDocument(file, lineNo, { [key]: value }));
        data.setGroupVariable(group, key, value);
      } else {
        const child = GROUP_NAME.exec(line)?.[1] ?? fail(lineNo, `expected a group name, got: ${line}`);
        if (data.groups.has(child)) data.addChild(group, child);
        else if (pending.has(child)) pending.get(child)!.parents.push(group);
        else pending.set(child, { line: lineNo, state: "children", parents: [group] });
      }
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      if (e instanceof InventoryDataError || e instanceof HostPatternError || e instanceof ValueError) {
        fail(lineNo, e.message);
      }
      throw e;
    }
  }
  for (const [name, p] of pending) {
    if (p.state === "vars") {
      fail(p.line, `section [${name}:vars] is for a group that is not declared: add [${name}]`);
    }
    fail(
      p.line,
      `section [${
        p.parents.at(-1)
      }:children] includes the undeclared group '${name}': add a [${name}] section`,
    );
  }
}

class ValueError extends Error {}

/** A host line: a name or range (with an optional :port), then key=value words. */
function hostLine(
  line: string,
  group: string,
  source: { file: string; line: number; col: number },
  data: InventoryData,
) {
  let words: string[];
  try {
    words = shlexSplit(line);
  } catch (e) {
    if (e instanceof ShlexError) {
      throw new ValueError(`cannot read the host line '${line}': ${e.message.toLowerCase()}`);
    }
    throw e;
  }
  const [pattern, ...assignments] = words;
  const { hosts, port } = expandHostPattern(pattern, MAX_RANGE_HOSTS - data.hosts.size);
  if (pattern.trim().endsWith(":") && port === undefined) {
    throw new ValueError(`invalid host pattern '${pattern}': a trailing ':' is for a port number`);
  }
  if (hosts.some((h) => h.trim() === "---")) {
    throw new ValueError(
      `invalid host pattern '${pattern}': '---' is a sign this is a YAML file (name it .yml)`,
    );
  }
  const vars: [string, unknown][] = assignments.map((word) => {
    const eq = word.indexOf("=");
    if (eq < 0) throw new ValueError(`expected key=value after the host name, got: ${word}`);
    return [word.slice(0, eq), typed(word.slice(eq + 1))];
  });
  if (vars.length) data.varsDocs.push(lineDocument(source.file, source.line, Object.fromEntries(vars)));
  for (const host of hosts) {
    data.addHost(host, source, group, port);
    for (const [key, value] of vars) data.setHostVariable(host, key, value);
  }
}

function typed(text: string): unknown {
  const result = iniValue(text);
  if (result.kind === "unsupported") {
    throw new ValueError(`the value ${text} is a Python literal with no YAML/JSON form (${result.reason})`);
  }
  return result.kind === "value" ? result.value : text;
}

function addPendingChildren(group: string, pending: Map<string, Pending>, data: InventoryData): void {
  for (const parent of pending.get(group)!.parents) {
    data.addChild(parent, group);
    if (pending.get(parent)?.state === "children") addPendingChildren(parent, pending, data);
  }
  pending.delete(group);
}

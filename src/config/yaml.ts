/**
 * YAML with source positions. `readYaml` returns the plain value plus `locate(path)`, which finds the
 * line and column of any key path, so every validation error can point at the offending text.
 * YAML 1.2 core schema (so `yes` is a string and `0640` a number), merge keys (`<<`) allowed,
 * duplicate keys refused.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { MiB, readTextFile } from "../core/files.ts";
import { countRead } from "../core/stats.ts";
import { type AnsibleTagHandlers, ansibleYamlTags } from "./ansible/yaml11.ts";
import { ConfigError, displayPath } from "./problems.ts";

export type KeyPath = (string | number)[];

export interface Position {
  line: number;
  col: number;
}

export interface YamlFile {
  /** The file as shown in messages (relative to the working directory). */
  file: string;
  /** The parsed document as plain JS (null for an empty file). */
  value: unknown;
  /**
   * Where the value at `path` starts; with `at: "key"`, where its key starts (for unknown keys).
   * A path that does not exist resolves to its deepest existing ancestor.
   */
  locate(path: KeyPath, at?: "key" | "value"): Position;
  /** A path with keys renamed at load (src/config/task-names.ts) as they are written in the file. */
  writtenPath?(path: KeyPath): KeyPath;
}

export interface YamlOptions {
  /**
   * Read as Ansible reads inventories and their variables (YAML 1.1 types as PyYAML resolves them,
   * `!unsafe`, `!vault`), instead of the YAML 1.2 core schema.
   */
  ansible?: AnsibleTagHandlers;
}

/** Parse YAML text; `file` is the name used in messages. Throws a ConfigError on malformed YAML. */
export function parseYaml(text: string, file: string, options: YamlOptions = {}): YamlFile {
  const lineCounter = new LineCounter();
  const schema = options.ansible
    ? { version: "1.1" as const, schema: "failsafe", customTags: ansibleYamlTags(options.ansible) }
    : {};
  const doc = parseDocument(text, {
    lineCounter,
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
    ...schema,
  });
  // An unknown tag (`!!python/object`, `!unsafe` on a mapping) is only a warning to the library.
  const error = doc.errors[0] ?? (options.ansible ? doc.warnings[0] : undefined);
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    const message = error.code === "DUPLICATE_KEY"
      ? `duplicate key '${keyAt(text, error.pos[0])}'`
      : error.code === "TAG_RESOLVE_FAILED"
      ? yamlProblem(error)
      : `YAML syntax error: ${yamlProblem(error)}`;
    throw new ConfigError([{ file, line, col, path: "", message }]);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 }) ?? null;
  } catch (e) {
    // An alias to an anchor defined later (or nowhere) only fails here, not as a parse error.
    const message = `YAML error: ${String((e as Error).message).split("\n")[0]}`;
    const alias = /alias.*: (\S+)$/.exec(message)?.[1];
    const at = alias ? Math.max(0, text.indexOf(`*${alias}`)) : 0;
    const { line, col } = lineCounter.linePos(at);
    throw new ConfigError([{ file, line, col, path: "", message }]);
  }

  function locate(path: KeyPath, at: "key" | "value" = "value"): Position {
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    let found: Node | undefined = doc.contents ?? undefined;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(doc);
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) =>
          String(isScalar(p.key) ? p.key.value : p.key) === String(segment)
        );
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && Number.isInteger(Number(segment))) {
        node = node.items[Number(segment)];
        if (node === undefined) break;
      } else break;
      found = keyNode ?? (node as Node);
      const n = node as Node | null;
      // An empty value (`key:`) has no text of its own: point at its key.
      if (n?.range && n.range[0] !== n.range[1]) found = at === "key" && keyNode ? keyNode : n;
    }
    return lineCounter.linePos(found?.range?.[0] ?? 0);
  }

  return { file, value, locate };
}

/**
 * What is wrong, from a yaml error or warning, without the document's text that some of its messages
 * quote (a value may be a secret): `Invalid escape sequence \q`, `Unresolved tag: !x`, `"]"`.
 */
export function yamlProblem(e: { code: string; message: string }): string {
  const first = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  // The parser ran out of stack (V8's words, under Node and Deno alike): say what in the file did it.
  if (/Maximum call stack size exceeded/.test(first)) {
    return "nested too deeply (collections inside collections thousands of levels deep)";
  }
  switch (e.code) {
    case "BAD_DQ_ESCAPE":
      return "invalid escape sequence in a double-quoted string";
    case "TAG_RESOLVE_FAILED":
    case "BAD_COLLECTION_TYPE": {
      // A tag's own handler (!vault) words its message; the library's quote the tag, and a stray `!`
      // makes a value one (`password: !Xy7…`): only `!!` tags (`!!python/object`) are shown.
      if (e.code === "TAG_RESOLVE_FAILED" && !/^Unresolved tag: /.test(first)) return first;
      const tag = /tag: (!![\w:/.-]+)/.exec(first)?.[1];
      return tag ? `Unresolved tag: ${tag}` : "unknown tag (a value starting with !: quote it)";
    }
  }
  if (first.startsWith("Block scalar header")) return "block scalar header includes extra characters";
  return first.replace(/: ".*"$/, "").replace(/"[^"]*"/g, "…");
}

/** Configuration files larger than this are refused before they are read: no real one comes close. */
export const MAX_CONFIG_BYTES = 8 * MiB;

/**
 * Read and parse a YAML file, only when it is a regular file of bounded size (src/core/files.ts);
 * messages name it relative to the working directory, and `what` it is ("inventory").
 */
export function readYaml(path: string, options: YamlOptions & { what?: string } = {}): YamlFile {
  const file = displayPath(path);
  countRead(path);
  return parseYaml(
    readTextFile(file, { what: options.what ?? "file", maxBytes: MAX_CONFIG_BYTES }),
    file,
    options,
  );
}

/** The key that starts at `offset` (quoted or plain), for the duplicate-key message. */
function keyAt(text: string, offset: number): string {
  const m = /^(?:"([^"]*)"|'([^']*)'|([^:\n]*?))\s*:/.exec(text.slice(offset));
  return m ? (m[1] ?? m[2] ?? m[3]) : text.slice(offset).split("\n")[0];
}

import { describe, expect, it } from "vitest";
import { HiddenLine, type KeyResult } from "../../../src/core/hidden-line.ts";

/** Feeds `keys` until the line ends; what it ended with and the text then. */
function typed(keys: string): { result: KeyResult; text: string; left: number } {
  const line = new HiddenLine();
  const bytes = new TextEncoder().encode(keys);
  for (const [i, b] of bytes.entries()) {
    const result = line.key(b);
    if (result !== "more") return { result, text: line.text(), left: bytes.length - i - 1 };
  }
  return { result: "more", text: line.text(), left: 0 };
}

describe("HiddenLine: the keys a cooked terminal would handle, in raw mode", () => {
  it.each(
    [
      ["Enter (CR) ends the line", "secret\r", "done", "secret"],
      ["Enter (LF) ends the line", "secret\n", "done", "secret"],
      ["keys after Enter are not read", "ab\rcd", "done", "ab"],
      ["Backspace (DEL) removes the last character", "abx\x7fc\r", "done", "abc"],
      ["Backspace (^H) likewise", "abx\bc\r", "done", "abc"],
      ["Backspace removes a whole UTF-8 character", "pé\x7f\x7fq\r", "done", "q"],
      ["Backspace on an empty line does nothing", "\x7f\x7fa\r", "done", "a"],
      ["Ctrl-U clears the line", "wrong\x15right\r", "done", "right"],
      ["Ctrl-D on an empty line ends it", "\x04", "done", ""],
      ["Ctrl-D within a line is ignored", "ab\x04c\r", "done", "abc"],
      ["Ctrl-C interrupts", "half\x03", "interrupted", "half"],
      ["spaces and symbols are kept", " a b:'\"$ \r", "done", " a b:'\"$ "],
      ["no Enter yet", "abc", "more", "abc"],
    ] as const,
  )("%s", (_, keys, result, text) => {
    expect(typed(keys)).toMatchObject({ result, text });
  });

  it("stops at the key that ends it", () => {
    expect(typed("ab\rcd").left).toBe(2);
    expect(typed("a\x03b").left).toBe(1);
  });
});

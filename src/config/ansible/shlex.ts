/**
 * Python's `shlex.split(line, comments=True)` (POSIX mode), which Ansible's INI plugin uses to cut a
 * host line into words: blanks separate words, '…' keeps everything, "…" keeps everything but `\"` and
 * `\\`, a backslash outside quotes keeps the next character, and `#` outside quotes (even inside a word)
 * starts a comment.
 */

export class ShlexError extends Error {}

const BLANK = new Set([" ", "\t", "\r", "\n"]);

export function shlexSplit(line: string): string[] {
  const words: string[] = [];
  let word = "";
  /** A word is there even when empty, once it had quotes (`x=''`). */
  let started = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < line.length) {
        const next = line[++i];
        word += next === '"' || next === "\\" ? next : c + next;
      } else if (c === "\\") throw new ShlexError("No escaped character");
      else word += c;
      continue;
    }
    if (BLANK.has(c)) {
      if (started) words.push(word);
      word = "";
      started = false;
    } else if (c === "#") break;
    else if (c === "\\") {
      if (i + 1 >= line.length) throw new ShlexError("No escaped character");
      word += line[++i];
      started = true;
    } else if (c === "'" || c === '"') {
      quote = c;
      started = true;
    } else {
      word += c;
      started = true;
    }
  }
  if (quote) throw new ShlexError("No closing quotation");
  if (started) words.push(word);
  return words;
}

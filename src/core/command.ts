/**
 * Remote commands as plain data (the Kamal way): an array of tokens that is quoted only when it is
 * rendered, so no module ever concatenates shell strings by hand.
 *
 * @example
 * render(["mkdir", "-p", "/opt/my dir"]) // => mkdir -p '/opt/my dir'
 * render(and(["test", "-d", "/x"], ["echo", "yes"])) // => test -d /x && echo yes
 */

/** A token that is passed to the shell verbatim (operators, redirections, `$VAR`). */
export interface Raw {
  raw: string;
}
export type Token = string | Raw;
export type Command = Token[];

export const raw = (text: string): Raw => ({ raw: text });

const SAFE = /^[A-Za-z0-9_\-+=/.,:@%^]+$/;

/** POSIX shell quoting: safe words stay bare, everything else goes in single quotes. */
export function quote(word: string): string {
  if (word !== "" && SAFE.test(word)) return word;
  return "'" + word.replaceAll("'", `'"'"'`) + "'";
}

export function render(command: Command): string {
  return command.map((t) => (typeof t === "string" ? quote(t) : t.raw)).join(" ");
}

function joinWith(op: string, commands: Command[]): Command {
  const out: Command = [];
  commands.forEach((c, i) => {
    if (i > 0) out.push(raw(op));
    out.push(...c);
  });
  return out;
}

/** `a && b && c` */
export const and = (...commands: Command[]): Command => joinWith("&&", commands);
/** `a; b; c` */
export const seq = (...commands: Command[]): Command => joinWith(";", commands);
/** `a | b` */
export const pipe = (...commands: Command[]): Command => joinWith("|", commands);

/** A command run by `sh -c` as a single quoted argument (for become wrappers and subshells). */
export function shell(command: Command | string): Command {
  return ["sh", "-c", typeof command === "string" ? command : render(command)];
}

/**
 * Split a command line into words the way a POSIX shell would for quoting purposes (single and double
 * quotes, backslash escapes), without any expansion.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quoteChar: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoteChar) {
      if (ch === quoteChar) quoteChar = null;
      else if (ch === "\\" && quoteChar === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) {
        word += line[++i];
      } else word += ch;
    } else if (ch === "'" || ch === '"') {
      quoteChar = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quoteChar) throw new Error(`unterminated ${quoteChar} quote in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

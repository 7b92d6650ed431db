/**
 * A line typed at a prompt with the terminal in raw mode (no echo, no line editing, no signals from
 * keys), so that Ctrl-C at the prompt is seen at once: in cooked mode the process's SIGINT handler cannot
 * run while a synchronous read waits for Enter. The keys a cooked terminal would handle are handled
 * here: Enter ends the line, Backspace removes the last character, Ctrl-U the whole line, Ctrl-C
 * interrupts, Ctrl-D on an empty line ends it.
 *
 * Pure: fed one byte at a time; `src/secrets/passphrase.ts` reads the terminal.
 *
 * @example
 * ```ts
 * const line = new HiddenLine();
 * for (const b of new TextEncoder().encode("ab\x7fc\r")) line.key(b); // => "more", "more", "more", "more", "done"
 * line.text(); // => "ac"
 * ```
 */

export type KeyResult = "more" | "done" | "interrupted";

const CTRL_C = 3;
const CTRL_D = 4;
const BACKSPACE = 8;
const LF = 10;
const CR = 13;
const CTRL_U = 21;
const DEL = 127;

export class HiddenLine {
  private bytes: number[] = [];

  key(byte: number): KeyResult {
    switch (byte) {
      case CTRL_C:
        return "interrupted";
      case LF:
      case CR:
        return "done";
      case CTRL_D:
        return this.bytes.length === 0 ? "done" : "more";
      case CTRL_U:
        this.bytes = [];
        return "more";
      case DEL:
      case BACKSPACE:
        // A whole UTF-8 character: its continuation bytes (10xxxxxx), then its first byte.
        while (this.bytes.length && (this.bytes[this.bytes.length - 1] & 0xc0) === 0x80) this.bytes.pop();
        this.bytes.pop();
        return "more";
      default:
        this.bytes.push(byte);
        return "more";
    }
  }

  text(): string {
    return new TextDecoder().decode(new Uint8Array(this.bytes));
  }
}

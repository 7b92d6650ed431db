/**
 * init's questions on the terminal: one line each, the default in brackets, a secret without echo.
 * One reader (readline) takes every answer, so answers typed ahead are not lost between the two kinds.
 */
import process from "node:process";
import { createInterface } from "node:readline/promises";
import { Writable } from "node:stream";
import { writeStdout } from "../runtime.ts";
import type { Ask } from "./answers.ts";

export function terminalQuestions(): { ask: Ask; close: () => void } {
  let hidden = false;
  // readline echoes what is typed through its output: swallowed while a secret is typed.
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!hidden) process.stdout.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return {
    async ask(q, problem) {
      if (problem) writeStdout(`  ${problem}\n`);
      const prompt = `${q.text}${q.default ? ` [${q.default}]` : ""}: `;
      if (!q.secret) return await rl.question(prompt);
      writeStdout(prompt);
      hidden = true;
      try {
        return await rl.question("");
      } finally {
        hidden = false;
        writeStdout("\n");
      }
    },
    close: () => rl.close(),
  };
}

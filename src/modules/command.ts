/**
 * command / shell: run something on the host. `creates`/`removes` make it idempotent: the probe checks
 * those paths in the same round trip, and the plan skips the run when they say it already happened.
 */
import { z } from "zod";
import { type Command, raw, splitWords } from "../core/command.ts";
import type { ExecResult } from "../core/types.ts";
import { defineModule, type ModuleDefinition, type Plan, unchanged } from "./types.ts";

const commandArgs = z.object({
  cmd: z.string().min(1).describe("The command line to run."),
  chdir: z.string().optional().describe("Change into this directory before running."),
  creates: z.string().optional().describe("A path; when it exists, the command is not run."),
  removes: z.string().optional().describe("A path; when it does not exist, the command is not run."),
  stdin: z.string().optional().describe("Text passed to the command's standard input."),
}).strict();
type CommandArgs = z.infer<typeof commandArgs>;

interface PathFacts {
  createsExists?: boolean;
  removesExists?: boolean;
}

function pathProbe(args: CommandArgs) {
  if (!args.creates && !args.removes) return null;
  const test = (p: string): Command => [raw("if"), "test", "-e", p, raw("; then echo 1; else echo 0; fi")];
  const command: Command = [
    ...test(args.creates ?? "/"),
    raw(";"),
    ...test(args.removes ?? "/"),
  ];
  return {
    command,
    parse(r: ExecResult): PathFacts {
      const [c, rm] = r.stdout.trim().split("\n");
      return {
        createsExists: args.creates ? c === "1" : undefined,
        removesExists: args.removes ? rm === "1" : undefined,
      };
    },
  };
}

function planRun(args: CommandArgs, facts: PathFacts | undefined, asShell: boolean): Plan {
  if (args.creates && facts?.createsExists) return unchanged(`${args.creates} exists`, { rc: 0, stdout: "" });
  if (args.removes && facts && !facts.removesExists) {
    return unchanged(`${args.removes} does not exist`, { rc: 0, stdout: "" });
  }
  // command: split into words and quote each, so `|` or `$X` reach the program literally (as in
  // Ansible); shell: the whole line goes to bash, so pipes and redirections work as written.
  const body: Command = asShell ? bashLine(args.cmd) : splitWords(args.cmd);
  const command: Command = args.chdir ? ["cd", args.chdir, raw("&&"), ...body] : body;
  return {
    changed: true,
    reason: `would run: ${args.cmd}`,
    steps: [{ kind: "exec", command, stdin: args.stdin, okCodes: "any" }],
    creates: args.creates ? [args.creates] : undefined,
  };
}

/**
 * `bash` running `line` as written, the line read from fd 3 (a here-document of the step's script,
 * which reaches the host on stdin) rather than given as `bash -c LINE`: an argument is in
 * /proc/PID/cmdline for every user to read, templated secrets too. bash's stdin stays the task's.
 */
export function bashLine(line: string, after: Command = []): Command {
  const lines = new Set(line.split("\n"));
  let end = "LAGO_SHELL";
  for (let i = 1; lines.has(end); i++) end = `LAGO_SHELL_${i}`;
  return [
    "bash",
    "-c",
    'lago_line=$(cat <&3) && exec 3<&- && eval "$lago_line"',
    raw(`3<<'${end}'`),
    // Redirections and pipes of the same command line (`after`) come before the document's lines.
    ...after,
    raw(`\n${line}\n${end}\n`),
  ];
}

function resultFrom(outputs: ExecResult[]) {
  const last = outputs[outputs.length - 1];
  if (!last) return {};
  const stdout = last.stdout.replace(/\n$/, "");
  const stderr = last.stderr.replace(/\n$/, "");
  return {
    rc: last.exitCode,
    stdout,
    stderr,
    stdout_lines: stdout === "" ? [] : stdout.split("\n"),
    failed: last.exitCode !== 0,
  };
}

export const commandModule: ModuleDefinition<CommandArgs, PathFacts | undefined> = defineModule({
  name: "command",
  description: "Run a command on the host (not through a shell). Use creates/removes to make it idempotent.",
  args: commandArgs,
  freeForm: "cmd",
  probe: (args) => pathProbe(args),
  plan: (args, facts) => planRun(args, facts, false),
  resultFrom,
});

export const shellModule: ModuleDefinition<CommandArgs, PathFacts | undefined> = defineModule({
  name: "shell",
  description:
    "Run a command line through bash (pipes, redirections). Use creates/removes to make it idempotent.",
  args: commandArgs,
  freeForm: "cmd",
  probe: (args) => pathProbe(args),
  plan: (args, facts) => planRun(args, facts, true),
  resultFrom,
});

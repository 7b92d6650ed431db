/** Command-line interface: parses arguments (commander) and dispatches to one command module each. */
import { Command, CommanderError, Option } from "commander";
import { applyCommand, planCommand } from "./commands/apply.ts";
import { lintCommand } from "./commands/lint.ts";
import { registerSecretsCommands } from "./commands/secrets.ts";
import { registerHistoryCommand } from "./commands/history.ts";
import { registerLockCommands } from "./commands/lock.ts";
import { registerRollbackCommand } from "./commands/rollback.ts";
import { lockOptions, registerUpgradeCommand } from "./commands/upgrade.ts";
import { UserError } from "./core/types.ts";
import { runtimeName, writeStderr, writeStdout } from "./runtime.ts";

const VERSION = "0.1.0";

const collect = (value: string, previous: string[]) => [...previous, value];

export async function main(args: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command("lago-provision")
    .description("Install and run Lago on one host or a fleet, over SSH. Safe to run again and again.")
    .version(`${VERSION} (${runtimeName})`, "-V, --version")
    .configureOutput({ writeOut: writeStdout, writeErr: writeStderr })
    .exitOverride()
    .showSuggestionAfterError(true);

  const runOptions = (cmd: Command) =>
    cmd
      .option("-p, --playbook <file>", "playbook to run", "playbooks/site.yml")
      .option("-D, --diff", "show what changes in files, packages and services (secrets redacted)", false)
      .option("-l, --limit <pattern>", "only hosts matching this pattern (e.g. web, 'lago-*', 'all:!db')")
      .option(
        "-e, --extra-vars <key=value|@file>",
        "extra variables (highest precedence); repeatable",
        collect,
        [],
      )
      .option("-f, --forks <n>", "hosts in parallel", (v) => parsePositive(v, "--forks"), 20)
      .option("-t, --tags <tags>", "only tasks with these tags (comma separated)")
      .option("--skip-tags <tags>", "skip tasks with these tags (comma separated)")
      .option(
        "--accept-new-host-keys",
        "record unknown SSH host keys in known_hosts (changed keys are still refused)",
        false,
      )
      .option(
        "--detailed-exitcode",
        "with --check or plan: exit 0 when nothing would change, 2 when changes are pending",
        false,
      )
      .option("--json", "one JSON event per line instead of text", false)
      .addOption(
        new Option("-v, --verbose", "more detail (repeatable)").argParser((_v, prev: number) => prev + 1)
          .default(0),
      );

  lockOptions(runOptions(
    program
      .command("apply")
      .description(
        "Converge every host of an inventory to what the playbook describes, or apply a saved plan.",
      )
      .argument("<inventory|plan.json>", "inventory file (Ansible YAML layout), or a plan saved by `plan -o`")
      .option("-C, --check", "dry run: contact hosts read-only and report what would change", false),
  ))
    .option("--no-lock", "do not take the fleet lock (another apply or upgrade may run at the same time)")
    .option(
      "--retry-failed",
      "only the hosts that failed or were unreachable in the last run (run journal)",
      false,
    )
    .action(async (target: string, opts) => {
      exitCode = await applyCommand(target, opts);
    });

  runOptions(
    program
      .command("plan")
      .description(
        "Dry run that saves what would change, to apply exactly that later with `apply plan.json`.",
      )
      .argument("<inventory>", "inventory file")
      .requiredOption("-o, --out <plan.json>", "where to save the plan"),
  ).action(async (inventory: string, opts) => {
    exitCode = await planCommand(inventory, opts);
  });

  program
    .command("lint")
    .description(
      "Check playbooks, roles and inventories without contacting any host (schemas, variables, Lago rules).",
    )
    .argument("[paths...]", "files or folders to check (default: playbooks roles inventory)")
    .addOption(
      new Option("-f, --format <format>", "output format").choices(["text", "json", "sarif", "github"])
        .default("text"),
    )
    .option("-o, --output <file>", "write the report to a file instead of standard output")
    .option("-c, --config <file>", "config file (default: .lago-provision-lint.yml in the working directory)")
    .option("--explain <rule>", "explain a rule and exit")
    .option("--list-rules", "list every rule and exit", false)
    .action(async (paths: string[], opts) => {
      exitCode = await lintCommand(paths, { ...opts, version: VERSION });
    });

  registerSecretsCommands(program, (code) => (exitCode = code));
  registerUpgradeCommand(program, collect, (code) => (exitCode = code));
  registerRollbackCommand(program, collect, (code) => (exitCode = code));
  registerLockCommands(program, (code) => (exitCode = code));
  registerHistoryCommand(program, (code) => (exitCode = code));

  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    throw e;
  }
  return exitCode;
}

function parsePositive(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(`${flag} must be a positive whole number, got '${value}'`);
  }
  return n;
}

/** Command-line interface: parses arguments (commander) and dispatches to one command module each. */
import { Command, CommanderError, Option } from "commander";
import { applyCommand } from "./commands/apply.ts";
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

  program
    .command("apply")
    .description("Converge every host of an inventory to what the playbook describes.")
    .argument("<inventory>", "inventory file (Ansible YAML layout)")
    .option("-p, --playbook <file>", "playbook to run", "playbooks/site.yml")
    .option("-C, --check", "dry run: contact hosts read-only and report what would change", false)
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
    .option("--json", "one JSON event per line instead of text", false)
    .addOption(
      new Option("-v, --verbose", "more detail (repeatable)").argParser((_v, prev: number) => prev + 1)
        .default(0),
    )
    .action(async (inventory: string, opts) => {
      exitCode = await applyCommand(inventory, opts);
    });

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

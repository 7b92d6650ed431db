/**
 * Option parsers and option groups shared by several commands (commander only: this file is loaded on
 * every start, so it imports nothing that does work).
 */
import { type Command, Option } from "commander";
import { UsageError } from "../core/errors.ts";
import { DEFAULT_LOCK_TTL } from "../fleet/lock.ts";

/** Repeatable option: every value, in order. */
export const collect = (value: string, previous: string[]) => [...previous, value];

/** A whole number ≥ min, or a UserError naming the flag. */
export const int = (flag: string, min: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(
      min === 1
        ? `${flag} must be a positive whole number, got '${value}'`
        : `${flag} must be a whole number ≥ ${min}, got '${value}'`,
    );
  }
  return n;
};

/** `--serial 2`, `--serial 25%`, `--serial 1,2,50%` (ramping up). */
export function parseSerial(value: string): (number | string)[] {
  return value.split(",").map((s) => s.trim()).map((s) => {
    if (/^\d+$/.test(s) && Number(s) > 0) return Number(s);
    if (/^\d+(\.\d+)?%$/.test(s) && parseFloat(s) > 0) return s;
    throw new UsageError(`--serial: '${s}' should be a number of hosts or a percentage like 25%`);
  });
}

const verbose = (help: string) =>
  new Option("-v, --verbose", help).argParser((_v, prev: number) => prev + 1).default(0);

/** Vault passwords as Ansible takes them (apply, plan, lint, inventory). */
export function vaultOptions(cmd: Command): Command {
  return cmd
    .option(
      "--vault-password-file <file>",
      "vault password file, or a script that prints it (repeatable; default: ANSIBLE_VAULT_PASSWORD_FILE)",
      collect,
      [],
    )
    .option("--vault-id <[id@]file>", "a vault id's password file or script (repeatable)", collect, []);
}

/** Options of apply and plan. */
export function runOptions(cmd: Command): Command {
  return vaultOptions(cmd)
    .option(
      "-i, --inventory <path>",
      "an inventory, as ansible-playbook takes it; repeatable: merged in order",
      collect,
      [],
    )
    .option("-p, --playbook <file>", "playbook to run", "playbooks/site.yml")
    .option("-D, --diff", "show what changes in files, packages and services (secrets redacted)", false)
    .option("-l, --limit <pattern>", "only hosts matching this pattern (e.g. web, 'lago-*', 'all:!db')")
    .option(
      "-e, --extra-vars <key=value|@file>",
      "extra variables (highest precedence); repeatable",
      collect,
      [],
    )
    .option("-f, --forks <n>", "hosts in parallel", int("--forks", 1), 20)
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
    .addOption(verbose("more detail (repeatable)"));
}

/** Lock options shared by apply, upgrade and rollback. */
export function lockOptions(cmd: Command): Command {
  return cmd
    .option(
      "--lock-wait <seconds>",
      "wait this long for the fleet lock held by another run",
      int("--lock-wait", 0),
      0,
    )
    .option(
      "--lock-ttl <seconds>",
      "the lock expires when this run stops renewing it for this long (killed controller)",
      int("--lock-ttl", 10),
      DEFAULT_LOCK_TTL,
    );
}

/** Options of upgrade and rollback. */
export function fleetOptions(cmd: Command): Command {
  return lockOptions(
    cmd
      .option("-p, --playbook <file>", "playbook that deploys Lago (run per batch)", "playbooks/site.yml")
      .option(
        "-e, --extra-vars <key=value|@file>",
        "extra variables for the playbook; repeatable",
        collect,
        [],
      )
      .option("-f, --forks <n>", "hosts in parallel within a batch", int("--forks", 1), 20)
      .option("-t, --tags <tags>", "only tasks with these tags (comma separated)")
      .option("--skip-tags <tags>", "skip tasks with these tags (comma separated)")
      .option("-l, --limit <pattern>", "single hosts only: which of them (a fleet moves as a whole)")
      .addOption(
        new Option("--serial <n|n%>", "hosts per batch (the clock host always moves last, alone)")
          .argParser(parseSerial).default([1], "1"),
      )
      .option(
        "--max-fail-percentage <pct>",
        "failed hosts tolerated (rolled back) before the whole rollout stops",
        int("--max-fail-percentage", 0),
        0,
      )
      .option(
        "--health-timeout <seconds>",
        "how long a batch may take to become healthy",
        int("--health-timeout", 1),
        180,
      )
      .option("--skip-backup", "do not pg_dump first (not recommended)", false)
      .option("--accept-new-host-keys", "record unknown SSH host keys in known_hosts", false)
      .option("--json", "JSON lines: progress, then the report", false)
      .addOption(verbose("show the playbook runs (repeatable)")),
  );
}

/** Options of the commands that only read from hosts (lock, history). */
export function readOptions(cmd: Command): Command {
  return cmd
    .argument("<inventory>", "inventory file")
    .option("-l, --limit <pattern>", "only these hosts")
    .option("--accept-new-host-keys", "record unknown SSH host keys in known_hosts", false)
    .option("--json", "one JSON object", false);
}

/**
 * Command-line interface: every command with its arguments and options (commander). A command's
 * implementation is imported only when it runs, so `lint` never loads SSH, and `--help` loads nothing.
 */
import { Command, CommanderError, Option } from "commander";
import { EXIT } from "./core/errors.ts";
import {
  collect,
  fleetOptions,
  int,
  lockOptions,
  readOptions,
  runOptions,
  vaultOptions,
} from "./commands/options.ts";
import { runtimeName, writeStderr, writeStdout } from "./runtime.ts";
import { DEFAULT_DEST, UPSTREAM_ENV } from "./secrets/host-files.ts";

const VERSION = "0.1.0";

export async function main(args: string[]): Promise<number> {
  let exitCode = 0;
  /** An action that sets the exit code to what the lazily imported command returns. */
  const run =
    <A extends unknown[]>(command: (...args: A) => Promise<number> | number) => async (...args: A) => {
      exitCode = await command(...args);
    };
  const program = new Command("lago-provision")
    .description("Install and run Lago on one host or a fleet, over SSH. Safe to run again and again.")
    .version(`${VERSION} (${runtimeName})`, "-V, --version")
    .configureOutput({ writeOut: writeStdout, writeErr: writeStderr })
    .exitOverride()
    .showSuggestionAfterError(true);

  lockOptions(runOptions(
    program
      .command("apply")
      .description(
        "Converge every host of an inventory to what the playbook describes, or apply a saved plan.",
      )
      .argument(
        "[inventory|plan.json]",
        "inventory (file or folder, YAML or INI; more with -i), or a plan saved by `plan -o`",
      )
      .option("-C, --check", "dry run: contact hosts read-only and report what would change", false),
  ))
    .option("--no-lock", "do not take the fleet lock (another apply or upgrade may run at the same time)")
    .option(
      "--retry-failed",
      "only the hosts that failed or were unreachable in the last run (run journal)",
      false,
    )
    .action(
      run(async (target: string | undefined, opts) =>
        (await import("./commands/apply.ts")).applyCommand(target, opts)
      ),
    );

  runOptions(
    program
      .command("plan")
      .description(
        "Dry run that saves what would change, to apply exactly that later with `apply plan.json`.",
      )
      .argument("[inventory]", "inventory (file or folder, YAML or INI; more with -i)")
      .requiredOption("-o, --out <plan.json>", "where to save the plan"),
  ).action(
    run(async (inventory: string | undefined, opts) =>
      (await import("./commands/apply.ts")).planCommand(inventory, opts)
    ),
  );

  const lint = program
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
    .option("--list-rules", "list every rule and exit", false);
  vaultOptions(lint)
    .action(
      run(async (paths: string[], opts) =>
        (await import("./commands/lint.ts")).lintCommand(paths, { ...opts, version: VERSION })
      ),
    );

  program
    .command("convert-templates")
    .description(
      "Rewrite the common Jinja2 forms in template files as handlebars ({% if %} → {{#if}}, filters → helpers).",
    )
    .argument(
      "[paths...]",
      "template files or folders (default: the templates/ folders under roles playbooks templates)",
    )
    .option("-w, --write", "rewrite the files in place (default: show the changes)", false)
    .action(
      run(async (paths: string[], opts) =>
        (await import("./commands/convert-templates.ts")).convertTemplatesCommand(paths, opts)
      ),
    );

  const inventory = program
    .command("inventory")
    .description(
      "Show an inventory as ansible-inventory does (--list JSON, --graph, --host NAME): what will be connected to.",
    )
    .argument("[inventory...]", "inventory files or folders (INI or YAML), merged in order like repeated -i")
    .option("-i, --inventory <path>", "an inventory, as ansible-inventory takes it; repeatable", collect, [])
    .option("--list", "every group and host, with each host's variables (_meta.hostvars)", false)
    .option("--graph [group]", "the tree of groups and hosts (from GROUP, default all)")
    .option("--host <name>", "one host's variables");
  vaultOptions(inventory)
    .action(
      run(async (sources: string[], opts) =>
        (await import("./commands/inventory.ts")).inventoryCommand([...sources, ...opts.inventory], opts)
      ),
    );

  defineInit(program, run);
  defineSecrets(program, run);
  defineAdopt(program, run);
  defineFleet(program, run);

  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    throw e;
  }
  return exitCode;
}

type Run = <A extends unknown[]>(
  command: (...args: A) => Promise<number> | number,
) => (...args: A) => Promise<void>;

function defineInit(program: Command, run: Run): void {
  program
    .command("init")
    .description(
      "Write a working inventory and create its secrets store, from answers asked on the terminal or given as flags.",
    )
    .argument("[inventory]", "the inventory to write (never overwritten)", "inventory/prod.yml")
    .option(
      "--host <name[=address[:port]]>",
      "a host: its inventory name, and how to reach it when the name does not say (repeatable; several: a fleet)",
      (value: string, previous?: string[]) => collect(value, previous ?? []),
    )
    .option("--user <user>", "SSH user: root, or a user with sudo (default root)")
    .option("--ssh-key <path>", "SSH private key (default: ssh-agent and ~/.ssh)")
    .option("--known-hosts <path>", "known_hosts file with the hosts' keys (default ~/.ssh/known_hosts)")
    .option("--domain <domain>", "the domain Lago is served on")
    .option("--tls <mode>", "letsencrypt (default for one host), selfsigned, provided or none")
    .option("--acme-email <email>", "letsencrypt: e-mail for expiry notices")
    .option("--tls-cert <path>", "provided: certificate chain on this machine")
    .option("--tls-key <path>", "provided: its private key on this machine")
    .option("--lago-version <vX.Y.Z>", "Lago release (default: the lago role's)")
    .option("--org-name <name>", "your organization's name (empty: none)")
    .option("--admin-email <email>", "its admin's e-mail (sign-up stays open for them)")
    .option("--postgres-host <host[:port]>", "an external PostgreSQL (default: bundled on the host)")
    .option("--postgres-user <user>", "its user (default lago)")
    .option("--postgres-db <db>", "its database (default lago)")
    .option("--postgres-sslmode <mode>", "its sslmode (disable ... verify-full)")
    .option("--postgres-password-env <NAME>", "the environment variable holding its password")
    .option("--redis-host <host[:port]>", "an external Redis (default: bundled on the host)")
    .option("--redis-tls", "connect to it with TLS (rediss://)")
    .option("--redis-password-env <NAME>", "the environment variable holding its password (if it has one)")
    .option("--s3-bucket <bucket>", "keep Lago's files in this S3 bucket (default: the host's disk)")
    .option("--s3-region <region>", "its region (default us-east-1)")
    .option("--s3-endpoint <url>", "an S3-compatible service's endpoint")
    .option("--s3-access-key-id <id>", "the access key id")
    .option("--s3-secret-key-env <NAME>", "the environment variable holding the secret access key")
    .option("--no-input", "ask nothing, even on a terminal: what no flag gives is its default, or an error")
    .action(
      run(async (inventory: string, opts) =>
        (await import("./commands/init.ts")).initCommand(inventory, opts)
      ),
    );
}

function defineSecrets(program: Command, run: Run): void {
  const secrets = () => import("./commands/secrets.ts");
  const group = program
    .command("secrets")
    .description(
      "The installation's Lago secrets: one encrypted store beside the inventory, the same values on every host.",
    );
  const names = (cmd: Command) =>
    cmd.option("--names <A,B>", "secrets besides Lago's five (e.g. POSTGRES_PASSWORD,REDIS_PASSWORD)");
  const common = (cmd: Command) =>
    names(cmd)
      .option(
        "--file <path>",
        `env file on the host to read (repeatable; default ${DEFAULT_DEST} and ${UPSTREAM_ENV})`,
        collect,
        [],
      )
      .option("--accept-new-host-keys", "record unknown SSH host keys in known_hosts", false);

  names(
    group.command("init")
      .description("Create the store with new secrets if it does not exist (no host is contacted).")
      .argument(
        "<inventory>",
        "inventory file; the store is its lago_secrets_file, or lago-secrets.enc beside it",
      ),
  ).action(run(async (inventory: string, opts) => (await secrets()).initSecrets(inventory, opts)));

  common(
    group.command("import")
      .description("Adopt the secrets a host already has into the store (never replacing a stored value).")
      .argument("<inventory>", "inventory file")
      .requiredOption("--from <host>", "inventory name of the host to read them from"),
  ).action(run(async (inventory: string, opts) => (await secrets()).importSecrets(inventory, opts)));

  common(
    group.command("status")
      .description("Which secrets every host has and whether they match the store (by hash, never values).")
      .argument("<inventory>", "inventory file")
      .option("--json", "one JSON document instead of text", false),
  ).action(run(async (inventory: string, opts) => (await secrets()).secretsStatus(inventory, opts)));
}

function defineAdopt(program: Command, run: Run): void {
  program
    .command("adopt")
    .description(
      "Take over a Lago installed with upstream's compose file: its keys kept in the store, its volumes reused.",
    )
    .argument("<inventory>", "inventory file")
    .requiredOption("--host <name>", "the inventory host running the install")
    .requiredOption("--from <dir>", "the directory of its docker-compose.yml and .env on that host")
    .option("--check", "read the install and print the plan; change nothing", false)
    .option("-p, --playbook <file>", "the playbook that deploys Lago on the host", "playbooks/site.yml")
    .option("--accept-new-host-keys", "record an unknown SSH host key in known_hosts", false)
    .option(
      "-v, --verbose",
      "show the deploy's tasks in more detail (repeatable)",
      (_v, n: number) => n + 1,
      0,
    )
    .action(
      run(async (inventory: string, opts) =>
        (await import("./commands/adopt.ts")).adoptCommand(inventory, opts)
      ),
    );
}

function defineFleet(program: Command, run: Run): void {
  fleetOptions(
    program
      .command("upgrade")
      .description(
        "Rolling upgrade of a Lago fleet: backup, pull everywhere, migrate once, batches health-gated, " +
          "failed batch rolled back.",
      )
      .argument("<inventory>", "inventory file")
      .requiredOption("--to <version>", "the Lago release to go to, e.g. v1.50.0")
      .option(
        "--via [stops]",
        "also stop at these releases (comma separated); the bridge releases are always on the path",
      )
      .option("--check", "print the path and each bridge's task, change nothing (no lock taken)", false)
      .option(
        "--task-timeout <seconds>",
        "how long a bridge release's task may take before the upgrade stops on that release",
        int("--task-timeout", 1),
        3600,
      ),
  ).action(
    run(async (inventory: string, opts) =>
      (await import("./commands/upgrade.ts")).upgradeCommand(inventory, opts)
    ),
  );

  fleetOptions(
    program
      .command("rollback")
      .description("Go back to the previous recorded version (re-deploys its images; the schema stays).")
      .argument("<inventory>", "inventory file")
      .option("--keep-schema", "roll back even though the database keeps the newer version's schema", false),
  ).action(
    run(async (inventory: string, opts) =>
      (await import("./commands/upgrade.ts")).rollbackCommand(inventory, opts)
    ),
  );

  defineBackup(program, run);

  const lock = () => import("./commands/lock.ts");
  const group = program.command("lock").description(
    "The fleet lock every apply, upgrade and rollback takes: see who holds it, release a stale one.",
  );
  readOptions(group.command("status").description("Who holds the lock on each host, since when, until when."))
    .action(run(async (inventory: string, opts) => (await lock()).lockStatusCommand(inventory, opts)));
  readOptions(
    group.command("release").description(
      "Remove stale locks (expired, or of a killed run on this machine); --force: any lock.",
    ),
  )
    .option("--force", "also remove a lock a live run holds (that run will stop at its next step)", false)
    .action(run(async (inventory: string, opts) => (await lock()).lockReleaseCommand(inventory, opts)));

  readOptions(
    program.command("history").description(
      "The deploys recorded on each host: who, when, from → to, result.",
    ),
  )
    .option("-n, --last <n>", "only the last n deploys", int("--last", 1), 20)
    .action(
      run(async (inventory: string, opts) =>
        (await import("./commands/history.ts")).historyCommand(inventory, opts)
      ),
    );
}

function defineBackup(program: Command, run: Run): void {
  const session = (cmd: Command) =>
    lockOptions(
      cmd
        .argument("<inventory>", "inventory file")
        .option("-l, --limit <pattern>", "only these hosts")
        .option("--accept-new-host-keys", "record unknown SSH host keys in known_hosts", false)
        .option("--json", "JSON lines: progress, then the result", false),
    );
  session(
    program
      .command("backup")
      .description(
        "Back up the installation on its database host: pg_dump (custom format), the file storage volume, a " +
          "manifest with checksums; kept on the host with retention, copied off it and verified.",
      ),
  )
    .option(
      "--keep <n>",
      "backups kept on the host, newest first (default: lago_backup_keep, else 7)",
      int("--keep", 1),
    )
    .option("--copy-to <dir>", "also copy it to this folder on this machine (DIR/HOST/NAME/), checked")
    .option(
      "--copy-to-host <host>",
      "also copy it to this inventory host over SSH (its lago_backup_dir), checked",
    )
    .action(
      run(async (inventory: string, opts) =>
        (await import("./commands/backup.ts")).backupCommand(inventory, opts)
      ),
    );

  program
    .command("status")
    .description(
      "One screen for the installation, read-only, one round trip per host: release, services and health, " +
        "/health through nginx, certificate, disk, last backup, lock; exit codes for monitoring (docs/backup.md).",
    )
    .argument("<inventory>", "inventory file")
    .option("-l, --limit <pattern>", "only these hosts")
    .option("--cert-days <n>", "exit 4 when a certificate expires within n days", int("--cert-days", 0), 14)
    .option(
      "--backup-hours <n>",
      "exit 5 when the last backup is older than n hours",
      int("--backup-hours", 1),
      26,
    )
    .option(
      "--drift",
      "also dry-run the playbook (apply --check: more round trips, needs the secrets passphrase); exit 6 when it would change a host",
      false,
    )
    .option("-p, --playbook <file>", "the playbook --drift runs", "playbooks/site.yml")
    .option("--accept-new-host-keys", "record unknown SSH host keys in known_hosts", false)
    .option("--json", "one JSON document (for monitoring)", false)
    .action(
      run(async (inventory: string, opts) =>
        (await import("./commands/status.ts")).statusCommand(inventory, opts)
      ),
    );

  session(
    program
      .command("restore")
      .description(
        "Restore a backup into a Lago host: refuses another installation's or a newer schema's; stops api, " +
          "workers and clock, restores, migrates when older, starts, waits until healthy.",
      ),
  )
    .requiredOption(
      "--from <backup>",
      "a folder made by backup --copy-to, or a backup's name on the host, or latest",
    )
    .option("-C, --check", "print what it would do, change nothing (no lock taken)", false)
    .option(
      "--health-timeout <seconds>",
      "how long the host may take to become healthy",
      int("--health-timeout", 1),
      180,
    )
    .action(
      run(async (inventory: string, opts) =>
        (await import("./commands/restore.ts")).restoreCommand(inventory, opts)
      ),
    );
}

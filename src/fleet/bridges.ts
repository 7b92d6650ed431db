/**
 * Lago's bridge releases: the versions an upgrade must stop at, in order, and the data task each one
 * needs before the next image. Read from lago-doc `guide/migration/migration-to-v1.*.mdx` and lago-api's
 * `lib/tasks/**` and `app/jobs/database_migrations/*` at each bridge's tag (every job below is
 * `queue_as :low_priority`, so a worker must be running while the task waits).
 *
 * A task runs once for the fleet, in one-shot containers of the bridge's api image on the migrate host
 * (src/fleet/bridge-run.ts); it is done when each of its steps has ended and each check counts 0.
 */

/** A count query (on Lago's schema) that reaches 0 when the step's jobs have done their work. */
export interface Check {
  /** What the rows are, for the report: "fees without organization_id". */
  what: string;
  sql: string;
}

export interface BridgeStep {
  /** The command as the guide gives it, run in `/app` of the bridge's api image. */
  command: string[];
  /** Environment the guide sets for it (`DRY_RUN=false`). */
  env?: Record<string, string>;
  /**
   * false: the command may never end even when the work is done (a known bug); it is stopped once the
   * checks reach 0. true: it ends when its work is done (the rake tasks loop until their own counts
   * reach 0) or when it only enqueues jobs (`rails runner ...perform_later`).
   */
  ends: boolean;
  /**
   * true: the command does the work itself and enqueues nothing, so once it has ended what its checks
   * count is final: rows left fail the step at once instead of being waited for until the deadline.
   */
  finalAtEnd?: boolean;
  checks: Check[];
}

export interface Bridge {
  version: string;
  /** The migration guide that makes it a stop. */
  guide: string;
  /** What goes wrong when it is skipped, or its task not run. */
  why: string;
  steps: BridgeStep[];
}

const GUIDE = "https://getlago.com/docs/guide/migration/migration-to-";
const rake = (task: string): string[] => ["bundle", "exec", "rails", task];
const enqueue = (job: string): string[] => [
  "bundle",
  "exec",
  "rails",
  "runner",
  `DatabaseMigrations::${job}.perform_later`,
];

/** In order. Each guide from v1.29.0 on says to follow the earlier ones first ("Only after completing those"). */
export const BRIDGES: readonly Bridge[] = [
  {
    version: "v1.20.0",
    guide: `${GUIDE}v1.20.0`,
    why: "its migration deletes zero fees (db/migrate/20250103124802_drop_zero_amount_fees.rb); later " +
      "guides require it first (with more than a million such fees, run the guide's script before)",
    steps: [],
  },
  {
    version: "v1.25.0",
    guide: `${GUIDE}v1.25.0`,
    why: "fees need organization_id and billing_entity_id: v1.31.0's migration " +
      "20250409140720_validate_add_non_null_to_fees_organization_id fails without them",
    steps: [
      {
        command: enqueue("PopulateFeesWithOrganizationFromInvoiceJob"),
        ends: true,
        checks: [{
          what: "fees of an invoice without organization_id",
          sql: "SELECT count(*) FROM fees WHERE organization_id IS NULL AND invoice_id IS NOT NULL",
        }],
      },
      {
        command: enqueue("PopulateFeesWithOrganizationFromSubscriptionJob"),
        ends: true,
        checks: [
          {
            what: "fees of a subscription without organization_id",
            sql: "SELECT count(*) FROM fees WHERE organization_id IS NULL AND subscription_id IS NOT NULL",
          },
          {
            what: "fees without organization_id",
            sql: "SELECT count(*) FROM fees WHERE organization_id IS NULL",
          },
        ],
      },
      {
        command: enqueue("PopulateFeesWithBillingEntityIdJob"),
        ends: true,
        // Fee.where: the default scope keeps fees not discarded.
        checks: [{
          what: "fees without billing_entity_id",
          sql: "SELECT count(*) FROM fees WHERE billing_entity_id IS NULL AND deleted_at IS NULL",
        }],
      },
    ],
  },
  {
    version: "v1.28.1",
    guide: `${GUIDE}v1.28.1`,
    why: "invoices need billing_entity_sequential_id: v1.31.0's migration " +
      "20250611083925_fix_stale_billing_entity_sequential_id_to_be_uniq relies on it",
    steps: [{
      command: enqueue("PopulateInvoicesBillingEntitySequentialIdJob"),
      ends: true,
      checks: [{
        what: "invoices whose billing_entity_sequential_id differs from organization_sequential_id",
        sql: "SELECT count(*) FROM invoices WHERE organization_sequential_id != 0 AND " +
          "(billing_entity_sequential_id IS NULL OR billing_entity_sequential_id != organization_sequential_id)",
      }],
    }],
  },
  {
    version: "v1.29.0",
    guide: `${GUIDE}v1.29.0`,
    why: "the guides from v1.31.0 on require it before going further",
    steps: [],
  },
  {
    version: "v1.30.0",
    guide: `${GUIDE}v1.31.0`,
    why: "organization_id must be filled on every table (lib/tasks/migrations/organization_id.rake) " +
      "before v1.31.0; v1.32.0's not_null_organization_id_on_* migrations fail without it",
    steps: [{ command: rake("migrations:fill_organization_id"), ends: true, checks: [] }],
  },
  {
    version: "v1.31.0",
    guide: `${GUIDE}v1.31.0`,
    why: "it squashes every older migration (20250122112050_initial_migration): no release before it " +
      "can migrate to a later one",
    steps: [],
  },
  {
    version: "v1.32.0",
    guide: `${GUIDE}v1.32.0`,
    why: "payments need customer_id (upgrade:perform_required_jobs) for the payments page and search",
    steps: [{
      command: rake("upgrade:perform_required_jobs"),
      ends: true,
      checks: [{
        what: "payments without customer_id",
        sql: "SELECT count(*) FROM payments WHERE customer_id IS NULL",
      }],
    }],
  },
  {
    version: "v1.42.0",
    guide: `${GUIDE}v1.43.0`,
    why:
      "charges and fixed charges need a code: v1.43.0's migration 20251229153734_validate_charges_code_not_null " +
      "fails without it",
    // The v1.43.0 guide: at v1.42.0 the task may never leave "Checking status" although the jobs are done
    // (fixed in v1.44.0), and says to stop it then. Done is what v1.43.0's constraint checks.
    steps: [{
      command: rake("upgrade:perform_required_jobs"),
      ends: false,
      checks: [
        { what: "charges without code", sql: "SELECT count(*) FROM charges WHERE code IS NULL" },
        { what: "fixed charges without code", sql: "SELECT count(*) FROM fixed_charges WHERE code IS NULL" },
      ],
    }],
  },
  {
    version: "v1.43.0",
    guide: `${GUIDE}v1.43.0`,
    why: "the guides of v1.44.0 and later require it before going further",
    steps: [],
  },
  {
    version: "v1.44.0",
    guide: `${GUIDE}v1.44.0`,
    why: "active subscriptions need last_received_event_on (upgrade:perform_required_jobs)",
    steps: [{ command: rake("upgrade:perform_required_jobs"), ends: true, checks: [] }],
  },
  {
    version: "v1.45.0",
    guide: `${GUIDE}v1.45.0`,
    why: "existing wallets must become traceable (lib/tasks/migrations/wallet_traceability.rake); " +
      "a later release will refuse wallets that are not",
    steps: [
      // The dry run lists the wallets that cannot be migrated, before anything is changed.
      { command: rake("migrations:wallet_traceability"), ends: true, checks: [] },
      {
        command: rake("migrations:wallet_traceability"),
        env: { DRY_RUN: "false" },
        ends: true,
        // WalletMigration#run_backfill writes in the rake process (no job): a wallet it leaves is left.
        finalAtEnd: true,
        // Wallet::STATUSES = [:active, :terminated]: active is 0. Terminated wallets are left as they are.
        checks: [{
          what: "active wallets not traceable (fix or terminate them: see the guide's troubleshooting)",
          sql: "SELECT count(*) FROM wallets WHERE status = 0 AND traceable = false",
        }],
      },
    ],
  },
  {
    version: "v1.50.0",
    guide: `${GUIDE}v1.50.0`,
    why: "payment methods move to their own table (lib/tasks/migrations/payment_methods.rake): customers " +
      "are left without one otherwise; each provider's task does nothing where the provider is not used",
    steps: ["stripe", "adyen", "gocardless", "moneyhash"].map((p) => ({
      command: rake(`migrations:backfill_${p}_payment_methods`),
      ends: true,
      checks: [],
    })),
  },
];

export const bridgeOf = (version: string): Bridge | undefined => BRIDGES.find((b) => b.version === version);

/** One line for a step: `DRY_RUN=false bundle exec rails migrations:wallet_traceability`. */
export function showStep(step: BridgeStep): string {
  const env = Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${v} `).join("");
  const words = step.command.map((w) => (/^[\w:./=-]+$/.test(w) ? w : `'${w}'`));
  return env + words.join(" ");
}

/**
 * The path as the operator reads it: one line per version after the first, with what runs there.
 * The first version's task runs too when the fleet is on a bridge (its task may not have finished).
 */
export function pathLines(path: readonly string[]): string[] {
  return path.flatMap((version, i) => {
    const bridge = bridgeOf(version);
    const steps = bridge?.steps ?? [];
    if (i === 0 && steps.length === 0) return [];
    const head = i === 0
      ? `  ${version}  (the fleet runs it) task again, in case it did not finish:`
      : `  ${version}  ${bridge ? "bridge release" : "target"}${steps.length ? ", then its task:" : ""}`;
    return [head, ...steps.map((s) => `      ${showStep(s)}`)];
  });
}

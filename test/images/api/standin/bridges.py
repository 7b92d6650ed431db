"""The data tasks of Lago's bridge releases (`bundle exec rails TASK`) and the jobs they enqueue, as
lago-api has them at each release (lib/tasks/migrations/*.rake, lib/tasks/upgrade_verification.rake,
app/jobs/database_migrations/*; lago-doc guide/migration/migration-to-v1.*.mdx). What later releases'
migrations need of them is in db.py's MIGRATIONS.

- A rake task exists from the release that added it; at an older one rake aborts: "Don't know how to
  build task".
- `migrations:fill_organization_id` (v1.30.0) and `upgrade:perform_required_jobs` (v1.32.0) count the
  rows to fill, enqueue a DatabaseMigrations job per model on `queue:low_priority`, then loop (sleep,
  "#### Checking status ####", "-> N remaining") until every count is 0: without a worker on
  low_priority they never end. At v1.42.0 and v1.43.0 the loop never ends even when the rows are filled
  (the v1.43.0 guide's known issue, fixed in v1.44.0).
- `migrations:wallet_traceability` (v1.44.0): DRY_RUN (default "true") only reports; DRY_RUN=false makes
  active wallets traceable, except a customer's wallets with an issue (a negative balance is one): they
  stay as they are and are reported. Both exit 0.
- `migrations:backfill_<provider>_payment_methods` (v1.44.0): the stand-in has no payment provider
  customers, so "Nothing to do".
- Stand-in only: the loops sleep 2 s (upstream 5 s).
"""
import os
import time

from . import db, jobs
from .boot import VERSION, version_key

POLL_SECONDS = 2

# job class -> (SQL that fills what it fills). Upstream's jobs work in batches of 1000 and re-enqueue
# themselves; the stand-in's fill everything at once.
JOBS = {
    "DatabaseMigrations::PopulateChargesWithOrganizationJob":
        "UPDATE charges c SET organization_id = bm.organization_id FROM billable_metrics bm"
        " WHERE c.billable_metric_id = bm.id AND c.organization_id IS NULL",
    "DatabaseMigrations::PopulatePaymentsWithOrganizationFromInvoiceJob":
        "UPDATE payments p SET organization_id = i.organization_id FROM invoices i"
        " WHERE p.invoice_id = i.id AND p.organization_id IS NULL",
    "DatabaseMigrations::PopulatePaymentsWithCustomerId":
        "UPDATE payments p SET customer_id = i.customer_id FROM invoices i"
        " WHERE p.invoice_id = i.id AND p.customer_id IS NULL",
    # backfill_charges_code_job.rb: the billable metric's code, `_2`, `_3`... for duplicates.
    "DatabaseMigrations::BackfillChargesCodeJob":
        "WITH ranked AS (SELECT c.id, bm.code, ROW_NUMBER() OVER (PARTITION BY c.organization_id, bm.code"
        " ORDER BY c.created_at, c.id) AS rn FROM charges c JOIN billable_metrics bm ON bm.id = c.billable_metric_id)"
        " UPDATE charges SET code = CASE WHEN ranked.rn = 1 THEN ranked.code ELSE ranked.code || '_' || ranked.rn END"
        " FROM ranked WHERE charges.id = ranked.id AND charges.code IS NULL",
    "DatabaseMigrations::BackfillFixedChargesCodeJob":
        "WITH ranked AS (SELECT f.id, a.code, ROW_NUMBER() OVER (PARTITION BY f.organization_id, a.code"
        " ORDER BY f.created_at, f.id) AS rn FROM fixed_charges f JOIN add_ons a ON a.id = f.add_on_id)"
        " UPDATE fixed_charges SET code = CASE WHEN ranked.rn = 1 THEN ranked.code ELSE ranked.code || '_' || ranked.rn END"
        " FROM ranked WHERE fixed_charges.id = ranked.id AND fixed_charges.code IS NULL",
}

# (model, rows to fill, job): lib/tasks/migrations/organization_id.rake's list, for the stand-in's tables.
FILL_ORGANIZATION_ID = [
    ("Charge", "SELECT count(*) FROM charges WHERE organization_id IS NULL",
     "DatabaseMigrations::PopulateChargesWithOrganizationJob"),
    ("Payment", "SELECT count(*) FROM payments WHERE organization_id IS NULL",
     "DatabaseMigrations::PopulatePaymentsWithOrganizationFromInvoiceJob"),
]


def required_jobs():
    """upgrade:perform_required_jobs's list at this release (it changes with every bridge)."""
    if version_key(VERSION) >= version_key("v1.44.0"):
        # Subscription#last_received_event_on: the stand-in has no subscriptions.
        return []
    if version_key(VERSION) >= version_key("v1.42.0"):
        return [("Charge", "SELECT count(*) FROM charges WHERE code IS NULL", "DatabaseMigrations::BackfillChargesCodeJob"),
                ("FixedCharge", "SELECT count(*) FROM fixed_charges WHERE code IS NULL",
                 "DatabaseMigrations::BackfillFixedChargesCodeJob")]
    return [("Payment", "SELECT count(*) FROM payments WHERE customer_id IS NULL",
             "DatabaseMigrations::PopulatePaymentsWithCustomerId")]


def count(cur, sql):
    cur.execute(sql)
    return cur.fetchone()[0]


def fill_and_wait(title, resources):
    """The loop both tasks share: check, enqueue on low_priority, then check every few seconds until 0."""
    never_ends = version_key("v1.42.0") <= version_key(VERSION) < version_key("v1.44.0") and "required" in title
    conn = db.connect()
    conn.autocommit = True
    print(f"##################################\nStarting {title}\n\n#### Checking for resource to fill ####",
          flush=True)
    with conn.cursor() as cur:
        to_fill = []
        for model, sql, job in resources:
            print(f'"- Checking {model}: 🔎"', flush=True)
            n = count(cur, sql)
            if n > 0:
                to_fill.append((model, sql, job))
                print(f'"  -> {n} records to fill 🧮"', flush=True)
            else:
                print('"  -> Nothing to do ✅"', flush=True)
        if to_fill:
            print("\n#### Enqueue jobs in the low_priority queue ####", flush=True)
            for _, _, job in to_fill:
                print(f'"- Enqueuing {job}"', flush=True)
                jobs.enqueue(job, [], "low_priority")
        while to_fill:
            time.sleep(POLL_SECONDS)
            print("\n#### Checking status ####", flush=True)
            for model, sql, job in list(to_fill):
                print(f'"- Checking {model}: 🔎"', flush=True)
                n = count(cur, sql)
                if n > 0 or never_ends:
                    print(f'"  -> {n + never_ends} remaining 🧮"', flush=True)
                else:
                    to_fill.remove((model, sql, job))
                    print('"  -> Done ✅"', flush=True)
    print("\n#### All good, ready to Upgrade! ✅ ####", flush=True)


def wallet_traceability():
    dry_run = os.environ.get("DRY_RUN", "true") != "false"
    conn = db.connect()
    with conn, conn.cursor() as cur:
        cur.execute("SELECT w.id, w.customer_id, w.balance_cents FROM wallets w"
                    " WHERE w.traceable = false AND w.status = 0 ORDER BY w.customer_id, w.id")
        wallets = cur.fetchall()
        problems = {wid: f"Negative wallet balance: {balance} cents" for wid, _, balance in wallets if balance < 0}
        bad_customers = {customer for wid, customer, _ in wallets if wid in problems}
        migratable = [wid for wid, customer, _ in wallets if customer not in bad_customers]
        print(f"Total wallets: {len(wallets)}\nMigratable: {len(migratable)}\nProblematic: {len(problems)}")
        for wid, issue in problems.items():
            print(f"  Wallet {wid}: {issue}")
        if not dry_run and migratable:
            cur.execute("UPDATE wallets SET traceable = true WHERE id = ANY(%s::uuid[])", ([str(w) for w in migratable],))
            print(f"Migrated: {len(migratable)}, failed customers: {len(bad_customers)}")
        ready = 100 if not wallets else round(100 * len(migratable) / len(wallets))
        print(f"Migration readiness: {ready}%")


def payment_methods(provider):
    print(f"##################################\nStarting payment methods backfill ({provider})")
    print("\n#### Checking for resources to fill ####\n\"  -> Nothing to do ✅\"")


TASKS = {
    # task -> (first release that has it, what it does)
    "migrations:fill_organization_id": ("v1.30.0", lambda: fill_and_wait("filling organization_id",
                                                                         FILL_ORGANIZATION_ID)),
    "upgrade:perform_required_jobs": ("v1.32.0", lambda: fill_and_wait("required jobs", required_jobs())),
    "migrations:wallet_traceability": ("v1.44.0", wallet_traceability),
    **{f"migrations:backfill_{p}_payment_methods": ("v1.44.0", lambda p=p: payment_methods(p))
       for p in ("stripe", "adyen", "gocardless", "moneyhash")},
}


class UnknownTask(Exception):
    pass


def run_task(name):
    since, task = TASKS.get(name, (None, None))
    if task is None or version_key(since) > version_key(VERSION):
        raise UnknownTask(f"rake aborted!\nDon't know how to build task '{name}' (See the list of available tasks"
                          " with `rails --tasks`)")
    task()


def perform(job):
    """A worker's DatabaseMigrations job; False when the class is not one of them."""
    sql = JOBS.get(job.get("class"))
    if sql is None:
        return False
    conn = db.connect()
    with conn, conn.cursor() as cur:
        cur.execute(sql)
    conn.close()
    return True

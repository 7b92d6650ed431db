"""Sidekiq worker scripts of each release and the queues each reads (lago-api scripts/start.*.worker.sh and
config/sidekiq/*.yml, read at v1.38.0 to v1.51.0; "v1.38.0" below means "already there in v1.38.0").

`python3 -m standin.queues VERSION` writes the scripts the release has into scripts/ at image build time,
so a compose file naming a worker the release lacks fails as it would with the real image.
"""
import os
import sys

# script name -> (first release that has the script, queues of its config/sidekiq/*.yml)
WORKERS = {
    "default": ("v1.0.0", ["high_priority", "default", "mailers", "clock", "providers", "webhook", "invoices",
                           "integrations", "low_priority", "long_running"]),
    "events": ("v1.38.0", ["events"]),
    "pdfs": ("v1.38.0", ["pdfs"]),
    "billing": ("v1.38.0", ["billing", "billing_low_priority"]),
    "clock": ("v1.38.0", ["clock_worker"]),
    "webhook": ("v1.38.0", ["webhook_worker"]),
    "analytics": ("v1.38.0", ["analytics", "analytics_low_priority"]),
    "ai_agent": ("v1.39.0", ["ai_agent"]),
    "payments": ("v1.38.0", ["payments"]),
    "dedicated": ("v1.46.0", ["dedicated_alerts", "dedicated_wallets"]),
    "alerts": ("v1.51.0", ["alerts_high_priority", "alerts"]),
    "wallets": ("v1.51.0", ["wallets"]),
}

# The flags that route jobs to dedicated queues (the stand-in reports them in its heartbeat).
SIDEKIQ_FLAGS = [f"SIDEKIQ_{q.upper()}" for q in WORKERS if q not in ("default", "dedicated")]


def worker_queues(name):
    return WORKERS[name][1]


def _key(version):
    return tuple(int(x) for x in version.lstrip("v").split("-")[0].split("."))


def write_scripts(version, directory):
    for name, (since, _) in WORKERS.items():
        if name == "default" or _key(since) > _key(version):
            continue
        path = os.path.join(directory, f"start.{name}.worker.sh")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"#!/bin/sh\nexec python3 /app/lago_standin.py worker {name}\n")
        os.chmod(path, 0o755)


if __name__ == "__main__":
    write_scripts(sys.argv[1], sys.argv[2])

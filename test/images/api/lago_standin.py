#!/usr/bin/env python3
"""Stand-in for the getlago/api image: one program, started by ./scripts/*.sh in one of four roles, each
booting as a Rails process would first (standin/boot.py). Its contract is test/images/CONTRACT.md.

  migrate          ./scripts/migrate.sh   db:create, db:migrate, signup:seed_organization (standin/db.py)
  db:create        `bundle exec rake db:create` (the bundle shim)
  rails TASK       `bundle exec rails TASK`: a bridge release's data task (standin/bridges.py)
  api              ./scripts/start.api.sh HTTP :3000 (standin/web.py)
  worker NAME      ./scripts/start.worker.sh, start.NAME.worker.sh   Sidekiq (standin/jobs.py)
  clock            ./scripts/start.clock.sh   clockwork (standin/jobs.py)
"""
import signal
import sys

import psycopg2

from standin import bridges, db, jobs, web
from standin.boot import boot, log
from standin.server import serve


def api(public_key):
    web.ApiHandler.public_key = public_key
    server = serve(web.ApiHandler, 3000)
    signal.signal(signal.SIGTERM, lambda *_: web.shut_down_gracefully(server))
    signal.signal(signal.SIGINT, lambda *_: web.shut_down_gracefully(server))
    log("api listening on :3000")
    server.serve_forever()


def main(argv):
    role = argv[1] if len(argv) > 1 else ""
    if role not in ("migrate", "db:create", "rails", "api", "worker", "clock"):
        print("usage: lago_standin.py migrate|db:create|rails TASK|api|worker NAME|clock", file=sys.stderr)
        return 2
    public_key = boot()
    try:
        if role == "migrate":
            db.migrate()
        elif role == "db:create":
            db.create_database_if_missing()
        elif role == "rails":
            bridges.run_task(argv[2] if len(argv) > 2 else "")
        elif role == "api":
            api(public_key)
        elif role == "worker":
            jobs.worker(argv[2] if len(argv) > 2 else "default")
        else:
            jobs.clock()
    except bridges.UnknownTask as e:
        print(e, file=sys.stderr)
        return 1
    except (db.ConfigError, psycopg2.Error) as e:
        log(f"{role} failed: {str(e).strip()}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

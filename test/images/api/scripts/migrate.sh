#!/bin/sh
# Upstream (scripts/migrate.sh): rake db:create, rails db:migrate, roles:seed_predefined, and
# signup:seed_organization when LAGO_CREATE_ORG is "true".
exec python3 /app/lago_standin.py migrate

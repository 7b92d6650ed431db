#!/bin/sh
# Upstream: `rails db:migrate` (+ db:create when the database is missing, + seed_organization).
exec python3 /app/lago_standin.py migrate

#!/bin/sh
# The image's default command upstream (scripts/start.sh): migrate, seed, then the api.
python3 /app/lago_standin.py migrate && exec python3 /app/lago_standin.py api

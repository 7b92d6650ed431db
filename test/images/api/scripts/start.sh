#!/bin/sh
# The image's default command upstream: migrate, then the api.
python3 /app/lago_standin.py migrate && exec python3 /app/lago_standin.py api

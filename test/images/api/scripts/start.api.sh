#!/bin/sh
exec python3 /app/lago_standin.py api

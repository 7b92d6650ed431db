#!/bin/sh
# The official redis image's entrypoint, reduced to what Lago's deployment uses.
set -e

# Upstream's compose passes only flags (`command: --port 6379`): they are redis-server's.
case "$1" in -*) set -- redis-server "$@" ;; esac

if [ "$1" = redis-server ]; then
  # The official image builds Redis with protected mode off (clients come through Docker's network, not
  # loopback). Debian's is on, which would refuse every other container when no password is set.
  case " $* " in
    *" --protected-mode "*) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
  if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
  fi
fi
exec "$@"

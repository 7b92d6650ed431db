#!/usr/bin/env bash
# Makes this machine ready for the demo or the tests, the one place that does so (`npm run demo`,
# `npm test` and .ci/run call it): installs what is missing with apt and starts the Docker engine.
# Quick (a fraction of a second) when everything is there already. When it cannot act (not root, no
# apt-get) it prints the command to run and exits 1.
#
#   bash scripts/prepare-machine.sh demo   # Docker engine, debootstrap, docker-registry, ssh client
#   bash scripts/prepare-machine.sh test   # the same, plus pebble, openssl, git and deno (npm)
set -euo pipefail
cd "$(dirname "$0")/.."

# Deno comes from npm as the package `deno`, installed without saving: its per-platform optional packages
# are not all on the registry reachable here, so keeping it out of package-lock.json lets `npm ci` install
# exactly the lock file.
DENO_VERSION=2.9.6
LOG=/var/log/lago-dockerd.log

say() { echo "[prepare] $*"; }
fail() {
  echo "error: $*" >&2
  exit 1
}
is_root() { [ "$(id -u)" = 0 ]; }
has_systemd() { [ -d /run/systemd/system ]; }

case "${1:-}" in
  demo | test) purpose=$1 ;;
  *)
    echo "usage: scripts/prepare-machine.sh demo|test" >&2
    exit 2
    ;;
esac

# Command -> Debian package. dockerd, not docker: a machine may carry a bare docker CLI without the engine.
needs=(
  dockerd:docker.io
  debootstrap:debootstrap # testbed host images
  docker-registry:docker-registry # the stack images' local registry
  ssh:openssh-client
  ssh-keygen:openssh-client
)
if [ "$purpose" = test ]; then
  needs+=(
    pebble:pebble # Let's Encrypt's ACME test server (tls role, letsencrypt e2e)
    pebble-challtestsrv:pebble
    openssl:openssl
    git:git # the git module's tests against a local repository
  )
fi

missing=()
for need in "${needs[@]}"; do
  command -v "${need%%:*}" >/dev/null 2>&1 && continue
  package=${need##*:}
  [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package")
done

install_packages() {
  local list=${missing[*]}
  if ! command -v apt-get >/dev/null 2>&1; then
    fail "missing $list and this machine has no apt-get: install the Debian packages $list or their equivalents, then run this again"
  fi
  if ! is_root; then
    fail "missing $list: install them as root, then run this again: sudo apt-get update && sudo apt-get install -y --no-install-recommends $list"
  fi
  local aptlog=/var/log/lago-prepare-apt.log
  say "installing $list (apt-get, about a minute; log $aptlog)"
  # Package scripts must not start services: no init system on a CI machine, and on a systemd machine
  # Debian's docker-registry service would take :5000 with its own storage. dockerd is started below.
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  local status=0
  {
    apt-get -o DPkg::Lock::Timeout=600 update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
        --no-install-recommends "${missing[@]}"
  } >"$aptlog" 2>&1 || status=$?
  if [ $own_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  if [ $status != 0 ]; then
    tail -20 "$aptlog" >&2
    fail "apt-get could not install $list (exit $status; log $aptlog): fix the cause above, then run this again"
  fi
  if has_systemd && [[ " $list " == *" docker-registry "* ]]; then
    systemctl disable docker-registry.service >/dev/null 2>&1 || true
  fi
}

docker_answers() { docker info >/dev/null 2>&1; }

start_docker() {
  local why
  why=$(docker info 2>&1 >/dev/null) && return
  if ! is_root; then
    if [[ $why == *"permission denied"* ]]; then
      fail "the Docker engine runs but $(id -un) may not use it: sudo usermod -aG docker $(id -un), log in again (or run as root)"
    elif has_systemd; then
      fail "the Docker engine is not running: sudo systemctl start docker"
    fi
    fail "the Docker engine is not running: sudo sh -c 'setsid nohup dockerd >$LOG 2>&1 </dev/null &'"
  fi
  if has_systemd; then
    say "starting the Docker engine (systemctl enable --now docker)"
    systemctl enable --now docker.service >/dev/null 2>&1 || true
  else
    # No init system (a container, CI): dockerd in the background, in a session of its own so that
    # Ctrl-C in the demo or the tests does not reach it.
    say "starting the Docker engine (dockerd in the background; log $LOG)"
    setsid nohup dockerd >"$LOG" 2>&1 </dev/null &
  fi
  for _ in $(seq 60); do
    docker_answers && return
    sleep 1
  done
  if has_systemd; then journalctl -u docker.service -n 20 --no-pager >&2 || true; else tail -20 "$LOG" >&2; fi
  fail "the Docker engine did not come up within 60 s (see the log lines above)"
}

deno_answers() { [ -x node_modules/.bin/deno ] && node_modules/.bin/deno --version >/dev/null 2>&1; }

install_deno() {
  deno_answers && return
  [ -d node_modules ] || fail "no node_modules in $(pwd): run npm install first"
  say "installing deno $DENO_VERSION (npm, not saved in package.json)"
  npm install --no-save --no-audit --no-fund "deno@$DENO_VERSION" >/dev/null
  deno_answers || fail "deno $DENO_VERSION did not install: npm install --no-save deno@$DENO_VERSION"
}

started=$SECONDS
if [ ${#missing[@]} -gt 0 ]; then install_packages; fi
start_docker
if [ "$purpose" = test ]; then install_deno; fi
say "ready for the $purpose: $(docker version -f 'Docker {{.Server.Version}}' 2>/dev/null)$(
  [ "$purpose" = test ] && node_modules/.bin/deno --version | head -1 | cut -d' ' -f1-2 | sed 's/^/, /' 
) ($((SECONDS - started)) s)"

# docker_compose probe: $dc is the compose CLI (detected when not given); prints it as `lago:cli`.
if [ -z "$dc" ]; then
  if docker compose version >/dev/null 2>&1; then dc="docker compose"
  elif command -v docker-compose >/dev/null 2>&1; then dc=docker-compose
  else echo lago:nocompose; fi
fi
[ -z "$dc" ] || echo "lago:cli $dc"

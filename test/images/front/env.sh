#!/bin/bash
# Upstream lago-front's .env.sh: window.* globals the single-page app reads instead of build-time values.
set -eu
vars=(API_URL LAGO_DOMAIN APP_ENV LAGO_OAUTH_PROXY_URL LAGO_DISABLE_SIGNUP NANGO_PUBLIC_KEY SENTRY_DSN
  LAGO_DISABLE_PDF_GENERATION LAGO_SUPERSET_URL)
rm -f ./env-config.js
for v in "${vars[@]}"; do
  echo "window.$v = \"${!v:-}\"" >>./env-config.js
done

#!/usr/bin/env bash
# Starts Keyward on a fresh SQLite database and takes the setup, login and
# account screenshots (tests/browser/screenshots/).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$here" && [ -d node_modules/playwright-core ] || npm install --no-audit --no-fund --silent)
(cd "$repo" && cargo build --quiet)
port="${PORT:-3240}"
DATABASE_URL="sqlite://$work/k.db" KEYWARD_BIND="127.0.0.1:$port" KEYWARD_BCRYPT_COST=4 KEYWARD_LOG=warn \
  KEYWARD_TRUSTED_PROXIES=127.0.0.1 \
  "$repo/target/debug/keyward" > "$work/out.log" 2>&1 & pid=$!
for _ in $(seq 1 100); do grep -q "Finish setup" "$work/out.log" && break; sleep 0.1; done
link="$(grep -o 'http://[^ ]*/setup?code=[^ ]*' "$work/out.log")"
node "$here/screenshots.mjs" "$link" "$here/screenshots"

#!/usr/bin/env bash
# The browser test: starts Keyward (debug build) on a fresh SQLite database,
# completes setup headless, and runs code-flow.mjs in Debian's chromium.
# Needs /usr/bin/chromium and node; installs playwright-core locally.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "browser test: chromium is not installed" >&2; exit 1; }
(cd "$here" && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --silent; })
(cd "$repo" && cargo build --quiet --bin keyward)
bin="$repo/target/debug/keyward"
port="${PORT:-3241}"
base="http://127.0.0.1:$port"
export DATABASE_URL="sqlite://$work/k.db" KEYWARD_BCRYPT_COST=4 KEYWARD_LOG=warn
password="plum-tractor-lantern"
echo "$password" | "$bin" setup --org "Acme Ops" --issuer "$base" --admin admin \
  --email admin@acme.example --alg RS256 > "$work/setup.log"
KEYWARD_BIND="127.0.0.1:$port" "$bin" > "$work/out.log" 2>&1 & pid=$!
up() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
for _ in $(seq 1 100); do up && break; sleep 0.1; done
up || { cat "$work/out.log" >&2; echo "browser test: keyward did not start" >&2; exit 1; }
node "$here/code-flow.mjs" "$base" admin "$password"

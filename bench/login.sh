#!/usr/bin/env bash
# Sign-in rate against the raw bcrypt rate, on one machine, release build.
# usage: bench/login.sh        env: COST (12), SECONDS (10), DATABASE_URL (fresh SQLite)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cost="${COST:-12}" secs="${SECONDS_PER_RUN:-10}" port=3232
work="$(mktemp -d)"; pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
(cd "$repo" && cargo build --release --quiet --bin keyward --example bcrypt_rate)
bin="$repo/target/release/keyward"
export DATABASE_URL="${DATABASE_URL:-sqlite://$work/k.db}" KEYWARD_BIND="127.0.0.1:$port" KEYWARD_LOG=warn KEYWARD_BCRYPT_COST="$cost"
printf 'tangerine-orbit-4217\n' | "$bin" setup --org Bench --issuer "http://127.0.0.1:$port" --admin bench --email bench@bench.example >/dev/null
"$bin" serve > "$work/log" 2>&1 & pid=$!
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
"$repo/target/release/examples/bcrypt_rate" "$cost" "$secs"
SECONDS="$secs" WORKERS="${WORKERS:-4}" node "$repo/bench/login_flow.mjs" "http://127.0.0.1:$port"
echo "peak RSS of keyward: $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$pid/status)"

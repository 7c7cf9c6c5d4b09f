#!/usr/bin/env bash
# Server-side sessions, measured on both backends, release build:
#  1. code flows for a signed-in user (bench/workloads/signed_in_flow.sh), for
#     this build and, with BASE_BIN=path/to/older/keyward, for an older build
#     in the same run, so the cost of reading the session is a ratio;
#  2. a sign-in burst under load: client_credentials load for DURATION alone,
#     then again while 40 sign-ins from 40 addresses arrive at once; prints
#     /token p99 and errors for both, and how the sign-ins were answered.
# usage: bench/sessions.sh   env: BASE_BIN, BACKENDS ("sqlite postgresql"), REPEAT (3),
#        ONLY ("signed-in burst"), PG_URL (postgres://postgres@127.0.0.1:5432),
#        COST (bcrypt cost, 12)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_BENCH:-$repo/../shared/bench}"
export SHARED_BENCH="$shared"
pg="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
port=3233 redirect="http://127.0.0.1:3299/cb"
. "$repo/bench/lib.sh"
(cd "$repo" && cargo build --release --quiet --bin keyward)
head_bin="$repo/target/release/keyward"
user=bench password=tangerine-orbit-4217
field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }

start() {  # start BIN BACKEND: fresh database, setup, clients; sets $kw $web $cc
  local bin="$1" backend="$2"
  if [ "$backend" = postgresql ]; then
    psql "$pg/postgres" -qc 'DROP DATABASE IF EXISTS keyward_bench_sessions WITH (FORCE)' >/dev/null
    export DATABASE_URL="$pg/keyward_bench_sessions"
  else
    rm -f "$work"/k.db*; export DATABASE_URL="sqlite://$work/k.db"
  fi
  export KEYWARD_BIND="127.0.0.1:$port" KEYWARD_LOG=warn KEYWARD_DB_POOL_SIZE="${KEYWARD_DB_POOL_SIZE:-16}"
  export KEYWARD_TRUSTED_PROXIES=127.0.0.1 KEYWARD_BCRYPT_COST="${COST:-12}"
  printf '%s\n' "$password" | "$bin" setup --org Bench --issuer "http://127.0.0.1:$port" --admin "$user" --email bench@bench.example >/dev/null
  web="$("$bin" client add --name web --redirect-uri "$redirect" --scopes "openid profile email" --consent skip --json)"
  cc="$("$bin" client add --name cc --grant-types client_credentials --scopes "" --json)"
  "$bin" serve > "$work/keyward.log" 2>&1 & kw=$!; pids+=("$kw")
  wait_http "http://127.0.0.1:$port/readyz"
}
stop() { kill "$kw"; wait "$kw" 2>/dev/null || true; }

signed_in() {  # signed_in LABEL
  for i in $(seq 1 "${REPEAT:-3}"); do
    SERVER_PID=$kw CLIENT_ID="$(echo "$web" | field client_id)" CLIENT_SECRET="$(echo "$web" | field client_secret)" \
      FLOW_USER=$user FLOW_PASSWORD=$password REDIRECT_URI=$redirect FLOW_SCOPE=openid \
      "$repo/bench/workloads/signed_in_flow.sh" "http://127.0.0.1:$port" | sed "s/\$/ run=$i label=$1/"
  done
}

cc_load() {  # cc_load: client_credentials load for DURATION (no warm-up), into $work/cc.out
  WARMUP=0 SERVER_PID=$kw CLIENT_ID="$(echo "$cc" | field client_id)" CLIENT_SECRET="$(echo "$cc" | field client_secret)" SCOPE="" \
    "$shared/workloads/client_credentials.sh" "http://127.0.0.1:$port" > "$work/cc.out"
}

burst() {  # burst LABEL: 40 sign-ins from 40 addresses during client_credentials load
  local base="http://127.0.0.1:$port" i
  cc_load; sed "s/\$/ label=$1 during=nothing-else/" "$work/cc.out"
  for i in $(seq 1 40); do
    curl -fsS -c "$work/jar$i" -b "$work/jar$i" "$base/login" \
      | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed -E 's/.*value="([^"]*)"/\1/' > "$work/csrf$i"
  done
  # One curl process sends all 40 at once (--parallel), so starting 40
  # processes does not itself take the CPU the server needs.
  local args=()
  for i in $(seq 1 40); do
    [ "$i" = 1 ] || args+=(--next)
    # One process shares one cookie engine: each sign-in sends its own
    # session cookie as a header instead.
    args+=(-sS -o /dev/null -w '%{http_code} %{time_total}\n' -H "X-Forwarded-For: 198.51.100.$i"
      -H "Cookie: $(awk '$6 == "keyward_session" { print $6 "=" $7 }' "$work/jar$i")"
      --data-urlencode "csrf_token=$(cat "$work/csrf$i")" --data-urlencode "username=$user"
      --data-urlencode "password=$password" "$base/login")
  done
  cc_load &
  local load=$!
  sleep 3
  curl --parallel --parallel-immediate --parallel-max 40 "${args[@]}" > "$work/logins"
  wait "$load"
  sed "s/\$/ label=$1 during=40-sign-ins/" "$work/cc.out"
  awk -v l="$1" '{ n[$1]++; if ($2 > max[$1]) max[$1] = $2 }
    END { for (s in n) printf "SIGN-INS label=%s status=%s count=%d slowest_s=%.3f\n", l, s, n[s], max[s] }' "$work/logins"
}

for backend in ${BACKENDS:-sqlite postgresql}; do
  want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
  if [ -n "${BASE_BIN:-}" ] && want signed-in; then
    start "$BASE_BIN" "$backend"; signed_in "before-$backend"; stop
  fi
  start "$head_bin" "$backend"
  echo "keyward on $backend: RSS after start $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$kw/status)"
  if want signed-in; then signed_in "sessions-$backend"; fi
  if want burst; then burst "sessions-$backend"; fi
  echo "keyward on $backend: peak RSS $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$kw/status)"
  stop
done

#!/usr/bin/env bash
# Keyward and the node-oidc-provider peer, side by side in one run, with the
# shared wrk workloads (../shared/bench). Loopback only; every run is bounded.
#
# usage: bench/compare.sh [WORKLOAD...]     (default: discovery jwks)
# env:   DATABASE_URL  Keyward's database (default: a fresh SQLite file)
#        REPEAT        runs per workload (default 3; the table shows the median)
#        SHARED_BENCH  the shared bench folder (default ../shared/bench)
#        PEER=0        skip the peer
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_BENCH:-$repo/../shared/bench}"
[ -x "$shared/run-all.sh" ] || { echo "no shared bench at $shared" >&2; exit 1; }
workloads="${*:-discovery jwks}"
port=3230 peer_port=3210
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

bin="$repo/target/release/keyward"
(cd "$repo" && cargo build --release --quiet)

wait_http() {  # wait_http URL
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing answers at $1" >&2; return 1
}

# --- Keyward ---------------------------------------------------------------
export DATABASE_URL="${DATABASE_URL:-sqlite://$work/keyward.db}"
export KEYWARD_BIND="127.0.0.1:$port" KEYWARD_ISSUER="http://127.0.0.1:$port" KEYWARD_LOG=warn
"$repo/bench/provision.sh" "$bin"
"$bin" serve > "$work/keyward.log" 2>&1 & kw=$!; pids+=("$kw")
wait_http "http://127.0.0.1:$port/healthz"
echo "keyward: pid $kw, RSS after start $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$kw/status)"
SERVER_PID=$kw LABEL=keyward WORKLOADS="$workloads" REPEAT="${REPEAT:-3}" \
  "$shared/run-all.sh" "http://127.0.0.1:$port" "${BENCH_CLIENT_ID:-bench-client}" \
  "${BENCH_CLIENT_SECRET:-unused}" "${BENCH_SCOPE:-api:read}"
kill "$kw"; wait "$kw" 2>/dev/null || true

# --- the peer ----------------------------------------------------------------
if [ "${PEER:-1}" != "0" ]; then
  cache="$repo/bench/.cache/node-oidc-provider"
  mkdir -p "$cache"
  cp "$shared/peers/node-oidc-provider/"{package.json,package-lock.json,server.js,run.sh} "$cache/"
  (cd "$cache" && [ -d node_modules/oidc-provider ] || npm ci --no-audit --no-fund --silent)
  (cd "$cache" && exec ./run.sh "$peer_port") > "$work/peer.log" 2>&1 & peer=$!; pids+=("$peer")
  wait_http "http://127.0.0.1:$peer_port/.well-known/openid-configuration"
  SERVER_PID=$peer LABEL=node-oidc-provider WORKLOADS="$workloads" REPEAT="${REPEAT:-3}" \
    "$shared/run-all.sh" "http://127.0.0.1:$peer_port" bench-client bench-secret-0123456789abcdef api:read
fi

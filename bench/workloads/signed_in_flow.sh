#!/usr/bin/env bash
# f. Code flows for an already signed-in user (consent skip), measured like the
# shared workloads (wrk, THREADS x CONNS, DURATION after WARMUP): the user signs
# in once with curl (that bcrypt is not measured), then bench/signed_in_flow.lua
# runs GET /authorize -> code -> POST /token over and over with that session.
# usage: CLIENT_ID=.. CLIENT_SECRET=.. FLOW_USER=.. FLOW_PASSWORD=.. REDIRECT_URI=.. signed_in_flow.sh BASE_URL
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "${SHARED_BENCH:-$here/../../shared/bench}/lib/common.sh"
need_base "${1:-}"; need_client
: "${FLOW_USER:?set FLOW_USER}" "${FLOW_PASSWORD:?set FLOW_PASSWORD}" "${REDIRECT_URI:?set REDIRECT_URI}"
jar="$(mktemp)"; trap 'rm -f "$jar"' EXIT
csrf="$(curl -fsS -c "$jar" -b "$jar" "$BASE_URL/login" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed -E 's/.*value="([^"]*)"/\1/')"
status="$(curl -sS -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" \
  --data-urlencode "csrf_token=$csrf" --data-urlencode "username=$FLOW_USER" \
  --data-urlencode "password=$FLOW_PASSWORD" "$BASE_URL/login")"
[ "$status" = 303 ] || die "sign-in answered $status"
FLOW_COOKIE="$(awk '$6 == "keyward_session" { print $6 "=" $7 }' "$jar")"
[ -n "$FLOW_COOKIE" ] || die "no session cookie after sign-in"
export FLOW_COOKIE
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
lua="$here/signed_in_flow.lua"
if [ "$WARMUP" != "0" ]; then
  wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$lua" "$BASE_URL" >/dev/null 2>&1 || true
fi
run_measured signed_in_flow wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s -s "$lua" "$BASE_URL"

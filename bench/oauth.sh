#!/usr/bin/env bash
# The OAuth workloads on PostgreSQL, Keyward then the node-oidc-provider peer,
# in one run: client_credentials (opaque, JWT RS256, JWT ES256), code flows
# with a sign-in each time, and code flows for a signed-in user.
# usage: bench/oauth.sh   env: PG_URL (postgres://postgres@127.0.0.1:5432), REPEAT (3), PEER=0 to skip the peer,
#        ONLY="opaque rs256 es256 login signed-in" to run some of the Keyward workloads
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_BENCH:-$repo/../shared/bench}"
export SHARED_BENCH="$shared"
pg="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
port=3230 peer_port=3210 redirect="http://127.0.0.1:3299/cb"
. "$repo/bench/lib.sh"

(cd "$repo" && cargo build --release --quiet --bin keyward)
bin="$repo/target/release/keyward"
psql "$pg/postgres" -qc 'DROP DATABASE IF EXISTS keyward_bench WITH (FORCE)' >/dev/null
export DATABASE_URL="$pg/keyward_bench" KEYWARD_BIND="127.0.0.1:$port" KEYWARD_LOG=warn KEYWARD_SYNC_INTERVAL_SECS=1
export KEYWARD_DB_POOL_SIZE="${KEYWARD_DB_POOL_SIZE:-16}"
user=bench password=tangerine-orbit-4217
printf '%s\n' "$password" | "$bin" setup --org Bench --issuer "http://127.0.0.1:$port" --admin "$user" --email bench@bench.example >/dev/null
"$bin" key rotate --alg ES256 >/dev/null 2>&1
field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }
cc_opaque="$("$bin" client add --name cc-opaque --grant-types client_credentials --scopes "" --json)"
cc_jwt="$("$bin" client add --name cc-jwt --grant-types client_credentials --scopes "" --token-format jwt --json)"
web="$("$bin" client add --name web --redirect-uri "$redirect" --scopes "openid profile email" --consent skip --json)"

"$bin" serve > "$work/keyward.log" 2>&1 & kw=$!; pids+=("$kw")
wait_http "http://127.0.0.1:$port/readyz"
echo "keyward on PostgreSQL: pid $kw, RSS after start $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$kw/status)"
run() {  # run LABEL CLIENT_JSON WORKLOADS [env...]
  local label="$1" json="$2" workloads="$3"; shift 3
  env "$@" SERVER_PID=$kw LABEL="$label" WORKLOADS="$workloads" REPEAT="${REPEAT:-3}" \
    "$shared/run-all.sh" "http://127.0.0.1:$port" "$(echo "$json" | field client_id)" "$(echo "$json" | field client_secret)" ""
}
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
want opaque && run keyward-opaque "$cc_opaque" client_credentials
want rs256 && run keyward-jwt-rs256 "$cc_jwt" client_credentials
rs="$("$bin" key list --json | tr -d ' \n' | grep -o '"kid":"[^"]*","alg":"RS256","status":"active"' | sed -E 's/"kid":"([^"]*)".*/\1/')"
"$bin" key retire "$rs" >/dev/null && sleep 2
want es256 && run keyward-jwt-es256 "$cc_jwt" client_credentials
want login && run keyward-flow-with-login "$web" " " FLOW_USER=$user FLOW_PASSWORD=$password REDIRECT_URI=$redirect FLOW_SCOPE=openid
want signed-in && for i in $(seq 1 "${REPEAT:-3}"); do
  SERVER_PID=$kw CLIENT_ID="$(echo "$web" | field client_id)" CLIENT_SECRET="$(echo "$web" | field client_secret)" \
    FLOW_USER=$user FLOW_PASSWORD=$password REDIRECT_URI=$redirect FLOW_SCOPE=openid \
    "$repo/bench/workloads/signed_in_flow.sh" "http://127.0.0.1:$port" | sed "s/\$/ run=$i label=keyward/"
done
echo "keyward peak RSS over all runs: $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$kw/status)"
kill "$kw"; wait "$kw" 2>/dev/null || true

run_peer client_credentials FLOW_USER=alice FLOW_PASSWORD=alice-password REDIRECT_URI=$redirect

#!/usr/bin/env bash
# Introspection of opaque tokens on PostgreSQL with 1,000 and then 1,000,000
# live tokens in the table, then the node-oidc-provider peer, in one run.
# usage: bench/introspection.sh   env: PG_URL (postgres://postgres@127.0.0.1:5432), REPEAT (3), PEER=0 to skip the peer
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_BENCH:-$repo/../shared/bench}"
pg="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
port=3231 peer_port=3211
. "$repo/bench/lib.sh"

(cd "$repo" && cargo build --release --quiet --bin keyward)
bin="$repo/target/release/keyward"
db=keyward_bench_introspect
psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
export DATABASE_URL="$pg/$db" KEYWARD_BIND="127.0.0.1:$port" KEYWARD_LOG=warn
export KEYWARD_DB_POOL_SIZE="${KEYWARD_DB_POOL_SIZE:-16}"
printf '%s\n' "tangerine-orbit-4217" | "$bin" setup --org Bench --issuer "http://127.0.0.1:$port" --admin bench --email bench@bench.example >/dev/null
field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/"; }
rs="$("$bin" client add --name resource-server --grant-types client_credentials --scopes "" --json)"
id="$(echo "$rs" | field client_id)" secret="$(echo "$rs" | field client_secret)"

# Live tokens of that client (random digests; their secrets are never known).
fill() {  # fill N: make the table hold N live access tokens
  psql -q "$pg/$db" <<SQL
INSERT INTO tokens (id, digest, kind, format, client_id, scope, created_at, expires_at)
SELECT 'bench-' || g, md5(g::text || random()::text) || md5(random()::text), 'access', 'opaque', '$id', '',
       extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint + 86400
FROM generate_series((SELECT count(*) FROM tokens) + 1, $1) AS g;
ANALYZE tokens;
SQL
  echo "tokens in the table: $(psql -tA "$pg/$db" -c 'SELECT count(*) FROM tokens')"
}

"$bin" serve > "$work/keyward.log" 2>&1 & kw=$!; pids+=("$kw")
wait_http "http://127.0.0.1:$port/readyz"
run() {
  SERVER_PID=$kw LABEL="$1" WORKLOADS=introspection REPEAT="${REPEAT:-3}" \
    "$shared/run-all.sh" "http://127.0.0.1:$port" "$id" "$secret" ""
}
fill 1000
run "keyward-1k-tokens"
fill 1000000
run "keyward-1M-tokens"
echo "keyward peak RSS: $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$kw/status)"
kill "$kw"; wait "$kw" 2>/dev/null || true

run_peer introspection

#!/usr/bin/env bash
# The admin API fuzzer: starts Keyward (debug build) on a fresh database of
# the backend named by the first argument (sqlite, postgresql), completes setup, makes
# an API key with the CLI, and runs schemathesis with all its checks against
# the served /api/v1/openapi.json. Fails on any finding. Needs SCHEMATHESIS
# (the schemathesis executable; .ci/run installs it into a virtualenv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
st="${SCHEMATHESIS:-schemathesis}"
command -v "$st" >/dev/null || { echo "fuzz: schemathesis is not installed ($st)" >&2; exit 1; }
(cd "$repo" && cargo build --quiet --bin keyward)
bin="$repo/target/debug/keyward"
port="${PORT:-3251}"
base="http://127.0.0.1:$port"
# The backend: `sqlite` (a file of its own) or `postgresql` (a fresh
# database on the server KEYWARD_CI_PG_URL names, dropped afterwards).
backend="${1:-sqlite}"
case "$backend" in
  sqlite) export DATABASE_URL="sqlite://$work/k.db" ;;
  postgresql)
    pg="${KEYWARD_CI_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    db="keyward_fuzz_$$_$RANDOM"
    export DATABASE_URL="${pg%/*}/$db"
    trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; psql -q "$pg" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
    ;;
  *) echo "fuzz: the backend is sqlite or postgresql, not $backend" >&2; exit 2 ;;
esac
export KEYWARD_BCRYPT_COST=4 KEYWARD_LOG=warn
echo "fuzz: $backend"
password="plum-tractor-lantern"
echo "$password" | "$bin" setup --org "Acme Ops" --issuer "$base" --admin admin \
  --email admin@acme.example --alg RS256 > "$work/setup.log"
key="$("$bin" apikey create schemathesis | grep -o 'kw_ak_[A-Za-z0-9_-]*' | head -n 1)"
[ -n "$key" ] || { echo "fuzz: no API key was made" >&2; exit 1; }
KEYWARD_BIND="127.0.0.1:$port" "$bin" > "$work/out.log" 2>&1 & pid=$!
up() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
for _ in $(seq 1 100); do up && break; sleep 0.1; done
up || { cat "$work/out.log" >&2; echo "fuzz: keyward did not start" >&2; exit 1; }
fuzz() {  # in $work: schemathesis keeps a cache where it runs
  (cd "$work" && "$st" --no-color run "$base/api/v1/openapi.json" \
    --url "$base" \
    --checks all \
    --header "Authorization: Bearer $key" \
    --max-examples "${FUZZ_EXAMPLES:-40}" \
    --seed "${FUZZ_SEED:-20261202}" \
    --suppress-health-check all \
    --generation-with-security-parameters false \
    --generation-allow-x00 false \
    "$@")
}
status=0
# Revoking API keys last: the fuzzer would revoke its own key and test the
# rest with none.
revoke='^/api/v1/api-keys/\{id\}$'
fuzz --exclude-path-regex "$revoke" || status=$?
fuzz --include-path-regex "$revoke" || status=$?
# Keyward's own errors (a 5xx names its cause there); actix's notes about
# malformed requests it refused are not.
if grep -qE 'ERROR keyward|panicked' "$work/out.log"; then
  echo "fuzz: the server logged errors:" >&2
  grep -E 'ERROR keyward|panicked' "$work/out.log" | head -n 20 >&2
  status=1
fi
exit "$status"

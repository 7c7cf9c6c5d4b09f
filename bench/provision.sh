#!/usr/bin/env bash
# Prepares a Keyward database for the load workloads: signing keys. Idempotent.
# usage: bench/provision.sh [KEYWARD_BINARY]   (uses DATABASE_URL etc. from the environment)
set -euo pipefail
bin="${1:-$(cd "$(dirname "$0")/.." && pwd)/target/release/keyward}"
"$bin" migrate >/dev/null
if ! "$bin" key list --json | grep -q '"status": "active"'; then
  "$bin" key rotate --alg RS256 >/dev/null 2>&1
  "$bin" key rotate --alg ES256 >/dev/null 2>&1
fi

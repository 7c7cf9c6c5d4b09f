#!/usr/bin/env bash
# f. Code flows for an already signed-in user (consent skip), measured like the
# shared workloads.   usage: signed_in_flow.sh BASE_URL   (SHARED_BENCH: ../shared/bench)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "${SHARED_BENCH:-$here/../../shared/bench}/lib/common.sh"
need_base "${1:-}"; need_client
secs="${DURATION%s}"
export FLOW_SECONDS="${FLOW_SECONDS:-$secs}" FLOW_WARMUP_SECONDS="${FLOW_WARMUP_SECONDS:-${WARMUP%s}}"
run_measured signed_in_flow node "$here/signed_in_flow.mjs" "$BASE_URL"

# Shared by the bench scripts: source it after setting `repo` and `shared`.
# Gives a scratch dir ($work), background processes killed on exit ($pids),
# wait_http URL, and run_peer WORKLOADS [env...] (the node-oidc-provider peer
# on $peer_port through the shared run-all.sh).
work="$(mktemp -d)"; pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

wait_http() {  # wait_http URL: up to 10 s for a 2xx
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing at $1" >&2; return 1
}

run_peer() {  # run_peer WORKLOADS [ENV=VALUE...]
  local workloads="$1"; shift
  [ "${PEER:-1}" != "0" ] || return 0
  local cache="$repo/bench/.cache/node-oidc-provider"; mkdir -p "$cache"
  cp "$shared/peers/node-oidc-provider/"{package.json,package-lock.json,server.js,run.sh} "$cache/"
  (cd "$cache" && [ -d node_modules/oidc-provider ] || npm ci --no-audit --no-fund --silent)
  (cd "$cache" && exec ./run.sh "$peer_port") > "$work/peer.log" 2>&1 & local peer=$!; pids+=("$peer")
  wait_http "http://127.0.0.1:$peer_port/.well-known/openid-configuration"
  env "$@" SERVER_PID=$peer LABEL=node-oidc-provider WORKLOADS="$workloads" REPEAT="${REPEAT:-3}" \
    "$shared/run-all.sh" "http://127.0.0.1:$peer_port" bench-client bench-secret-0123456789abcdef api:read
}

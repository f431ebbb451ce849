#!/usr/bin/env bash
# REST throughput and tail latency of csapi on SQLite and on PostgreSQL, each
# against GET /healthz measured in the same run as the baseline.
#
#   bash bench/http.sh            # needs wrk (apt-get install wrk) and a release build
#
# Seeds ACCOUNTS accounts per backend, then runs wrk for DURATION per endpoint.
# Prints a markdown table; docs/benchmarks.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."

ACCOUNTS=${ACCOUNTS:-2000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PG_ADMIN=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
KEY=csk_bench_key_0123456789abcdef
PORT=18181

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
BIN=./target/release/csapi
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start() {  # $1 = DATABASE_URL
  DATABASE_URL="$1" CSAPI_HTTP_ADDR=127.0.0.1:$PORT CSAPI_GRPC_ADDR=127.0.0.1:$((PORT + 1)) \
    CSAPI_BOOTSTRAP_KEY=$KEY RUST_LOG=warn "$BIN" serve >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "csapi did not start" >&2; cat "$work/serve.log" >&2; exit 1
}

stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=; }

seed() {  # creates $ACCOUNTS accounts, prints one id
  python3 - "$ACCOUNTS" "$PORT" "$KEY" <<'PY'
import json, sys, urllib.request
n, port, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
last = None
for i in range(n):
    body = json.dumps({"name": f"Account {i}", "segment": ["smb", "mid_market", "enterprise"][i % 3],
                       "owner": f"csm{i % 20}@example.com", "original_arr": 1000.0 * i}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/accounts", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    last = json.load(urllib.request.urlopen(req))["id"]
print(last)
PY
}

cat >"$work/classify.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"x": 7, "y": 8}'
wrk.headers["Content-Type"] = "application/json"
LUA

measure() {  # $1 = label, $2 = path, [$3 = wrk script]; prints "label|req/s|p99 ms"
  local out script=()
  [ -n "${3:-}" ] && script=(-s "$3")
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $KEY" \
    "${script[@]}" "http://127.0.0.1:$PORT$2")
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")
  echo "$1|$rps|$p99"
}

run_backend() {  # $1 = name, $2 = DATABASE_URL
  start "$2"
  local id
  id=$(seed)
  local base acc list classify
  base=$(measure "GET /healthz (baseline)" /healthz)
  acc=$(measure "GET /v1/accounts/{id}" "/v1/accounts/$id")
  list=$(measure "GET /v1/accounts?page_size=50" "/v1/accounts?page_size=50&segment=enterprise")
  classify=$(measure "POST /v1/matrices/readiness/classify" /v1/matrices/readiness/classify "$work/classify.lua")
  stop
  local base_rps=${base#*|}; base_rps=${base_rps%|*}
  for row in "$base" "$acc" "$list" "$classify"; do
    IFS='|' read -r label rps p99 <<<"$row"
    printf '| %s | %s | %s | %.0f | %.2f |\n' "$1" "$label" "$p99" "$rps" "$(awk -v a="$rps" -v b="$base_rps" 'BEGIN {print a / b}')"
  done
}

echo "csapi REST benchmark: $ACCOUNTS accounts, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores"
echo
echo "| backend | request | p99 ms | req/s | ratio to /healthz |"
echo "|---|---|---|---|---|"
run_backend sqlite "sqlite://$work/bench.db"
db="csapi_bench_$$"
psql "$PG_ADMIN" -qc "CREATE DATABASE $db" >/dev/null
run_backend postgres "${PG_ADMIN%/*}/$db"
psql "$PG_ADMIN" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null

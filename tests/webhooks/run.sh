#!/usr/bin/env bash
# Webhook deliveries as a stock receiver sees them: csapi (built binary, on a
# fresh SQLite file, with CSAPI_WEBHOOK_ALLOW_PRIVATE=true) sends to a
# receiver on 127.0.0.1 that verifies each delivery with the Standard
# Webhooks reference library from PyPI. The receiver answers 500 once: the
# second attempt must arrive, verified, with the same webhook-id.
# Usage: tests/webhooks/run.sh path/to/csapi
set -euo pipefail
bin="$(realpath "$1")"
here="$(cd "$(dirname "$0")" && pwd)"
python3 -m pip install --quiet --disable-pip-version-check "standardwebhooks==1.1.0"
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
key=csk_ci_webhooks_key_00000001
api=http://127.0.0.1:18199

python3 "$here/receiver.py" 18766 "$work/secret" 500 >"$work/received.jsonl" 2>"$work/receiver.log" &
pids+=($!)
DATABASE_URL="sqlite://$work/csapi.db" CSAPI_HTTP_ADDR=127.0.0.1:18199 CSAPI_GRPC_ADDR=127.0.0.1:15199 \
  CSAPI_BOOTSTRAP_KEY=$key CSAPI_WEBHOOK_ALLOW_PRIVATE=true CSAPI_WEBHOOK_RETRY_SCHEDULE=1s,1s \
  "$bin" serve >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "$api/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

call() { curl -sS -H "Authorization: Bearer $key" -H 'content-type: application/json' "$@"; }
hook=$(call -X POST "$api/v1/webhooks" -d '{"url": "http://127.0.0.1:18766/hook", "event_types": ["account.*"]}')
python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secret"])' "$hook" >"$work/secret"
hook_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$hook")
call -X POST "$api/v1/accounts" -d '{"name": "Acme"}' >/dev/null

for _ in $(seq 1 100); do [ "$(wc -l <"$work/received.jsonl")" -ge 2 ] && break; sleep 0.1; done
deliveries=
for _ in $(seq 1 100); do
  deliveries=$(call "$api/v1/webhooks/$hook_id/deliveries")
  case "$deliveries" in *'"status":"pending"'*) sleep 0.1 ;; *) break ;; esac
done
python3 - "$work/received.jsonl" "$deliveries" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
deliveries = json.loads(sys.argv[2])["items"]
assert len(got) == 2, got
assert all(g["verified"] for g in got), got
assert [g["type"] for g in got] == ["account.created"] * 2, got
assert [g["answered"] for g in got] == [500, 204], got
assert got[0]["id"] == got[1]["id"], got
[d] = deliveries
assert (d["status"], d["attempts"], d["last_status_code"]) == ("delivered", 2, 204), d
print("standardwebhooks verified both attempts of", got[0]["id"], "; delivery:", d["status"], "after", d["attempts"], "attempts")
PY

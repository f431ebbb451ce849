#!/usr/bin/env bash
# The contract as stock tools read it: both OpenAPI editions validated
# (openapi-spec-validator) and linted (Redocly: 0 errors; Spectral: 0
# warnings), then a Python
# client (openapi-python-client) and TypeScript types (openapi-typescript +
# openapi-fetch, type-checked by tsc) generated from the spec and run against
# the built server on a fresh SQLite store.
#
# Usage: bash tests/clients/run.sh PATH/TO/csapi
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$(realpath "$1")"
here=tests/clients
work=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

python3 -m pip install --quiet --disable-pip-version-check \
  "openapi-spec-validator==0.9.0" "openapi-python-client==0.29.1"
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund \
  "@redocly/cli@2.77.0" "@stoplight/spectral-cli@6.16.3" "openapi-typescript@7.13.0" "openapi-fetch@0.17.0" "typescript@5.9.3" "@types/node@20" >/dev/null)
npx="$work/node_modules/.bin"

echo 'extends: ["spectral:oas"]' >"$work/.spectral.yaml"
for spec in openapi/openapi.json openapi/openapi-3.0.json; do
  openapi-spec-validator "$spec"
  "$npx/redocly" lint "$spec" --format=summary 2>&1 | grep -v '[║╔╚]'
  "$npx/spectral" lint --ruleset "$work/.spectral.yaml" --fail-severity warn "$spec"
done

key="csk_ci_clients_key_000000001"
DATABASE_URL="sqlite://$work/clients.db" CSAPI_HTTP_ADDR=127.0.0.1:18098 CSAPI_GRPC_ADDR=127.0.0.1:15098 \
  CSAPI_BOOTSTRAP_KEY="$key" "$bin" serve >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fsS http://127.0.0.1:18098/healthz >/dev/null 2>&1 && break; sleep 0.2; done
api=http://127.0.0.1:18098

openapi-python-client generate --path openapi/openapi.json --output-path "$work/py/csapi_client" --meta none >/dev/null
problems=$(ls "$work/py/csapi_client/models" | grep -c -i -E 'response_?[45][0-9][0-9]' || true)
if [ "$problems" != 0 ]; then
  echo "the Python client has $problems per-status error models; errors must share one Problem" >&2
  exit 1
fi
PYTHONPATH="$work/py" python3 "$here/smoke.py" "$api" "$key"

cp "$here/smoke.ts" "$here/tsconfig.json" "$work/"
(cd "$work" && npm pkg set type=module >/dev/null)
"$npx/openapi-typescript" openapi/openapi.json -o "$work/api.d.ts" >/dev/null 2>&1
(cd "$work" && "$npx/tsc" --noEmit -p . && "$npx/tsc" -p . && node out/smoke.js "$api" "$key")

#!/usr/bin/env bash
# CORS from a real browser: a page on one origin calls csapi on another with a
# Bearer key (GET, then a POST that needs a preflight), in headless Chromium;
# once with the page's origin listed, once with `*`. Needs the built binary
# (target/debug/csapi) and Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${CARGO_TARGET_DIR:-target}/debug/csapi"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium is not installed (apt-get install chromium)" >&2
  exit 1
fi
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
key="csk_cors_browser_check_key_0001"
page_port=18131
python3 -m http.server "$page_port" --bind 127.0.0.1 --directory tests/browser >/dev/null 2>&1 &
pids+=($!)

check() {
  local origins="$1" api_port="$2"
  DATABASE_URL="sqlite://$work/cors-$api_port.db" CSAPI_HTTP_ADDR="127.0.0.1:$api_port" \
    CSAPI_GRPC_ADDR="127.0.0.1:$((api_port + 1000))" CSAPI_BOOTSTRAP_KEY="$key" \
    CSAPI_CORS_ORIGINS="$origins" "$bin" serve >"$work/serve-$api_port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$api_port/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  local url="http://127.0.0.1:$page_port/cors.html?api=http://127.0.0.1:$api_port&key=$key"
  local dom
  dom=$("$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$api_port" --virtual-time-budget=10000 --dump-dom "$url" 2>/dev/null)
  for want in "GET 200" "POST 201" 'ETAG "1"' "LOCATION /v1/accounts/"; do
    if ! grep -q "$want" <<<"$dom"; then
      echo "CORS with origins '$origins': the page did not see '$want'; it saw:" >&2
      sed -n '/<pre/,/<\/pre>/p' <<<"$dom" >&2
      exit 1
    fi
  done
  echo "CORS with origins '$origins': GET 200, POST 201, ETag and Location readable"
}

check "http://127.0.0.1:$page_port" 18132
check "*" 18133

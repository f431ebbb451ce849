#!/usr/bin/env bash
# Runs README.md's walk-through as written, in order, against the built
# server on a fresh data file (tests/readme/script.py says which blocks and
# how); any call answering other than the README expects fails the run.
#
# Usage: bash tests/readme/run.sh PATH/TO/csapi
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export CSAPI_BIN="$(realpath "$1")"
work=$(mktemp -d)
export SERVE_LOG="$work/serve.log"
trap 'pkill -f "$CSAPI_BIN serve" 2>/dev/null || true; rm -rf "$work"' EXIT

# The gRPC part calls the server with buf.
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "@bufbuild/buf@1.75.0" >/dev/null)
export PATH="$work/node_modules/.bin:$PATH"

python3 "$root/tests/readme/script.py" "$root/README.md" >"$work/walkthrough.sh"
if ! (cd "$work" && bash "$work/walkthrough.sh"); then
  echo "the README walk-through failed; the server's last log lines:" >&2
  tail -n 30 "$SERVE_LOG" >&2 || true
  exit 1
fi
echo; echo "README walk-through: every block ran as written"

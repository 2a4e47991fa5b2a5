#!/usr/bin/env bash
# The API contract as integrators meet it: openapi.yaml must pass Redocly's lint (the
# recommended rules, no warning either) and openapi-spec-validator; the Python client
# (openapi-python-client) and the TypeScript types (openapi-typescript) generated from it
# must build without a warning; and the generated clients must carry a real flow through
# `serve --demo` on SQLite and on PostgreSQL: tests/clients/flow.py (log in, create a
# client with needs and consent, rank rentals, open an inquiry, read the month's
# compliance), tests/clients/flow.ts, and the support office's example
# examples/office-sync/sync_clients.py. The Redoc bundle of /docs must be the pinned npm
# package's.
#
#   .ci/api-clients.sh                      # both databases
#   CLIENT_DATABASES=sqlite .ci/api-clients.sh
#
# Generated code goes to target/api-clients/ (python/, ts/), the servers' logs too.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATABASES=${CLIENT_DATABASES:-"sqlite postgres"}
PG_URL=${CLIENT_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$ROOT/target/api-clients
mkdir -p "$OUT"

echo "== npm tools (Redocly CLI, openapi-typescript, TypeScript, Redoc) =="
(cd tools/api && npm ci --no-audit --no-fund --loglevel=error)
tools/api/vendor-docs.sh --check

echo "== redocly lint (recommended rules) =="
# Node 20 prints a notice about its end of life; the JSON report alone is read.
(cd tools/api && npx --no-install redocly lint "$ROOT/openapi.yaml" --config redocly.yaml \
  --format=json >"$OUT/redocly.json" 2>"$OUT/redocly.stderr") || true
python3 - "$OUT/redocly.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
problems = report.get("problems", [])
for p in problems:
    where = ", ".join(l.get("pointer", "") for l in p.get("location", []))
    print(f"{p['severity']}: {p['ruleId']}: {p['message']} ({where})")
if problems:
    sys.exit(f"redocly lint: {len(problems)} problem(s)")
print("redocly lint: no problems")
PY

echo "== Python tools (openapi-spec-validator, openapi-python-client) =="
VENV=$ROOT/target/api-clients-venv
REQ=tools/api/requirements.txt
if ! cmp -s "$REQ" "$VENV/requirements.txt" 2>/dev/null; then
  rm -rf "$VENV"
  if ! python3 -c 'import ensurepip' 2>/dev/null && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  fi
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
  cp "$REQ" "$VENV/requirements.txt"
fi
"$VENV/bin/openapi-spec-validator" openapi.yaml

echo "== generated Python client =="
rm -rf "$OUT/python"
"$VENV/bin/openapi-python-client" generate --path openapi.yaml \
  --config tools/api/python-client.yaml --meta setup --output-path "$OUT/python" \
  2>&1 | tee "$OUT/python-generate.log"
if grep -Eiq 'warning|error|not be generated' "$OUT/python-generate.log"; then
  echo "openapi-python-client could not generate every operation (above)"; exit 1
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$OUT/python"

echo "== generated TypeScript types =="
rm -rf "$OUT/ts"; mkdir -p "$OUT/ts"
(cd tools/api && npx --no-install openapi-typescript "$ROOT/openapi.yaml" -o "$OUT/ts/schema.d.ts")
(cd tools/api && npx --no-install tsc -p "$ROOT/tests/clients/tsconfig.json")

cargo build --locked --bin sumai-link
BIN="$TARGET/debug/sumai-link"
WORK=$(mktemp -d)
# shellcheck source=.ci/serve.sh
. .ci/serve.sh
SERVER_PID=""
PG_DB=""
cleanup() {
  [ -n "$SERVER_PID" ] && stop_server
  [ -n "$PG_DB" ] && drop_database "$PG_DB"
  rm -rf "$WORK"
}
trap cleanup EXIT

for db in $DATABASES; do
  [ "$db" = postgres ] && PG_DB="sumai_t_clients_$$"
  url=$(new_database "$db" "sumai_t_clients_$$")
  start_server "$url"
  echo "== $db: tests/clients/flow.py (generated Python client) =="
  "$VENV/bin/python" tests/clients/flow.py --base-url "$BASE"
  echo "== $db: tests/clients/flow.ts (generated TypeScript types) =="
  node "$OUT/ts-build-tree/tests/clients/flow.js" "$BASE"
  echo "== $db: examples/office-sync =="
  "$VENV/bin/python" tests/clients/office_sync_check.py --base-url "$BASE" --work "$WORK"
  stop_server
  cp "$WORK/server.log" "$OUT/$db-server.log"
  if [ "$db" = postgres ]; then drop_database "$PG_DB"; PG_DB=""; fi
done
echo "== API clients: all passed =="

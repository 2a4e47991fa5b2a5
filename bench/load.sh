#!/usr/bin/env bash
# Load test (issue 9 point 6): the release binary with the demo data, on SQLite and on
# PostgreSQL, driven by wrk over loopback for a bounded time per scenario:
#   reads    GET /api/v1/rentals/{id} as office@ (300 rentals, rotated)
#   clients  GET /api/v1/clients/{id} as office@ (audited reads: each writes a record)
#   matches  GET /api/v1/clients/{id}/matches?limit=50 as office@
#   pdf      GET /api/v1/support-sheets/{id}?format=pdf as landlord@
# Prints requests/s and latency percentiles per database and scenario, beside the
# DESIGN.md targets. wrk and the server share the machine's two cores.
#
#   bench/load.sh                          # 20 s per scenario, 2 threads, 32 connections
#   LOAD_SECONDS=5 LOAD_CONNECTIONS=16 bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

SECONDS_PER=${LOAD_SECONDS:-20}
CONNECTIONS=${LOAD_CONNECTIONS:-32}
THREADS=${LOAD_THREADS:-2}
PG_BASE=${LOAD_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
OUT_DIR=${LOAD_DIR:-$PWD/target/bench-load}
mkdir -p "$OUT_DIR"

missing=()
for tool in wrk jq curl psql; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  pkgs=("${missing[@]/psql/postgresql-client}")
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}"
fi
cargo build --release --locked --bin sumai-link
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/sumai-link

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "${PG_DB:-}" ] && psql "$PG_BASE" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # $1 = DATABASE_URL
  PORT=$(free_port)
  BASE="http://127.0.0.1:$PORT"
  env -i PATH="$PATH" HOME="$HOME" DATABASE_URL="$1" SUMAI_BIND="127.0.0.1:$PORT" \
    SUMAI_JWT_SECRET=load-test-secret-load-test-secret-0123 SUMAI_GEOCODER_URL=off \
    SUMAI_RATE_LIMIT_LOGIN=off SUMAI_RATE_LIMIT_MATCH=off SUMAI_RATE_LIMIT_REPORT=off \
    SUMAI_RATE_LIMIT_PDF=off SUMAI_RATE_LIMIT_IMPORT=off SUMAI_DB_POOL_SIZE=16 RUST_LOG=warn \
    "$BIN" serve --demo >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -fs "$BASE/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "the server did not become ready:"; cat "$WORK/server.log"; exit 1
}

stop() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

token() {
  curl -fs "$BASE/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"grant_type\":\"password\",\"email\":\"$1@demo.example\",\"password\":\"demo-pass-2026\"}" | jq -r .access_token
}

run() { # $1 db, $2 scenario, $3 token, $4 paths file
  curl -fs -o /dev/null -H "authorization: Bearer $3" "$BASE$(head -n1 "$4")" # warm
  LOAD_TOKEN=$3 LOAD_PATHS_FILE=$4 wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER}s" \
    --timeout 10s -s bench/load.lua "$BASE" | tail -n1 |
    jq -c --arg db "$1" --arg s "$2" '. + {db: $db, scenario: $s}' >>"$RESULTS"
}

bench_db() { # $1 label, $2 DATABASE_URL
  start "$2"
  local office landlord
  office=$(token office); landlord=$(token landlord)
  # The demo's rentals reach the search index with its first poll after the load.
  for _ in $(seq 1 100); do
    curl -fs "$BASE/api/v1/rentals?limit=200" -H "authorization: Bearer $office" |
      jq -r '.items[].id | "/api/v1/rentals/\(.)"' >"$WORK/reads"
    [ -s "$WORK/reads" ] && break
    sleep 0.2
  done
  curl -fs "$BASE/api/v1/clients?limit=200" -H "authorization: Bearer $office" | jq -r '.items[].id' >"$WORK/client_ids"
  sed 's|^|/api/v1/clients/|' "$WORK/client_ids" >"$WORK/clients"
  sed 's|^\(.*\)$|/api/v1/clients/\1/matches?limit=50|' "$WORK/client_ids" >"$WORK/matches"
  curl -fs "$BASE/api/v1/support-sheets" -H "authorization: Bearer $landlord" |
    jq -r '.items[].id | "/api/v1/support-sheets/\(.)?format=pdf"' >"$WORK/pdf"
  run "$1" reads "$office" "$WORK/reads"
  run "$1" clients "$office" "$WORK/clients"
  run "$1" matches "$office" "$WORK/matches"
  run "$1" pdf "$landlord" "$WORK/pdf"
  stop
}

RESULTS="$OUT_DIR/load-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
: >"$RESULTS"
echo "load: ${SECONDS_PER}s per scenario, wrk -t$THREADS -c$CONNECTIONS, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
bench_db sqlite "sqlite://$WORK/load.db"
PG_DB="sumai_load_$$"
psql "$PG_BASE" -qc "CREATE DATABASE \"$PG_DB\"" >/dev/null
bench_db postgres "${PG_BASE%/*}/$PG_DB"

echo
echo "| database | scenario | req/s | p50 ms | p95 ms | p99 ms | max ms | non-2xx | socket errors |"
echo "|---|---|---|---|---|---|---|---|---|"
jq -r '"| \(.db) | \(.scenario) | \(.rps) | \(.p50_ms) | \(.p95_ms) | \(.p99_ms) | \(.max_ms) | \(.non_2xx) | \(.socket_errors) |"' "$RESULTS"
echo
echo "targets (DESIGN.md): authenticated reads >= 3,000 req/s; sheet PDF <= 50 ms warm"
echo "raw figures: $RESULTS"

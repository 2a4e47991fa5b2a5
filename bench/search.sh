#!/usr/bin/env bash
# Search benchmark (issue 4 point 8): 1,000,000 rentals in SQLite and PostgreSQL, the
# typical search on the in-memory index, SQLite, PostgreSQL, PostGIS and over HTTP; then
# the match benchmark (issue 5 point 7): GET /clients/{id}/matches of the real server on
# SQLite and on PostgreSQL beside the PostGIS query with the same filters and ordering.
# Installs PostGIS if missing, then runs `cargo bench --bench search` (release build).
#
#   bench/search.sh                      # 1,000,000 rentals
#   BENCH_ROWS=50000 bench/search.sh     # a quick run
#
# Settings (see benches/search.rs): BENCH_ROWS, BENCH_QUERIES, BENCH_PASSES,
# BENCH_PG_URL, BENCH_DIR, BENCH_KEEP=1, BENCH_HTTP=0, BENCH_MATCH=0, BENCH_CLIENTS.
# The printed tables are also written to $BENCH_DIR/search-<rows>.txt, and the match
# table alone to $BENCH_DIR/matches-<rows>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

PG_VERSION=15
POSTGIS_PKG="postgresql-${PG_VERSION}-postgis-3"
export BENCH_PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export BENCH_DIR="${BENCH_DIR:-$PWD/target/bench-search}"
ROWS="${BENCH_ROWS:-1000000}"

# PostGIS for PostgreSQL 15; the package lists are refreshed only if it is not known.
if ! dpkg -s "$POSTGIS_PKG" >/dev/null 2>&1; then
  echo "installing $POSTGIS_PKG"
  if ! apt-cache show "$POSTGIS_PKG" >/dev/null 2>&1; then
    apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$POSTGIS_PKG"
fi
for tool in psql pg_isready; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (postgresql-client)"; exit 1; }
done

# PostgreSQL runs on 127.0.0.1:5432 (trust auth); start the cluster if it is stopped.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
psql "$BENCH_PG_URL" -Atc "SELECT name, default_version FROM pg_available_extensions WHERE name = 'postgis'" |
  grep -q postgis || { echo "the postgis extension is not available to PostgreSQL $PG_VERSION"; exit 1; }

# Bench databases left by an interrupted earlier run.
psql "$BENCH_PG_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'sumai\_bench\_%'" |
  while read -r db; do
    echo "dropping leftover database $db"
    psql "$BENCH_PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  done

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
mkdir -p "$BENCH_DIR"
out="$BENCH_DIR/search-$ROWS.txt"
cargo bench --bench search | tee "$out"
echo "table written to $out"

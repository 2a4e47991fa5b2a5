#!/usr/bin/env bash
# Fuzz the API with Schemathesis (PyPI) from the served openapi.yaml: `serve --demo` on a
# fresh database, once on SQLite and once on PostgreSQL, as a support office (office@) and
# as a landlord (landlord@). Fails on a 5xx, a response outside its documented status
# codes, content types, headers or schema. Stateful phase: the OpenAPI links of the
# document (rental create → read → update; client → needs → matches → inquiry).
#
#   .ci/schemathesis.sh                 # both databases
#   FUZZ_DATABASES=sqlite .ci/schemathesis.sh
#
# Knobs (the defaults keep one database under 5 minutes on 2 cores): FUZZ_MAX_EXAMPLES
# (per operation and phase), FUZZ_MAX_TIME and FUZZ_STATEFUL_TIME (seconds per caller and
# database for the operations one by one, and for the stateful phase), FUZZ_SEED,
# FUZZ_CALLERS, FUZZ_PG_URL. JUnit reports and Schemathesis's failure cache (replay one
# with `st replay ID` from that directory) go to target/schemathesis/<db>-<caller>-<phase>/,
# the server's log to target/schemathesis/<db>-server.log.
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION=4.32.5
DATABASES=${FUZZ_DATABASES:-"sqlite postgres"}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-15}
MAX_TIME=${FUZZ_MAX_TIME:-90}
STATEFUL_TIME=${FUZZ_STATEFUL_TIME:-45}
SEED=${FUZZ_SEED:-20261206}
PG_URL=${FUZZ_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
CALLERS=${FUZZ_CALLERS:-"office landlord"}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$PWD/target/schemathesis

# Schemathesis in its own venv, pinned; reused while the pin stays the same.
VENV=$PWD/target/schemathesis-venv
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$ST_VERSION" ]; then
  rm -rf "$VENV"
  # Debian's python3 makes venvs only with python3-venv (ensurepip).
  if ! python3 -c 'import ensurepip' 2>/dev/null && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  fi
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi
"$VENV/bin/schemathesis" --version

cargo build --locked --bin sumai-link
BIN="$TARGET/debug/sumai-link"

WORK=$(mktemp -d)
# shellcheck source=.ci/serve.sh
. .ci/serve.sh
SERVER_PID=""
PG_DB=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$PG_DB" ]; then psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The operations that would end the fuzzing caller's own session or credentials.
EXCLUDE=(
  --exclude-path /api/v1/auth/logout
  --exclude-path /api/v1/me/password
)

# One Schemathesis run: database $1, caller $2 (with token $3), phases $4, budget $5 s.
schemathesis_run() {
  local db=$1 caller=$2 token=$3 phases=$4 budget=$5
  local dir="$OUT/$db-$caller-${phases##*,}"
  rm -rf "$dir"; mkdir -p "$dir"
  echo "== schemathesis: $db, as $caller@, $phases =="
  local start=$SECONDS status=0 logged
  logged=$(wc -l <"$WORK/server.log")
  # The token through the environment, not the command line (which `ps` shows).
  printf '%s\n' 'headers = { Authorization = "Bearer ${SUMAI_FUZZ_TOKEN}" }' >"$dir/schemathesis.toml"
  # From the report directory: Schemathesis keeps its failure cache (`st replay`) in
  # ./.schemathesis, and a cache left by an earlier run would be replayed first.
  (cd "$dir" && SUMAI_FUZZ_TOKEN=$token "$VENV/bin/schemathesis" --config-file schemathesis.toml \
    run "$BASE/openapi.yaml" \
    --url "$BASE" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --phases "$phases" \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$budget" \
    --seed "$SEED" \
    --generation-database none \
    --workers 1 \
    --request-timeout 30 \
    --no-color \
    --report junit \
    --report-dir . \
    "${EXCLUDE[@]}") || status=$?
  echo "== $db as $caller@, $phases: $((SECONDS - start)) s, exit $status =="
  # A 5xx fails the run anyway; a panic or an internal error behind a 4xx must too.
  if tail -n +"$((logged + 1))" "$WORK/server.log" | grep -E 'panicked|internal error' | head -n 20 | grep .; then
    echo "the server logged the errors above"
    status=1
  fi
  return $status
}

# Each operation on its own, then the stateful phase with a budget of its own (in one
# run, fuzzing would take the whole budget).
fuzz() {
  local db=$1 caller=$2 token status=0
  token=$(token_for "$caller") # valid 15 minutes, longer than both runs
  schemathesis_run "$db" "$caller" "$token" examples,coverage,fuzzing "$MAX_TIME" || status=1
  schemathesis_run "$db" "$caller" "$token" stateful "$STATEFUL_TIME" || status=1
  return $status
}

failed=0
for db in $DATABASES; do
  case $db in
    sqlite) url="sqlite://$WORK/fuzz.db" ;;
    postgres)
      PG_DB="sumai_t_fuzz_$$"
      psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)"
      psql "$PG_URL" -qc "CREATE DATABASE \"$PG_DB\""
      url="${PG_URL%/*}/$PG_DB" ;;
    *) echo "unknown database $db"; exit 2 ;;
  esac
  db_start=$SECONDS
  start_server "$url"
  for caller in $CALLERS; do
    fuzz "$db" "$caller" || failed=1
  done
  # Requests by route and status, as the server counted them.
  curl -fsS "$BASE/metrics" >"$OUT/$db-metrics.txt" || true
  stop_server
  cp "$WORK/server.log" "$OUT/$db-server.log"
  echo "== $db: $(grep -E '^http_requests_total' "$OUT/$db-metrics.txt" | awk '{n += $NF} END {print n + 0}') requests =="
  echo "== $db: $((SECONDS - db_start)) s in all =="
  if [ "$db" = postgres ]; then
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)"
    PG_DB=""
  fi
done
exit $failed

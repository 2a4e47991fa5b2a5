# Sourced by the CI scripts that need a running `serve --demo`: free_port, start_server
# (DATABASE_URL=$1; sets BASE and SERVER_PID; log in $WORK/server.log), stop_server,
# token_for (an access token of a demo account). The caller sets BIN and WORK.

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts `serve --demo` on DATABASE_URL=$1 and waits until /readyz answers 200. Rate
# limits are off: the scripts log in and match far more often than a person would.
start_server() {
  local url=$1 port
  port=$(free_port)
  BASE="http://127.0.0.1:$port"
  DATABASE_URL="$url" \
  SUMAI_BIND="127.0.0.1:$port" \
  SUMAI_JWT_SECRET="ci-server-secret-0123456789abcdef0123" \
  SUMAI_GEOCODER_URL=off \
  SUMAI_ACCESS_TOKEN_TTL_SECS=900 \
  SUMAI_LOGIN_MAX_FAILURES=20 \
  SUMAI_LOGIN_LOCKOUT_SECS=1 \
  SUMAI_RATE_LIMIT_LOGIN=off SUMAI_RATE_LIMIT_MATCH=off SUMAI_RATE_LIMIT_REPORT=off \
  SUMAI_RATE_LIMIT_PDF=off SUMAI_RATE_LIMIT_IMPORT=off \
  SUMAI_LOG_FORMAT=text \
  RUST_LOG=${SERVER_RUST_LOG:-warn} \
    "$BIN" serve --demo >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 240); do
    if curl -fsS "$BASE/readyz" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "the server did not become ready:"; tail -n 50 "$WORK/server.log"
  return 1
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

token_for() {
  curl -fsS "$BASE/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"grant_type\":\"password\",\"email\":\"$1@demo.example\",\"password\":\"demo-pass-2026\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# A fresh database for one server: $1 is sqlite or postgres; prints its URL. PG_DB names
# the PostgreSQL database to drop afterwards (drop_database).
new_database() {
  case $1 in
    sqlite) echo "sqlite://$WORK/$2.db" ;;
    postgres)
      psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)" >&2
      psql "$PG_URL" -qc "CREATE DATABASE \"$2\"" >&2
      echo "${PG_URL%/*}/$2" ;;
    *) echo "unknown database $1" >&2; return 2 ;;
  esac
}

drop_database() {
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" || true
}

#!/usr/bin/env bash
# Load test of the web pages with wrk (apt install wrk): signs in per role and runs each page for
# $SECONDS_PER (default 10) seconds with $CONC (default 16) connections, printing requests/s, p50 and p99.
#   scripts/loadtest.sh demo          # the demo company (95 staff, 24 months)
#   scripts/loadtest.sh bench         # 10,000 employees, 24 months, 300k leads, 100k deals, 1M follow-ups
# Uses target/release/uplift (cargo build --release first). Results go to docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/uplift
WHICH="${1:-demo}"
PORT="${PORT:-18181}"
SECONDS_PER="${SECONDS_PER:-10}"
CONC="${CONC:-16}"   # connections; CONC=1 gives the latency of one request at a time
WORK="${WORK:-/tmp/uplift-loadtest-$WHICH}"
B="http://127.0.0.1:$PORT"
export UPLIFT_PASSWORD=load-test-pass
mkdir -p "$WORK"

if [ "$WHICH" = demo ]; then
  DB="$WORK/demo.db"
  [ -f "$DB" ] || "$BIN" --data-dir "$WORK" demo --end 2026-10 --no-serve >/dev/null
  MONTH=2026-10; DIRECTOR=director; MANAGER=manager; REP=rep; PASS=uplift-demo
  PERSON=$("$BIN" --database-url "$DB" user list | awk '$1=="rep"{print $3}')
else
  DB="$WORK/bench.db"
  if [ ! -f "$DB" ]; then
    "$BIN" bench generate --out "$WORK/src" --employees 10000 --leads 300000 --opportunities 100000 --tasks 1000000 >/dev/null
    "$BIN" --database-url "$DB" import dir "$WORK/src" >/dev/null
    "$BIN" --database-url "$DB" user add director --role director --department 销售中心/大区3 >/dev/null
    "$BIN" --database-url "$DB" user add admin --role admin >/dev/null
    "$BIN" --database-url "$DB" user add manager --role manager --employee B000003 >/dev/null
    "$BIN" --database-url "$DB" user add rep --role employee --employee B000203 >/dev/null
  fi
  MONTH=2026-10; DIRECTOR=director; MANAGER=manager; REP=rep; PASS=$UPLIFT_PASSWORD; PERSON=B000203
fi

"$BIN" --database-url "$DB" --data-dir "$WORK" serve --bind "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "$B/healthz" >/dev/null && break; sleep 0.2; done

cookie() {
  curl -s -o /dev/null -D - -d "username=$1&password=$PASS" "$B/login" | tr -d '\r' |
    awk -F'[=;]' '/^set-cookie: uplift_session=/{print $2}'
}

run() { # user path
  local c; c=$(cookie "$1")
  local out; out=$(wrk -t$(( CONC < 2 ? 1 : 2 )) -c"$CONC" -d"${SECONDS_PER}s" --latency -H "Cookie: uplift_session=$c" "$B$2")
  local rps; rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  local p50; p50=$(awk '$1=="50%"{print $2}' <<<"$out")
  local p99; p99=$(awk '$1=="99%"{print $2}' <<<"$out")
  local non2xx; non2xx=$(awk '/Non-2xx/{print $5}' <<<"$out")
  printf '| %-9s | %-44s | %8s | %8s | %8s | %s\n' "$1" "$2" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo "| user      | page                                         |  req/s   |   p50    |   p99    | non-2xx"
run "$DIRECTOR" "/?month=$MONTH"
run "$DIRECTOR" "/team?month=$MONTH"
run "$MANAGER" "/team?month=$MONTH"
run "$DIRECTOR" "/people/$PERSON"
run "$REP" "/people/$PERSON"
run "$REP" "/leaderboard?from=2026-08&to=$MONTH"
run "$DIRECTOR" "/api/v1/metrics?month=$MONTH&per_page=100"

#!/usr/bin/env bash
# Reads beside writes (issue 16): READERS (default 32) concurrent readers — three quarters on the
# metrics API, whose every read is audited, a quarter on the director's overview page — for
# SECONDS_RUN (default 60) seconds while HR imports the demo's Lead.csv and Opportunity.csv through
# the web API again and again. Passes (exit 0) when no request fails, every import commits and no
# read took over STALL_MS (default 1000) ms. Listens on 127.0.0.1 only; needs wrk and curl.
#   scripts/concurrent-load.sh                                   # SQLite: the demo in a temp folder
#   DB=postgres://postgres@127.0.0.1:5432/uplift_load scripts/concurrent-load.sh
#                                                                # PostgreSQL: that database is recreated
# Uses target/release/uplift (cargo build --release first). Results go to docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/uplift
PORT="${PORT:-18282}"
SECONDS_RUN="${SECONDS_RUN:-60}"
READERS="${READERS:-32}"
STALL_MS="${STALL_MS:-1000}"
B="http://127.0.0.1:$PORT"
WORK=$(mktemp -d /tmp/uplift-concurrent.XXXXXX)
MONTH=2026-10
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
SERVER=

if [ -n "${DB:-}" ]; then
  case "$DB" in postgres://*127.0.0.1*|postgres://*localhost*) ;; *) echo "DB must be on 127.0.0.1" >&2; exit 2 ;; esac
  name="${DB##*/}"
  PGOPTIONS="-c client_min_messages=warning" psql "${DB%/*}/postgres" -q -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
  URL="$DB"; KIND=postgres
else
  URL="$WORK/demo.db"; KIND=sqlite
fi
U=("$BIN" --data-dir "$WORK" --database-url "$URL")
"${U[@]}" demo --end "$MONTH" --no-serve >/dev/null 2>&1
DIRECTOR_TOKEN=$("${U[@]}" token create --role director --department 销售中心 --label load 2>/dev/null | grep -o 'upl_[A-Za-z0-9_-]*' | head -1)
HR_TOKEN=$("${U[@]}" token create --role hr --label load 2>/dev/null | grep -o 'upl_[A-Za-z0-9_-]*' | head -1)
[ -n "$DIRECTOR_TOKEN" ] && [ -n "$HR_TOKEN" ] || { echo "could not create tokens" >&2; exit 2; }

"${U[@]}" serve --bind "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "$B/healthz" >/dev/null && break; sleep 0.1; done
SESSION=$(curl -s -o /dev/null -D - -d "username=director&password=uplift-demo" "$B/login" | tr -d '\r' |
  awk -F'[=;]' '/^set-cookie: uplift_session=/{print $2}')

API_CONN=$(( READERS * 3 / 4 )); PAGE_CONN=$(( READERS - API_CONN ))
wrk -t2 -c"$API_CONN" -d"${SECONDS_RUN}s" --timeout 30s --latency -H "Authorization: Bearer $DIRECTOR_TOKEN" \
  "$B/api/v1/metrics?month=$MONTH&per_page=50" >"$WORK/api.txt" &
API=$!
wrk -t1 -c"$PAGE_CONN" -d"${SECONDS_RUN}s" --timeout 30s --latency -H "Cookie: uplift_session=$SESSION" \
  "$B/?month=$MONTH" >"$WORK/page.txt" &
PAGE=$!

# Imports, one after another, until the readers stop.
ok=0; failed=0; total_s=0; max_s=0; i=0
sleep 1
while kill -0 $API 2>/dev/null; do
  file=Lead.csv; kind=lead
  if (( i % 2 )); then file=Opportunity.csv; kind=opportunity; fi
  read -r code secs < <(curl -s -o "$WORK/import.json" -w '%{http_code} %{time_total}\n' \
    -H "Authorization: Bearer $HR_TOKEN" -F "file=@$WORK/demo-source/$file" "$B/api/v1/imports?kind=$kind")
  if [ "$code" = 200 ] && grep -q '"committed":true' "$WORK/import.json"; then ok=$((ok + 1)); else
    failed=$((failed + 1)); echo "import $file: HTTP $code $(head -c 300 "$WORK/import.json")" >&2; fi
  total_s=$(awk -v a="$total_s" -v b="$secs" 'BEGIN{print a+b}')
  max_s=$(awk -v a="$max_s" -v b="$secs" 'BEGIN{print (b>a)?b:a}')
  i=$((i + 1))
done
wait $API $PAGE || true

ms() { # wrk duration (850.00us, 12.3ms, 1.2s) in ms
  awk -v d="$1" 'BEGIN{ if (d ~ /us$/) print d/1000; else if (d ~ /ms$/) print d+0; else if (d ~ /s$/) print d*1000; else if (d ~ /m$/) print d*60000; else print d }'
}
summary() { # label file
  local f=$1 rps p50 p99 max errs non2xx
  rps=$(awk '/Requests\/sec/{print $2}' "$f"); p50=$(awk '$1=="50%"{print $2}' "$f"); p99=$(awk '$1=="99%"{print $2}' "$f")
  max=$(awk '$1=="Latency"{print $4}' "$f")
  non2xx=$(awk '/Non-2xx/{print $5}' "$f"); errs=$(awk -F'[ ,]+' '/Socket errors/{print $4+$6+$8+$10}' "$f")
  printf '%s %s %s %s %s %s\n' "$rps" "$p50" "$p99" "$(ms "$max")" "${non2xx:-0}" "${errs:-0}"
}
read -r a_rps a_p50 a_p99 a_max a_non a_err < <(summary "$WORK/api.txt")
read -r p_rps p_p50 p_p99 p_max p_non p_err < <(summary "$WORK/page.txt")
audited=$("${U[@]}" audit --action read.appraisal --limit 1000000 2>/dev/null | wc -l || true)

echo "| db | readers | what | req/s | p50 | p99 | max | errors |"
echo "|---|---|---|---|---|---|---|---|"
echo "| $KIND | $API_CONN | GET /api/v1/metrics (audited) | $a_rps | $a_p50 | $a_p99 | ${a_max} ms | $((a_non + a_err)) |"
echo "| $KIND | $PAGE_CONN | GET / (overview page) | $p_rps | $p_p50 | $p_p99 | ${p_max} ms | $((p_non + p_err)) |"
echo "imports: $ok committed, $failed failed, mean $(awk -v t="$total_s" -v n="$i" 'BEGIN{printf "%.2f", (n? t/n : 0)}') s, max ${max_s} s; audit rows of appraisal reads (read.appraisal): $audited"

worst=$(awk -v a="$a_max" -v b="$p_max" 'BEGIN{print (a>b)?a:b}')
if (( failed > 0 || a_non + a_err + p_non + p_err > 0 )) || awk -v w="$worst" -v s="$STALL_MS" 'BEGIN{exit !(w>s)}'; then
  echo "FAIL: errors, failed imports or a read over ${STALL_MS} ms" >&2
  exit 1
fi
echo "PASS"

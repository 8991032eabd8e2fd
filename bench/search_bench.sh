#!/usr/bin/env bash
# bench/search_bench.sh — full-text search latency and a large CSV export,
# beside the same queries run directly in sqlite3 (the storage baseline).
#
#   1. `pingan init --demo` and `pingan seed --cases BENCH_CASES` in a temp
#      dir (or reuse BENCH_DATA, a data directory already seeded);
#   2. `pingan serve`, log in as `supervisor` (sees the whole district) and
#      run each query BENCH_REPS times with curl through
#      GET /api/v1/search/cases?q=…&open=any&limit=20: p50 and p95;
#   3. stops the server and runs each query's SQL in the sqlite3 shell
#      (the driving FTS5 MATCH, newest first, LIMIT the window — no join, no
#      ranking, no HTTP), and the LIKE scan of the base table that the gram
#      index replaces for short terms;
#   4. `pingan export --out FILE` of every case (CSV) with its time and peak
#      RSS, and the same for a tenth of them (--q would change the rows: the
#      tenth is `--state` of one state) to show memory stays flat;
#   5. prints one Markdown table on stdout.
#
# Environment (defaults in brackets): BENCH_CASES [1000000], BENCH_DATA
# [none: a fresh temp dir], BENCH_REPS [50], PINGAN_BIN [build/pingan],
# BENCH_KEEP [0].  Targets (issue 5): search p95 < 50 ms; a 1,000,000-row
# CSV export < 20 s with flat memory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${PINGAN_BIN:-$ROOT/build/pingan}
CASES=${BENCH_CASES:-1000000}
REPS=${BENCH_REPS:-50}
for tool in curl sqlite3 python3; do
  command -v $tool >/dev/null || { echo "search_bench: needs $tool" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pingan-search-bench.XXXXXX")
cleanup() { [ -n "${SRV_PID:-}" ] && kill "$SRV_PID" 2>/dev/null; [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$TMP"; }
trap cleanup EXIT
export PINGAN_ADMIN_PASSWORD=Admin-Pass-2026 PINGAN_DEMO_PASSWORD=Demo-Pass-2026

if [ -n "${BENCH_DATA:-}" ]; then
  DATA=$BENCH_DATA
else
  DATA=$TMP/data
  "$BIN" init --demo --data "$DATA" >/dev/null 2>&1
  PINGAN_DATABASE_SYNCHRONOUS_NORMAL=true "$BIN" seed --data "$DATA" --cases "$CASES" >&2
fi
DB=$DATA/pingan.db
[ -f "$DB" ] || DB=$(ls "$DATA"/*.db | head -1)
TOTAL=$(sqlite3 "$DB" "SELECT count(*) FROM cases")

# the queries: Chinese of 1, 2, 3+ characters, two terms, mixed, a rare word
QUERIES=("灯" "拆迁" "物业管理" "电梯 故障" "小区 噪音扰民" "医保报销" "退役军人优抚" "不存在的词语")

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PINGAN_RATE_PUBLIC_PER_MINUTE=0 "$BIN" serve --data "$DATA" --listen 127.0.0.1:"$PORT" >"$TMP/serve.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
JAR=$TMP/cookies
curl -sf -c "$JAR" -H 'Content-Type: application/json' \
  -d '{"username":"supervisor","password":"Demo-Pass-2026"}' "http://127.0.0.1:$PORT/api/v1/session" >/dev/null

pct() { python3 -c 'import sys; v=sorted(float(x) for x in sys.stdin.read().split()); p=lambda q: v[min(len(v)-1,int(q*len(v)))]*1000; print("%.1f %.1f" % (p(0.5), p(0.95)))'; }
urlq() { python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }

declare -A HTTP HITS
for q in "${QUERIES[@]}"; do
  u="http://127.0.0.1:$PORT/api/v1/search/cases?q=$(urlq "$q")&open=any&limit=20"
  HITS[$q]=$(curl -sf -b "$JAR" "$u" | python3 -c 'import sys,json; d=json.load(sys.stdin); print(len(d["items"]), "full" if d["window_full"] else "")')
  HTTP[$q]=$(for _ in $(seq "$REPS"); do curl -s -o /dev/null -w '%{time_total}\n' -b "$JAR" "$u"; done | pct)
done
kill "$SRV_PID"; wait "$SRV_PID" 2>/dev/null || true; SRV_PID=

# the storage baseline: the driving MATCH alone in the sqlite3 shell
fts_expr() {  # the store's MATCH on search_grams: a long term the phrase of its bigrams
  python3 - "$1" <<'PY'
import sys, re
terms = [t for t in re.split(r"[\s，。、！？,.!?]+", sys.argv[1]) if t]
long_ = [t for t in terms if len(t) >= 3]
short = [t for t in terms if len(t) < 3]
print("search_grams", " AND ".join(['"%s"%s' % (t, " *" if len(t) == 1 else "") for t in short] +
                                   ['"%s"' % " ".join(t[i:i + 2] for i in range(len(t) - 1)) for t in long_]))
PY
}
sqltime() {  # median seconds of `reps` runs of SQL $1
  local reps=$2 t
  t=$( { for _ in $(seq "$reps"); do echo ".timer on"; echo "$1"; done; } | sqlite3 "$DB" 2>&1 >/dev/null | grep -o 'real [0-9.]*' | awk '{print $2}' )
  [ -n "$t" ] || t=$( { echo ".timer on"; for _ in $(seq "$reps"); do echo "$1"; done; } | sqlite3 "$DB" | grep -o 'real [0-9.]*' | awk '{print $2}')
  echo "$t" | pct
}
declare -A SQL LIKE
for q in "${QUERIES[@]}"; do
  read -r table expr < <(fts_expr "$q")
  SQL[$q]=$(sqltime "SELECT count(*) FROM (SELECT rowid FROM $table WHERE $table MATCH '$expr' ORDER BY rowid DESC LIMIT 500);" 10)
  first=${q%% *}
  LIKE[$q]=$(sqltime "SELECT count(*) FROM (SELECT id FROM cases WHERE title LIKE '%$first%' OR body LIKE '%$first%' ORDER BY id DESC LIMIT 500);" 3)
done

# exports: all cases, and one state's (a fraction) for the memory comparison
rss_time() { /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1; }
read -r ET ERSS < <(rss_time "$BIN" export --data "$DATA" --out "$TMP/all.csv")
ROWS=$(($(wc -l < "$TMP/all.csv") - 1))
STATE=$(sqlite3 "$DB" "SELECT state FROM cases GROUP BY state ORDER BY count(*) LIMIT 1")
read -r ST SRSS < <(rss_time "$BIN" export --data "$DATA" --state "$STATE" --out "$TMP/part.csv")
PROWS=$(($(wc -l < "$TMP/part.csv") - 1))

echo "Cases: $TOTAL ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)); $REPS requests per query, one at a time."
echo
echo "| query | chars | hits (first page) | HTTP p50 ms | HTTP p95 ms | sqlite3 MATCH p50 / p95 ms | sqlite3 LIKE p50 ms |"
echo "|---|---|---|---|---|---|---|"
for q in "${QUERIES[@]}"; do
  read -r h50 h95 <<<"${HTTP[$q]}"; read -r s50 s95 <<<"${SQL[$q]}"; read -r l50 _ <<<"${LIKE[$q]}"
  echo "| \`$q\` | $(python3 -c 'import sys; print(len(sys.argv[1]))' "$q") | ${HITS[$q]} | $h50 | $h95 | $s50 / $s95 | $l50 |"
done
echo
echo "| export | rows | seconds | peak RSS MiB |"
echo "|---|---|---|---|"
echo "| CSV, every case | $ROWS | $ET | $((ERSS / 1024)) |"
echo "| CSV, state $STATE | $PROWS | $ST | $((SRSS / 1024)) |"

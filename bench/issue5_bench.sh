#!/usr/bin/env bash
# bench/issue5_bench.sh — issue 5's speed targets in one table: search,
# the indicators, a CSV export of every case and Open311 GET requests, each
# beside the same query run directly in the sqlite3 shell (no server, no
# HTTP, no JSON: the storage floor).
#
#   1. data: BENCH_DATA, a data directory already prepared (copy it to
#      reuse it: the server may migrate it), or a fresh one: `pingan init
#      --demo`, `pingan seed --cases BENCH_CASES`, then, with BENCH_SCALE=K,
#      every case copied K - 1 times by bench/issue5_scale.c (built here
#      against build/libpingan_lib.a) — e.g. BENCH_CASES=22000 BENCH_SCALE=46
#      gives 1,012,000 cases in minutes where seeding a million takes hours;
#   2. `pingan serve` (public rate limit off, timer idle); one client
#      (bench/issue5_client.py, keep-alive) times BENCH_REPS requests of
#      every search query and every indicator shape as `supervisor` (sees
#      the district): p50 and p95;
#   3. wrk on the Open311 shapes (BENCH_SECONDS each, BENCH_CONNECTIONS):
#      requests/s and the server's CPU per request (from /proc); the
#      default list twice, as it is and asking for gzip;
#   4. the server stopped: each query in the sqlite3 shell (BENCH_SQL_REPS
#      runs; for search the driving MATCH cut at the window, for the
#      indicators the aggregate sums the store runs, for Open311 the list
#      query, for the export the table read once);
#   5. `pingan export` of every case (CSV, time and peak RSS) and of one
#      state's cases (peak RSS: memory stays flat);
#   6. one Markdown table on stdout.
#
# Environment (defaults in brackets): BENCH_DATA, BENCH_CASES [1000000], BENCH_SCALE [1],
# BENCH_REPS [30], BENCH_SECONDS [5], BENCH_CONNECTIONS [32],
# BENCH_SQL_REPS [20], PINGAN_BIN [build/pingan], BENCH_TMPDIR [$TMPDIR or
# /tmp], BENCH_KEEP [0].  Run it under `flock /work/wt/_brief/bench.lock`
# on a shared machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${PINGAN_BIN:-$ROOT/build/pingan}
CASES=${BENCH_CASES:-1000000}
REPS=${BENCH_REPS:-30}
DUR=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNECTIONS:-32}
SQL_REPS=${BENCH_SQL_REPS:-20}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
log() { printf 'issue5-bench: %s\n' "$*" >&2; }
die() { printf 'issue5-bench: error: %s\n' "$*" >&2; exit 1; }
[[ -x $BIN ]] || die "$BIN not found: build first"
for tool in wrk curl sqlite3 python3; do
	command -v "$tool" >/dev/null || die "$tool is not installed (Debian package: $tool)"
done
TMP=$(mktemp -d "$TMPBASE/pingan-issue5.XXXXXX")
SERVER_PID=
cleanup() {
	local rc=$?
	if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
	fi
	[[ ${BENCH_KEEP:-0} == 1 ]] && log "kept $TMP" || rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
export PINGAN_ADMIN_PASSWORD=Admin-Pass-2026 PINGAN_DEMO_PASSWORD=Demo-Pass-2026

# ---- 1. data ------------------------------------------------------------------------------
if [[ -n ${BENCH_DATA:-} ]]; then
	DATA=$BENCH_DATA
else
	DATA=$TMP/data
	"$BIN" init --demo --data "$DATA" >/dev/null 2>&1 || die "init failed"
	log "seeding $CASES cases"
	t0=$(date +%s)
	PINGAN_DATABASE_SYNCHRONOUS_NORMAL=true "$BIN" seed --data "$DATA" --cases "$CASES" >&2
	log "seeded in $(( $(date +%s) - t0 )) s"
	if (( ${BENCH_SCALE:-1} > 1 )); then
		BUILD=$(dirname "$BIN")
		LINK=$BUILD/CMakeFiles/pingan.dir/link.txt
		[[ -f $LINK && -f $BUILD/libpingan_lib.a ]] || die "BENCH_SCALE needs a CMake build next to $BIN"
		read -r -a LIBS <<<"$(tr ' ' '\n' <"$LINK" | grep -E '^(/.*\.so|-l.*)$' | tr '\n' ' ')"
		cc -O2 -std=c17 -D_GNU_SOURCE -I"$ROOT/src" $(pkg-config --cflags jansson) "$ROOT/bench/issue5_scale.c" \
			"$BUILD/libpingan_lib.a" "${LIBS[@]}" -lm -lpthread -o "$TMP/issue5_scale"
		t0=$(date +%s)
		"$TMP/issue5_scale" "$DATA/pingan.db" "$BENCH_SCALE"
		log "scaled ×$BENCH_SCALE in $(( $(date +%s) - t0 )) s"
	fi
fi
DB=$DATA/pingan.db
[[ -f $DB ]] || die "no $DB"
TOTAL=$(sqlite3 "$DB" "SELECT count(*) FROM cases")
GRID=$(sqlite3 "$DB" "SELECT count(*) FROM cases WHERE type = 'grid_event'")
DB_MB=$(du -m "$DB" | cut -f1)
sqlite3 "$DB" "SELECT number FROM cases WHERE type = 'grid_event' ORDER BY random() LIMIT 10000" >"$TMP/ids.txt"
[[ -s $TMP/ids.txt ]] || die "no grid events in the data: Open311 has nothing to list"
POLL_CODE=$(sqlite3 "$DB" "SELECT category FROM cases WHERE type = 'grid_event' GROUP BY category ORDER BY count(*) DESC LIMIT 1")

# ---- 2. the server, search and indicators ---------------------------------------------------
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
PINGAN_RATE_PUBLIC_PER_MINUTE=0 PINGAN_TIMER_INTERVAL_SECONDS=3600 \
	"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 3000); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$BASE/healthz" >/dev/null || { cat "$TMP/serve.log" >&2; die "the server did not start"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
TICK=$(getconf CLK_TCK)

log "search and indicators, $REPS requests each"
python3 "$ROOT/bench/issue5_client.py" "$PORT" "$REPS" >"$TMP/client.tsv" || die "the client failed"

# ---- 3. Open311 with wrk --------------------------------------------------------------------
SINCE=$(date -d '@'$(( $(date +%s) - 7 * 86400 )) '+%Y-%m-%dT%H:%M:%S%:z')
SINCE_Q=${SINCE//+/%2B}
declare -A O3PATH=(
	[healthz]="/healthz"
	[one-path]="/open311/v2/requests/{id}.json"
	[one-id]="/open311/v2/requests.json?service_request_id={id}"
	[poll]="/open311/v2/requests.json?service_code=$POLL_CODE&status=open&start_date=$SINCE_Q"
	[poll-xml]="/open311/v2/requests.xml?service_code=$POLL_CODE&status=open&start_date=$SINCE_Q"
	[default]="/open311/v2/requests.json"
	[default-gzip]="/open311/v2/requests.json"
)
O3ORDER=(healthz one-path one-id poll poll-xml default default-gzip)
declare -A RPS P99 CPU
for name in "${O3ORDER[@]}"; do
	log "wrk $name"
	c0=$(cpu_ticks)
	gz=0
	[[ $name == *-gzip ]] && gz=1
	out=$(BENCH_LUA_DIR="$ROOT/bench" BENCH_PATH="${O3PATH[$name]}" BENCH_IDS="$TMP/ids.txt" BENCH_GZIP=$gz \
		wrk -t2 -c "$CONNS" -d "${DUR}s" -s "$ROOT/bench/open311.lua" "$BASE" 2>&1)
	c1=$(cpu_ticks)
	line=$(grep '^BENCH ' <<<"$out") || { echo "$out" >&2; die "wrk $name failed"; }
	n=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
	errs=$(sed 's/.* err_status=\([0-9]*\).*/\1/' <<<"$line")
	(( errs == 0 )) || die "wrk $name: $errs error responses"
	RPS[$name]=$(sed 's/.* rps=\([0-9.]*\).*/\1/' <<<"$line")
	P99[$name]=$(sed 's/.* p99_us=\([0-9]*\).*/\1/' <<<"$line")
	CPU[$name]=$(awk -v t=$(( c1 - c0 )) -v hz="$TICK" -v n="$n" 'BEGIN { printf "%.0f", n ? t / hz * 1e6 / n : 0 }')
done
RSS_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

# ---- 4. the same queries in the sqlite3 shell -----------------------------------------------
# median and 95th percentile (ms) of SQL_REPS runs of one statement, from .timer
sqlpct() {
	local sql=$1 reps=${2:-$SQL_REPS}
	{ echo ".timer on"; echo ".output /dev/null"; for _ in $(seq "$reps"); do echo "$sql"; done; } |
		sqlite3 "$DB" 2>&1 | grep -o 'real [0-9.]*' | awk '{ print $2 }' |
		python3 -c 'import sys; v = sorted(float(x) for x in sys.stdin.read().split()) or [0]; p = lambda q: v[min(len(v) - 1, int(q * len(v)))] * 1000; print("%.1f %.1f" % (p(0.5), p(0.95)))'
}
declare -A SQLQ
while IFS=$'\t' read -r kind name _ _ _ sql; do
	[[ -n $sql && $sql != - ]] || continue
	SQLQ[$kind/$name]=$(sqlpct "$sql")
done <"$TMP/client.tsv"
COLS="id, number, type, category, title, body, channel, state, is_open, intake_org_id, owner_org_id, assignee_id, accused_org_id, created_at, updated_at, state_entered_at, due_at, overdue, query_hash, data, version, lat, lng, address"
NOW=$(date +%s)
ID1=$(head -n1 "$TMP/ids.txt")
declare -A O3SQL=(
	[one-path]="SELECT $COLS FROM cases WHERE number IN ('$ID1');"
	[poll]="SELECT $COLS FROM cases WHERE category IN ('$POLL_CODE') AND created_at BETWEEN $(( NOW - 7 * 86400 )) AND $NOW AND is_open = 1 ORDER BY created_at DESC, id DESC LIMIT 1000;"
	[default]="SELECT $COLS FROM cases WHERE type = 'grid_event' AND (category || '') IN (SELECT DISTINCT category FROM cases WHERE type = 'grid_event') AND created_at BETWEEN $(( NOW - 90 * 86400 )) AND $NOW ORDER BY created_at DESC, id DESC LIMIT 1000;"
)
declare -A O3QPS
for name in one-path poll default; do
	case $name in one-path) reps=2000 ;; default) reps=3 ;; *) reps=50 ;; esac
	{ echo ".output /dev/null"; for _ in $(seq "$reps"); do echo "${O3SQL[$name]}"; done; } >"$TMP/o3.sql"
	t0=$(date +%s.%N)
	sqlite3 "$DB" <"$TMP/o3.sql"
	O3QPS[$name]=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$reps" 'BEGIN { printf "%.0f", n / (b - a) }')
done
O3QPS[one-id]=${O3QPS[one-path]}
O3QPS[poll-xml]=${O3QPS[poll]}
O3QPS[default-gzip]=${O3QPS[default]}
O3QPS[healthz]=-
t0=$(date +%s.%N)
sqlite3 -csv "$DB" "SELECT number, type, category, title, state, channel, owner_org_id, created_at, due_at, overdue, is_open FROM cases" >/dev/null
EXP_SQL=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

# ---- 5. exports -------------------------------------------------------------------------------
log "export of every case"
rss_time() { /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1; }
read -r ET ERSS < <(rss_time "$BIN" export --data "$DATA" --out "$TMP/all.csv")
[[ -f $TMP/all.csv ]] || die "pingan export failed: run it by hand to see why"
ROWS=$(( $(wc -l <"$TMP/all.csv") - 1 ))
rm -f "$TMP/all.csv"
STATE=$(sqlite3 "$DB" "SELECT state FROM cases GROUP BY state ORDER BY count(*) LIMIT 1")
read -r ST SRSS < <(rss_time "$BIN" export --data "$DATA" --state "$STATE" --out "$TMP/part.csv")
PROWS=$(( $(wc -l <"$TMP/part.csv") - 1 ))

# ---- 6. the table -------------------------------------------------------------------------------
yes_no() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = op == "<" ? v < t : v >= t; print ok ? "yes" : "**no**" }'; }
echo "Issue 5 — $TOTAL cases ($GRID grid events), database $DB_MB MB; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg);"
echo "revision $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown), $(date -u '+%Y-%m-%d %H:%M UTC'); server RSS after the HTTP runs $(( RSS_KB / 1024 )) MB."
echo "HTTP: $REPS requests per search/indicator shape one at a time (keep-alive) as supervisor; wrk -t2 -c$CONNS -d${DUR}s per Open311 shape."
echo
echo "| workload | target | measured | met | sqlite3 shell, same query |"
echo "|---|---|---|---|---|"
while IFS=$'\t' read -r kind name p50 p95 rows sql; do
	read -r s50 s95 <<<"${SQLQ[$kind/$name]:-- -}"
	if [[ $kind == search ]]; then
		echo "| search \`$name\` ($rows on the first page) | p95 < 50 ms | p50 $p50 / p95 $p95 ms | $(yes_no "$p95" 50 '<') | MATCH, window: p50 $s50 / p95 $s95 ms |"
	else
		base="—"
		[[ -n ${SQLQ[$kind/$name]:-} ]] && base="aggregate sums: p50 $s50 / p95 $s95 ms"
		echo "| indicators: $name | < 200 ms | p50 $p50 / p95 $p95 ms | $(yes_no "$p95" 200 '<') | $base |"
	fi
done <"$TMP/client.tsv"
echo "| CSV export, every case ($ROWS rows) | < 20 s, flat memory | $ET s, peak RSS $(( ERSS / 1024 )) MiB ($PROWS rows of state $STATE: $(( SRSS / 1024 )) MiB) | $(yes_no "$ET" 20 '<') | the same columns as CSV: $EXP_SQL s |"
for name in "${O3ORDER[@]}"; do
	met=$(yes_no "${RPS[$name]}" 10000 '>=')
	target="≥ 10,000/s"
	[[ $name == healthz ]] && { met=-; target="(HTTP ceiling)"; }
	printf '| Open311 %s | %s | %.0f req/s, p99 %.1f ms, server CPU %s µs/req | %s | %s q/s |\n' "$name" "$target" \
		"${RPS[$name]}" "$(awk -v u="${P99[$name]}" 'BEGIN { print u / 1000 }')" "${CPU[$name]}" "$met" "${O3QPS[$name]}"
done

#!/usr/bin/env bash
# bench/docs_bench.sh — written documents (文书): how many per second, and
# what generating them costs the submission benchmark.
#
# Builds bench/docs_bench.c against build/libpingan_lib.a (cc -O2), then:
#
#   1. render   docs_bench render: single-page notices rendered in memory,
#               1 thread and DOCS_THREADS threads (the renderer alone);
#   2. issue    docs_bench issue: DOCS_N petitions accepted (one notice each,
#               queued with the step), then the generator threads of `pingan
#               serve` issue them end to end — number, render, durable PDF
#               (fsync), attachment, timeline event, audit record;
#   3. load     `pingan serve` on a seeded demo district; wrk drives
#               POST /api/public/cases (bench/submit.lua) for BENCH_SECONDS
#               (a) with nothing to generate, then (b) with DOCS_BACKLOG
#               documents queued, so the generators run during the whole
#               measured run, alternating DOCS_ROUNDS times; the figures are
#               the median throughputs, the loss, and how many documents
#               were issued meanwhile.
#
# Prints a Markdown table on stdout (progress on stderr).  Everything targets
# 127.0.0.1; the temp directory is removed on exit (BENCH_KEEP=1 keeps it).
# bench/run.sh is the main benchmark; this one only measures documents.
#
# Environment (defaults in brackets):
#   DOCS_N [1000]          documents of the render and issue phases
#   DOCS_THREADS [2]       generator threads (pingan serve uses DOCGEN_THREADS = 2)
#   DOCS_BACKLOG [5000]    documents queued for each phase 3 (b)
#   DOCS_ROUNDS [3]        (a)/(b) pairs
#   BENCH_CASES [20000]    cases seeded for phase 3
#   BENCH_SECONDS [10]     each wrk run
#   BENCH_CONNECTIONS [64] wrk connections
#   BENCH_WRK_THREADS [2]  wrk threads
#   PINGAN_BIN [build/pingan], BUILD [build]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BIN=${PINGAN_BIN:-$BUILD/pingan}
N=${DOCS_N:-1000}
THREADS=${DOCS_THREADS:-2}
BACKLOG=${DOCS_BACKLOG:-5000}
CASES=${BENCH_CASES:-20000}
DUR=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}

log() { printf 'docs-bench: %s\n' "$*" >&2; }
die() { printf 'docs-bench: error: %s\n' "$*" >&2; exit 1; }

[[ -x $BIN ]] || die "$BIN not found: build first"
[[ -f $BUILD/libpingan_lib.a ]] || die "$BUILD/libpingan_lib.a not found: build first"
for tool in wrk curl cc sqlite3; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pingan-docs-bench.XXXXXX")
SERVER_PID=
cleanup() {
	if [[ -n $SERVER_PID ]]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# link with what the build links pingan with (the library set grows as Pingan does)
LINK=$BUILD/CMakeFiles/pingan.dir/link.txt
[[ -f $LINK ]] || { echo "docs_bench: $LINK not found: build with CMake first" >&2; exit 1; }
read -r -a LIBS <<<"$(tr ' ' '\n' <"$LINK" | grep -E '^(/.*\.so|-l.*)$' | tr '\n' ' ')"
cc -O2 -std=c17 -D_GNU_SOURCE -I"$ROOT/src" $(pkg-config --cflags jansson pangocairo) "$ROOT/bench/docs_bench.c" \
	"$BUILD/libpingan_lib.a" "${LIBS[@]}" -lm -lpthread -o "$TMP/docs_bench"

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | head -n1; }

# ---- 1, 2 ------------------------------------------------------------------
log "render: $N documents, 1 thread"
R1=$("$TMP/docs_bench" render "$ROOT" "$TMP/cache" "$N" 1 | field docs_per_s)
log "render: $N documents, $THREADS threads"
RT=$("$TMP/docs_bench" render "$ROOT" "$TMP/cache" "$N" "$THREADS" | field docs_per_s)
log "issue: $N documents end to end, $THREADS generator threads"
ISSUE=$("$TMP/docs_bench" issue "$ROOT" "$TMP/issue" "$N" "$THREADS" 2>/dev/null | field docs_per_s)

# ---- 3 ---------------------------------------------------------------------
DATA=$TMP/data
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
log "init --demo and seed $CASES cases"
PINGAN_ADMIN_PASSWORD=Admin-Pass-2026 PINGAN_DEMO_PASSWORD=Demo-Pass-2026 \
	"$BIN" init --data "$DATA" --demo >"$TMP/init.log" 2>&1 || die "init failed"
"$BIN" seed --data "$DATA" --cases "$CASES" >"$TMP/seed.log" 2>&1 || die "seed failed"

serve() {
	env PINGAN_RATE_PUBLIC_PER_MINUTE=0 PINGAN_TIMER_INTERVAL_SECONDS=3600 \
		"$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" >>"$TMP/serve.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 100); do
		curl -fs "$BASE/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "the server did not start"
}
stop() {
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID" || true
	SERVER_PID=
}
submit() {
	BENCH_LUA_DIR="$ROOT/bench" wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DUR}s" -s "$ROOT/bench/submit.lua" \
		"$BASE" 2>/dev/null | grep '^BENCH' | field rps
}
done_count() { sqlite3 -readonly "$DATA/pingan.db" "SELECT count(*) FROM documents WHERE status = 'done'"; }

# (a) and (b) alternate ROUNDS times (the medians are reported): on a shared
# machine the load of other work moves between runs, and one run each would
# compare two different machines.  Between runs the queue is switched off
# (queued rows parked as failed) or on (parked rows queued again, and
# DOCS_BACKLOG more) with sqlite3 while the server is stopped.
queue_off() { sqlite3 "$DATA/pingan.db" "UPDATE documents SET status = 'failed' WHERE status IN ('pending', 'rendering')"; }
queue_on() {
	sqlite3 "$DATA/pingan.db" "UPDATE documents SET status = 'pending', claim = NULL, claim_until = 0, attempts = 0
		WHERE status = 'failed' AND requested_by = 'bench';
		INSERT INTO documents(case_id, kind, locale, unit_org_id, version, public, status, vars, created_at, requested_by)
		SELECT id, 'acceptance', 'zh-CN', owner_org_id, 1 + (SELECT count(*) FROM documents), 1, 'pending', '{}',
		CAST(strftime('%s','now') AS INTEGER), 'bench' FROM cases ORDER BY random() LIMIT $BACKLOG"
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ROUNDS=${DOCS_ROUNDS:-3}
: >"$TMP/a" ; : >"$TMP/b" ; : >"$TMP/during"
run_a() {
	log "round $r/$ROUNDS (a) submissions, nothing to generate"
	queue_off
	serve
	BENCH_LUA_DIR="$ROOT/bench" wrk -t1 -c4 -d1s -s "$ROOT/bench/submit.lua" "$BASE" >/dev/null 2>&1 || true
	submit >>"$TMP/a"
	stop
}
run_b() {
	log "round $r/$ROUNDS (b) submissions while documents are generated"
	queue_on
	serve
	BENCH_LUA_DIR="$ROOT/bench" wrk -t1 -c4 -d1s -s "$ROOT/bench/submit.lua" "$BASE" >/dev/null 2>&1 || true
	D0=$(done_count)
	submit >>"$TMP/b"
	D1=$(done_count)
	awk -v a="$D0" -v b="$D1" -v d="$DUR" 'BEGIN { printf "%.1f\n", (b - a) / d }' >>"$TMP/during"
	if (( r == ROUNDS )); then
		log "generation alone for ${DUR}s"
		sleep "$DUR"
		D2=$(done_count)
		ALONE=$(awk -v a="$D1" -v b="$D2" -v d="$DUR" 'BEGIN { printf "%.1f", (b - a) / d }')
	fi
	stop
}
# a b, b a, a b, …: a drift of the machine over the runs does not favour either
for r in $(seq "$ROUNDS"); do
	if (( r % 2 )); then run_a; run_b; else run_b; run_a; fi
done
RPS_A=$(median <"$TMP/a")
RPS_B=$(median <"$TMP/b")
DURING=$(median <"$TMP/during")
LOSS=$(awk -v a="$RPS_A" -v b="$RPS_B" 'BEGIN { if (a > 0) printf "%.1f", (a - b) * 100 / a; else print "n/a" }')
ALL_A=$(paste -sd' ' "$TMP/a")
ALL_B=$(paste -sd' ' "$TMP/b")

cat <<EOF
| figure | value |
|---|---|
| render, 1 thread (docs/s) | $R1 |
| render, $THREADS threads (docs/s) | $RT |
| issued end to end, $THREADS generators (docs/s) | $ISSUE |
| submissions, no generation (req/s, median of $ROUNDS: $ALL_A) | $RPS_A |
| submissions while generating (req/s, median of $ROUNDS: $ALL_B) | $RPS_B |
| submission throughput lost | $LOSS % |
| documents issued during (b) (docs/s) | $DURING |
| documents issued by the server alone after (b) (docs/s) | $ALONE |
| machine | $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg) |
EOF

#!/usr/bin/env bash
# bench/types_bench.sh — issue 3's "How fast": the deadline timer's scan of
# due items, the inbox query and actions, on a database of generated cases
# of every type, each beside a baseline from the same run.
#
# Builds bench/types_bench.c against build/libpingan_lib.a (cc -O2), then in
# a fresh temp directory:
#
#   1. `pingan init --demo` and `pingan seed --cases $TYPES_CASES` (every
#      loaded case type in a district's mix: src/core/demo.c);
#   2. types_bench: scan (one timer pass, cases_timer_tick), inbox
#      (TYPES_QUERIES first pages of 50 open cases, round robin over the demo
#      staff), actions (TYPES_ACTIONS petitions accepted by TYPES_THREADS
#      threads: transition, timeline, notice, outbox, document, audit —
#      durable, group commit); baselines: the same scan and page as bare SQL
#      on the same file (see the comment at the top of bench/types_bench.c);
#   3. the actions' storage floor, bench/action_rows.c (cc -O2 -lsqlite3) on
#      the same file afterwards: the statements the server's writer runs for
#      each accept, as bare SQL in the real schema, one thread, durable, 16
#      and then 64 actions per commit, TYPES_FLOOR_SECONDS each;
#   4. prints one Markdown table on stdout (progress on stderr).
#
# Environment (defaults in brackets):
#   TYPES_CASES [1000000]  cases generated before the runs
#   TYPES_QUERIES [20000]  inbox queries
#   TYPES_ACTIONS [20000]  actions
#   TYPES_THREADS [64]     threads taking actions (the server's write pool, write_threads)
#   TYPES_DATA [-]         a data directory already seeded (e.g. a copy of a 1M one) to
#                          measure instead of seeding: the actions write to it, so a copy
#   TYPES_PHASES [all]     the phases to run: any of "scan inbox actions" (the floor
#                          runs with actions)
#   TYPES_FLOOR_SECONDS [5] each storage-floor run (it stops sooner if its 20,000
#                          petitions run out)
#   BENCH_TMPDIR [$TMPDIR or /tmp]; BENCH_KEEP [0] keeps the temp dir
#   PINGAN_BIN [build/pingan], BUILD [build]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BIN=${PINGAN_BIN:-$BUILD/pingan}
CASES=${TYPES_CASES:-1000000}
QUERIES=${TYPES_QUERIES:-20000}
ACTIONS=${TYPES_ACTIONS:-20000}
THREADS=${TYPES_THREADS:-64}
FLOOR_S=${TYPES_FLOOR_SECONDS:-5}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}

# Targets of issue 3.
T_SCAN_MS=1000 T_INBOX_P99_MS=10 T_ACTIONS_PER_S=3000

log() { printf 'types-bench: %s\n' "$*" >&2; }
die() { printf 'types-bench: error: %s\n' "$*" >&2; exit 1; }

for v in CASES QUERIES ACTIONS THREADS; do
	[[ ${!v} =~ ^[0-9]+$ ]] && (( ${!v} > 0 )) || die "$v must be a positive integer (got '${!v}')"
done
[[ -x $BIN ]] || die "$BIN not found: build first"
[[ -f $BUILD/libpingan_lib.a ]] || die "$BUILD/libpingan_lib.a not found: build first"
command -v cc >/dev/null || die "cc is not installed"
[[ $FLOOR_S =~ ^[0-9]+([.][0-9]+)?$ ]] || die "TYPES_FLOOR_SECONDS must be a number of seconds (got '$FLOOR_S')"

TMP=$(mktemp -d "$TMPBASE/pingan-types-bench.XXXXXX")
cleanup() { if [[ ${BENCH_KEEP:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi; }
trap cleanup EXIT

# link with what the build links pingan with (the library set grows as Pingan does)
LINK=$BUILD/CMakeFiles/pingan.dir/link.txt
[[ -f $LINK ]] || die "$LINK not found: build with CMake first"
read -r -a LIBS <<<"$(tr ' ' '\n' <"$LINK" | grep -E '^(/.*\.so|-l.*)$' | tr '\n' ' ')"
log "compiling bench/types_bench.c"
cc -O2 -std=c17 -D_GNU_SOURCE -I"$ROOT/src" $(pkg-config --cflags jansson) "$ROOT/bench/types_bench.c" \
	"$BUILD/libpingan_lib.a" "${LIBS[@]}" -lm -lpthread -o "$TMP/types_bench"
log "compiling bench/action_rows.c"
cc -O2 -std=c17 "$ROOT/bench/action_rows.c" -lsqlite3 -o "$TMP/action_rows"

if [[ -n ${TYPES_DATA:-} ]]; then
	DATA=$TYPES_DATA
	[[ -f $DATA/pingan.db ]] || die "TYPES_DATA: no pingan.db in $DATA"
	CASES=$(sqlite3 "$DATA/pingan.db" "SELECT count(*) FROM cases")
	SEED_S="not seeded here: TYPES_DATA"
	log "measuring the $CASES cases of $DATA"
else
	DATA=$TMP/data
	export PINGAN_ADMIN_PASSWORD=Bench-Admin-2026 PINGAN_DEMO_PASSWORD=Bench-Demo-2026
	"$BIN" init --data "$DATA" --demo >"$TMP/init.log" 2>&1 || die "init failed: $(tail -3 "$TMP/init.log")"
	log "seeding $CASES cases of every type"
	t0=$(date +%s)
	"$BIN" seed --data "$DATA" --cases "$CASES" >"$TMP/seed.log" 2>&1 || die "seed failed: $(tail -3 "$TMP/seed.log")"
	SEED_S="$(( $(date +%s) - t0 )) s"
fi
MIX=$(sqlite3 "$DATA/pingan.db" "SELECT group_concat(type || ' ' || n, ', ') FROM
      (SELECT type, count(*) AS n FROM cases GROUP BY type ORDER BY n DESC)" 2>/dev/null || echo "?")
DB_MB=$(( $(stat -c %s "$DATA/pingan.db") / 1048576 ))

log "measuring"
OUT=$("$TMP/types_bench" "$ROOT" "$DATA" "$QUERIES" "$ACTIONS" "$THREADS" 2>"$TMP/bench.log") \
	|| die "types_bench failed: $(tail -3 "$TMP/bench.log")"
printf '%s\n' "$OUT" >&2
grep '^INBOX ' "$TMP/bench.log" >&2 || true

# the actions' storage floor, after the server's phase, on the same file
FLOOR16="" FLOOR64=""
if [[ -z ${TYPES_PHASES:-} || ${TYPES_PHASES} == *actions* ]]; then
	log "storage floor of an action: bench/action_rows.c, 16 and 64 per commit"
	FLOOR16=$("$TMP/action_rows" "$DATA/pingan.db" "$FLOOR_S" 16 2>&1) || die "action_rows: $FLOOR16"
	FLOOR64=$("$TMP/action_rows" "$DATA/pingan.db" "$FLOOR_S" 64 2>&1) || die "action_rows: $FLOOR64"
	printf '%s\n%s\n' "$FLOOR16" "$FLOOR64" >&2
fi

# a phase left out by TYPES_PHASES has no line: its fields are empty and its row is not printed
field() { printf '%s\n' "$OUT" | sed -n "/phase=$1 /s/.* $2=\([0-9.]*\).*/\1/p" | head -n1; }
ran() { [[ -z ${TYPES_PHASES:-} || ${TYPES_PHASES} == *$1* ]]; }
ok() { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { r = (op == "<") ? a < b : a >= b; print r ? "yes" : "**no**" }'; }

SCAN=$(field scan first_ms) SCAN2=$(field scan second_ms) SCAN_SQL=$(field scan sql_ms)
PENDING=$(field scan pending) OPEN=$(field scan open)
P50=$(field inbox p50_ms) P99=$(field inbox p99_ms) PMAX=$(field inbox max_ms)
SP50=$(field inbox sql_p50_ms) SP99=$(field inbox sql_p99_ms) SPMAX=$(field inbox sql_max_ms)
APS=$(field actions per_s) FAILED=$(field actions failed) COMMITS=$(field actions commits)
ffield() { printf '%s\n' "$1" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p" | head -n1; }
floor_cell() {
	[[ -n $FLOOR16 && -n $FLOOR64 ]] || { printf 'storage floor not run'; return; }
	printf 'storage floor, the same statements as bare SQL in the real schema (bench/action_rows.c, one thread, durable): %s/s at 16 per commit, %s/s at 64; CPU %s · %s µs per action, of which the statements %s · %s and COMMIT (fsync, checkpoints) %s · %s; %s · %s WAL pages' \
		"$(ffield "$FLOOR16" per_s)" "$(ffield "$FLOOR64" per_s)" "$(ffield "$FLOOR16" cpu_us)" \
		"$(ffield "$FLOOR64" cpu_us)" "$(ffield "$FLOOR16" stmt_cpu_us)" "$(ffield "$FLOOR64" stmt_cpu_us)" \
		"$(ffield "$FLOOR16" commit_cpu_us)" "$(ffield "$FLOOR64" commit_cpu_us)" \
		"$(ffield "$FLOOR16" wal_frames)" "$(ffield "$FLOOR64" wal_frames)"
}
ACPU=$(field actions cpu_us)
AWCPU=$(field actions writer_cpu_us)
AWKB=$(field actions wchar_kb) ADKB=$(field actions disk_kb)

cat <<TABLE
| workload | measured | target | met | baseline (same run: the same query run directly in sqlite3; for actions, the storage floor) |
|---|---|---|---|---|
TABLE
ran scan && cat <<ROW
| timer scan of due items (one pass over $OPEN open cases) | ${SCAN} ms (next pass ${SCAN2} ms) | < ${T_SCAN_MS} ms | $(ok "$SCAN" "<" "$T_SCAN_MS") | ${SCAN_SQL} ms (count of $PENDING due items) |
ROW
ran inbox && cat <<ROW
| inbox query, first page of 50 open cases | p50 ${P50} ms, p99 ${P99} ms (max ${PMAX}) | p99 < ${T_INBOX_P99_MS} ms | $(ok "$P99" "<" "$T_INBOX_P99_MS") | p50 ${SP50} ms, p99 ${SP99} ms (max ${SPMAX}) |
ROW
ran actions && cat <<ROW
| action: transition + timeline + notice + outbox + document + audit, durable | ${APS}/s (${ACTIONS} actions, ${THREADS} threads, ${COMMITS} commits, ${FAILED} failed; CPU ${ACPU} µs per action, writer ${AWCPU} µs; written ${AWKB} KB per action, ${ADKB} KB to disk) | ≥ ${T_ACTIONS_PER_S}/s | $(ok "$APS" ">=" "$T_ACTIONS_PER_S") | $(floor_cell) |
ROW
cat <<TABLE

data: $CASES generated cases (seed ${SEED_S}, database ${DB_MB} MB): $MIX
run: $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)
TABLE

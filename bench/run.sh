#!/usr/bin/env bash
# bench/run.sh — the benchmark table of docs/performance.md.
#
# Builds nothing: expects build/pingan (`make bench` builds it first, then
# runs this).  In a fresh temp directory it
#
#   1. compiles bench/sqlite_baseline.c and bench/submission_rows.c
#      (cc -O2 ... -lsqlite3),
#   2. `pingan init --demo` and `pingan seed --cases $BENCH_CASES`,
#   3. starts `pingan serve` on 127.0.0.1 (public rate limit off) and times
#      it from exec to the first 200 of /healthz,
#   4. logs in as the demo handler "housing" and creates an API token,
#   5. drives the server with wrk, one bounded run per workload:
#        healthz      GET /healthz                        (the HTTP limit)
#        (warm-up)    submit.lua, capturing number + query code pairs
#        submit       POST /api/public/cases, durable     (bench/submit.lua)
#        detail       GET /api/public/cases/{n}?code=...  (bench/detail.lua)
#        inbox        GET /api/v1/cases?limit=50 as housing (bench/inbox.lua)
#        inbox (light) the same with BENCH_LIGHT_CONNECTIONS connections
#      sampling the server's VmRSS during each run,
#   6. stops the server and runs the raw SQLite baselines (the storage limit):
#      one case-shaped row per commit and BENCH_SQLITE_BATCH per commit in a
#      fresh database, then a submission's whole set of rows as bare SQL,
#      BENCH_SQLITE_BATCH submissions per commit, in a copy of the server's
#      own database after the runs (bench/submission_rows.c),
#   7. prints one Markdown table on stdout (progress goes to stderr).
#
# Everything targets 127.0.0.1; every run is bounded by -d; the server is
# stopped and the temp directory removed on exit (BENCH_KEEP=1 keeps it).
#
# Environment (defaults in brackets):
#   BENCH_CASES [100000]         cases generated before the runs
#   BENCH_SECONDS [10]           duration of each measured wrk run
#   BENCH_CONNECTIONS [64]       wrk connections of the measured runs
#   BENCH_WRK_THREADS [2]        wrk threads (wrk shares the machine's cores)
#   BENCH_LIGHT_CONNECTIONS [4]  connections of the light-load inbox run
#   BENCH_WARMUP_SECONDS [3]     the submit warm-up that captures detail pairs
#   BENCH_SQLITE_SECONDS [5]     duration of each SQLite baseline phase
#   BENCH_SQLITE_BATCH [64]      rows per transaction of the grouped phase
#   BENCH_SERVER_THREADS [-]     PINGAN_THREADS for the server (default: its own)
#   BENCH_TIMER_SECONDS [3600]   PINGAN_TIMER_INTERVAL_SECONDS (see below)
#   BENCH_PORT [free port]       port of the server
#   BENCH_TMPDIR [$TMPDIR or /tmp]  where the temp dir goes (pick the disk
#                                the real data directory would be on: the
#                                durable figures are fsync figures)
#   BENCH_KEEP [0]               1 keeps the temp dir (logs, wrk output)
#   PINGAN_BIN [build/pingan]    the binary
#
# The deadline timer runs every hour instead of every 30 s by default: the
# first pass over a freshly seeded database converts tens of thousands of
# past-due cases and would land in the middle of the measured runs (see
# docs/performance.md).  BENCH_TIMER_SECONDS=30 measures with it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${PINGAN_BIN:-$ROOT/build/pingan}
CASES=${BENCH_CASES:-100000}
DUR=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
LIGHT_CONNS=${BENCH_LIGHT_CONNECTIONS:-4}
WARMUP=${BENCH_WARMUP_SECONDS:-3}
SQLITE_SECONDS=${BENCH_SQLITE_SECONDS:-5}
SQLITE_BATCH=${BENCH_SQLITE_BATCH:-64}
TIMER_SECONDS=${BENCH_TIMER_SECONDS:-3600}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}

# Targets of issue 2.
T_SUBMIT_RPS=10000 T_SUBMIT_P99_MS=20
T_DETAIL_RPS=20000
T_INBOX_P99_MS=10
T_RSS_MB=64
T_START_MS=100

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in CASES DUR CONNS WRK_THREADS LIGHT_CONNS WARMUP SQLITE_BATCH TIMER_SECONDS; do
	is_uint "${!v}" && (( ${!v} > 0 )) || die "$v must be a positive integer (got '${!v}')"
done
is_uint "$SQLITE_SECONDS" || die "BENCH_SQLITE_SECONDS must be a whole number of seconds"
(( CONNS >= WRK_THREADS )) || die "BENCH_CONNECTIONS must be at least BENCH_WRK_THREADS"
(( LIGHT_CONNS >= 1 )) || die "BENCH_LIGHT_CONNECTIONS must be at least 1"

[[ -x $BIN ]] || die "$BIN not found: build first (make bench does)"
for tool in wrk curl cc; do
	command -v "$tool" >/dev/null || die "$tool is not installed (Debian package: $tool)"
done
(( BASH_VERSINFO[0] >= 5 )) || die "needs bash 5 (EPOCHREALTIME)"

now_us() { local t=$EPOCHREALTIME; echo "${t/[.,]/}"; }

START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
REVISION=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- temp dir, server, cleanup ---------------------------------------------

TMP=$(mktemp -d "$TMPBASE/pingan-bench.XXXXXX")
DATA=$TMP/data
SERVER_PID=
SAMPLER_PID=

stop_server() {
	[[ -n $SERVER_PID ]] || return 0
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 150); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$SERVER_PID" 2>/dev/null; then
			log "server did not stop within 15 s: SIGKILL"
			kill -KILL "$SERVER_PID" 2>/dev/null || true
		fi
	fi
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}

cleanup() {
	local rc=$?
	[[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null
	stop_server
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# GET path on 127.0.0.1:port with bash's /dev/tcp (no fork: the start-up
# poll loop stays tight); true on a 200.
http_200() {
	local line=
	{
		printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&3
		IFS= read -r -t 2 line <&3 || true
	} 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	[[ $line == "HTTP/1."?" 200"* ]]
}

# (not "! { ...; } 3<>...": bash does not negate a failed redirection)
port_free() {
	if { : ; } 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1"; then return 1; fi
	return 0
}

if [[ -n ${BENCH_PORT:-} ]]; then
	PORT=$BENCH_PORT
	port_free "$PORT" || die "port $PORT is in use"
else
	PORT=
	for _ in $(seq 50); do
		p=$(( 20000 + RANDOM % 30000 ))
		if port_free "$p"; then PORT=$p; break; fi
	done
	[[ -n $PORT ]] || die "found no free port"
fi
BASE=http://127.0.0.1:$PORT

# ---- 1. the SQLite baseline program ----------------------------------------

log "compiling bench/sqlite_baseline.c"
cc -O2 -o "$TMP/sqlite_baseline" "$ROOT/bench/sqlite_baseline.c" -lsqlite3 ||
	die "cannot compile bench/sqlite_baseline.c (needs libsqlite3-dev)"
cc -O2 -o "$TMP/submission_rows" "$ROOT/bench/submission_rows.c" -lsqlite3 ||
	die "cannot compile bench/submission_rows.c (needs libsqlite3-dev)"

# ---- 2. data directory --------------------------------------------------------

rand_hex() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
ADMIN_PW="Bench-$(rand_hex)-Aa1"
STAFF_PW="Bench-$(rand_hex)-Bb2"

log "init --demo in $DATA"
PINGAN_ADMIN_PASSWORD=$ADMIN_PW PINGAN_DEMO_PASSWORD=$STAFF_PW \
	"$BIN" init --data "$DATA" --demo >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; die "init failed"; }

log "seed --cases $CASES"
t0=$(now_us)
"$BIN" seed --data "$DATA" --cases "$CASES" >"$TMP/seed.log" 2>&1 || { cat "$TMP/seed.log" >&2; die "seed failed"; }
SEED_S=$(awk -v d=$(( $(now_us) - t0 )) 'BEGIN { printf "%.1f", d / 1e6 }')
DB_MB=$(du -m "$DATA/pingan.db" | cut -f1)

# ---- 3. the server and its start-up time ---------------------------------------

server_env=(
	-u PINGAN_ADMIN_PASSWORD -u PINGAN_DEMO_PASSWORD
	PINGAN_RATE_PUBLIC_PER_MINUTE=0           # public rate limit off
	PINGAN_RATE_QUERY_CODE_PER_MINUTE=1000    # cannot be off; the codes are right anyway
	PINGAN_TIMER_INTERVAL_SECONDS="$TIMER_SECONDS"
)
[[ -n ${BENCH_SERVER_THREADS:-} ]] && server_env+=(PINGAN_THREADS="$BENCH_SERVER_THREADS")

log "serve on $BASE"
t0=$(now_us)
env "${server_env[@]}" "$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" >"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
until http_200 "$PORT" /healthz; do
	kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/serve.log" >&2; die "the server exited"; }
	(( $(now_us) - t0 < 10000000 )) || die "no 200 from /healthz within 10 s"
done
START_WALL_MS=$(awk -v d=$(( $(now_us) - t0 )) 'BEGIN { printf "%.1f", d / 1e3 }')
START_SELF_MS=
for _ in $(seq 50); do
	START_SELF_MS=$(sed -n 's/.*started in \([0-9][0-9]*\) ms.*/\1/p' "$TMP/serve.log" | head -n1)
	[[ -n $START_SELF_MS ]] && break
	sleep 0.1
done
SERVER_THREADS=$(sed -n 's/.*http: listening on .* (\([0-9]*\) threads[,)].*/\1/p' "$TMP/serve.log" | head -n1)
RSS_IDLE_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")

# ---- 4. an API token for the handler "housing" -------------------------------

login=$(curl -sS -c "$TMP/cookies" -H 'Content-Type: application/json' \
	-d "{\"username\":\"housing\",\"password\":\"$STAFF_PW\"}" "$BASE/api/v1/session")
csrf=$(printf '%s' "$login" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
[[ -n $csrf ]] || die "login as housing failed: $login"
tokresp=$(curl -sS -b "$TMP/cookies" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	-d '{"name":"bench"}' "$BASE/api/v1/tokens")
TOKEN=$(printf '%s' "$tokresp" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[[ -n $TOKEN ]] || die "creating an API token failed: $tokresp"
INBOX_ROWS=$(curl -sS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/cases?limit=50" | grep -o '"number":' | wc -l)
(( INBOX_ROWS == 50 )) || log "warning: the inbox page has $INBOX_ROWS rows, not 50"

# ---- 5. the wrk runs -------------------------------------------------------------

export BENCH_LUA_DIR=$ROOT/bench
declare -A R   # R[name.key] = value, from each run's BENCH line

# Max VmRSS (kB) of the server, sampled every 0.1 s, into file $1.
rss_sampler() {
	local max=0 k v _
	while [[ -r /proc/$SERVER_PID/status ]]; do
		while read -r k v _; do
			if [[ $k == VmRSS: ]]; then
				(( v > max )) && max=$v
				break
			fi
		done <"/proc/$SERVER_PID/status" || break
		echo "$max" >"$1.tmp" && mv -f "$1.tmp" "$1"
		sleep 0.1
	done
}

CLK_TCK=$(getconf CLK_TCK)

# CPU time (user + system, clock ticks) of the server process.
proc_ticks() {
	local s
	s=$(<"/proc/$SERVER_PID/stat")
	set -- ${s##*) }
	echo $(( ${12} + ${13} ))
}

# "TID COMM TICKS" for each server thread other than the HTTP workers and the
# main thread: the store writer and the deadline timer.
side_thread_ticks() {
	local t s comm
	for t in /proc/"$SERVER_PID"/task/*; do
		[[ ${t##*/} == "$SERVER_PID" ]] && continue
		s=$(<"$t/stat") || continue
		comm=${s#*(}
		comm=${comm%%)*}
		[[ $comm == MHD-worker ]] && continue
		set -- ${s##*) }
		echo "${t##*/} $comm $(( ${12} + ${13} ))"
	done
}

# Busy CPU time of the whole machine (clock ticks, all CPUs): user, nice,
# system and steal.  Not irq and softirq: loopback TCP is processed there and
# charged to no process, and it is the benchmark's own traffic.
machine_busy_ticks() {
	local line
	read -r line </proc/stat
	set -- $line
	echo $(( $2 + $3 + $4 + $9 ))
}

# "PID TICKS" of each kernel thread (ksoftirqd, kworker, ...: the children of
# kthreadd), which do the benchmark's loopback TCP and disk work.
kthread_ticks() {
	# cat, not awk FILES: a process may exit between the glob and the read
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk '{ pid = $1; sub(/^.*\) /, ""); split($0, f, " "); if (f[2] == 2) print pid, f[12] + f[13] }' || true
}

# Ticks the kernel threads used between two kthread_ticks files (threads that
# came and went in between are not counted).
kthread_delta() {
	awk 'NR == FNR { t0[$1] = $2; next } { d += ($1 in t0) ? $2 - t0[$1] : $2 } END { printf "%d", d }' "$1" "$2"
}

# CPU time of this script's finished children (wrk, ...), in clock ticks.
children_ticks() {
	times >"$TMP/times"
	awk -v hz="$CLK_TCK" 'END {
		t = 0
		for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
		printf "%d", t * hz }' "$TMP/times"
}

# run_wrk NAME THREADS CONNS SECONDS SCRIPT URL: one wrk run; its results go
# to R[NAME.*]: the BENCH line's fields (requests, rps, p50_us, p99_us, err_*),
# errors, rss_kb (peak VmRSS), cpu_ticks (server), side_ticks (busiest
# non-HTTP server thread: the writer in a write workload) and other_pct (CPU
# taken by other programs meanwhile, % of the machine).
run_wrk() {
	local name=$1 t=$2 c=$3 d=$4 script=$5 url=$6
	local out line kv ticks0 busy0 kids0 t0 k
	log "wrk $name: -t$t -c$c -d${d}s $(basename "$script") $url"
	rss_sampler "$TMP/rss-$name" &
	SAMPLER_PID=$!
	ticks0=$(proc_ticks)
	side_thread_ticks >"$TMP/side0"
	kthread_ticks >"$TMP/kth0"
	busy0=$(machine_busy_ticks)
	kids0=$(children_ticks)
	t0=$(now_us)
	out=$(wrk -t"$t" -c"$c" -d"${d}s" --timeout 10s --latency -s "$script" "$url" 2>&1) || {
		printf '%s\n' "$out" >&2
		die "wrk $name failed"
	}
	kill "$SAMPLER_PID" 2>/dev/null || true
	wait "$SAMPLER_PID" 2>/dev/null || true
	SAMPLER_PID=
	R[$name.cpu_ticks]=$(( $(proc_ticks) - ticks0 ))
	side_thread_ticks >"$TMP/side1"
	R[$name.side_ticks]=$(awk 'NR == FNR { t0[$1] = $3; next }
		{ d = $3 - t0[$1]; if (d > max) max = d }
		END { print max + 0 }' "$TMP/side0" "$TMP/side1")
	kthread_ticks >"$TMP/kth1"
	k=$(( $(children_ticks) - kids0 + $(kthread_delta "$TMP/kth0" "$TMP/kth1") ))
	R[$name.other_pct]=$(awk -v b=$(( $(machine_busy_ticks) - busy0 )) -v s="${R[$name.cpu_ticks]}" \
		-v k="$k" -v us=$(( $(now_us) - t0 )) -v hz="$CLK_TCK" -v n="$(nproc)" \
		'BEGIN { o = (b - s - k) / (us / 1e6 * hz * n) * 100; printf "%.0f", o < 0 ? 0 : o }')
	printf '%s\n' "$out" >"$TMP/wrk-$name.txt"
	line=$(printf '%s\n' "$out" | grep '^BENCH ' | tail -n1)
	[[ -n $line ]] || { printf '%s\n' "$out" >&2; die "no result line from wrk $name"; }
	for kv in ${line#BENCH }; do
		R[$name.${kv%%=*}]=${kv#*=}
	done
	R[$name.rss_kb]=$(cat "$TMP/rss-$name" 2>/dev/null || echo 0)
	R[$name.errors]=$(( ${R[$name.err_connect]} + ${R[$name.err_read]} + ${R[$name.err_write]} +
		${R[$name.err_status]} + ${R[$name.err_timeout]} ))
	kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$TMP/serve.log" >&2; die "the server died during $name"; }
}

run_wrk healthz "$WRK_THREADS" "$CONNS" "$DUR" "$ROOT/bench/common.lua" "$BASE/healthz"

# Warm-up: also captures number + query code pairs for detail.lua.
BENCH_RUN=1 BENCH_CAPTURE=$TMP/pairs BENCH_CAPTURE_MAX=5000 \
	run_wrk warmup 1 16 "$WARMUP" "$ROOT/bench/submit.lua" "$BASE"
cat "$TMP"/pairs.* >"$TMP/pairs" 2>/dev/null || true
NPAIRS=$(wc -l <"$TMP/pairs")
(( NPAIRS > 0 )) || die "the warm-up captured no submissions (see $TMP/wrk-warmup.txt)"

BENCH_RUN=2 run_wrk submit "$WRK_THREADS" "$CONNS" "$DUR" "$ROOT/bench/submit.lua" "$BASE"
BENCH_PAIRS=$TMP/pairs run_wrk detail "$WRK_THREADS" "$CONNS" "$DUR" "$ROOT/bench/detail.lua" "$BASE"
BENCH_TOKEN=$TOKEN run_wrk inbox "$WRK_THREADS" "$CONNS" "$DUR" "$ROOT/bench/inbox.lua" \
	"$BASE/api/v1/cases?limit=50"
lt=$(( LIGHT_CONNS < WRK_THREADS ? LIGHT_CONNS : WRK_THREADS ))
BENCH_TOKEN=$TOKEN run_wrk inbox_light "$lt" "$LIGHT_CONNS" "$DUR" "$ROOT/bench/inbox.lua" \
	"$BASE/api/v1/cases?limit=50"

HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status")
RSS_END_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
log "stopping the server"
t0=$(now_us)
stop_server
STOP_MS=$(awk -v d=$(( $(now_us) - t0 )) 'BEGIN { printf "%.0f", d / 1e3 }')

# ---- 6. the storage limit ----------------------------------------------------------

log "SQLite baseline: ${SQLITE_SECONDS}s single-row commits, ${SQLITE_SECONDS}s $SQLITE_BATCH-row commits"
"$TMP/sqlite_baseline" "$TMP" "$SQLITE_SECONDS" "$SQLITE_BATCH" >"$TMP/sqlite.txt" || die "sqlite_baseline failed"
log "SQLite baseline: ${SQLITE_SECONDS}s of a submission's rows, $SQLITE_BATCH submissions per commit"
# the server closed its database (checkpointed, WAL removed): copy the file
cp "$DATA/pingan.db" "$TMP/rows.db"
"$TMP/submission_rows" "$TMP/rows.db" "$SQLITE_SECONDS" "$SQLITE_BATCH" >>"$TMP/sqlite.txt" ||
	die "submission_rows failed"
rm -f "$TMP/rows.db" "$TMP/rows.db-wal" "$TMP/rows.db-shm"
for phase in single batch rows; do
	line=$(grep "^$phase " "$TMP/sqlite.txt")
	for kv in ${line#$phase }; do
		R[sqlite_$phase.${kv%%=*}]=${kv#*=}
	done
done

# ---- 7. the table ------------------------------------------------------------------

ms() { awk -v u="$1" 'BEGIN { printf (u < 10000 ? "%.2f ms" : "%.1f ms"), u / 1000 }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
num() { printf '%d' "${1%.*}"; }
# verdict OK ERRORS: "yes" / "no", plus the error count
verdict() {
	local v=no
	[[ $1 == 1 ]] && v=yes
	if (( ${2:-0} > 0 )); then
		v="$v ($2 errors)"
		[[ $1 == 1 ]] && v="no ($2 errors)"
	fi
	printf '%s' "$v"
}
baseline_note() { if (( ${1:-0} > 0 )); then printf '— (%s errors)' "$1"; else printf '—'; fi; }
lt_ms() { awk -v u="$1" -v t="$2" 'BEGIN { print (u < t * 1000) ? 1 : 0 }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? 1 : 0 }'; }
both() { [[ $1 == 1 && $2 == 1 ]] && echo 1 || echo 0; }

row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }

fstype=$(df -T "$TMP" | awk 'NR == 2 { print $2 }')
cpus=$(nproc)
cat <<EOF
pingan benchmark — $START_DATE, $(uname -r), $cpus CPUs, load average $START_LOAD at the start
binary: $BIN, source $REVISION ($("$BIN" version 2>/dev/null | head -n1))
data: $CASES seeded cases (seed ${SEED_S} s, database ${DB_MB} MB) on $fstype ($TMP)
server: ${SERVER_THREADS:-?} HTTP threads, public rate limit off, timer every ${TIMER_SECONDS} s
load: wrk -t$WRK_THREADS -c$CONNS -d${DUR}s on the same machine (wrk and the server share the $cpus CPUs)

EOF
row workload req/s p50 p99 target met?
row --- ---: ---: ---: --- ---
row "HTTP limit: GET /healthz" "$(num "${R[healthz.rps]}")" "$(ms "${R[healthz.p50_us]}")" \
	"$(ms "${R[healthz.p99_us]}")" "baseline" "$(baseline_note "${R[healthz.errors]}")"
row "storage limit: SQLite FULL, 1 row per commit" "$(num "${R[sqlite_single.rows_per_s]}")" \
	"$(ms "${R[sqlite_single.commit_p50_us]}")" "$(ms "${R[sqlite_single.commit_p99_us]}")" "baseline" "—"
row "storage limit: SQLite FULL, $SQLITE_BATCH rows per commit" "$(num "${R[sqlite_batch.rows_per_s]}")" \
	"$(ms "${R[sqlite_batch.commit_p50_us]}")" "$(ms "${R[sqlite_batch.commit_p99_us]}")" "baseline" "—"
row "storage limit: a submission's rows as bare SQL (server schema), $SQLITE_BATCH per commit" \
	"$(num "${R[sqlite_rows.per_s]}")" "$(ms "${R[sqlite_rows.commit_p50_us]}")" \
	"$(ms "${R[sqlite_rows.commit_p99_us]}")" "baseline" "—"
ok=$(both "$(ge "${R[submit.rps]}" $T_SUBMIT_RPS)" "$(lt_ms "${R[submit.p99_us]}" $T_SUBMIT_P99_MS)")
row "public submission, durable (POST /api/public/cases)" "$(num "${R[submit.rps]}")" \
	"$(ms "${R[submit.p50_us]}")" "$(ms "${R[submit.p99_us]}")" \
	"≥ $T_SUBMIT_RPS/s, p99 < $T_SUBMIT_P99_MS ms" "$(verdict "$ok" "${R[submit.errors]}")"
ok=$(ge "${R[detail.rps]}" $T_DETAIL_RPS)
row "case detail by number + code ($NPAIRS cases)" "$(num "${R[detail.rps]}")" \
	"$(ms "${R[detail.p50_us]}")" "$(ms "${R[detail.p99_us]}")" "≥ $T_DETAIL_RPS/s" \
	"$(verdict "$ok" "${R[detail.errors]}")"
ok=$(lt_ms "${R[inbox.p99_us]}" $T_INBOX_P99_MS)
row "inbox, one unit, 50 rows, $CONNS connections" "$(num "${R[inbox.rps]}")" \
	"$(ms "${R[inbox.p50_us]}")" "$(ms "${R[inbox.p99_us]}")" "p99 < $T_INBOX_P99_MS ms" \
	"$(verdict "$ok" "${R[inbox.errors]}")"
ok=$(lt_ms "${R[inbox_light.p99_us]}" $T_INBOX_P99_MS)
row "inbox, one unit, 50 rows, $LIGHT_CONNS connections" "$(num "${R[inbox_light.rps]}")" \
	"$(ms "${R[inbox_light.p50_us]}")" "$(ms "${R[inbox_light.p99_us]}")" "p99 < $T_INBOX_P99_MS ms" \
	"$(verdict "$ok" "${R[inbox_light.errors]}")"
ok=$(awk -v k="$HWM_KB" -v t=$T_RSS_MB 'BEGIN { print (k < t * 1024) ? 1 : 0 }')
peaks="idle $(mb "$RSS_IDLE_KB")"
for n in healthz submit detail inbox; do peaks="$peaks, $n $(mb "${R[$n.rss_kb]}")"; done
row "server memory: VmHWM after all runs (peak VmRSS per run: $peaks)" "$(mb "$HWM_KB")" "" "" \
	"< $T_RSS_MB MB" "$(verdict "$ok" 0)"
ok=0
[[ -n $START_SELF_MS ]] && ok=$(lt_ms "$(( START_SELF_MS * 1000 ))" $T_START_MS)
row "start-up, as serve reports it (\"started in N ms\")" "${START_SELF_MS:-?} ms" "" "" \
	"< $T_START_MS ms" "$(verdict "$ok" 0)"
ok=$(lt_ms "$(awk -v m="$START_WALL_MS" 'BEGIN { print m * 1000 }')" $T_START_MS)
row "start-up, exec to first /healthz 200 ($CASES cases)" "$START_WALL_MS ms" "" "" \
	"< $T_START_MS ms" "$(verdict "$ok" 0)"
echo
cpu_us() { # NAME [side]: server CPU µs per request of run NAME
	local ticks=${R[$1.cpu_ticks]}
	[[ ${2:-} == side ]] && ticks=${R[$1.side_ticks]}
	awk -v t="$ticks" -v hz="$CLK_TCK" -v n="${R[$1.requests]}" 'BEGIN { printf "%.0f µs", n ? t * 1e6 / hz / n : 0 }'
}
echo "server CPU per request (user + system, whole process): healthz $(cpu_us healthz)," \
	"submit $(cpu_us submit) (of which the writer thread $(cpu_us submit side)), detail $(cpu_us detail)," \
	"inbox $(cpu_us inbox)"
echo "a submission's rows as bare SQL: $(num "${R[sqlite_rows.cpu_us]}") µs of CPU per submission on one thread" \
	"(no HTTP, JSON, checks or crypto): SQLite's one writer cannot pass" \
	"$(awk -v u="${R[sqlite_rows.cpu_us]}" 'BEGIN { printf "%.0f", (u > 0 ? 1e6 / u : 0) }')/s with these rows"
echo "CPU used by other programs or stolen by the hypervisor during each run (machine user + system + steal" \
	"time minus the server's, wrk's and the kernel threads'):" \
	"healthz ${R[healthz.other_pct]}%, submit ${R[submit.other_pct]}%, detail ${R[detail.other_pct]}%," \
	"inbox ${R[inbox.other_pct]}%, inbox light ${R[inbox_light.other_pct]}% of the $cpus CPUs"
echo "stop (SIGTERM to exit): ${STOP_MS} ms; VmRSS at the end ${RSS_END_KB} kB; wrk output in $TMP/wrk-*.txt$( [[ ${BENCH_KEEP:-0} == 1 ]] || echo ' (removed; BENCH_KEEP=1 keeps it)')"

#!/usr/bin/env bash
# bench/pg_bench.sh — the PostgreSQL column of docs/performance.md: the same
# submission, read and inbox workloads as bench/run.sh on SQLite, on one
# PostgreSQL with one server and with two servers, beside SQLite, in one
# table; then pgbench (TPC-B-like and select-only) and bench/sqlite_baseline.c
# as the two storage engines' own baselines, on the same machine.
#
# Builds nothing: expects build/pingan.  In a fresh temp directory it
#
#   1. starts a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh:
#      UTF-8, trust on 127.0.0.1, fsync and synchronous_commit on),
#   2. `pingan init --demo` and `pingan seed --cases $BENCH_CASES` twice: a
#      SQLite data directory, and a PostgreSQL one (database.path = the URL),
#   3. for each setup — SQLite, one server on PostgreSQL, two servers on the
#      same PostgreSQL (same key file) — starts the server(s) (public rate
#      limit off, timer every hour), logs in as the handler "housing", makes
#      an API token and runs with wrk: a submit warm-up capturing number and
#      query code pairs, then submit (bench/submit.lua), detail
#      (bench/detail.lua) and inbox (bench/inbox.lua).  With two servers one
#      wrk per server runs at the same time with half the connections each
#      (as behind a load balancer); req/s is their sum, p99 the worse one,
#   4. pgbench -i -s $BENCH_PGBENCH_SCALE in a database of its own, then
#      pgbench -c $BENCH_PGBENCH_CLIENTS -T $BENCH_SECONDS (TPC-B-like) and
#      the same with -S (select-only); bench/sqlite_baseline.c (one row per
#      FULL commit, and $BENCH_SQLITE_BATCH rows per commit),
#   5. prints one Markdown table on stdout (progress goes to stderr), with
#      the server CPU time per request (user + system of the pingan
#      processes; PostgreSQL's own backends are listed apart: on PostgreSQL
#      a request costs CPU in both).
#
# Everything targets 127.0.0.1; every run is bounded; servers and the
# cluster are stopped and the temp directory removed on exit (BENCH_KEEP=1
# keeps the directory, the cluster is stopped in any case).
#
# Environment (defaults in brackets):
#   BENCH_CASES [20000]           cases generated in each database first
#   BENCH_SECONDS [5]             duration of each measured wrk and pgbench run
#   BENCH_CONNECTIONS [32]        wrk connections (split between two servers)
#   BENCH_WRK_THREADS [2]         wrk threads (one per server with two servers)
#   BENCH_WARMUP_SECONDS [2]      the submit warm-up that captures detail pairs
#   BENCH_POOL [16]               database.pool_size of each PostgreSQL server
#   BENCH_SERVER_THREADS [-]      PINGAN_THREADS of the servers (default: their own)
#   BENCH_PGBENCH_SCALE [10]      pgbench -i -s (10 = 1 million accounts rows)
#   BENCH_PGBENCH_CLIENTS [8]     pgbench -c (and -j 2)
#   BENCH_SQLITE_BATCH [64]       rows per commit of the SQLite baseline's grouped phase
#   BENCH_TMPDIR [$TMPDIR or /tmp]  where the temp dir (and the cluster) goes
#   BENCH_KEEP [0]                1 keeps the temp dir (logs, wrk output)
#   PINGAN_BIN [build/pingan]     the binary
#
# Wrap it in flock on a shared machine (docs/performance.md).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${PINGAN_BIN:-$ROOT/build/pingan}
CASES=${BENCH_CASES:-20000}
DUR=${BENCH_SECONDS:-5}
CONNS=${BENCH_CONNECTIONS:-32}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
WARMUP=${BENCH_WARMUP_SECONDS:-2}
POOL=${BENCH_POOL:-16}
PGB_SCALE=${BENCH_PGBENCH_SCALE:-10}
PGB_CLIENTS=${BENCH_PGBENCH_CLIENTS:-8}
SQLITE_BATCH=${BENCH_SQLITE_BATCH:-64}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}

log() { printf 'pg_bench: %s\n' "$*" >&2; }
die() { printf 'pg_bench: error: %s\n' "$*" >&2; exit 1; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in CASES DUR CONNS WRK_THREADS WARMUP POOL PGB_SCALE PGB_CLIENTS SQLITE_BATCH; do
	is_uint "${!v}" && (( ${!v} > 0 )) || die "$v must be a positive integer (got '${!v}')"
done
(( CONNS >= 2 * WRK_THREADS )) || die "BENCH_CONNECTIONS must be at least twice BENCH_WRK_THREADS"
(( POOL <= 256 )) || die "BENCH_POOL must be 1..256"
[[ -x $BIN ]] || die "$BIN not found: build first"
for tool in wrk curl cc pgbench psql; do
	command -v "$tool" >/dev/null ||
		die "$tool is not installed (Debian packages: wrk, curl, gcc, postgresql-client)"
done
(( BASH_VERSINFO[0] >= 5 )) || die "needs bash 5 (EPOCHREALTIME)"

now_us() { local t=$EPOCHREALTIME; echo "${t/[.,]/}"; }
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
REVISION=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
START_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
CLK_TCK=$(getconf CLK_TCK)

TMP=$(mktemp -d "$TMPBASE/pingan-pgbench.XXXXXX")
chmod 711 "$TMP"  # the cluster may belong to another user (root runs it as postgres)
CLUSTER=$TMP/cluster
PIDS=()

stop_servers() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 150); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	PIDS=()
}

cleanup() {
	local rc=$?
	stop_servers
	[[ -d $CLUSTER ]] && "$ROOT/scripts/pg-test-cluster.sh" stop "$CLUSTER" || true
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

# ---- 1. the cluster ------------------------------------------------------------

log "starting a PostgreSQL cluster in $CLUSTER"
URL=$("$ROOT/scripts/pg-test-cluster.sh" start "$CLUSTER") || die "could not start PostgreSQL"
PG_PORT=$(cat "$CLUSTER/port")
PG_VERSION=$(psql "$URL" -Atc 'SHOW server_version')
psql_admin() { psql "$URL" -v ON_ERROR_STOP=1 -Atq "$@"; }

# ---- 2. the two data directories -------------------------------------------------

rand_hex() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
ADMIN_PW="Bench-$(rand_hex)-Aa1"
STAFF_PW="Bench-$(rand_hex)-Bb2"
mkdir -p "$TMP/sqlite" "$TMP/pg"
printf 'database:\n  path: %s\n  pool_size: %d\n' "$URL" "$POOL" >"$TMP/pg/pingan.yaml"
declare -A SEED_S
for eng in sqlite pg; do
	log "$eng: init --demo, seed --cases $CASES"
	PINGAN_ADMIN_PASSWORD=$ADMIN_PW PINGAN_DEMO_PASSWORD=$STAFF_PW \
		"$BIN" init --data "$TMP/$eng" --demo >"$TMP/init-$eng.log" 2>&1 ||
		{ cat "$TMP/init-$eng.log" >&2; die "init ($eng) failed"; }
	t0=$(now_us)
	# the generated cases need not be durable one by one: PostgreSQL's seed
	# commits without waiting for the WAL flush (the measured runs do wait)
	PGOPTIONS='-c synchronous_commit=off' \
		"$BIN" seed --data "$TMP/$eng" --cases "$CASES" >"$TMP/seed-$eng.log" 2>&1 ||
		{ cat "$TMP/seed-$eng.log" >&2; die "seed ($eng) failed"; }
	SEED_S[$eng]=$(awk -v d=$(( $(now_us) - t0 )) 'BEGIN { printf "%.1f", d / 1e6 }')
done
DB_MB_SQLITE=$(du -m "$TMP/sqlite/pingan.db" | cut -f1)
DB_MB_PG=$(psql_admin -c "SELECT pg_database_size('pingan') / 1048576")
# the second server shares the first one's keys and attachments
mkdir -p "$TMP/pg2"
printf 'database:\n  path: %s\n  pool_size: %d\nkeys_file: %s\nattachments_dir: %s\n' \
	"$URL" "$POOL" "$TMP/pg/keys/pingan.keys" "$TMP/pg/attachments" >"$TMP/pg2/pingan.yaml"

# ---- 3. servers and wrk ----------------------------------------------------------------

port_free() {
	if { : ; } 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1"; then return 1; fi
	return 0
}
free_port() {
	local p
	for _ in $(seq 50); do
		p=$(( 20000 + RANDOM % 30000 ))
		if port_free "$p"; then echo "$p"; return; fi
	done
	die "found no free port"
}
http_200() {
	local line=
	{
		printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
		IFS= read -r -t 2 line <&3 || true
	} 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	[[ $line == "HTTP/1."?" 200"* ]]
}

PORTS=()
# start_server DATA_DIR NAME
start_server() {
	local port pid t0 env=(
		-u PINGAN_ADMIN_PASSWORD -u PINGAN_DEMO_PASSWORD
		PINGAN_RATE_PUBLIC_PER_MINUTE=0 PINGAN_RATE_QUERY_CODE_PER_MINUTE=1000
		PINGAN_TIMER_INTERVAL_SECONDS=3600)
	[[ -n ${BENCH_SERVER_THREADS:-} ]] && env+=(PINGAN_THREADS="$BENCH_SERVER_THREADS")
	port=$(free_port)
	env "${env[@]}" "$BIN" serve --data "$1" --listen "127.0.0.1:$port" >"$TMP/serve-$2.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	PORTS+=("$port")
	t0=$(now_us)
	until http_200 "$port"; do
		kill -0 "$pid" 2>/dev/null || { cat "$TMP/serve-$2.log" >&2; die "server $2 exited"; }
		(( $(now_us) - t0 < 20000000 )) || die "no 200 from server $2 within 20 s"
		sleep 0.05
	done
}

# An API token of the handler "housing", through the first server.
make_token() {
	local base=http://127.0.0.1:${PORTS[0]} login csrf resp
	login=$(curl -sS -c "$TMP/cookies" -H 'Content-Type: application/json' \
		-d "{\"username\":\"housing\",\"password\":\"$STAFF_PW\"}" "$base/api/v1/session")
	csrf=$(printf '%s' "$login" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
	[[ -n $csrf ]] || die "login as housing failed: $login"
	resp=$(curl -sS -b "$TMP/cookies" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
		-d '{"name":"bench"}' "$base/api/v1/tokens")
	TOKEN=$(printf '%s' "$resp" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
	[[ -n $TOKEN ]] || die "creating an API token failed: $resp"
}

# user + system clock ticks of the given processes
ticks_of() {
	local pid s sum=0
	for pid in "$@"; do
		s=$(<"/proc/$pid/stat") || continue
		set -- ${s##*) }
		sum=$(( sum + ${12} + ${13} ))
	done
	echo "$sum"
}
# the PostgreSQL backends' and auxiliary processes' ticks (children of the postmaster)
pg_ticks() {
	local pm
	pm=$(head -n1 "$CLUSTER/data/postmaster.pid")
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$pm" '
		{ pid = $1; sub(/^.*\) /, ""); split($0, f, " ");
		  if (f[2] == pm || pid == pm) t += f[12] + f[13] } END { printf "%d", t }' || true
}

declare -A R
# run_wrk SETUP NAME SCRIPT PATH: one wrk per running server at the same time
run_wrk() {
	local setup=$1 name=$2 script=$3 path=$4 n=${#PORTS[@]} i t c st0 pt0 key
	t=$(( WRK_THREADS / n )); (( t >= 1 )) || t=1
	c=$(( CONNS / n ))
	log "$setup: wrk $name, $n x (-t$t -c$c -d${DUR}s) $(basename "$script")"
	st0=$(ticks_of "${PIDS[@]}")
	pt0=$(pg_ticks)
	for i in "${!PORTS[@]}"; do
		wrk -t"$t" -c"$c" -d"${DUR}s" --timeout 10s --latency -s "$script" \
			"http://127.0.0.1:${PORTS[$i]}$path" >"$TMP/wrk-$setup-$name-$i.txt" 2>&1 &
		WRK_PIDS[$i]=$!
	done
	for i in "${!PORTS[@]}"; do
		wait "${WRK_PIDS[$i]}" || { cat "$TMP/wrk-$setup-$name-$i.txt" >&2; die "wrk failed"; }
	done
	key=$setup.$name
	R[$key.srv_ticks]=$(( $(ticks_of "${PIDS[@]}") - st0 ))
	R[$key.pg_ticks]=$(( $(pg_ticks) - pt0 ))
	R[$key.rps]=0 R[$key.requests]=0 R[$key.p50_us]=0 R[$key.p99_us]=0 R[$key.errors]=0
	for i in "${!PORTS[@]}"; do
		local line kv
		line=$(grep '^BENCH ' "$TMP/wrk-$setup-$name-$i.txt" | tail -n1)
		[[ -n $line ]] || { cat "$TMP/wrk-$setup-$name-$i.txt" >&2; die "no result line from wrk"; }
		declare -A one=()
		for kv in ${line#BENCH }; do one[${kv%%=*}]=${kv#*=}; done
		R[$key.rps]=$(awk -v a="${R[$key.rps]}" -v b="${one[rps]}" 'BEGIN { print a + b }')
		R[$key.requests]=$(( ${R[$key.requests]} + ${one[requests]} ))
		if (( ${one[p50_us]} > ${R[$key.p50_us]} )); then R[$key.p50_us]=${one[p50_us]}; fi
		if (( ${one[p99_us]} > ${R[$key.p99_us]} )); then R[$key.p99_us]=${one[p99_us]}; fi
		R[$key.errors]=$(( ${R[$key.errors]} + ${one[err_connect]} + ${one[err_read]} +
			${one[err_write]} + ${one[err_status]} + ${one[err_timeout]} ))
	done
	for pid in "${PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || die "a server died during $setup $name"
	done
}

export BENCH_LUA_DIR=$ROOT/bench
WRK_PIDS=()
# measure SETUP: the four runs on the servers started
measure() {
	local setup=$1
	make_token
	rm -f "$TMP"/pairs.*
	local save_ports=("${PORTS[@]}")
	PORTS=("${save_ports[0]}")  # the warm-up on the first server only
	BENCH_RUN=1 BENCH_CAPTURE=$TMP/pairs BENCH_CAPTURE_MAX=5000 \
		run_wrk "$setup" warmup "$ROOT/bench/submit.lua" ""
	PORTS=("${save_ports[@]}")
	cat "$TMP"/pairs.* >"$TMP/pairs-$setup" 2>/dev/null || true
	[[ -s $TMP/pairs-$setup ]] || die "the warm-up captured no submissions"
	BENCH_RUN=2 run_wrk "$setup" submit "$ROOT/bench/submit.lua" ""
	BENCH_PAIRS=$TMP/pairs-$setup run_wrk "$setup" detail "$ROOT/bench/detail.lua" ""
	BENCH_TOKEN=$TOKEN run_wrk "$setup" inbox "$ROOT/bench/inbox.lua" "/api/v1/cases?limit=50"
}

start_server "$TMP/sqlite" sqlite
measure sqlite
stop_servers; PORTS=()

start_server "$TMP/pg" pg1
measure pg1
stop_servers; PORTS=()

start_server "$TMP/pg" pg2a
start_server "$TMP/pg2" pg2b
measure pg2
stop_servers; PORTS=()

# ---- 4. the storage engines' own baselines ---------------------------------------------

log "pgbench -i -s $PGB_SCALE"
psql_admin -c 'CREATE DATABASE pgbench'
PGB_URL=${URL%/pingan}/pgbench
pgbench -i -q -s "$PGB_SCALE" "$PGB_URL" >"$TMP/pgbench-init.log" 2>&1 ||
	{ cat "$TMP/pgbench-init.log" >&2; die "pgbench -i failed"; }
declare -A PGB
for mode in tpcb select; do
	flags=()
	[[ $mode == select ]] && flags=(-S)
	log "pgbench $mode: -c $PGB_CLIENTS -j 2 -T $DUR"
	pgbench "${flags[@]}" -c "$PGB_CLIENTS" -j 2 -T "$DUR" -r "$PGB_URL" >"$TMP/pgbench-$mode.log" 2>&1 ||
		{ cat "$TMP/pgbench-$mode.log" >&2; die "pgbench $mode failed"; }
	PGB[$mode.tps]=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$TMP/pgbench-$mode.log" | head -n1)
	PGB[$mode.lat]=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$TMP/pgbench-$mode.log")
done

log "SQLite baseline"
cc -O2 -o "$TMP/sqlite_baseline" "$ROOT/bench/sqlite_baseline.c" -lsqlite3 ||
	die "cannot compile bench/sqlite_baseline.c (needs libsqlite3-dev)"
"$TMP/sqlite_baseline" "$TMP" "$DUR" "$SQLITE_BATCH" >"$TMP/sqlite.txt" || die "sqlite_baseline failed"
declare -A SQ
for phase in single batch; do
	line=$(grep "^$phase " "$TMP/sqlite.txt")
	for kv in ${line#$phase }; do SQ[$phase.${kv%%=*}]=${kv#*=}; done
done

# ---- 5. the table --------------------------------------------------------------------------

ms() { awk -v u="$1" 'BEGIN { printf (u < 10000 ? "%.2f" : "%.1f"), u / 1000 }'; }
num() { printf '%d' "${1%.*}"; }
cpu() { # SETUP.NAME server|pg: CPU µs per request
	local t=${R[$1.srv_ticks]}
	[[ $2 == pg ]] && t=${R[$1.pg_ticks]}
	awk -v t="$t" -v hz="$CLK_TCK" -v n="${R[$1.requests]}" 'BEGIN { printf "%.0f", n ? t * 1e6 / hz / n : 0 }'
}
cell() { # SETUP.NAME: "req/s · p99 ms · CPU µs/req"
	local k=$1 s
	s="$(num "${R[$k.rps]}") · $(ms "${R[$k.p99_us]}") · $(cpu "$k" server)"
	[[ $k == pg* ]] && s="$s + $(cpu "$k" pg)"
	(( ${R[$k.errors]} > 0 )) && s="$s (${R[$k.errors]} errors)"
	printf '%s' "$s"
}
ratio() { awk -v a="${R[$1.rps]}" -v b="${R[$2.rps]}" 'BEGIN { printf "%.2f×", b ? a / b : 0 }'; }

cat <<EOF
pingan PostgreSQL benchmark — $START_DATE, $(uname -r), $(nproc) CPUs, load average $START_LOAD at the start
binary: $BIN, source $REVISION; PostgreSQL $PG_VERSION (throwaway cluster, fsync and synchronous_commit on)
data: $CASES seeded cases per database (seed: SQLite ${SEED_S[sqlite]} s, ${DB_MB_SQLITE} MB; PostgreSQL ${SEED_S[pg]} s, ${DB_MB_PG} MB)
load: wrk, $CONNS connections in all (split over the servers), ${DUR} s per run, same machine; pool_size $POOL per PostgreSQL server

Each cell: req/s · p99 ms · server CPU µs per request (on PostgreSQL: + the PostgreSQL backends' CPU µs per request).

| workload | SQLite, 1 server | PostgreSQL, 1 server | PostgreSQL, 2 servers | 2 servers / 1 (PostgreSQL) |
|---|---:|---:|---:|---:|
| public submission, durable | $(cell sqlite.submit) | $(cell pg1.submit) | $(cell pg2.submit) | $(ratio pg2.submit pg1.submit) |
| case detail by number + code | $(cell sqlite.detail) | $(cell pg1.detail) | $(cell pg2.detail) | $(ratio pg2.detail pg1.detail) |
| inbox, one unit, 50 rows | $(cell sqlite.inbox) | $(cell pg1.inbox) | $(cell pg2.inbox) | $(ratio pg2.inbox pg1.inbox) |

| storage baseline (same machine) | per second | latency |
|---|---:|---:|
| pgbench TPC-B-like, scale $PGB_SCALE, $PGB_CLIENTS clients | $(num "${PGB[tpcb.tps]}") tx | ${PGB[tpcb.lat]} ms avg |
| pgbench select-only (-S), $PGB_CLIENTS clients | $(num "${PGB[select.tps]}") tx | ${PGB[select.lat]} ms avg |
| SQLite FULL, 1 row per commit | $(num "${SQ[single.rows_per_s]}") rows | $(ms "${SQ[single.commit_p50_us]}") ms p50 |
| SQLite FULL, $SQLITE_BATCH rows per commit | $(num "${SQ[batch.rows_per_s]}") rows | $(ms "${SQ[batch.commit_p50_us]}") ms p50 |
EOF

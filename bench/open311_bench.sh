#!/usr/bin/env bash
# bench/open311_bench.sh — Open311 GET requests with a million grid events,
# beside the same queries run directly in sqlite3 (the storage baseline).
#
#   1. `pingan init --demo` in a temp dir, then BENCH_CASES grid events
#      written straight into the database by one sqlite3 statement (a
#      recursive CTE): a service category of workflows/grid_event.yaml each
#      (read from the file), created over the last BENCH_DAYS days, a third
#      of them closed, with a map point and an address — then `pingan
#      migrate` has nothing to do and the server starts on them;
#   2. `pingan serve` (public rate limit off), and wrk on each workload:
#        healthz     GET /healthz: the HTTP ceiling of the machine at the time
#        one-id      requests.json?service_request_id=<random id>
#        one-path    requests/<random id>.json
#        poll        requests.json?service_code=<one>&status=open&start_date=<1 day ago>
#        poll-xml    the same as .xml
#        default     requests.json (the last 90 days, the first 1000)
#   3. stops the server and runs each workload's SQL in the sqlite3 shell
#      BENCH_SQL_REPS times (the rows fetched, no HTTP, no JSON), as
#      queries per second of one connection;
#   4. prints one Markdown table on stdout.
#
# Environment (defaults in brackets): BENCH_CASES [1000000], BENCH_DAYS
# [730], BENCH_SECONDS [10], BENCH_CONNECTIONS [64], BENCH_WRK_THREADS [2],
# BENCH_SQL_REPS [2000], BENCH_KEEP [0] keeps the temp dir, PINGAN_BIN
# [build/pingan], BENCH_TMPDIR [$TMPDIR or /tmp].  Target (issue 5):
# GET requests ≥ 10,000/s.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${PINGAN_BIN:-$ROOT/build/pingan}
CASES=${BENCH_CASES:-1000000}
DAYS=${BENCH_DAYS:-730}
DUR=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
SQL_REPS=${BENCH_SQL_REPS:-2000}
TMPBASE=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
T_RPS=10000

log() { printf 'open311-bench: %s\n' "$*" >&2; }
die() { printf 'open311-bench: error: %s\n' "$*" >&2; exit 1; }
for v in CASES DAYS DUR CONNS WRK_THREADS SQL_REPS; do
	[[ ${!v} =~ ^[0-9]+$ ]] && (( ${!v} > 0 )) || die "$v must be a positive integer"
done
[[ -x $BIN ]] || die "$BIN not found: build first"
for tool in wrk curl sqlite3; do
	command -v "$tool" >/dev/null || die "$tool is not installed (Debian package: $tool)"
done

TMP=$(mktemp -d "$TMPBASE/pingan-o311.XXXXXX")
DATA=$TMP/data
DB=$DATA/pingan.db
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

# ---- 1. data ------------------------------------------------------------------------

log "init --demo in $DATA"
PINGAN_ADMIN_PASSWORD=Bench-Admin-Pass-1 PINGAN_DEMO_PASSWORD=Bench-Demo-Pass-1 \
	"$BIN" init --data "$DATA" --demo >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log" >&2; die "init failed"; }

# the services: every service_code of the grid-event definition, in file order
mapfile -t CODES < <(sed -n 's/^ *service_code: *"\{0,1\}\([A-Za-z0-9_-]*\)"\{0,1\} *$/\1/p' \
	"$ROOT/workflows/grid_event.yaml")
(( ${#CODES[@]} > 0 )) || die "no service_code in workflows/grid_event.yaml"
values=$(printf "('%s')," "${CODES[@]}")
ORG=$(sqlite3 "$DB" "SELECT id FROM orgs WHERE is_unit = 1 ORDER BY id LIMIT 1")
NOW=$(date +%s)
FIRST=$(( NOW - DAYS * 86400 ))
log "generating $CASES grid events over $DAYS days (${#CODES[@]} services)"
# Triggers on cases that call the server's own SQL functions (the search
# index's pa_grams) cannot run in the sqlite3 shell: set them aside while
# generating and put them back as they were (the generated rows are then
# not in the search index, which this benchmark does not use).
TRIGGERS=$(sqlite3 "$DB" "SELECT sql || ';' FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases' AND sql LIKE '%pa_grams%'")
DROPS=$(sqlite3 "$DB" "SELECT 'DROP TRIGGER ' || name || ';' FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases' AND sql LIKE '%pa_grams%'")
t0=$(date +%s.%N)
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
$DROPS
CREATE TEMP TABLE svc(i INTEGER PRIMARY KEY, code TEXT);
INSERT INTO svc(code) VALUES ${values%,};
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $CASES)
INSERT INTO cases(number, type, category, title, body, channel, state, is_open, intake_org_id,
                  owner_org_id, created_at, updated_at, state_entered_at, due_at, data, version,
                  lat, lng, address)
SELECT printf('WG-B-%07d', i), 'grid_event',
       (SELECT code FROM svc WHERE svc.i = 1 + (n.i * 7919) % (SELECT count(*) FROM svc)),
       printf('网格事件 %d 号', i), '（生成的测试数据）', 'grid',
       CASE WHEN i % 3 = 0 THEN 'closed' ELSE 'dispatched' END, CASE WHEN i % 3 = 0 THEN 0 ELSE 1 END,
       $ORG, $ORG,
       $FIRST + (i * ($DAYS * 86400 / $CASES)), $FIRST + (i * ($DAYS * 86400 / $CASES)) + 3600,
       $FIRST + (i * ($DAYS * 86400 / $CASES)), $FIRST + (i * ($DAYS * 86400 / $CASES)) + 86400,
       '{}', 1, 26.0 + (i % 1000) / 10000.0, 119.2 + (i % 997) / 10000.0,
       printf('平安区东门社区%d号楼', i % 500)
FROM n;
$TRIGGERS
COMMIT;
ANALYZE;
SQL
GEN_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
DB_MB=$(du -m "$DB" | cut -f1)
sqlite3 "$DB" "SELECT number FROM cases WHERE type = 'grid_event' ORDER BY random() LIMIT 10000" >"$TMP/ids.txt"
POLL_CODE=${CODES[0]}
iso() { date -d "@$1" '+%Y-%m-%dT%H:%M:%S%:z'; }
SINCE=$(iso $(( NOW - 86400 )))
SINCE_Q=${SINCE//+/%2B}

# ---- 2. the server and wrk --------------------------------------------------------------

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
env -u PINGAN_ADMIN_PASSWORD -u PINGAN_DEMO_PASSWORD PINGAN_RATE_PUBLIC_PER_MINUTE=0 \
	PINGAN_TIMER_INTERVAL_SECONDS=3600 "$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" \
	>"$TMP/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
	curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS "$BASE/healthz" >/dev/null || { cat "$TMP/serve.log" >&2; die "the server did not start"; }

declare -A RPS P99 ROWS
run() { # name path [ids]
	local name=$1 path=$2 ids=${3:-} out
	log "wrk $name: $path"
	out=$(BENCH_LUA_DIR="$ROOT/bench" BENCH_PATH="$path" BENCH_IDS="$ids" \
		wrk -t "$WRK_THREADS" -c "$CONNS" -d "${DUR}s" -s "$ROOT/bench/open311.lua" "$BASE" 2>&1)
	local line
	line=$(grep '^BENCH ' <<<"$out") || { echo "$out" >&2; die "wrk $name failed"; }
	RPS[$name]=$(sed 's/.* rps=\([0-9.]*\).*/\1/' <<<"$line")
	P99[$name]=$(sed 's/.* p99_us=\([0-9]*\).*/\1/' <<<"$line")
	local errs
	errs=$(sed 's/.* err_status=\([0-9]*\).*/\1/' <<<"$line")
	(( errs == 0 )) || die "wrk $name: $errs error responses"
	local sample=${path//\{id\}/$(head -n1 "$TMP/ids.txt")}
	ROWS[$name]=$(curl -fsS "$BASE$sample" | { grep -o '"service_request_id"\|<service_request_id>' || true; } | wc -l)
	if [[ $name == healthz ]]; then ROWS[$name]=-; fi
}
run healthz "/healthz"
run one-id "/open311/v2/requests.json?service_request_id={id}" "$TMP/ids.txt"
run one-path "/open311/v2/requests/{id}.json" "$TMP/ids.txt"
run poll "/open311/v2/requests.json?service_code=$POLL_CODE&status=open&start_date=$SINCE_Q"
run poll-xml "/open311/v2/requests.xml?service_code=$POLL_CODE&status=open&start_date=$SINCE_Q"
run default "/open311/v2/requests.json"
RSS_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

# ---- 3. the same queries in sqlite3 -------------------------------------------------------

COLS="id, number, type, category, title, body, channel, state, is_open, intake_org_id, owner_org_id, IFNULL(assignee_id, 0), accused_org_id, created_at, updated_at, state_entered_at, due_at, overdue, query_hash, data, version, lat, lng, address"
ALL_CATS=$(printf "'%s'," "${CODES[@]}")
ALL_CATS=${ALL_CATS%,}
declare -A SQL QPS
ID1=$(head -n1 "$TMP/ids.txt")
SQL[one-id]="SELECT $COLS FROM cases WHERE category IN ($ALL_CATS) AND created_at BETWEEN 0 AND 9223372036854775807 AND number IN ('$ID1') ORDER BY created_at DESC, id DESC LIMIT 1000;"
SQL[one-path]=${SQL[one-id]}
SQL[poll]="SELECT $COLS FROM cases WHERE category IN ('$POLL_CODE') AND created_at BETWEEN $(( NOW - 86400 )) AND $NOW AND is_open = 1 ORDER BY created_at DESC, id DESC LIMIT 1000;"
SQL[poll-xml]=${SQL[poll]}
SQL[default]="SELECT $COLS FROM cases WHERE type = 'grid_event' AND (category || '') IN ($ALL_CATS) AND created_at BETWEEN $(( NOW - 90 * 86400 )) AND $NOW ORDER BY created_at DESC, id DESC LIMIT 1000;"
for name in one-id poll default; do
	script=$TMP/$name.sql
	{ echo ".output /dev/null"; for _ in $(seq "$SQL_REPS"); do echo "${SQL[$name]}"; done; } >"$script"
	t0=$(date +%s.%N)
	sqlite3 "$DB" <"$script"
	QPS[$name]=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$SQL_REPS" 'BEGIN { printf "%.0f", n / (b - a) }')
done
QPS[one-path]=${QPS[one-id]}
QPS[healthz]=-
QPS[poll-xml]=${QPS[poll]}

# ---- 4. the table -----------------------------------------------------------------------------

echo "Open311 GET requests — $CASES grid events over $DAYS days (generated in ${GEN_S} s, database ${DB_MB} MB),"
echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), wrk -t$WRK_THREADS -c$CONNS -d${DUR}s, server RSS $(( RSS_KB / 1024 )) MB,"
echo "revision $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| workload | rows | HTTP req/s | p99 ms | target ≥ $T_RPS/s | sqlite3 shell, same SQL, q/s |"
echo "|---|---:|---:|---:|---|---:|"
for name in healthz one-id one-path poll poll-xml default; do
	ok=no
	awk -v r="${RPS[$name]}" -v t="$T_RPS" 'BEGIN { exit !(r >= t) }' && ok=yes
	printf '| %s | %s | %.0f | %.1f | %s | %s |\n' "$name" "${ROWS[$name]}" "${RPS[$name]}" \
		"$(awk -v u="${P99[$name]}" 'BEGIN { print u / 1000 }')" "$ok" "${QPS[$name]}"
done

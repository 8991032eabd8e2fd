#!/usr/bin/env bash
# bench/callgrind.sh — instructions per request of one route, repeatable on a
# busy machine (wrk's req/s and CPU per request move with whatever else runs;
# instruction counts do not).
#
#   bench/callgrind.sh PATH [N]
#
# In a temp dir: `pingan init --demo`, `pingan seed --cases $CG_CASES`, then
# `pingan serve` under valgrind's callgrind with instrumentation off; one
# keep-alive connection (python3, standard library) logs in as $CG_USER when
# PATH is a staff path (/api/v1/…), sends PATH N/5 times to warm up, switches
# instrumentation on (callgrind_control -i on), sends it N times, switches it
# off and stops the server.  Prints the total instructions per request and the
# heaviest functions (inclusive) per request; the callgrind file is kept when
# CG_KEEP=1.  "{case}" in PATH becomes the id of a case the user sees and
# "{number}?code={code}" a public case's number and query code (one submitted
# first); every response must be 200.
#
# Environment: CG_CASES [20000], CG_USER [housing], CG_THREADS [2] (HTTP
# threads of the server), PINGAN_BIN [build/pingan], CG_KEEP [0].
#
# The figures include what other threads did meanwhile (the document worker
# polls, the timer) — compare two binaries with the same settings, and look
# at the route's own functions in the list.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${PINGAN_BIN:-$ROOT/build/pingan}
REQ_PATH=${1:?usage: bench/callgrind.sh PATH [N]}
N=${2:-2000}
CASES=${CG_CASES:-20000}
USER_NAME=${CG_USER:-housing}
THREADS=${CG_THREADS:-2}
for tool in valgrind callgrind_control callgrind_annotate python3; do
	command -v "$tool" >/dev/null || { echo "callgrind.sh: $tool is not installed (Debian: valgrind, python3)" >&2; exit 1; }
done
[[ -x $BIN ]] || { echo "callgrind.sh: $BIN not found: build first" >&2; exit 1; }
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "callgrind.sh: N must be a positive integer" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pingan-cg.XXXXXX")
VP=
cleanup() {
	[[ -n $VP ]] && kill -TERM "$VP" 2>/dev/null && wait "$VP" 2>/dev/null
	[[ ${CG_KEEP:-0} == 1 ]] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT

PW="Cg-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')-Aa1"
PINGAN_ADMIN_PASSWORD=$PW PINGAN_DEMO_PASSWORD=$PW "$BIN" init --data "$TMP/data" --demo >"$TMP/init.log" 2>&1
"$BIN" seed --data "$TMP/data" --cases "$CASES" >"$TMP/seed.log" 2>&1
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -u PINGAN_ADMIN_PASSWORD -u PINGAN_DEMO_PASSWORD PINGAN_THREADS="$THREADS" \
	PINGAN_RATE_PUBLIC_PER_MINUTE=0 PINGAN_TIMER_INTERVAL_SECONDS=3600 \
	valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/callgrind.out" \
	"$BIN" serve --data "$TMP/data" --listen "127.0.0.1:$PORT" >"$TMP/serve.log" 2>&1 &
VP=$!

python3 - "$PORT" "$REQ_PATH" "$N" "$USER_NAME" "$PW" "$VP" <<'EOF'
import http.client, json, subprocess, sys, time
port, path, n, user, pw, vp = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
for _ in range(300):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("GET", "/healthz"); c.getresponse().read(); break
    except OSError:
        time.sleep(0.2)
headers = {}
def call(method, p, body=None, extra=None):
    h = dict(headers); h.update(extra or {})
    if body is not None:
        body = json.dumps(body, ensure_ascii=False).encode(); h["Content-Type"] = "application/json"
    c.request(method, p, body=body, headers=h)
    r = c.getresponse(); data = r.read()
    return r, data
if "{number}" in path:
    r, d = call("POST", "/api/public/cases", {"type": "petition", "category": "grievance",
             "title": "小区电梯长期故障", "body": "三号楼电梯停运两个月，老人上下楼十分困难。",
             "contact": {"name": "张三", "phone": "13800138000"}})
    d = json.loads(d); path = path.replace("{number}", d["number"]).replace("{code}", d["query_code"])
if path.startswith("/api/v1/"):
    r, d = call("POST", "/api/v1/session", {"username": user, "password": pw})
    assert r.status == 200, (r.status, d)
    headers["Cookie"] = r.getheader("Set-Cookie").split(";")[0]
if "{case}" in path:
    r, d = call("GET", "/api/v1/cases?limit=1")
    path = path.replace("{case}", str(json.loads(d)["items"][0]["id"]))
def run(k):
    for _ in range(k):
        r, d = call("GET", path)
        if r.status != 200:
            sys.exit("callgrind.sh: GET %s -> %d %r" % (path, r.status, d[:200]))
run(max(1, n // 5))
subprocess.run(["callgrind_control", "-i", "on", vp], check=True, stdout=subprocess.DEVNULL)
run(n)
subprocess.run(["callgrind_control", "-i", "off", vp], check=True, stdout=subprocess.DEVNULL)
print("route: GET %s, %d requests measured" % (path, n))
EOF
kill -TERM "$VP"
wait "$VP" 2>/dev/null || true
VP=
callgrind_annotate --inclusive=yes "$TMP/callgrind.out" 2>/dev/null | awk -v n="$N" '
	/PROGRAM TOTALS/ { gsub(",", "", $1); printf "instructions per request: %.0f\n", $1 / n; next }
	/^ *[0-9,]+ +\([ 0-9.]+%\) +[^ ]+:[^ ]+/ && shown < 25 {
		v = $1; gsub(",", "", v); name = $0; sub(/^[^)]*\) +/, "", name); sub(/ \[.*$/, "", name)
		sub(/^.*\//, "", name)
		if (name ~ /^\?\?\?:0x/ || seen[name]++) next
		printf "  %10.0f  %s\n", v / n, name; shown++
	}'

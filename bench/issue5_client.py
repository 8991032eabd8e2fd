#!/usr/bin/env python3
"""
issue5_client.py PORT REPS — the HTTP half of bench/issue5_bench.sh.

Logs in as `supervisor` (sees the whole district) and sends each search
query and each indicator shape REPS times, one at a time on one keep-alive
connection, timing each answer (status 200 required).  Prints one line per
workload, tab-separated:

    kind  name  p50_ms  p95_ms  rows  sql

`sql` is the same query for the sqlite3 shell (bench/issue5_bench.sh runs
it after the server stops): for search the driving FTS5 MATCH cut at the
window, newest first, as the store runs it (sqlite_search.c: with BM25
only when the window did not fill); for the indicators the sums over the
monthly aggregates, and for a period of days also its edges' day shapes
(case_facts_day, sqlite_indicators.c); "-" when there is none.
"""
import datetime
import http.client
import json
import re
import sys
import time
import urllib.parse

PORT = int(sys.argv[1])
REPS = int(sys.argv[2])
WINDOW = 500  # search.window's default

SEARCHES = ["灯", "拆迁", "物业管理", "电梯 故障", "小区 噪音扰民", "医保报销", "不存在的词语"]
# name, path, query parameters (the default period: the 1st of the month 11 months back to today)
INDICATORS = [
    ("default period", "/api/v1/indicators", {}),
    ("group_by=type", "/api/v1/indicators", {"group_by": "type"}),
    ("group_by=org", "/api/v1/indicators", {"group_by": "org"}),
    ("group_by=street", "/api/v1/indicators", {"group_by": "street"}),
    ("group_by=month", "/api/v1/indicators", {"group_by": "month"}),
    ("group_by=category", "/api/v1/indicators", {"group_by": "category"}),
    ("type=petition, enterprise=true", "/api/v1/indicators", {"type": "petition", "enterprise": "true"}),
    ("mid-month to mid-month", "/api/v1/indicators", {"from": "MIDFROM", "to": "MIDTO"}),
    ("workload by unit", "/api/v1/indicators/workload", {}),
    ("workload by handler", "/api/v1/indicators/workload", {"by": "handler"}),
]
GROUP_SQL = {"": "''", "type": "type", "org": "CAST(org_id AS TEXT)", "street": "CAST(street_id AS TEXT)",
             "month": "CAST(month AS TEXT)", "category": "category"}


class Client:
    def __init__(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        self.cookie = ""

    def req(self, method, path, body=None):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, data, headers)
        r = self.conn.getresponse()
        raw = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                self.cookie = v.split(";")[0]
        return r.status, raw


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] * 1000


def timed(c, path):
    times, body = [], None
    for _ in range(REPS):
        t0 = time.perf_counter()
        st, raw = c.req("GET", path)
        times.append(time.perf_counter() - t0)
        if st != 200:
            raise SystemExit("issue5_client: %s -> %d %s" % (path, st, raw[:300]))
        body = raw
    return pct(times, 0.5), pct(times, 0.95), body


def match_sql(q, ranked):
    """The store's MATCH on the grams (sqlite_search.c): a short term its gram (a prefix for one
    character), a long term (3+ characters) the phrase of its bigrams; with BM25 when the store
    ranks (the matches fit in the window), without when the window filled (newest first,
    docs/search.md)."""
    terms = [t for t in re.split(r"[\s，。、！？,.!?]+", q) if t]
    longs = [t for t in terms if len(t) >= 3]
    shorts = [t for t in terms if len(t) < 3]
    table = "search_grams"
    expr = " AND ".join(['"%s"%s' % (t, " *" if len(t) == 1 else "") for t in shorts] +
                        ['"%s"' % " ".join(t[i:i + 2] for i in range(len(t) - 1)) for t in longs])
    rank = ", bm25(%s, 10.0, 1.0, 0.5)" % table if ranked else ""
    return ("SELECT count(*) FROM (SELECT rowid%s FROM %s WHERE %s MATCH '%s' "
            "ORDER BY rowid DESC LIMIT %d);" % (rank, table, table, expr, WINDOW))


def month_key(d):
    return d.year * 100 + d.month


def main():
    c = Client()
    st, raw = c.req("POST", "/api/v1/session", {"username": "supervisor", "password": "Demo-Pass-2026"})
    if st not in (200, 201):
        raise SystemExit("issue5_client: login %d %s" % (st, raw[:200]))
    out = []
    for q in SEARCHES:
        path = "/api/v1/search/cases?" + urllib.parse.urlencode({"q": q, "open": "any", "limit": 20})
        p50, p95, body = timed(c, path)
        d = json.loads(body)
        rows = len(d["items"])
        out.append(("search", q, p50, p95, rows, match_sql(q, not d["window_full"])))
    today = datetime.date.today()
    m = today.month - 11
    y = today.year
    if m < 1:
        m, y = m + 12, y - 1
    first = datetime.date(y, m, 1)
    mid_from = (first + datetime.timedelta(days=14)).isoformat()
    mid_to = (today - datetime.timedelta(days=today.day // 2 + 1)).isoformat()
    cols = ", ".join("SUM(%s)" % k for k in ("cases", "open", "closed", "overdue", "acc_due", "acc_on_time",
                                               "hnd_due", "hnd_on_time", "handled", "wdays_sum", "repeat"))
    for name, path, params in INDICATORS:
        params = {k: (mid_from if v == "MIDFROM" else mid_to if v == "MIDTO" else v) for k, v in params.items()}
        full = path + ("?" + urllib.parse.urlencode(params) if params else "")
        p50, p95, body = timed(c, full)
        d = json.loads(body)
        rows = len(d.get("groups") or d.get("items") or [])
        sql = "-"
        if path == "/api/v1/indicators" and "from" not in params:
            g = GROUP_SQL.get(params.get("group_by", ""), "''")
            where = "month BETWEEN %d AND %d" % (month_key(first), month_key(today))
            if "type" in params:
                where += " AND type = '%s'" % params["type"]
            if "enterprise" in params:
                where += " AND enterprise = 1"
            sql = "SELECT %s, type, %s FROM indicator_month WHERE %s GROUP BY 1, 2;" % (g, cols, where)
        elif "from" in params:
            # the whole months inside the period from the aggregates, and the
            # days of its two edges from case_facts_day by shape
            f = datetime.date.fromisoformat(params["from"])
            t = datetime.date.fromisoformat(params["to"])
            f_next = (f.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            t_first = t.replace(day=1)
            last_whole = t_first - datetime.timedelta(days=1)
            day = lambda d: (d - datetime.date(1970, 1, 1)).days  # noqa: E731
            shape = "type, state, flags, is_open, overdue, wdays, r1, r2, r3, r4, r5"
            sql = ("SELECT count(*) FROM (SELECT type, SUM(cases) FROM indicator_month WHERE month "
                   "BETWEEN %d AND %d GROUP BY type UNION ALL SELECT type, SUM(n) FROM case_facts_day "
                   "WHERE day BETWEEN %d AND %d OR day BETWEEN %d AND %d GROUP BY %s);"
                   % (month_key(f_next), month_key(last_whole), day(f), day(f_next) - 1,
                      day(t_first), day(t), shape))
        out.append(("indicators", name, p50, p95, rows, sql))
    for kind, name, p50, p95, rows, sql in out:
        print("%s\t%s\t%.1f\t%.1f\t%d\t%s" % (kind, name, p50, p95, rows, sql))


if __name__ == "__main__":
    main()

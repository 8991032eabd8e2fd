#!/usr/bin/env python3
"""
test_indicators.py — the indicators over HTTP on a small fixed dataset whose
numbers are worked out by hand below; the same numbers from the monthly
aggregates (a period of whole months) and from the facts (a period of days);
calendar-aware timeliness across the 2026 National Day holiday; drill-down
listing exactly the cases counted; visibility (a unit sees its own numbers,
a leader the district's); the enterprise-related dimension; workload;
campaigns and their board; the indicator table exported as CSV and XLSX (API
and `pingan export indicators`) holding the very numbers of the API, the
XLSX read back by openpyxl (Debian's python3-openpyxl), and audited.

The clock is set to Wednesday 2026-09-16 10:00 (UTC+8) and moved forward:

  P1  public, grievance; accepted at once; replied 2026-10-09; rated "satisfied"
  P2  public; forwarded to the housing bureau at once; housing accepts it on
      2026-10-05 — during the holiday, before its limit: forwarded on 09-16,
      15 calendar days end on 10-01, a day off, so the limit moves to the next
      working day, 10-08 (民事诉讼法 art. 85) — ON TIME
  P3  public, same person and text as P1 (a repeat); never disposed: on
      2026-10-09 the timer marks it overdue in `registered`
  P4  staff, enterprise-related (涉企); refused on 2026-10-09, after its limit
      (10-08) — LATE

Hand-worked numbers (every case registered 2026-09-16):
  cases 4; on_time_acceptance 2/4 (P1, P2 on time; P4 late; P3 still in the
  step past its limit); on_time_handling 1/1 (P1; P2 is within its limit);
  overdue_open 1 (P3); closing_rate 0/4 (a refusal stays open for review);
  satisfaction_rate 1/1, satisfaction_score 80/1; repeat_rate 1/4 (P3);
  handling time of P1 = working days after 09-16 up to 10-09:
    09-17 18 | 09-20 (Sunday made a working day) | 09-21 22 23 24 | 09-28 29 30 |
    10-08 09  = 12  (09-25…27 and 10-01…07 are days off)
  mean_handling_days 12/1, p90_handling_days 12;
  petition.acceptance_rate 2/4 (P1, P2 reached `handling`);
  petition.review_request_rate 0/1 (P1 replied, no review asked).

Run: python3 tests/api/test_indicators.py   (PINGAN_BIN = the binary)
"""
import calendar
import csv
import datetime
import io
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}
TZ = datetime.timezone(datetime.timedelta(hours=8))
REPLY = {"decision": "explain", "facts": "经调查，电梯已于本月维修完毕。",
         "basis": "《特种设备安全法》第三十九条", "opinion": "物业公司已完成维修，今后加强巡查。"}
TITLE = "东门社区电梯长期故障无人维修"
BODY = "该问题已持续三个月，多次向物业反映未果，恳请有关部门调查处理，尽快恢复电梯运行。"


def at(y, m, d, hh=10, mm=0):
    return calendar.timegm(datetime.datetime(y, m, d, hh, mm, tzinfo=TZ).utctimetuple())


def set_clock(t):
    """Moves the server's clock to epoch second t (the real clock plus an offset)."""
    cur = SRV.advance_clock(0)
    now = H.parse_time(cur["now"])
    SRV.public().post("/api/test/clock", {"offset_seconds": int(cur["offset_seconds"] + (t - now))})


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


def by_name(groups, key=""):
    for g in groups:
        if g["key"] == key:
            return {v["name"]: v for v in g["indicators"]}
    return {}


class Indicators(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        if hasattr(cls, "num"):
            return   # IndicatorExports made the dataset first
        set_clock(at(2026, 9, 16))
        cls.intake = SRV.client("intake")
        cls.xfj = SRV.client("xfj")
        cls.housing = SRV.client("housing")
        cls.leader = SRV.client("leader")
        cls.supervisor = SRV.client("supervisor")
        admin = SRV.client("admin")
        cls.org = {o["code"]: o["id"] for o in admin.get("/api/v1/orgs").data["items"]}
        contact = {"name": "张三", "phone": "13812345678"}
        d1 = H.submit_petition(SRV, title=TITLE, body=BODY, contact=contact)
        d2 = H.submit_petition(SRV, title="施工噪音夜间扰民问题", body="附近工地每晚施工到凌晨，严重影响休息，请求依法处理。",
                               contact={"name": "李四", "phone": "13900001111"})
        d3 = H.submit_petition(SRV, title=TITLE, body=BODY, contact=contact)
        r = cls.intake.post("/api/v1/cases", {
            "type": "petition", "category": "grievance", "title": "企业反映审批久拖不办",
            "body": "本公司申请的施工许可已提交两个月，至今没有答复。", "channel": "visit",
            "enterprise_related": True, "contact": {"name": "王五", "phone": "13700002222"}})
        assert r.status == 201, r
        cls.num = {"P1": d1["number"], "P2": d2["number"], "P3": d3["number"], "P4": r.data["number"]}
        cls.code1 = d1["query_code"]
        cls.id = {k: H.find_case_id(cls.xfj, n) for k, n in cls.num.items()}
        cls.xfj.act(cls.id["P1"], "accept")
        cls.intake.act(cls.id["P2"], "forward", {"org_id": cls.org["district-housing"]})
        set_clock(at(2026, 10, 5, 12))
        cls.housing.act(cls.id["P2"], "accept")
        set_clock(at(2026, 10, 9, 10))
        SRV.tick()
        cls.xfj.act(cls.id["P1"], "reply", REPLY)
        cls.intake.act(cls.id["P4"], "refuse", {"reason": "属于行政许可事项，应依法申请行政复议或诉讼。",
                                               "legal_channel": "administrative_review"})
        r = SRV.public().post("/api/public/cases/%s/rating" % cls.num["P1"],
                              {"code": cls.code1, "level": "satisfied"})
        assert r.status in (200, 201), r

    def numbers(self, client=None, **params):
        p = {"from": "2026-09-01", "to": "2026-10-31"}
        p.update(params)
        r = self.assertStatus((client or self.leader).get("/api/v1/indicators", p), 200)
        return r["groups"], by_name(r["groups"])

    def check_expected(self, v):
        exp = {
            "cases": (4, None), "on_time_acceptance": (2, 4), "on_time_handling": (1, 1),
            "overdue_open": (1, None), "closing_rate": (0, 4), "satisfaction_rate": (1, 1),
            "satisfaction_score": (80, 1), "repeat_rate": (1, 4), "mean_handling_days": (12, 1),
            "p90_handling_days": (12, 1), "petition.acceptance_rate": (2, 4),
            "petition.review_request_rate": (0, 1),
        }
        for name, (num, den) in exp.items():
            self.assertIn(name, v)
            self.assertEqual((v[name]["numerator"], v[name]["denominator"]), (num, den), name)
            self.assertTrue(v[name]["formula"], name)
        self.assertAlmostEqual(v["on_time_acceptance"]["value"], 0.5)
        self.assertAlmostEqual(v["satisfaction_score"]["value"], 80.0)
        self.assertAlmostEqual(v["p90_handling_days"]["value"], 12.0)

    def test_hand_worked_numbers_from_whole_months(self):
        _, v = self.numbers()
        self.check_expected(v)

    def test_same_numbers_from_the_days_at_the_edges(self):
        _, v = self.numbers(**{"from": "2026-09-10", "to": "2026-10-20"})
        self.check_expected(v)
        _, v = self.numbers(**{"from": "2026-09-16", "to": "2026-09-16"})
        self.check_expected(v)
        # 20 days of September: its aggregates less the facts of 09-21…30
        _, v = self.numbers(**{"from": "2026-09-01", "to": "2026-09-20"})
        self.check_expected(v)
        groups, _ = self.numbers(group_by="org", **{"from": "2026-09-01", "to": "2026-09-20"})
        per = {g["key"]: {i["name"]: i for i in g["indicators"]} for g in groups}
        self.assertEqual(per[str(self.org["district-housing"])]["cases"]["numerator"], 1)
        self.assertEqual(per[str(self.org["district-xfj"])]["cases"]["numerator"], 3)
        self.assertTrue(all(g["indicators"][0]["numerator"] > 0 for g in groups), groups)
        _, v = self.numbers(**{"from": "2026-09-17", "to": "2026-12-31"})
        self.assertEqual(v["cases"]["numerator"], 0)
        self.assertIsNone(v["on_time_acceptance"]["value"])

    def test_day_shapes_are_the_facts_grouped(self):
        # case_facts_day (migration 21), kept case change by case change, holds
        # exactly the facts grouped by day and shape: no row at zero, none left over
        if H.on_postgres():
            self.skipTest("reads the SQLite file")
        import sqlite3
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(SRV.data, "pingan.db"), uri=True)
        try:
            shape = ("day, month, type, category, org_id, street_id, enterprise, state, is_open, "
                     "overdue, flags, wdays, r1, r2, r3, r4, r5")
            kept = sorted(db.execute("SELECT %s, n FROM case_facts_day" % shape).fetchall())
            grouped = sorted(db.execute("SELECT %s, count(*) FROM case_facts GROUP BY %s"
                                        % (shape, shape)).fetchall())
        finally:
            db.close()
        self.assertEqual(kept, grouped)
        self.assertTrue(kept)

    def test_category_filter_and_grouping_keep_p90_exact(self):
        # the handling-time histogram is kept by category and enterprise too
        # (migration 17): the same p90 from the aggregates as from the facts
        _, v = self.numbers(category="grievance")
        self.check_expected(v)
        _, v = self.numbers(category="grievance", **{"from": "2026-09-10", "to": "2026-10-20"})
        self.check_expected(v)
        _, v = self.numbers(category="suggestion")
        self.assertEqual(v["cases"]["numerator"], 0)
        self.assertIsNone(v["p90_handling_days"]["value"])
        groups, _ = self.numbers(group_by="category")
        per = {g["key"]: {i["name"]: i for i in g["indicators"]} for g in groups}
        self.check_expected(per["grievance"])
        _, v = self.numbers(enterprise="false")
        self.assertAlmostEqual(v["p90_handling_days"]["value"], 12.0)
        _, v = self.numbers(enterprise="true")
        self.assertIsNone(v["p90_handling_days"]["value"])

    def test_enterprise_related(self):
        _, v = self.numbers(enterprise="true")
        self.assertEqual(v["cases"]["numerator"], 1)
        self.assertEqual((v["on_time_acceptance"]["numerator"], v["on_time_acceptance"]["denominator"]), (0, 1))
        _, v = self.numbers(enterprise="false")
        self.assertEqual(v["cases"]["numerator"], 3)

    def test_group_by_unit(self):
        groups, _ = self.numbers(group_by="org")
        per = {g["key"]: {i["name"]: i for i in g["indicators"]} for g in groups}
        self.assertEqual(per[str(self.org["district-housing"])]["cases"]["numerator"], 1)
        self.assertEqual(per[str(self.org["district-xfj"])]["cases"]["numerator"], 3)
        keys = [int(g["key"]) for g in groups]
        self.assertEqual(keys, sorted(keys))   # units in id order

    def test_visibility(self):
        _, v = self.numbers(client=self.housing)
        self.assertEqual(v["cases"]["numerator"], 1)   # only P2, which the housing bureau owns
        _, v = self.numbers(client=self.xfj)
        self.assertEqual(v["cases"]["numerator"], 3)
        _, v = self.numbers(client=self.supervisor)
        self.assertEqual(v["cases"]["numerator"], 4)
        auditor = SRV.client("auditor")
        _, v = self.numbers(client=auditor)
        self.assertEqual(v["cases"]["numerator"], 0)
        # a unit cannot look into another by naming it
        _, v = self.numbers(client=self.housing, org=self.org["district-xfj"])
        self.assertEqual(v["cases"]["numerator"], 0)
        r = self.housing.get("/api/v1/indicators/cases/cases", {"from": "2026-09-01", "to": "2026-10-31"})
        ids = [c["id"] for c in self.assertStatus(r, 200)["items"]]
        self.assertEqual(ids, [self.id["P2"]])

    def drill(self, name, part, client=None, **params):
        p = {"from": "2026-09-01", "to": "2026-10-31", "part": part}
        p.update(params)
        r = self.assertStatus((client or self.leader).get("/api/v1/indicators/%s/cases" % name, p), 200)
        return sorted(c["id"] for c in r["items"])

    def test_drill_down_lists_exactly_the_cases_counted(self):
        i = self.id
        self.assertEqual(self.drill("on_time_acceptance", "numerator"), sorted([i["P1"], i["P2"]]))
        self.assertEqual(self.drill("on_time_acceptance", "denominator"), sorted(i.values()))
        self.assertEqual(self.drill("overdue_open", "numerator"), [i["P3"]])
        self.assertEqual(self.drill("repeat_rate", "numerator"), [i["P3"]])
        self.assertEqual(self.drill("mean_handling_days", "numerator"), [i["P1"]])
        self.assertEqual(self.drill("satisfaction_rate", "denominator"), [i["P1"]])
        self.assertEqual(self.drill("petition.acceptance_rate", "numerator"), sorted([i["P1"], i["P2"]]))
        self.assertEqual(self.drill("petition.review_request_rate", "denominator"), [i["P1"]])
        self.assertEqual(self.drill("cases", "numerator", enterprise="true"), [i["P4"]])
        # pages: one case per page, following next_cursor
        seen, cursor = [], None
        while True:
            p = {"from": "2026-09-01", "to": "2026-10-31", "limit": 1}
            if cursor:
                p["cursor"] = cursor
            r = self.assertStatus(self.leader.get("/api/v1/indicators/cases/cases", p), 200)
            seen += [c["id"] for c in r["items"]]
            cursor = r["next_cursor"]
            if not cursor:
                break
        self.assertEqual(sorted(seen), sorted(i.values()))
        self.assertProblem(self.leader.get("/api/v1/indicators/nonsense/cases"), 404, "not-found")

    def test_bad_input(self):
        self.assertProblem(self.leader.get("/api/v1/indicators", {"from": "2026-13-01"}), 400,
                           "validation", "from")
        self.assertProblem(self.leader.get("/api/v1/indicators", {"from": "2026-10-01", "to": "2026-09-01"}),
                           400, "validation", "to")
        self.assertProblem(self.leader.get("/api/v1/indicators", {"group_by": "religion"}), 400,
                           "validation", "group_by")
        self.assertProblem(self.leader.get("/api/v1/indicators", {"type": "nope"}), 400, "validation", "type")
        self.assertProblem(self.leader.get("/api/v1/indicators", {"enterprise": "maybe"}), 400,
                           "validation", "enterprise")

    def test_workload(self):
        r = self.assertStatus(self.leader.get("/api/v1/indicators/workload"), 200)
        rows = {row["org"]["id"]: row for row in r["items"]}
        xfj = rows[self.org["district-xfj"]]
        self.assertEqual(xfj["open"], 3)       # P1 (replied: open for a review request), P3, P4
        housing = rows[self.org["district-housing"]]
        self.assertEqual(housing["open"], 1)
        self.assertEqual(xfj["overdue"], 1)    # P3
        r = self.assertStatus(self.housing.get("/api/v1/indicators/workload"), 200)
        self.assertEqual([row["org"]["id"] for row in r["items"]], [self.org["district-housing"]])

    def test_campaign_board(self):
        body = {"name": "电梯安全专项整治", "start_date": "2026-09-01", "end_date": "2026-10-31",
                "types": ["petition"], "categories": ["grievance"], "orgs": [self.org["district-housing"]],
                "goals": {"on_time_handling": 0.9, "cases": 1}}
        self.assertProblem(self.xfj.post("/api/v1/campaigns", body), 403, "forbidden")
        self.assertProblem(self.supervisor.post("/api/v1/campaigns", dict(body, goals={"nope": 1})),
                           400, "validation", "goals")
        c = self.assertStatus(self.supervisor.post("/api/v1/campaigns", body), 201)
        board = self.assertStatus(self.leader.get("/api/v1/campaigns/%d/board" % c["id"]), 200)
        v = by_name(board["groups"])
        self.assertEqual(v["cases"]["numerator"], 1)   # P2: the housing bureau's grievance
        goals = {g["indicator"]: g for g in board["goals"]}
        self.assertTrue(goals["cases"]["met"])
        self.assertIsNone(goals["on_time_handling"]["met"])   # nothing due yet
        self.assertEqual(self.drill("cases", "numerator", campaign=c["id"]), [self.id["P2"]])
        lst = self.assertStatus(self.leader.get("/api/v1/campaigns"), 200)
        self.assertIn(c["id"], [x["id"] for x in lst["items"]])


def read_xlsx(data):
    """Rows of the first sheet, read by openpyxl (this interpreter's, or Debian's)."""
    code = ("import openpyxl, sys, json\n"
            "wb = openpyxl.load_workbook(sys.argv[1], read_only=True)\n"
            "print(json.dumps([list(r) for r in wb.active.iter_rows(values_only=True)], "
            "ensure_ascii=False))\n")
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        py = sys.executable
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            py = "/usr/bin/python3"
        out = subprocess.run([py, "-c", code, path], check=True, stdout=subprocess.PIPE).stdout
        return json.loads(out.decode("utf-8"))
    finally:
        os.unlink(path)


def csv_rows(raw):
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


class IndicatorExports(H.ApiTestCase):
    """The indicator table as CSV and XLSX: the API's numbers, row for row."""
    PERIOD = {"from": "2026-09-01", "to": "2026-10-31"}

    @classmethod
    def setUpClass(cls):
        Indicators.setUpClass()   # the hand-worked dataset, made once

    def api_table(self, client, **params):
        p = dict(self.PERIOD, **params)
        r = self.assertStatus(client.get("/api/v1/indicators", p), 200)
        return {(g["key"], v["name"]): v for g in r["groups"] for v in g["indicators"]}

    def same_numbers(self, api, rows, text):
        """rows: (group key, name, numerator, denominator, value) as the file holds them."""
        self.assertEqual(len(rows), len(api))
        for key, name, num, den, val in rows:
            v = api[(key, name)]
            self.assertEqual(int(num), v["numerator"], name)
            if v["denominator"] is None:
                self.assertIn(den, ("", None), name)
            else:
                self.assertEqual(int(den), v["denominator"], name)
            if v["value"] is None:
                self.assertIn(val, ("", None), name)
            else:
                self.assertAlmostEqual(float(val), v["value"], places=9, msg=name)
        if text:
            self.assertIn("on_time_acceptance", text)

    def test_csv_equals_the_api(self):
        leader = SRV.client("leader")
        for group_by in ("", "org", "month"):
            params = dict(self.PERIOD, format="csv")
            if group_by:
                params["group_by"] = group_by
            r = leader.get("/api/v1/exports/indicators", params)
            self.assertEqual(r.status, 200, r.data)
            self.assertEqual(r.headers["content-type"], "text/csv; charset=utf-8")
            self.assertRegex(r.headers["content-disposition"],
                             r'^attachment; filename="indicators-\d{8}\.csv"$')
            rows = csv_rows(r.raw)
            self.assertEqual(rows[0], ["起始日", "截止日", "分组", "分组名称", "指标", "名称", "种类",
                                       "分子", "分母", "值", "公式"])
            self.assertTrue(all(x[0] == "2026-09-01" and x[1] == "2026-10-31" for x in rows[1:]))
            api = self.api_table(leader, **({"group_by": group_by} if group_by else {}))
            self.same_numbers(api, [(x[2], x[4], x[7], x[8], x[9]) for x in rows[1:]], r.raw.decode())
        # group names: the unit's name, the month as YYYY-MM; English headers
        r = leader.get("/api/v1/exports/indicators", dict(self.PERIOD, group_by="org"))
        names = {x[2]: x[3] for x in csv_rows(r.raw)[1:]}
        self.assertIn("信访", names[str(Indicators.org["district-xfj"])])
        r = leader.get("/api/v1/exports/indicators", dict(self.PERIOD, group_by="month", lang="en"))
        rows = csv_rows(r.raw)
        self.assertEqual(rows[0][:4], ["From", "To", "Group", "Group name"])
        self.assertEqual({x[3] for x in rows[1:]}, {"2026-09"})

    def test_visibility_is_the_apis(self):
        housing = SRV.client("housing")
        rows = csv_rows(housing.get("/api/v1/exports/indicators", self.PERIOD).raw)
        cases = [x for x in rows[1:] if x[4] == "cases"]
        self.assertEqual(cases[0][7], "1")   # only P2, as GET /api/v1/indicators says

    def test_xlsx_equals_the_api(self):
        leader = SRV.client("leader")
        r = leader.get("/api/v1/exports/indicators", dict(self.PERIOD, format="xlsx", group_by="type"))
        self.assertEqual(r.status, 200, r.data)
        self.assertEqual(r.headers["content-type"],
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        rows = read_xlsx(r.raw)
        self.assertEqual(rows[0][0], "起始日")
        api = self.api_table(leader, group_by="type")
        self.same_numbers(api, [(x[2], x[4], x[7], x[8], x[9]) for x in rows[1:]], None)
        p = [x for x in rows[1:] if x[4] == "on_time_acceptance"][0]
        self.assertEqual((p[3], p[7], p[8]), ("信访", 2, 4))
        self.assertAlmostEqual(p[9], 0.5)

    def test_bad_input_and_audit(self):
        leader = SRV.client("leader")
        self.assertProblem(leader.get("/api/v1/exports/indicators", dict(self.PERIOD, format="pdf")),
                           400, "validation", "format")
        self.assertProblem(leader.get("/api/v1/exports/indicators", dict(self.PERIOD, group_by="x")),
                           400, "validation", "group_by")
        self.assertProblem(leader.get("/api/v1/exports/indicators", {"from": "2026-13-01"}),
                           400, "validation", "from")
        self.assertEqual(SRV.public().get("/api/v1/exports/indicators").status, 401)
        leader.get("/api/v1/exports/indicators", dict(self.PERIOD, group_by="street"))
        auditor = SRV.client("auditor")
        items, after = [], 0
        while True:
            d = auditor.get("/api/v1/audit", {"after": after, "limit": 500}).data
            items.extend(d["items"])
            if not d.get("next_after"):
                break
            after = d["next_after"]
        ex = [i for i in items if i["action"] == "indicators.export"]
        last = ex[-1]
        self.assertIn("leader", last["actor"])
        self.assertEqual(last["detail"]["query"]["group_by"], "street")
        self.assertEqual(last["detail"]["query"]["from"], "2026-09-01")
        self.assertTrue(last["detail"]["complete"])
        self.assertGreater(last["detail"]["rows"], 10)

    def test_cli_export_equals_the_api(self):
        api = self.api_table(SRV.client("leader"), group_by="category")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "i.csv")
            p = subprocess.run([H.PINGAN_BIN, "export", "indicators", "--data", SRV.data,
                                "--from", "2026-09-01", "--to", "2026-10-31", "--group-by", "category",
                                "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stderr.decode(), r"exported \d+ indicator rows")
            with open(out, "rb") as f:
                rows = csv_rows(f.read())
            self.same_numbers(api, [(x[2], x[4], x[7], x[8], x[9]) for x in rows[1:]], None)
            xl = os.path.join(tmp, "i.xlsx")
            p = subprocess.run([H.PINGAN_BIN, "export", "indicators", "--data", SRV.data, "--format",
                                "xlsx", "--out", xl, "--from", "2026-09-01", "--to", "2026-10-31",
                                "--group-by", "category", "--lang", "en"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(xl, "rb") as f:
                rows = read_xlsx(f.read())
            self.assertEqual(rows[0][0], "From")
            self.assertEqual(len(rows) - 1, len(api))
            p = subprocess.run([H.PINGAN_BIN, "export", "indicators", "--data", SRV.data,
                                "--group-by", "nope"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.assertEqual(p.returncode, 2, p.stderr)


if __name__ == "__main__":
    H.run_module()

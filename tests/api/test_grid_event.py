#!/usr/bin/env python3
"""
test_grid_event.py — a grid event's life over HTTP (GB/T 30428 as written in
workflows/grid_event.yaml): a grid worker reports it with its location, the
street office files and dispatches it to a department, the department
returns a wrong dispatch or reports back, the grid worker verifies or sends
it back for rework, the supervisor evaluates; every transition allowed and
forbidden (403 wrong role, 409 wrong state), every limit (the category's
own, in working hours and working days), the return window, overdue
marking and the automatic archive; the location's validation; public
submission of a grid event.

The server's clock is moved to a Monday 10:00 (+08:00) of a week without
holidays before each time-sensitive test, so working-hour limits have known
ends: 09:00-12:00 and 13:30-17:30 are the working hours.

Run: python3 tests/api/test_grid_event.py   (PINGAN_BIN = the binary)
"""
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}
TZ = datetime.timezone(datetime.timedelta(hours=8))
HOUR = 3600


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


def holidays():
    """Days off from calendars/*.yaml (dates between from and to)."""
    days = set()
    d = os.path.join(H.SOURCE_DIR, "calendars")
    for name in os.listdir(d):
        if not re.fullmatch(r"\d{4}\.yaml", name):
            continue
        text = open(os.path.join(d, name), encoding="utf-8").read()
        for a, b in re.findall(r"from: (\d{4}-\d\d-\d\d), to: (\d{4}-\d\d-\d\d)", text):
            x = datetime.date.fromisoformat(a)
            while x <= datetime.date.fromisoformat(b):
                days.add(x)
                x += datetime.timedelta(days=1)
    return days


HOLIDAYS = holidays()


def to_plain_monday():
    """Moves the server's clock to the next Monday 10:00 +08:00 whose week
    (Mon-Fri, and the next Monday) has no day off; returns it (a datetime)."""
    now = datetime.datetime.fromtimestamp(SRV.now(), TZ)
    day = now.date() + datetime.timedelta(days=1)
    while True:
        if day.weekday() == 0 and not any(day + datetime.timedelta(days=i) in HOLIDAYS
                                          for i in range(8)):
            break
        day += datetime.timedelta(days=1)
    target = datetime.datetime(day.year, day.month, day.day, 10, 0, tzinfo=TZ)
    SRV.advance_clock(int(target.timestamp() - SRV.now()))
    return target


def at(monday, days, hh, mm, ss=0):
    d = monday + datetime.timedelta(days=days)
    return d.replace(hour=hh, minute=mm, second=ss).timestamp()


def grid_body(category="E0102", location=None, **extra):
    d = {"type": "grid_event", "category": category,
         "title": "东门社区幸福路暴露垃圾", "body": "幸福路12号东侧堆放生活垃圾约两立方米，无人清运。",
         "channel": "grid",
         "location": location if location is not None else
         {"lat": 26.0745, "lng": 119.2965, "address": "城关街道东门社区幸福路12号东侧"}}
    d.update(extra)
    return d


class GridEvent(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.grid = SRV.client("grid")            # grid_worker, chengguan-office
        cls.street = SRV.client("chengguan")      # handler, chengguan-office
        cls.housing = SRV.client("housing")       # handler, district-housing
        cls.hrss = SRV.client("hrss")             # handler, district-hrss
        cls.sup = SRV.client("supervisor")
        cls.intake = SRV.client("intake")
        orgs = cls.intake.get("/api/v1/orgs").data["items"]
        cls.org = {o["code"]: o["id"] for o in orgs}

    def report(self, category="E0102", client=None, **kw):
        r = (client or self.grid).post("/api/v1/cases", grid_body(category, **kw))
        d = self.assertStatus(r, 201)
        return d["id"]

    def assertDue(self, case, when, slack=120):
        due = H.parse_time(case["due_at"])
        self.assertTrue(abs(due - when) <= slack, "due %s, expected %s" % (
            case["due_at"], datetime.datetime.fromtimestamp(when, TZ).isoformat()))

    def forbidden(self, client, cid, action, fields=None):
        r = client.act(cid, action, fields, expect=None)
        self.assertProblem(r, 403, "forbidden")

    def wrong_state(self, client, cid, action, fields=None):
        r = client.act(cid, action, fields, expect=None)
        self.assertProblem(r, 409, "invalid-state")

    # -- the definition --------------------------------------------------------

    def test_01_definition(self):
        d = self.assertStatus(self.grid.get("/api/v1/workflows/grid_event"), 200)
        self.assertEqual(d["location"], "required")
        self.assertEqual(d["register"], {"roles": ["grid_worker", "intake"], "public": True})
        cats = {c["code"]: c for c in d["categories"]}
        self.assertFalse(cats["E01"]["leaf"])
        self.assertIsNone(cats["E01"]["service_code"])
        self.assertEqual(cats["E0102"]["parent"], "E01")
        self.assertEqual(cats["E0102"]["service_code"], "E0102")
        self.assertEqual(cats["E0102"]["due"]["dispatched"]["amount"], 4)
        self.assertEqual(cats["E0102"]["due"]["dispatched"]["unit"], "working_hours")
        self.assertEqual(cats["E0302"]["due"]["dispatched"]["unit"], "working_days")
        codes = [c["service_code"] for c in d["categories"] if c["service_code"]]
        self.assertEqual(len(codes), len(set(codes)))
        pub = self.assertStatus(SRV.public().get("/api/public/workflows/grid_event"), 200)
        self.assertTrue(pub["submit"])
        self.assertEqual(pub["location"], "required")

    # -- the whole life, with every limit --------------------------------------

    def test_02_life_and_limits(self):
        mon = to_plain_monday()
        cid = self.report()
        c = self.grid.case(cid)
        self.assertEqual(c["state"], "reported")
        self.assertEqual(c["number"][:3], "WG-")
        self.assertEqual(c["channel"], "grid")
        self.assertEqual(c["intake_org"]["id"], self.org["chengguan-office"])
        self.assertEqual(c["owner_org"]["id"], self.org["chengguan-office"])
        self.assertEqual(c["location"], {"lat": 26.0745, "lng": 119.2965,
                                         "address": "城关街道东门社区幸福路12号东侧"})
        # reported: filed within 1 working hour of the report
        self.assertEqual(c["limit"]["amount"], 1)
        self.assertEqual(c["limit"]["unit"], "working_hours")
        self.assertDue(c, at(mon, 0, 11, 0))
        # the grid worker may verify later, but not file
        self.assertEqual({a["name"] for a in c["actions"]}, set())
        self.forbidden(self.grid, cid, "file")
        self.forbidden(self.grid, cid, "dispatch", {"org_id": self.org["district-housing"]})
        self.wrong_state(self.sup, cid, "evaluate", {"grade": "good"})  # a supervisor may, later
        street_actions = {a["name"] for a in self.street.case(cid)["actions"]}
        self.assertEqual(street_actions, {"file", "reject"})
        self.wrong_state(self.street, cid, "dispatch", {"org_id": self.org["district-housing"]})
        self.wrong_state(self.street, cid, "verify")
        self.wrong_state(self.street, cid, "rework", {"reason": "x"})
        # the department cannot even see it yet
        self.assertProblem(self.housing.get("/api/v1/cases/%d" % cid), 404, "not-found")

        r = self.street.act(cid, "file", {"note": "属实，立案"})
        self.assertEqual(r.data["state"], "filed")
        self.assertDue(r.data, at(mon, 0, 11, 0) + 60, slack=180)  # 1 working hour from now
        self.wrong_state(self.street, cid, "file")
        self.forbidden(self.grid, cid, "dispatch", {"org_id": self.org["district-housing"]})

        r = self.street.act(cid, "dispatch", {"org_id": self.org["district-housing"],
                                               "instruction": "请及时清运"})
        c = r.data
        self.assertEqual(c["state"], "dispatched")
        self.assertEqual(c["owner_org"]["id"], self.org["district-housing"])
        # the category's own limit: exposed rubbish, 4 working hours: 10:00 -> 15:30
        self.assertEqual(c["limit"]["amount"], 4)
        self.assertEqual(c["limit"]["unit"], "working_hours")
        self.assertIn("暴露垃圾", c["limit"]["basis"])
        self.assertDue(c, at(mon, 0, 15, 30))
        # the street no longer owns it: it cannot act
        self.assertProblem(self.street.get("/api/v1/cases/%d" % cid), 404, "not-found")
        hc = self.housing.case(cid)
        self.assertEqual({a["name"] for a in hc["actions"]}, {"return", "report_back"})
        self.assertProblem(self.hrss.act(cid, "report_back", {"result": "x"}, expect=None), 404,
                           "not-found")  # another department does not see it
        self.forbidden(self.sup, cid, "report_back", {"result": "x"})

        r = self.housing.act(cid, "report_back", {"result": "已清运完毕，并安排保洁员每日巡查"})
        c = r.data
        self.assertEqual(c["state"], "handled")
        self.assertEqual(c["owner_org"]["id"], self.org["chengguan-office"])  # back to the dispatcher
        self.assertDue(c, at(mon, 1, 23, 59, 59), slack=1)  # 1 working day: end of Tuesday

        # verification fails: rework goes back to the department, new limit
        r = self.grid.act(cid, "rework", {"reason": "现场仍有垃圾残留"})
        c = r.data
        self.assertEqual(c["state"], "dispatched")
        self.assertEqual(c["owner_org"]["id"], self.org["district-housing"])
        self.assertDue(c, at(mon, 0, 15, 30), slack=300)
        self.housing.act(cid, "report_back", {"result": "已彻底清理"})

        self.assertProblem(self.housing.act(cid, "verify", expect=None), 404, "not-found")
        r = self.grid.act(cid, "verify", {"note": "核查通过"})
        c = r.data
        self.assertEqual(c["state"], "closed")
        self.assertDue(c, at(mon, 7, 23, 59, 59), slack=1)  # 5 working days: next Monday
        self.forbidden(self.grid, cid, "evaluate", {"grade": "good"})
        self.forbidden(self.street, cid, "evaluate", {"grade": "good"})
        self.wrong_state(self.grid, cid, "verify")
        r = self.sup.act(cid, "evaluate", {"grade": "good", "comment": "处置及时"})
        self.assertEqual(r.data["state"], "evaluated")
        self.assertFalse(r.data["is_open"])
        self.assertEqual(r.data["actions"] if "actions" in r.data else [], [])
        # the timeline has every step
        ev = self.sup.get("/api/v1/cases/%d/events" % cid).data["items"]
        acts = [e["action"] for e in ev if e["kind"] == "transition"]
        self.assertEqual(acts, ["file", "dispatch", "report_back", "rework", "report_back",
                                "verify", "evaluate"])

    def test_03_return_and_window(self):
        mon = to_plain_monday()
        cid = self.report("E0401")
        self.street.act(cid, "file")
        self.street.act(cid, "dispatch", {"org_id": self.org["district-hrss"]})
        # a wrong dispatch: the department returns it, the street dispatches again
        r = self.hrss.act(cid, "return", {"reason": "无照经营不属于人社部门职责"})
        self.assertEqual(r.data["state"], "filed")
        self.assertEqual(r.data["owner_org"]["id"], self.org["chengguan-office"])
        self.assertDue(r.data, at(mon, 0, 11, 0), slack=180)
        self.assertProblem(self.hrss.act(cid, "return", {"reason": "x"}, expect=None), 404, "not-found")
        r = self.street.act(cid, "dispatch", {"org_id": self.org["district-market"]})
        # street order class limit: 4 working hours
        self.assertEqual(r.data["limit"], {"amount": 4, "unit": "working_hours",
                                           "basis": "街面秩序类：4个工作时（本区规定）"})
        # the return window: 2 working hours from the dispatch (10:00 -> 12:00)
        SRV.advance_clock(2 * HOUR + 5 * 60)
        r = self.sup.act(cid, "return", {"reason": "x"}, expect=None)
        self.assertProblem(r, 403, "forbidden")  # a supervisor may not return
        # required field
        cid2 = self.report("E0401")
        self.street.act(cid2, "file")
        self.street.act(cid2, "dispatch", {"org_id": self.org["district-hrss"]})
        r = self.hrss.act(cid2, "return", {}, expect=None)
        self.assertProblem(r, 400, "validation", field="fields.reason")
        # past the window: dispatched at 12:05 (lunch), so it ends at 15:30
        SRV.advance_clock(4 * HOUR)
        acts = {a["name"] for a in self.hrss.case(cid2)["actions"]}
        self.assertNotIn("return", acts)
        self.assertIn("report_back", acts)
        r = self.hrss.act(cid2, "return", {"reason": "晚了"}, expect=None)
        self.assertProblem(r, 409, "window-closed")

    def test_04_reject(self):
        to_plain_monday()
        cid = self.report("E0104")
        self.forbidden(self.grid, cid, "reject", {"reason": "x"})
        self.assertProblem(self.street.act(cid, "reject", {}, expect=None), 400, "validation",
                           field="fields.reason")
        r = self.street.act(cid, "reject", {"reason": "经核实，不在本网格范围"})
        self.assertEqual(r.data["state"], "invalid")
        self.assertFalse(r.data["is_open"])
        self.wrong_state(self.street, cid, "file")

    def test_05_emergency_limits(self):
        mon = to_plain_monday()
        cid = self.report("E0503")  # gas leak: the class's limits for every step
        c = self.grid.case(cid)
        self.assertDue(c, at(mon, 0, 11, 0))
        r = self.street.act(cid, "file")
        self.assertDue(r.data, at(mon, 0, 11, 0) + 60, slack=180)
        r = self.street.act(cid, "dispatch", {"org_id": self.org["district-housing"]})
        # 2 working hours from 10:00 and a few seconds: 12:00, or 13:30 and those seconds
        due = H.parse_time(r.data["due_at"])
        self.assertTrue(at(mon, 0, 11, 58) <= due <= at(mon, 0, 13, 33), r.data["due_at"])
        # illegal construction removal: 20 working days (four weeks later, Monday's end)
        cid = self.report("E0302")
        self.street.act(cid, "file")
        r = self.street.act(cid, "dispatch", {"org_id": self.org["district-housing"]})
        self.assertEqual(r.data["limit"]["amount"], 20)
        self.assertEqual(r.data["limit"]["unit"], "working_days")
        due = datetime.datetime.fromtimestamp(H.parse_time(r.data["due_at"]), TZ)
        self.assertEqual((due.hour, due.minute), (23, 59))
        self.assertTrue(25 <= (due.date() - mon.date()).days <= 40, due)
        # a category without its own limit: the state's 5 working days
        cid = self.report("F0601")
        self.street.act(cid, "file")
        r = self.street.act(cid, "dispatch", {"org_id": self.org["district-housing"]})
        self.assertDue(r.data, at(mon, 7, 23, 59, 59), slack=1)

    def test_06_overdue_and_archive(self):
        mon = to_plain_monday()
        cid = self.report("E0102")
        late = self.report("E0102")
        # 1 working hour later (11:00) plus a minute: the reports are overdue
        SRV.advance_clock(HOUR + 120)
        res = SRV.tick()
        self.assertGreaterEqual(res["marked_overdue"], 2)
        self.assertTrue(self.street.case(late)["overdue"])
        # the whole way to closed, then the evaluation window passes: archived
        self.street.act(cid, "file")
        self.street.act(cid, "dispatch", {"org_id": self.org["district-housing"]})
        self.housing.act(cid, "report_back", {"result": "已清运"})
        self.grid.act(cid, "verify")
        c = self.grid.case(cid)
        SRV.advance_past(c["due_at"], margin=60)
        SRV.tick()
        c = self.sup.case(cid)
        self.assertEqual(c["state"], "evaluated")
        ev = self.sup.get("/api/v1/cases/%d/events" % cid).data["items"]
        self.assertEqual([e["action"] for e in ev if e["kind"] == "transition"][-1], "archive")
        self.assertEqual(mon.weekday(), 0)

    # -- the location ----------------------------------------------------------

    def test_07_location_validation(self):
        cases = [
            (grid_body(location={}), "location"),
            (grid_body(location={"address": "   "}), "location"),
            (grid_body(location={"lat": 26.07}), "location.lng"),
            (grid_body(location={"lng": 119.3}), "location.lat"),
            (grid_body(location={"lat": 91, "lng": 119.3}), "location.lat"),
            (grid_body(location={"lat": 26, "lng": -180.5}), "location.lng"),
            (grid_body(location={"lat": "26", "lng": 119.3}), "location.lat"),
            (grid_body(location={"lat": 26, "lng": 119.3, "floor": 3}), "location.floor"),
            (grid_body(location=[26, 119]), "location"),
            (grid_body(location={"address": "长" * 201}), "location.address"),
            (grid_body(location={"address": 12}), "location.address"),
            (grid_body(category="E01"), "category"),        # a class, not a subcategory
            (grid_body(category="E9999"), "category"),
        ]
        body = grid_body()
        del body["location"]
        cases.append((body, "location"))
        for b, field in cases:
            r = self.grid.post("/api/v1/cases", b)
            self.assertProblem(r, 400, "validation", field=field, msg="%r -> %r" % (b, r.data))
        # a point alone, or an address alone, is enough
        cid = self.report(location={"lat": -33.5, "lng": 151.2})
        self.assertEqual(self.grid.case(cid)["location"], {"lat": -33.5, "lng": 151.2, "address": None})
        cid = self.report(location={"address": "河西街道滨江路口"})
        self.assertEqual(self.grid.case(cid)["location"], {"lat": None, "lng": None,
                                                           "address": "河西街道滨江路口"})
        # a type without location refuses one
        r = self.intake.post("/api/v1/cases", H.petition_body(location={"address": "x"}))
        self.assertProblem(r, 400, "validation", field="location")
        # petitions have none
        pid = self.assertStatus(self.intake.post("/api/v1/cases", H.petition_body()), 201)["id"]
        self.assertIsNone(self.intake.case(pid)["location"])
        # the list shows it too
        items = self.grid.inbox(type="grid_event")
        self.assertTrue(any(i["location"] and i["location"]["address"] == "河西街道滨江路口"
                            for i in items))

    def test_08_who_registers(self):
        # a handler may not register a grid event; intake may
        r = self.street.post("/api/v1/cases", grid_body())
        self.assertProblem(r, 403, "forbidden")
        d = self.assertStatus(self.intake.post("/api/v1/cases", grid_body(channel="phone")), 201)
        self.assertEqual(d["intake_org"]["id"], self.org["district-xfj"])

    def test_09_public_submission(self):
        pub = SRV.public()
        body = grid_body()
        del body["channel"]
        body["contact"] = {"name": "李四", "phone": "13900001111"}
        r = pub.post("/api/public/cases", body)
        d = self.assertStatus(r, 201)
        self.assertRegex(d["number"], r"^WG-\d{4}-\d{6}$")
        v = self.assertStatus(H.track(SRV, d["number"], d["query_code"]), 200)
        self.assertEqual(v["type"], "grid_event")
        self.assertEqual(v["state"], "reported")
        # a grid event from the public needs contact (it is no accusation) and a location
        body2 = dict(body)
        del body2["contact"]
        self.assertProblem(pub.post("/api/public/cases", body2), 400, "validation", field="contact")
        body3 = dict(body)
        del body3["location"]
        self.assertProblem(pub.post("/api/public/cases", body3), 400, "validation", field="location")

    # -- the reporter verifies (role public on verify and rework) ---------------

    def public_act(self, number, action, code, fields=None, expect=200, client=None):
        body = {"code": code}
        if fields is not None:
            body["fields"] = fields
        r = (client or SRV.public()).post("/api/public/cases/%s/actions/%s" % (number, action), body)
        if expect is not None:
            return self.assertStatus(r, expect)
        return r

    def audit_records(self, case_id):
        auditor = SRV.client("auditor")
        found, after = [], 0
        while True:
            items = self.assertStatus(auditor.get("/api/v1/audit", {"after": after, "limit": 500}),
                                      200)["items"]
            if not items:
                return found
            found += [x for x in items if x["object"] == "case:%d" % case_id]
            after = items[-1]["seq"]

    def to_handled(self, cid, filer=None):
        filer = filer or self.street
        filer.act(cid, "file", {"note": "属实"})
        filer.act(cid, "dispatch", {"org_id": self.org["district-housing"]})
        self.housing.act(cid, "report_back", {"result": "已清运"})

    def test_10_reporter_verifies(self):
        pub = SRV.public()
        body = grid_body()
        del body["channel"]
        body["contact"] = {"name": "李四", "phone": "13900001111"}
        d = self.assertStatus(pub.post("/api/public/cases", body), 201)
        number, code = d["number"], d["query_code"]
        cid = H.find_case_id(self.intake, number)
        # nothing to do for the reporter until the department reports back
        v = self.assertStatus(H.track(SRV, number, code), 200)
        self.assertEqual(v["actions"], [])
        self.assertProblem(self.public_act(number, "verify", code, expect=None), 409, "invalid-state")
        self.to_handled(cid, self.intake)  # the public's reports reach the intake unit

        v = self.assertStatus(H.track(SRV, number, code), 200)
        self.assertEqual(v["state"], "handled")
        acts = {a["name"]: a for a in v["actions"]}
        self.assertEqual(set(acts), {"verify", "rework"})
        self.assertEqual(acts["rework"]["label"], "核查未通过（返工）")
        self.assertEqual(acts["rework"]["to"], "dispatched")
        self.assertEqual([(f["name"], f["required"]) for f in acts["rework"]["fields"]],
                         [("reason", True)])
        self.assertEqual([(f["name"], f["required"]) for f in acts["verify"]["fields"]],
                         [("note", False)])
        en = self.assertStatus(H.track(SRV, number, code, client=SRV.public(lang="en")), 200)
        self.assertEqual({a["name"]: a["label"] for a in en["actions"]}["verify"],
                         "Verified (close)")

        # a wrong code, a wrong number: 404 as everywhere; nothing changes
        wrong = "2222222222" if code != "2222222222" else "3333333333"
        self.assertProblem(self.public_act(number, "verify", wrong, expect=None), 404, "not-found")
        self.assertProblem(self.public_act("WG-1999-000001", "verify", code, expect=None), 404,
                           "not-found")
        # the code is required, and only code and fields are accepted
        r = pub.post("/api/public/cases/%s/actions/verify" % number, {})
        self.assertProblem(r, 400, "validation", field="code")
        r = pub.post("/api/public/cases/%s/actions/verify" % number, {"code": code, "note": "x"})
        self.assertProblem(r, 400, "validation")
        self.assertProblem(self.public_act(number, "verify", code, fields="ok", expect=None), 400,
                           "validation", field="fields")
        # steps that are not the public's, steps that do not exist
        self.assertProblem(self.public_act(number, "evaluate", code, {"grade": "good"}, expect=None),
                           403, "forbidden")
        self.assertProblem(self.public_act(number, "report_back", code, {"result": "x"},
                                           expect=None), 403, "forbidden")
        self.assertProblem(self.public_act(number, "fly", code, expect=None), 404, "not-found")
        # the step's fields are checked as for staff
        self.assertProblem(self.public_act(number, "rework", code, {}, expect=None), 400,
                           "validation", field="fields.reason")
        self.assertProblem(self.public_act(number, "rework", code, {"reason": "x", "why": 1},
                                           expect=None), 400, "validation", field="fields.why")
        self.assertEqual(self.intake.case(cid)["state"], "handled")

        # the reporter sends it back: the department has it again, with a new limit
        v = self.public_act(number, "rework", code, {"reason": "现场仍有垃圾残留"})
        self.assertEqual(v["number"], number)
        self.assertEqual(v["state"], "dispatched")
        self.assertEqual(v["actions"], [])
        self.assertEqual(v["handling_unit"]["id"], self.org["district-housing"])
        self.assertEqual([e.get("action") for e in v["timeline"] if e["kind"] == "transition"][-1],
                         "rework")
        c = self.housing.case(cid)
        self.assertEqual(c["state"], "dispatched")
        self.housing.act(cid, "report_back", {"result": "已彻底清理"})

        # then confirms it: closed, and the closing notice is on the public timeline
        v = self.public_act(number, "verify", code, {"note": "已清理干净，谢谢"})
        self.assertEqual(v["state"], "closed")
        self.assertTrue(any(n["kind"] == "notice" for n in v["notices"]))
        self.assertTrue(v["can_rate"])
        self.assertEqual(v["actions"], [])
        self.assertProblem(self.public_act(number, "verify", code, expect=None), 409, "invalid-state")
        # staff see who did it; the audit log has both steps by the public
        ev = self.sup.get("/api/v1/cases/%d/events" % cid).data["items"]
        steps = [(e["action"], e["actor_name"]) for e in ev if e["kind"] == "transition"]
        self.assertEqual(steps[-2:], [("report_back", steps[-2][1]), ("verify", "public")])
        self.assertIn(("rework", "public"), steps)
        recs = [x for x in self.audit_records(cid) if x["action"] == "case.transition"]
        by_public = [x["detail"]["action"] for x in recs if x["actor"].startswith("public ")]
        self.assertEqual(by_public, ["rework", "verify"])

    def test_11_reporter_of_a_staff_registered_event(self):
        # a grid worker registers it for a resident, who gets the number and code
        d = self.assertStatus(self.grid.post("/api/v1/cases", grid_body()), 201)
        number, code, cid = d["number"], d["query_code"], d["id"]
        self.to_handled(cid)
        self.assertEqual({a["name"] for a in self.grid.case(cid)["actions"]}, {"verify", "rework"})
        v = self.assertStatus(H.track(SRV, number, code), 200)
        self.assertEqual({a["name"] for a in v["actions"]}, {"verify", "rework"})
        v = self.public_act(number, "verify", code)
        self.assertEqual(v["state"], "closed")

    def test_12_public_actions_are_rate_limited(self):
        # the route is one of the rate-limited public writes: the server of this
        # module allows 1000 at once, so a separate server with a burst of 2
        srv = H.Server(env={"PINGAN_RATE_PUBLIC_PER_MINUTE": "1", "PINGAN_RATE_PUBLIC_BURST": "2"})
        srv.start()
        try:
            pub = srv.public()
            codes = []
            for _ in range(4):
                r = pub.post("/api/public/cases/WG-2026-000001/actions/verify", {"code": "2222222222"})
                codes.append(r[0])
            self.assertIn(429, codes)
            self.assertTrue(all(c in (404, 429) for c in codes), codes)
        finally:
            srv.stop()


if __name__ == "__main__":
    H.run_module()

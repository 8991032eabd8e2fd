#!/usr/bin/env python3
"""
test_supervision.py — supervision orders (督办) over HTTP: issuing (who may,
who may not, what is checked), the reply by the owning unit, closing, the
timer marking an overdue order and escalating it exactly once, the
supervisors' board with its filters and pages, and the order on the case
detail, the internal timeline and the audit log.

Run: python3 tests/api/test_supervision.py   (PINGAN_BIN = the binary)
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}
TZ = datetime.timezone(datetime.timedelta(hours=8))  # the demo district's timezone


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


def local_date(days_ahead=0):
    """The server's local date (YYYY-MM-DD), days_ahead from today."""
    now = datetime.datetime.fromtimestamp(SRV.now(), TZ)
    return (now + datetime.timedelta(days=days_ahead)).strftime("%Y-%m-%d")


def order_body(days_ahead=10, **kw):
    d = {"reason": "群众多次反映，受理后长期未见处理进展。",
         "required_action": "10日内查明情况并书面报告处理结果。",
         "due_date": local_date(days_ahead)}
    d.update(kw)
    return d


class Supervision(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.supervisor = SRV.client("supervisor")   # district petition office: oversees the district
        cls.leader = SRV.client("leader")           # district government: oversees the district
        cls.intake = SRV.client("intake")
        cls.xfj = SRV.client("xfj")                 # handler, district petition office
        cls.housing = SRV.client("housing")         # handler, housing bureau
        cls.auditor = SRV.client("auditor")
        admin = SRV.client("admin")
        cls.org = {o["code"]: o["id"] for o in admin.get("/api/v1/orgs").data["items"]}
        # a supervisor of the Chengguan street only: district units are not theirs
        r = admin.post("/api/v1/users", {
            "username": "street.sup", "display_name": "街道督办", "password": "Street-Sup-2026",
            "roles": [{"org_id": cls.org["chengguan-office"], "role": "supervisor"}]})
        assert r.status == 201, r
        cls.street = H.Client(SRV)
        cls.street.login("street.sup", "Street-Sup-2026")

    # -- helpers --

    def new_case(self, **kw):
        d = H.submit_petition(SRV, **kw)
        cid = H.find_case_id(self.intake, d["number"])
        self.assertIsNotNone(cid)
        return cid, d["number"], d["query_code"]

    def issue(self, cid, client=None, expect=201, **kw):
        r = (client or self.supervisor).post("/api/v1/cases/%d/supervision" % cid, order_body(**kw))
        return self.assertStatus(r, expect)

    def order(self, oid, client=None):
        """The order as seen on the supervisors' board."""
        for o in self.board(client or self.supervisor):
            if o["id"] == oid:
                return o
        self.fail("order %d is not on the board" % oid)

    def board(self, client, **params):
        items, cursor = [], None
        for _ in range(50):
            p = dict(params, limit=500)
            if cursor:
                p["cursor"] = cursor
            d = self.assertStatus(client.get("/api/v1/supervision", p), 200)
            items += d["items"]
            cursor = d["next_cursor"]
            if not cursor:
                break
        return items

    def events(self, cid, kind=None):
        """The case's internal timeline (the supervisor sees every case of the district)."""
        evs = self.supervisor.get("/api/v1/cases/%d/events?limit=500" % cid).data["items"]
        return [e for e in evs if kind is None or e["kind"] == kind]

    def audit(self, action, obj):
        recs, after = [], 0
        for _ in range(200):
            d = self.auditor.get("/api/v1/audit", {"after": after, "limit": 500}).data
            recs += [r for r in d["items"] if r["action"] == action and r["object"] == obj]
            if not d.get("next_after"):
                break
            after = d["next_after"]
        return recs

    # -- issuing --

    def test_issue_by_supervisor(self):
        cid, number, code = self.new_case()
        o = self.issue(cid)
        self.assertEqual(o["state"], "open")
        self.assertEqual(o["state_label"], "待回复")
        self.assertFalse(o["overdue"])
        self.assertEqual(o["case"]["id"], cid)
        self.assertEqual(o["case"]["number"], number)
        self.assertEqual(o["to_org"]["id"], self.org["district-xfj"])    # the owning unit
        self.assertEqual(o["from_org"]["id"], self.org["district-xfj"])  # the supervisor's unit
        self.assertEqual(o["issued_by"]["name"], "赵督办")
        self.assertEqual(o["reason"], order_body()["reason"])
        self.assertTrue(o["due_at"].startswith(local_date(10) + "T23:59:59"), o["due_at"])
        for k in ("reply_text", "replied_by", "replied_at", "escalated_at", "closed_by", "closed_at"):
            self.assertIsNone(o[k], k)
        # on the case detail and the case's list, for whoever sees the case
        detail = self.xfj.case(cid)
        self.assertEqual([s["id"] for s in detail["supervision"]], [o["id"]])
        lst = self.assertStatus(self.xfj.get("/api/v1/cases/%d/supervision" % cid), 200)
        self.assertEqual([s["id"] for s in lst["items"]], [o["id"]])
        # an internal timeline event, and an audit record
        ev = self.events(cid, "supervision_issued")
        self.assertEqual(len(ev), 1)
        self.assertFalse(ev[0]["public"])
        self.assertEqual(ev[0]["data"]["order_id"], o["id"])
        self.assertEqual(ev[0]["text"], order_body()["reason"])
        self.assertEqual(len(self.audit("supervision.issue", "case:%d" % cid)), 1)
        # never on the public page
        pub = self.assertStatus(H.track(SRV, number, code), 200)
        self.assertFalse([e for e in pub["timeline"] if e["kind"].startswith("supervision")])

    def test_issue_by_leader(self):
        cid, _, _ = self.new_case()
        o = self.issue(cid, client=self.leader)
        self.assertEqual(o["from_org"]["id"], self.org["district-gov"])
        self.assertEqual(o["issued_by"]["name"], "孙区长")

    def test_handler_is_403(self):
        cid, _, _ = self.new_case()
        for c in (self.xfj, self.intake):
            self.assertProblem(c.post("/api/v1/cases/%d/supervision" % cid, order_body()), 403, "forbidden")
        self.assertEqual(self.xfj.case(cid)["supervision"], [])

    def test_another_units_case_is_404(self):
        cid, _, _ = self.new_case()
        # a handler of another unit, and a supervisor whose street does not hold the case
        for c in (self.housing, self.street):
            self.assertProblem(c.post("/api/v1/cases/%d/supervision" % cid, order_body()), 404, "not-found")
            self.assertProblem(c.get("/api/v1/cases/%d/supervision" % cid), 404, "not-found")
        self.assertProblem(self.supervisor.post("/api/v1/cases/999999/supervision", order_body()), 404)

    def test_issue_validation(self):
        cid, _, _ = self.new_case()
        url = "/api/v1/cases/%d/supervision" % cid
        s = self.supervisor
        self.assertProblem(s.post(url, order_body(reason=None)), 400, "validation", "reason")
        self.assertProblem(s.post(url, order_body(reason="　 ")), 400, "validation", "reason")
        self.assertProblem(s.post(url, order_body(required_action="")), 400, "validation", "required_action")
        self.assertProblem(s.post(url, order_body(reason="x" * 2001)), 400, "validation", "reason")
        self.assertProblem(s.post(url, order_body(due_date=None)), 400, "validation", "due_date")
        self.assertProblem(s.post(url, order_body(due_date="2026/03/01")), 400, "validation", "due_date")
        self.assertProblem(s.post(url, order_body(due_date="2026-02-30")), 400, "validation", "due_date")
        self.assertProblem(s.post(url, order_body(due_date=local_date(10) + "T12:00:00+08:00")), 400,
                           "validation", "due_date")
        self.assertProblem(s.post(url, order_body(days_ahead=-1)), 400, "validation", "due_date")
        self.assertProblem(s.post(url, order_body(days_ahead=400)), 400, "validation", "due_date")
        self.assertProblem(s.post(url, order_body(due_date=20260301)), 400, "validation", "due_date")
        self.assertProblem(s.post(url, dict(order_body(), urgent=True)), 400, "validation", "urgent")
        self.assertProblem(s.post(url, "{", content_type="application/json"), 400, "bad-json")
        self.assertEqual(self.xfj.case(cid)["supervision"], [])
        # today is allowed: due at the end of today
        self.issue(cid, days_ahead=0)

    # -- reply and close --

    def test_reply_by_owning_unit(self):
        cid, _, _ = self.new_case()
        o = self.issue(cid)
        url = "/api/v1/supervision/%d/reply" % o["id"]
        # not the owning unit: the supervisor (no working role there) 403, another unit 404
        self.assertProblem(self.supervisor.post(url, {"text": "已处理"}), 403, "forbidden")
        self.assertProblem(self.housing.post(url, {"text": "已处理"}), 404, "not-found")
        self.assertProblem(self.xfj.post(url, {}), 400, "validation", "text")
        self.assertProblem(self.xfj.post(url, {"text": "x", "extra": 1}), 400, "validation", "extra")
        r = self.assertStatus(self.xfj.post(url, {"text": "已约谈物业公司，限期三日内修复。"}), 200)
        self.assertEqual(r["state"], "replied")
        self.assertEqual(r["reply_text"], "已约谈物业公司，限期三日内修复。")
        self.assertEqual(r["replied_by"]["name"], "李信访")
        self.assertIsNotNone(r["replied_at"])
        self.assertProblem(self.xfj.post(url, {"text": "再次回复"}), 409, "invalid-state")
        ev = self.events(cid, "supervision_replied")
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["actor_name"], "李信访")
        self.assertEqual(len(self.audit("supervision.reply", "case:%d" % cid)), 1)
        self.assertProblem(self.xfj.post("/api/v1/supervision/999999/reply", {"text": "x"}), 404)

    def test_reply_after_the_case_moved(self):
        """The order goes to the owner at issue time; after a forward the new owner replies."""
        cid, _, _ = self.new_case()
        o = self.issue(cid)
        self.intake.act(cid, "forward", {"org_id": self.org["district-housing"]})
        url = "/api/v1/supervision/%d/reply" % o["id"]
        self.assertProblem(self.xfj.post(url, {"text": "x"}), 404)  # xfj no longer sees the case
        r = self.assertStatus(self.housing.post(url, {"text": "住建局已接办，正在核查。"}), 200)
        self.assertEqual(r["state"], "replied")
        self.assertEqual(r["to_org"]["id"], self.org["district-xfj"])
        # a new order goes to the new owner
        o2 = self.issue(cid)
        self.assertEqual(o2["to_org"]["id"], self.org["district-housing"])

    def test_close(self):
        cid, _, _ = self.new_case()
        o = self.issue(cid)
        self.assertStatus(self.xfj.post("/api/v1/supervision/%d/reply" % o["id"], {"text": "已办理"}), 200)
        url = "/api/v1/supervision/%d/close" % o["id"]
        self.assertProblem(self.xfj.post(url, {}), 403, "forbidden")
        self.assertProblem(self.supervisor.post(url, {"note": "x" * 2001}), 400, "validation", "note")
        r = self.assertStatus(self.leader.post(url, {"note": "回复属实，同意办结。"}), 200)
        self.assertEqual(r["state"], "closed")
        self.assertEqual(r["closed_by"]["name"], "孙区长")
        self.assertEqual(r["reply_text"], "已办理")
        self.assertProblem(self.supervisor.post(url), 409, "invalid-state")
        self.assertProblem(self.xfj.post("/api/v1/supervision/%d/reply" % o["id"], {"text": "x"}), 409)
        # withdrawing an open order needs no body
        o2 = self.issue(cid)
        self.assertEqual(self.assertStatus(
            self.supervisor.post("/api/v1/supervision/%d/close" % o2["id"]), 200)["state"], "closed")
        self.assertEqual(len(self.events(cid, "supervision_closed")), 2)

    # -- overdue and escalation --

    def test_overdue_escalates_exactly_once(self):
        cid, _, _ = self.new_case()
        late = self.issue(cid, days_ahead=0)       # due at the end of today
        on_time = self.issue(cid, days_ahead=30)
        replied = self.issue(cid, days_ahead=0)
        self.assertStatus(self.xfj.post("/api/v1/supervision/%d/reply" % replied["id"], {"text": "已办"}), 200)
        SRV.advance_past(late["due_at"])
        first = SRV.tick()
        self.assertGreaterEqual(first["supervision_escalated"], 1)
        o = self.order(late["id"])
        self.assertEqual(o["state"], "overdue")
        self.assertTrue(o["overdue"])
        self.assertIsNotNone(o["escalated_at"])
        self.assertEqual(self.order(on_time["id"])["state"], "open")
        self.assertEqual(self.order(replied["id"])["state"], "replied")
        # a second pass changes nothing
        second = SRV.tick()
        self.assertEqual(second["supervision_escalated"], 0)
        o2 = self.order(late["id"])
        self.assertEqual(o2["escalated_at"], o["escalated_at"])
        ev = self.events(cid, "supervision_overdue")
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["data"]["order_id"], late["id"])
        self.assertEqual(ev[0]["actor_name"], "system")
        self.assertFalse(ev[0]["public"])
        self.assertEqual(len(self.audit("supervision.overdue", "case:%d" % cid)), 1)
        # a late reply is still taken
        r = self.assertStatus(self.xfj.post("/api/v1/supervision/%d/reply" % late["id"], {"text": "迟复"}), 200)
        self.assertEqual(r["state"], "replied")
        self.assertIsNotNone(r["escalated_at"])
        self.assertEqual(SRV.tick()["supervision_escalated"], 0)

    # -- the board --

    def test_board(self):
        a, _, _ = self.new_case()
        b, _, _ = self.new_case()
        self.intake.act(b, "forward", {"org_id": self.org["district-housing"]})
        oa = self.issue(a, days_ahead=20)
        ob = self.issue(b, days_ahead=21)
        ids = {o["id"] for o in self.board(self.supervisor)}
        self.assertLessEqual({oa["id"], ob["id"]}, ids)
        self.assertLessEqual({oa["id"], ob["id"]}, {o["id"] for o in self.board(self.leader)})
        # ordered by due time
        dues = [o["due_at"] for o in self.board(self.supervisor)]
        self.assertEqual(dues, sorted(dues, key=H.parse_time))
        # filters: state, and org (orders sent to that org or a unit under it)
        open_ids = {o["id"] for o in self.board(self.supervisor, state="open")}
        self.assertLessEqual({oa["id"], ob["id"]}, open_ids)
        self.assertTrue(all(o["state"] == "open" for o in self.board(self.supervisor, state="open")))
        housing = self.board(self.supervisor, org=self.org["district-housing"])
        self.assertIn(ob["id"], {o["id"] for o in housing})
        self.assertNotIn(oa["id"], {o["id"] for o in housing})
        self.assertTrue(all(o["to_org"]["id"] == self.org["district-housing"] for o in housing))
        district = {o["id"] for o in self.board(self.supervisor, org=self.org["district"])}
        self.assertLessEqual({oa["id"], ob["id"]}, district)
        self.assertEqual(self.board(self.supervisor, org=self.org["chengguan"]), [])
        self.assertStatus(self.xfj.post("/api/v1/supervision/%d/reply" % oa["id"], {"text": "已办"}), 200)
        self.assertIn(oa["id"], {o["id"] for o in self.board(self.supervisor, state="replied")})
        self.assertNotIn(oa["id"], {o["id"] for o in self.board(self.supervisor, state="open")})
        # units see the orders on their own cases; a street supervisor none of the district's
        self.assertIn(oa["id"], {o["id"] for o in self.board(self.xfj)})
        self.assertNotIn(ob["id"], {o["id"] for o in self.board(self.xfj)})
        self.assertIn(ob["id"], {o["id"] for o in self.board(self.housing)})
        self.assertNotIn(oa["id"], {o["id"] for o in self.board(self.housing)})
        self.assertFalse({oa["id"], ob["id"]} & {o["id"] for o in self.board(self.street)})
        self.assertEqual(self.board(SRV.client("admin")), [])
        # case number and title on the board
        row = next(o for o in self.board(self.supervisor) if o["id"] == ob["id"])
        self.assertTrue(row["case"]["number"].startswith("XF-"))
        self.assertTrue(row["case"]["title"])
        # pages
        page = self.assertStatus(self.supervisor.get("/api/v1/supervision", {"limit": 1}), 200)
        self.assertEqual(len(page["items"]), 1)
        self.assertIsNotNone(page["next_cursor"])
        nxt = self.assertStatus(self.supervisor.get("/api/v1/supervision",
                                                    {"limit": 1, "cursor": page["next_cursor"]}), 200)
        self.assertNotEqual(nxt["items"][0]["id"], page["items"][0]["id"])
        # bad filters
        self.assertProblem(self.supervisor.get("/api/v1/supervision", {"state": "late"}), 400, "validation", "state")
        self.assertProblem(self.supervisor.get("/api/v1/supervision", {"org": "x"}), 400, "validation", "org")
        self.assertProblem(self.supervisor.get("/api/v1/supervision", {"org": 999999}), 400, "validation", "org")
        self.assertProblem(self.supervisor.get("/api/v1/supervision", {"cursor": "zz"}), 400, "validation", "cursor")
        self.assertProblem(self.supervisor.get("/api/v1/supervision", {"limit": 0}), 400, "validation", "limit")

    def test_english_labels(self):
        cid, _, _ = self.new_case()
        o = self.issue(cid)
        en = H.Client(SRV, lang="en")
        en.login("supervisor")
        row = next(x for x in self.board(en) if x["id"] == o["id"])
        self.assertEqual(row["state_label"], "Open")


if __name__ == "__main__":
    H.run_module()

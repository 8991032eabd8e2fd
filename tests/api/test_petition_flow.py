#!/usr/bin/env python3
"""
test_petition_flow.py — a petition's whole life over HTTP (信访工作条例 as
written in workflows/petition.yaml): submit, track, accept, forward, object,
extend, reply, rate, review, re-review, refuse, route to the political-legal
committee, automatic closing, the review window, overdue marking, the
timeline, internal comments and staff registration.

Run: python3 tests/api/test_petition_flow.py   (PINGAN_BIN = the binary)
"""
import datetime
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
# Many public requests (submit, track, rate, review) come from 127.0.0.1 in
# a few seconds: raise the per-address limit so it is not what we test here
# (test_bad_input.py tests it).
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()  # asserts exit status 0 after SIGTERM


REPLY = {"decision": "explain", "facts": "经调查，电梯已于本月维修完毕。",
         "basis": "《特种设备安全法》第三十九条", "opinion": "物业公司已完成维修，今后加强巡查。"}


class Flow(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")
        cls.xfj = SRV.client("xfj")
        cls.housing = SRV.client("housing")
        cls.gov = SRV.client("gov")
        cls.plc = SRV.client("plc")
        orgs = cls.intake.get("/api/v1/orgs").data["items"]
        cls.org = {o["code"]: o["id"] for o in orgs}

    # -- helpers --

    def new_case(self, **kw):
        """Public submission; returns (id, number, code)."""
        d = H.submit_petition(SRV, **kw)
        cid = H.find_case_id(self.intake, d["number"])
        self.assertIsNotNone(cid, "intake does not see the new case %s" % d["number"])
        return cid, d["number"], d["query_code"]

    def rest_day(self, day):
        """Whether day is a rest day by the server's calendar of its year."""
        cal = self.assertStatus(self.intake.get("/api/v1/calendar?year=%d" % day.year), 200)
        if day.isoformat() in cal["days_off"]:
            return True
        return day.weekday() >= 5 and day.isoformat() not in cal["working_weekends"]

    def public_view(self, number, code, lang=None):
        r = H.track(SRV, number, code, client=SRV.public(lang=lang))
        self.assertStatus(r, 200)
        return r.data

    def to_replied(self):
        """A case accepted by the petition office and replied by its handler."""
        cid, number, code = self.new_case()
        self.intake.act(cid, "accept")
        self.xfj.act(cid, "reply", REPLY)
        return cid, number, code

    # -- tests --

    def test_01_submit_and_track(self):
        pub = SRV.public()
        r = pub.post("/api/public/cases", H.petition_body(title="东门社区路灯损坏"))
        d = self.assertStatus(r, 201)
        self.assertRegex(d["number"], r"^XF-\d{4}-\d{6}$")
        self.assertTrue(re.fullmatch(r"[0-9A-Z]{10}", d["query_code"]), d)
        self.assertEqual(d["state"], "registered")
        self.assertEqual(r.headers.get("location"), "/api/public/cases/" + d["number"])
        self.assertIn(d["number"], d["tracking_path"])
        # tracking with the right code
        v = self.public_view(d["number"], d["query_code"])
        self.assertEqual(v["number"], d["number"])
        self.assertEqual(v["title"], "东门社区路灯损坏")
        self.assertEqual(v["state"], "registered")
        self.assertTrue(v["is_open"])
        self.assertEqual(v["timeline"][0]["kind"], "created")
        self.assertEqual(v["handling_unit"]["id"], self.org["district-xfj"])
        self.assertEqual(v["limit"]["amount"], 15)
        # the public never sees who did it, nor personal data
        self.assertNotIn("actor_name", v["timeline"][0])
        self.assertNotIn(b"13812345678", r.raw)
        self.assertNotIn(b"13812345678", H.track(SRV, d["number"], d["query_code"]).raw)
        # the code is case- and dash-insensitive (Crockford)
        code = d["query_code"].lower()
        self.assertStatus(H.track(SRV, d["number"], code[:5] + "-" + code[5:]), 200)
        # English labels on request
        ven = self.public_view(d["number"], d["query_code"], lang="en")
        self.assertEqual(ven["state_label"], "Registered")
        # a wrong code, a missing code and an unknown number all look the same: 404
        wrong = ("0" if d["query_code"][0] != "0" else "1") + d["query_code"][1:]
        self.assertProblem(H.track(SRV, d["number"], wrong), 404, "not-found")
        self.assertProblem(pub.get("/api/public/cases/" + d["number"]), 404, "not-found")
        self.assertProblem(H.track(SRV, "XF-2026-999999", d["query_code"]), 404, "not-found")
        # numbers are sequential
        d2 = H.submit_petition(SRV)
        self.assertEqual(int(d2["number"][-6:]), int(d["number"][-6:]) + 1)

    def test_02_accept_gives_notice(self):
        cid, number, code = self.new_case()
        c = self.intake.case(cid)
        self.assertIn("accept", [a["name"] for a in c["actions"]])
        self.assertEqual(c["owner_org"]["id"], self.org["district-xfj"])
        r = self.intake.act(cid, "accept")
        self.assertEqual(r.data["state"], "handling")
        self.assertEqual(r.data["limit"]["amount"], 60)
        v = self.public_view(number, code)
        self.assertEqual(v["state"], "handling")
        self.assertEqual([n["action"] for n in v["notices"]], ["accept"])
        self.assertEqual(v["notices"][0]["title"], "信访事项受理告知书")
        self.assertIn(number, v["notices"][0]["text"])
        # the notice names the unit and the date the opinion is due
        self.assertIn("平安区信访局", v["notices"][0]["text"])
        self.assertIn(r.data["due_at"][:10], v["notices"][0]["text"])
        # accepting twice: wrong state
        self.assertProblem(self.intake.act(cid, "accept", expect=None), 409, "invalid-state")

    def test_03_whole_life(self):
        housing_id = self.org["district-housing"]
        cid, number, code = self.new_case()
        # ---- forward to the housing bureau
        self.assertProblem(self.intake.act(cid, "forward", {}, expect=None), 400, "validation",
                           "fields.org_id")
        self.assertProblem(self.intake.act(cid, "forward", {"org_id": 999999}, expect=None), 400,
                           "validation", "fields.org_id")
        # a place is not a unit
        self.assertProblem(self.intake.act(cid, "forward", {"org_id": self.org["district"]}, expect=None),
                           400, "validation", "fields.org_id")
        self.assertProblem(self.intake.act(cid, "forward", {"org_id": "district-housing"}, expect=None),
                           400, "validation", "fields.org_id")
        r = self.intake.act(cid, "forward", {"org_id": housing_id, "note": "请依职责办理"})
        self.assertEqual(r.data["state"], "forwarded")
        self.assertEqual(r.data["owner_org"]["id"], housing_id)
        self.assertIn(cid, self.housing.inbox_ids())
        self.assertNotIn(cid, self.intake.inbox_ids(), "intake sees only its own unit's cases")
        self.assertProblem(self.intake.get("/api/v1/cases/%d" % cid), 404, "not-found")
        v = self.public_view(number, code)
        self.assertEqual(v["state"], "forwarded")
        self.assertEqual(v["handling_unit"]["id"], housing_id)
        self.assertEqual([n["action"] for n in v["notices"]], ["forward"])
        # ---- housing objects within 5 working days: back to the petition office
        c = self.housing.case(cid)
        obj = [a for a in c["actions"] if a["name"] == "object"]
        self.assertEqual(len(obj), 1, c["actions"])
        self.assertIsNotNone(obj[0]["window_end"])
        self.assertProblem(self.housing.act(cid, "object", {}, expect=None), 400, "validation",
                           "fields.reason")
        r = self.housing.act(cid, "object", {"reason": "该事项属物业服务纠纷，不属本局职责"})
        self.assertEqual(r.data["state"], "registered")
        self.assertEqual(r.data["owner_org"]["id"], self.org["district-xfj"])
        self.assertIn(cid, self.intake.inbox_ids())
        self.assertNotIn(cid, self.housing.inbox_ids())
        # the objection is internal
        v = self.public_view(number, code)
        self.assertNotIn("object", [e.get("action") for e in v["timeline"]])
        self.assertNotIn("不属本局职责".encode(), H.track(SRV, number, code).raw)
        # ---- forwarded again; housing accepts
        self.intake.act(cid, "forward", {"org_id": housing_id})
        r = self.housing.act(cid, "accept")
        self.assertEqual(r.data["state"], "handling")
        due_before = H.parse_time(r.data["due_at"])
        # ---- extend: at most 30 days, with a reason, once
        self.assertProblem(self.housing.act(cid, "extend", {"days": 31, "reason": "需要现场勘验"}, expect=None),
                           400, "validation", "fields.days")
        self.assertProblem(self.housing.act(cid, "extend", {"days": 20}, expect=None), 400, "validation",
                           "fields.reason")
        self.assertProblem(self.housing.act(cid, "extend", {"days": "20", "reason": "x"}, expect=None), 400,
                           "validation", "fields.days")
        r = self.housing.act(cid, "extend", {"days": 20, "reason": "需要现场勘验并委托检测"})
        self.assertEqual(r.data["state"], "handling")
        # twenty days after the old due, at its 23:59:59, moved on to the next
        # working day when that day is a rest day (calendar.c: every day limit)
        want = datetime.date.fromisoformat(time.strftime(
            "%Y-%m-%d", time.gmtime(due_before + 8 * 3600))) + datetime.timedelta(days=20)
        while self.rest_day(want):
            want += datetime.timedelta(days=1)
        self.assertEqual(r.data["due_at"], want.isoformat() + "T23:59:59+08:00")
        self.assertGreaterEqual(H.parse_time(r.data["due_at"]) - due_before, 20 * H.DAY)
        extended_due = r.data["due_at"]
        self.assertNotIn("extend", [a["name"] for a in self.housing.case(cid)["actions"]])
        self.assertProblem(self.housing.act(cid, "extend", {"days": 5, "reason": "再次延期"}, expect=None),
                           409, "once-only")
        # ---- reply: the written opinion
        self.assertProblem(self.housing.act(cid, "reply", {"decision": "support"}, expect=None), 400,
                           "validation")
        self.assertProblem(self.housing.act(cid, "reply", dict(REPLY, decision="maybe"), expect=None), 400,
                           "validation", "fields.decision")
        r = self.housing.act(cid, "reply", REPLY)
        self.assertEqual(r.data["state"], "replied")
        v = self.public_view(number, code)
        self.assertEqual(v["state"], "replied")
        self.assertEqual(len(v["opinions"]), 1, v["opinions"])
        op = v["opinions"][0]
        self.assertEqual(op["action"], "reply")
        self.assertEqual(op["fields"]["opinion"], REPLY["opinion"])
        self.assertEqual(op["fields"]["decision"]["code"], "explain")
        self.assertEqual(op["fields"]["decision"]["label"], "解释说明")
        self.assertTrue(v["can_rate"])
        self.assertTrue(v["review"]["available"])
        # ---- rating: once per stage
        pub = SRV.public()
        r = pub.post("/api/public/cases/%s/rating" % number, {"code": code, "level": "basically_satisfied",
                                                              "comment": "处理较及时"})
        self.assertStatus(r, 201)
        self.assertEqual(r.data["stage"], "replied")
        self.assertProblem(pub.post("/api/public/cases/%s/rating" % number,
                                    {"code": code, "level": "satisfied"}), 409)
        self.assertProblem(pub.post("/api/public/cases/%s/rating" % number,
                                    {"code": code, "level": "great"}), 400, "validation", "level")
        self.assertProblem(pub.post("/api/public/cases/%s/rating" % number,
                                    {"code": "0000000000", "level": "satisfied"}), 404, "not-found")
        v = self.public_view(number, code)
        self.assertFalse(v["can_rate"])
        self.assertEqual([x["level"] for x in v["ratings"]], ["basically_satisfied"])
        self.assertEqual([x["level"] for x in self.housing.case(cid)["ratings"]], ["basically_satisfied"])
        # ---- review (复查): to the handling unit's superior, the district government
        self.assertProblem(pub.post("/api/public/cases/%s/review" % number, {"code": code}), 400,
                           "validation", "reason")
        r = pub.post("/api/public/cases/%s/review" % number, {"code": code, "reason": "电梯仍有异响，维修不彻底"})
        self.assertStatus(r, 200)
        self.assertEqual(r.data["state"], "reviewing")
        c = self.gov.case(cid)
        self.assertEqual(c["owner_org"]["id"], self.org["district-gov"])
        self.assertIn(cid, self.gov.inbox_ids())
        self.assertNotIn(cid, self.housing.inbox_ids())
        # the handling unit may not write its own review
        self.assertProblem(self.housing.get("/api/v1/cases/%d" % cid), 404)
        r = self.gov.act(cid, "review_reply", dict(REPLY, decision="reject", opinion="维持原处理意见"))
        self.assertEqual(r.data["state"], "reviewed")
        # ---- re-review (复核): the government has no superior here → the petition office
        r = pub.post("/api/public/cases/%s/review" % number, {"code": code, "reason": "仍不服复查意见"})
        self.assertStatus(r, 200)
        self.assertEqual(r.data["state"], "rechecking")
        c = self.xfj.case(cid)
        self.assertEqual(c["owner_org"]["id"], self.org["district-xfj"])
        r = self.xfj.act(cid, "recheck_reply", dict(REPLY, decision="reject", opinion="复核维持"))
        self.assertEqual(r.data["state"], "finalized")
        self.assertFalse(r.data["is_open"])
        # ---- the public sees every notice and opinion, in order
        v = self.public_view(number, code)
        self.assertEqual(v["state"], "finalized")
        self.assertFalse(v["is_open"])
        self.assertIsNone(v["due_at"])
        self.assertEqual([n["action"] for n in v["notices"]],
                         ["forward", "forward", "accept", "extend", "reply", "review_reply", "recheck_reply"])
        titles = [n["title"] for n in v["notices"]]
        self.assertEqual(titles[-4:], ["信访事项延期办理告知书", "信访处理意见书", "信访事项复查意见书",
                                       "信访事项复核意见书"])
        ext = v["notices"][3]["text"]
        self.assertIn("延长20日", ext)
        self.assertIn(extended_due[:10], ext)
        self.assertIn("需要现场勘验并委托检测", ext)
        self.assertEqual([o["action"] for o in v["opinions"]], ["reply", "review_reply", "recheck_reply"])
        self.assertFalse(v["review"]["available"])
        # nothing more can be requested or done
        self.assertProblem(pub.post("/api/public/cases/%s/review" % number, {"code": code, "reason": "再次"}),
                           409, "invalid-state")
        self.assertEqual(self.xfj.case(cid)["actions"], [])
        # a final step can still be rated
        self.assertStatus(pub.post("/api/public/cases/%s/rating" % number, {"code": code, "level": "satisfied"}),
                          201)
        # staff timeline holds every step with who did it
        ev = self.xfj.get("/api/v1/cases/%d/events" % cid, {"limit": 500}).data["items"]
        actions = [e["action"] for e in ev if e["kind"] == "transition"]
        self.assertEqual(actions, ["forward", "object", "forward", "accept", "extend", "reply",
                                   "request_review", "review_reply", "request_recheck", "recheck_reply"])
        self.assertEqual([e["actor_name"] for e in ev if e["action"] == "object" and e["kind"] == "transition"],
                         ["吴住建"])

    def test_04_object_window_closes(self):
        cid, number, code = self.new_case()
        self.intake.act(cid, "forward", {"org_id": self.org["district-hrss"]})
        hrss = SRV.client("hrss")
        obj = [a for a in hrss.case(cid)["actions"] if a["name"] == "object"][0]
        SRV.advance_past(obj["window_end"])
        self.assertNotIn("object", [a["name"] for a in hrss.case(cid)["actions"]])
        self.assertProblem(hrss.act(cid, "object", {"reason": "太晚了"}, expect=None), 409, "window-closed")
        # it may still accept
        hrss.act(cid, "accept")

    def test_05_refusal_needs_reason_and_channel(self):
        cid, number, code = self.new_case()
        self.assertProblem(self.intake.act(cid, "refuse", {}, expect=None), 400, "validation", "fields.reason")
        self.assertProblem(self.intake.act(cid, "refuse", {"reason": "属于民事纠纷"}, expect=None), 400,
                           "validation", "fields.legal_channel")
        self.assertProblem(self.intake.act(cid, "refuse", {"reason": "  ", "legal_channel": "litigation"},
                                           expect=None), 400, "validation", "fields.reason")
        self.assertProblem(self.intake.act(cid, "refuse", {"reason": "属于民事纠纷", "legal_channel": "prayer"},
                                           expect=None), 400, "validation", "fields.legal_channel")
        self.assertProblem(self.intake.act(cid, "refuse", {"reason": "x", "legal_channel": "litigation",
                                                           "extra": 1}, expect=None), 400, "validation",
                           "fields.extra")
        self.assertEqual(self.intake.case(cid)["state"], "registered", "a refused request changed the case")
        r = self.intake.act(cid, "refuse", {"reason": "该事项属于民事纠纷，应通过诉讼解决",
                                            "legal_channel": "litigation"})
        self.assertEqual(r.data["state"], "refused")
        self.assertTrue(r.data["is_open"], "a refusal stays open while its review window runs")
        v = self.public_view(number, code)
        self.assertEqual(v["state"], "refused")
        self.assertEqual([n["action"] for n in v["notices"]], ["refuse"])
        n = v["notices"][0]
        self.assertEqual(n["title"], "信访事项不予受理告知书")
        self.assertIn("该事项属于民事纠纷，应通过诉讼解决", n["text"])
        self.assertIn("诉讼", n["text"])
        ven = self.public_view(number, code, lang="en")
        self.assertIn("litigation", ven["notices"][0]["text"])
        self.assertEqual(ven["notices"][0]["title"], "Notice of refusal")
        refuse_ev = [e for e in v["timeline"] if e.get("action") == "refuse" and e["kind"] == "transition"][0]
        self.assertEqual(refuse_ev["fields"]["legal_channel"]["code"], "litigation")
        self.assertEqual(refuse_ev["fields"]["reason"], "该事项属于民事纠纷，应通过诉讼解决")
        self.assertProblem(self.intake.act(cid, "accept", expect=None), 409, "invalid-state")
        # the notice says how to ask for review, and the portal offers it
        self.assertIn("复查", n["text"])
        self.assertTrue(v["review"]["available"])
        self.assertEqual(v["review"]["action"], "request_review")

    def test_05b_refusal_can_be_reviewed_or_closes_itself(self):
        cid, number, code = self.new_case()
        self.intake.act(cid, "refuse", {"reason": "属于民事纠纷", "legal_channel": "litigation"})
        st, _, body = SRV.public().post("/api/public/cases/%s/review" % number,
                                        {"code": code, "reason": "该事项并非民事纠纷，请求复查"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["state"], "reviewing")
        cid2, number2, code2 = self.new_case()
        r = self.intake.act(cid2, "refuse", {"reason": "属于民事纠纷", "legal_channel": "litigation"})
        SRV.advance_past(r.data["due_at"], at_least=31 * H.DAY)
        SRV.tick()
        self.assertEqual(self.public_view(number2, code2)["state"], "closed")

    def test_06_route_legal(self):
        cid, number, code = self.new_case(title="对法院判决执行不满")
        self.assertProblem(self.intake.act(cid, "route_legal", {}, expect=None), 400, "validation",
                           "fields.reason")
        r = self.intake.act(cid, "route_legal", {"reason": "涉法涉诉，依照第二十二条转政法委"})
        self.assertEqual(r.data["state"], "forwarded")
        self.assertEqual(r.data["owner_org"]["id"], self.org["district-plc"])
        self.assertIn(cid, self.plc.inbox_ids())
        self.assertNotIn(cid, self.intake.inbox_ids())
        v = self.public_view(number, code)
        self.assertEqual([n["action"] for n in v["notices"]], ["route_legal"])
        self.assertEqual(v["handling_unit"]["kind"], "political_legal_committee")
        self.plc.act(cid, "accept")

    def test_07_closes_by_itself_after_the_review_window(self):
        cid, number, code = self.to_replied()
        c = self.xfj.case(cid)
        self.assertEqual(c["state"], "replied")
        # nothing happens before the due
        SRV.tick()
        self.assertEqual(self.xfj.case(cid)["state"], "replied")
        SRV.advance_past(c["due_at"], at_least=31 * H.DAY)
        res = SRV.tick()
        self.assertGreaterEqual(res["applied"], 1, res)
        v = self.public_view(number, code)
        self.assertEqual(v["state"], "closed")
        self.assertFalse(v["is_open"])
        self.assertIn("close", [e.get("action") for e in v["timeline"]])
        self.assertFalse(v["review"]["available"])
        self.assertNotIn(cid, self.xfj.inbox_ids())
        self.assertIn(cid, self.xfj.inbox_ids(open="false"))

    def test_08_review_after_the_window(self):
        cid, number, code = self.to_replied()
        v = self.public_view(number, code)
        self.assertTrue(v["review"]["available"])
        SRV.advance_past(v["review"]["window_end"], at_least=31 * H.DAY)  # no tick
        v = self.public_view(number, code)
        self.assertEqual(v["state"], "replied")
        self.assertFalse(v["review"]["available"])
        r = SRV.public().post("/api/public/cases/%s/review" % number, {"code": code, "reason": "不服"})
        self.assertProblem(r, 409, "window-closed")
        self.assertEqual(self.xfj.case(cid)["state"], "replied")

    def test_09_due_soon_view(self):
        # due_soon=true lists what the case JSON marks due_soon: due within 3 days, not yet due
        cid, number, code = self.new_case()
        c = self.intake.case(cid)
        self.assertFalse(c["due_soon"])
        self.assertNotIn(cid, self.intake.inbox_ids(due_soon="true"))
        SRV.advance_past(H.parse_time(c["due_at"]) - 2 * H.DAY)
        soon = self.intake.inbox(due_soon="true")
        self.assertIn(cid, {x["id"] for x in soon})
        self.assertTrue(soon and all(x["due_soon"] for x in soon), soon)
        # with due_before the earlier end holds
        self.assertNotIn(cid, self.intake.inbox_ids(due_soon="true", due_before="2000-01-01"))
        SRV.advance_past(c["due_at"])  # due now passed (no tick): no longer "soon"
        self.assertNotIn(cid, self.intake.inbox_ids(due_soon="true"))
        self.assertTrue(self.intake.case(cid)["overdue"])

    def test_09_overdue_marking(self):
        cid, number, code = self.new_case()
        c = self.intake.case(cid)
        self.assertFalse(c["overdue"])
        SRV.advance_past(c["due_at"], at_least=16 * H.DAY)
        res = SRV.tick()
        self.assertGreaterEqual(res["marked_overdue"], 1, res)
        mine = [x for x in self.intake.inbox() if x["id"] == cid]
        self.assertEqual(len(mine), 1)
        self.assertTrue(mine[0]["overdue"])
        self.assertIn(cid, self.intake.inbox_ids(overdue="true"))
        self.assertNotIn(cid, self.intake.inbox_ids(overdue="false"))
        # supervisors see it too
        sup = SRV.client("supervisor")
        self.assertIn(cid, sup.inbox_ids(overdue="true"))
        # an internal timeline entry, not a public one
        ev = self.intake.get("/api/v1/cases/%d/events" % cid).data["items"]
        self.assertIn("overdue", [e["kind"] for e in ev])
        self.assertNotIn("overdue", [e["kind"] for e in self.public_view(number, code)["timeline"]])
        # a second pass marks nothing new for it
        SRV.tick()
        ev2 = self.intake.get("/api/v1/cases/%d/events" % cid).data["items"]
        self.assertEqual([e["kind"] for e in ev2].count("overdue"), 1)
        # metrics
        r = SRV.public().get("/metrics")
        self.assertStatus(r, 200)
        text = r.raw.decode()
        m = re.search(r"^pingan_cases_overdue (\d+)$", text, re.M)
        self.assertIsNotNone(m, text[-2000:])
        self.assertGreaterEqual(int(m.group(1)), 1)
        self.assertRegex(text, r"(?m)^pingan_cases_open \d+$")

    def test_10_timeline_paging(self):
        cid, number, code = self.new_case()
        for i in range(3):
            self.assertStatus(self.intake.post("/api/v1/cases/%d/comments" % cid, {"text": "备注%d" % i}), 201)
        self.intake.act(cid, "accept")
        # the acceptance notice (受理告知书) is rendered in the background and
        # appends its "document" event when done: wait for it, or the paged
        # reads below can see one event more than the full read (seen on
        # PostgreSQL under load)
        deadline = time.time() + 30
        while True:
            docs = self.assertStatus(self.intake.get("/api/v1/cases/%d/documents" % cid), 200)["items"]
            if all(d["status"] in ("done", "failed") for d in docs):
                break
            if time.time() > deadline:
                self.fail("documents of case %d still pending: %r" % (cid, docs))
            time.sleep(0.05)
        full = self.intake.get("/api/v1/cases/%d/events" % cid, {"limit": 500}).data
        self.assertIsNone(full["next_after"])
        all_ids = [e["id"] for e in full["items"]]
        self.assertGreaterEqual(len(all_ids), 6)  # created, 3 comments, accept, its notice
        self.assertEqual(all_ids, sorted(all_ids))
        seen = []
        after = 0
        for _ in range(20):
            r = self.intake.get("/api/v1/cases/%d/events" % cid, {"after": after, "limit": 2})
            page = self.assertStatus(r, 200)
            self.assertLessEqual(len(page["items"]), 2)
            seen += [e["id"] for e in page["items"]]
            if page["next_after"] is None:
                break
            self.assertEqual(page["next_after"], page["items"][-1]["id"])
            after = page["next_after"]
        self.assertEqual(seen, all_ids)
        r = self.intake.get("/api/v1/cases/%d/events" % cid, {"after": all_ids[-2], "limit": 50})
        self.assertEqual([e["id"] for e in r.data["items"]], all_ids[-1:])
        self.assertProblem(self.intake.get("/api/v1/cases/%d/events?limit=0" % cid), 400, "validation", "limit")
        self.assertProblem(self.intake.get("/api/v1/cases/%d/events?after=-1" % cid), 400, "validation", "after")

    def test_11_internal_comments_stay_internal(self):
        cid, number, code = self.new_case()
        secret = "内部意见：信访人情绪激动，注意接待方式"
        r = self.intake.post("/api/v1/cases/%d/comments" % cid, {"text": secret})
        self.assertStatus(r, 201)
        self.assertIsInstance(r.data["id"], int)
        ev = self.intake.get("/api/v1/cases/%d/events" % cid).data["items"]
        com = [e for e in ev if e["kind"] == "comment"]
        self.assertEqual(len(com), 1)
        self.assertEqual(com[0]["text"], secret)
        self.assertFalse(com[0]["public"])
        self.assertEqual(com[0]["actor_name"], "王登记")
        r = H.track(SRV, number, code)
        self.assertStatus(r, 200)
        self.assertNotIn("comment", [e["kind"] for e in r.data["timeline"]])
        self.assertNotIn(secret.encode(), r.raw)
        self.assertNotIn("王登记".encode(), r.raw)
        self.assertProblem(self.intake.post("/api/v1/cases/%d/comments" % cid, {"text": ""}), 400,
                           "validation", "text")

    def test_12_staff_registers_a_visit(self):
        body = H.petition_body(channel="visit", title="来访：拖欠工资", contact={"name": "李四", "phone": "139 0000 1111"})
        r = self.intake.post("/api/v1/cases", body)
        d = self.assertStatus(r, 201)
        self.assertRegex(d["number"], H.NUMBER_RE)
        self.assertEqual(d["channel"], "visit")
        self.assertEqual(d["channel_label"], "来访")
        self.assertEqual(d["state"], "registered")
        self.assertEqual(d["owner_org"]["id"], self.org["district-xfj"])
        self.assertTrue(d["query_code"])
        self.assertEqual(r.headers.get("location"), "/api/v1/cases/%d" % d["id"])
        self.assertIn(d["id"], self.intake.inbox_ids())
        # the petitioner can follow it like an online one
        self.assertStatus(H.track(SRV, d["number"], d["query_code"]), 200)
        c = self.intake.case(d["id"])
        self.assertEqual(c["parties"][0]["phone"], "139****1111")
        # a visit registered by staff names no channel → visit
        body2 = H.petition_body()
        r = self.intake.post("/api/v1/cases", body2)
        self.assertEqual(self.assertStatus(r, 201)["channel"], "visit")
        # a handler has no intake role
        self.assertProblem(self.housing.post("/api/v1/cases", H.petition_body(channel="visit")), 403, "forbidden")
        # the public may not claim a staff channel
        self.assertProblem(SRV.public().post("/api/public/cases", H.petition_body(channel="visit")), 400,
                           "validation", "channel")
        self.assertProblem(self.intake.post("/api/v1/cases", H.petition_body(channel="pigeon")), 400,
                           "validation", "channel")

    def test_13_concurrent_requests(self):
        import threading
        # twenty submissions at once: twenty distinct, consecutive numbers
        out, errs = [], []

        def submit():
            try:
                r = SRV.public().post("/api/public/cases", H.petition_body())
                out.append((r.status, r.data.get("number") if isinstance(r.data, dict) else None))
            except Exception as e:  # noqa: BLE001
                errs.append(e)

        ts = [threading.Thread(target=submit) for _ in range(20)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        self.assertEqual(errs, [])
        self.assertEqual([s for s, _ in out], [201] * 20, out)
        seqs = sorted(int(n[-6:]) for _, n in out)
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + 20)))
        # ten staff race to accept one case: exactly one wins, the rest get 409
        cid, number, code = self.new_case()
        res = []

        def accept():
            res.append(self.intake.post("/api/v1/cases/%d/actions/accept" % cid, {}).status)

        ts = [threading.Thread(target=accept) for _ in range(10)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        self.assertEqual(sorted(res), [200] + [409] * 9, res)
        v = self.public_view(number, code)
        self.assertEqual([n["action"] for n in v["notices"]], ["accept"])
        ev = self.intake.get("/api/v1/cases/%d/events" % cid).data["items"]
        self.assertEqual([e["action"] for e in ev if e["kind"] == "transition"], ["accept"])


if __name__ == "__main__":
    H.run_module()

#!/usr/bin/env python3
"""
test_dispute.py — the dispute type (workflows/dispute.yaml) over HTTP: every
transition taken by a role that may (and refused to a role that may not,
403, and in a state it does not leave, 409), every deadline, the records it
keeps (parties, sessions, the agreement with its signatures, follow-up
visits, risk reports) with versions, the transitions that require a record,
closing with a supervisor's approval (proposed, declined with a reason,
approved), and the hand-over from a petition (访调对接) with the petition
waiting for, then recording, the outcome.

Run: python3 tests/api/test_dispute.py   (PINGAN_BIN = the binary)
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}
TZ = datetime.timezone(datetime.timedelta(hours=8))  # the demo district's timezone
DAY = H.DAY

PARTY = {"designation": "申请人 张某", "role": "applicant", "party_kind": "person",
         "consent": "consents", "chosen_mediator": "蒋调解", "session_preference": "private"}
SESSION = {"held_on": "2026-03-02", "place": "城关街道调解室", "participants": "双方当事人、调解员",
           "mode": "private", "record": "双方陈述了各自意见，调解员释法明理，双方同意赔偿方案。"}
AGREEMENT = {"parties": "申请人张某，被申请人李某", "dispute_facts": "因楼上漏水损坏楼下装修发生纠纷。",
             "points": "维修费用的赔偿数额。", "responsibilities": "李某负主要责任。", "mediator": "蒋调解",
             "terms": "李某赔偿张某维修费3000元。", "performance": "2026年3月10日前在调解委员会当面现金支付。",
             "signed_on": "2026-03-02", "signed_by_parties": True, "signed_by_mediator": True,
             "committee_seal": True}
FOLLOW_UP = {"visited_on": "2026-03-20", "method": "phone", "performance": "performed",
             "note": "双方确认已按协议履行完毕。"}
ACCEPT = {"mediator_name": "蒋调解", "chosen_by_parties": True, "session_mode": "private"}


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


class Dispute(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")          # petition office, registers
        cls.xfj = SRV.client("xfj")                # handler, petition office
        cls.mediator = SRV.client("mediator")      # Chengguan mediation committee
        cls.mediator2 = SRV.client("mediator2")    # Hexi mediation committee (not the owner)
        cls.supervisor = SRV.client("supervisor")  # oversees the district
        cls.housing = SRV.client("housing")        # an unrelated department
        cls.auditor = SRV.client("auditor")
        orgs = cls.intake.get("/api/v1/orgs").data["items"]
        cls.org = {o["code"]: o["id"] for o in orgs}
        cls.wf = cls.supervisor.get("/api/v1/workflows/dispute").data

    # -- helpers --

    def register(self, category="neighbourhood", refer=True):
        r = self.intake.post("/api/v1/cases", {
            "type": "dispute", "category": category, "channel": "visit",
            "title": "楼上漏水损坏楼下装修引发邻里纠纷", "body": "双方多次协商未果，申请人民调解。",
            "contact": {"name": "张三", "phone": "13812345678"}})
        d = self.assertStatus(r, 201)
        self.assertRegex(d["number"], r"^TJ-\d{4}-\d{6}$")
        cid = d["id"]
        if refer:
            self.intake.act(cid, "refer", {"committee_id": self.org["chengguan-mediation"]})
        return cid

    def record(self, cid, kind, fields, client=None, expect=201, **extra):
        body = {"fields": fields}
        body.update(extra)
        r = (client or self.mediator).post("/api/v1/cases/%d/records/%s" % (cid, kind), body)
        if expect is not None:
            self.assertEqual(r.status, expect, r)
        return r

    def to_mediating(self):
        cid = self.register()
        self.record(cid, "party", PARTY)
        self.mediator.act(cid, "accept", ACCEPT)
        return cid

    def to_agreed(self):
        cid = self.to_mediating()
        self.record(cid, "session", SESSION)
        self.record(cid, "agreement", AGREEMENT)
        self.mediator.act(cid, "agree")
        return cid

    def to_confirming(self):
        cid = self.to_agreed()
        self.mediator.act(cid, "apply_confirmation", {
            "court_id": self.org["district-court"], "applied_on": "2026-03-05", "confirmable": True})
        return cid

    def to_decided(self):
        cid = self.to_confirming()
        self.mediator.act(cid, "court_decides", {"outcome": "confirmed", "ruling_no": "（2026）平民特1号",
                                                 "ruled_on": "2026-03-15"})
        return cid

    def to_followed_up(self):
        cid = self.to_decided()
        self.record(cid, "follow_up", FOLLOW_UP)
        self.mediator.act(cid, "follow_up")
        return cid

    def events(self, cid, kind=None):
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

    def due_days(self, c):
        """The state's limit in calendar days, checked against the due: the due
        is that many days after entering the state, moved to the next working
        day when it falls on a rest day (at most a holiday's length later)."""
        due = datetime.datetime.fromtimestamp(H.parse_time(c["due_at"]), TZ).date()
        entered = datetime.datetime.fromtimestamp(H.parse_time(c["state_entered_at"]), TZ).date()
        self.assertEqual(c["limit"]["unit"], "calendar_days")
        amount = c["limit"]["amount"]
        self.assertGreaterEqual((due - entered).days, amount)
        self.assertLessEqual((due - entered).days, amount + 9)
        return amount

    # -- the definition --

    def test_definition_served(self):
        names = {t["name"] for t in self.wf["transitions"]}
        self.assertEqual(names, {"refer", "accept", "decline", "agree", "fail", "apply_confirmation",
                                 "confirmation_window_passed", "court_extends", "court_decides",
                                 "follow_up", "mediate_again", "close"})
        self.assertEqual({r["name"] for r in self.wf["records"]},
                         {"party", "session", "agreement", "follow_up", "risk_report"})
        close = [t for t in self.wf["transitions"] if t["name"] == "close"][0]
        self.assertEqual(close["approval"], {"roles": ["supervisor"]})
        agree = [t for t in self.wf["transitions"] if t["name"] == "agree"][0]
        self.assertEqual(agree["requires"], ["agreement"])
        self.assertEqual(len(self.wf["categories"]), 16)
        self.assertIsNone(self.wf["participants"])

    # -- the whole way, with every refusal on it --

    def test_success_with_confirmation_and_approval(self):
        cid = self.register(refer=False)
        c = self.intake.case(cid)
        self.assertEqual(c["owner_org"]["id"], self.org["district-xfj"])
        self.assertEqual(c["state"], "registered")
        self.assertIsNone(c["due_at"])
        # refer: intake or handler of the owner; the mediator of another unit cannot see it
        self.assertProblem(self.supervisor.post("/api/v1/cases/%d/actions/refer" % cid,
                                                {"fields": {"committee_id": self.org["chengguan-mediation"]}}),
                           403, "forbidden")
        self.assertProblem(self.mediator.post("/api/v1/cases/%d/actions/refer" % cid, {}), 404)
        self.intake.act(cid, "refer", {"committee_id": self.org["chengguan-mediation"]})
        c = self.mediator.case(cid)
        self.assertEqual(c["owner_org"]["id"], self.org["chengguan-mediation"])
        self.assertIn("party", c["record_kinds"])
        self.assertNotIn("session", c["record_kinds"])   # only while mediating
        # accept needs a party record (409 naming it), and the mediator role (403)
        self.assertProblem(self.mediator.post("/api/v1/cases/%d/actions/accept" % cid, {"fields": ACCEPT}),
                           409, "record-required", field="records.party")
        self.assertProblem(self.supervisor.post("/api/v1/cases/%d/actions/accept" % cid, {"fields": ACCEPT}),
                           403, "forbidden")
        # a record's fields are checked like an action's
        self.assertProblem(self.record(cid, "party", dict(PARTY, consent="maybe"), expect=None),
                           400, "validation", field="fields.consent")
        self.assertProblem(self.record(cid, "party", {"designation": "甲"}, expect=None),
                           400, "validation")
        self.assertProblem(self.record(cid, "party", dict(PARTY, phone="13800000000"), expect=None),
                           400, "validation", field="fields.phone")
        self.assertProblem(self.record(cid, "nonsense", PARTY, expect=None), 404, "not-found")
        self.assertProblem(self.record(cid, "session", SESSION, expect=None), 409, "invalid-state")
        self.assertProblem(self.record(cid, "party", PARTY, client=self.housing, expect=None), 404)
        p = self.record(cid, "party", PARTY).data
        self.assertEqual(p["kind"], "party")
        self.assertEqual(p["version"], 1)
        self.assertEqual(p["field_labels"]["consent"], "同意调解")
        self.assertEqual(p["org"]["id"], self.org["chengguan-mediation"])
        r = self.mediator.act(cid, "accept", ACCEPT)
        self.assertEqual(r.data["state"], "mediating")
        self.assertEqual(self.due_days(r.data), 30)
        # wrong state: agree needs mediating... and an agreement
        self.assertProblem(self.mediator.post("/api/v1/cases/%d/actions/agree" % cid, {}),
                           409, "record-required", field="records.agreement")
        self.record(cid, "session", SESSION)
        # the three confirmations of an agreement must be true
        for k in ("signed_by_parties", "signed_by_mediator", "committee_seal"):
            self.assertProblem(self.record(cid, "agreement", dict(AGREEMENT, **{k: False}), expect=None),
                               400, "validation", field="fields." + k)
        self.assertProblem(self.record(cid, "agreement", dict(AGREEMENT, terms=""), expect=None),
                           400, "validation", field="fields.terms")
        a1 = self.record(cid, "agreement", AGREEMENT).data
        r = self.mediator.act(cid, "agree")
        self.assertEqual(r.data["state"], "agreed")
        self.assertEqual(self.due_days(r.data), 30)
        # a corrected agreement: a new version; the old one stays, superseded
        a2 = self.record(cid, "agreement", dict(AGREEMENT, terms="李某赔偿张某维修费3500元。"),
                         supersedes=a1["id"]).data
        self.assertEqual(a2["version"], 2)
        self.assertEqual(a2["supersedes"], a1["id"])
        self.assertProblem(self.record(cid, "agreement", AGREEMENT, supersedes=a1["id"], expect=None),
                           409, "conflict", field="supersedes")
        self.assertProblem(self.record(cid, "agreement", AGREEMENT, supersedes=p["id"], expect=None),
                           422, "unprocessable", field="supersedes")
        recs = self.mediator.get("/api/v1/cases/%d/records" % cid).data["items"]
        self.assertEqual([(x["kind"], x["superseded"]) for x in recs],
                         [("party", False), ("session", False), ("agreement", True), ("agreement", False)])
        # judicial confirmation: a court, and the agreement must be confirmable
        self.assertProblem(self.mediator.post("/api/v1/cases/%d/actions/apply_confirmation" % cid, {
            "fields": {"court_id": self.org["district-court"], "applied_on": "2026-03-05", "confirmable": False}}),
            400, "validation", field="fields.confirmable")
        r = self.mediator.act(cid, "apply_confirmation", {
            "court_id": self.org["district-court"], "applied_on": "2026-03-05", "confirmable": True})
        self.assertEqual(r.data["state"], "confirming")
        self.assertEqual(self.due_days(r.data), 18)
        before = H.parse_time(r.data["due_at"])
        r = self.mediator.act(cid, "court_extends", {"note": "法院延长审查期限"})
        added = H.parse_time(r.data["due_at"]) - before
        self.assertGreaterEqual(added, 10 * DAY)
        self.assertLessEqual(added, 19 * DAY)   # moved past a rest day at most
        self.assertProblem(self.mediator.post("/api/v1/cases/%d/actions/court_extends" % cid, {}),
                           409, "once-only")
        r = self.mediator.act(cid, "court_decides", {"outcome": "confirmed", "ruling_no": "（2026）平民特1号",
                                                     "ruled_on": "2026-03-15"})
        self.assertEqual(r.data["state"], "decided")
        self.assertEqual(self.due_days(r.data), 30)
        self.assertProblem(self.mediator.post("/api/v1/cases/%d/actions/follow_up" % cid, {}),
                           409, "record-required", field="records.follow_up")
        self.record(cid, "follow_up", FOLLOW_UP)
        r = self.mediator.act(cid, "follow_up")
        self.assertEqual(r.data["state"], "followed_up")
        self.assertIsNone(r.data["due_at"])

        # closing needs a supervisor's approval: the mediator only proposes it
        r = self.mediator.act(cid, "close", {"summary": "协议已履行，结案。"}, expect=202)
        self.assertEqual(r.data["state"], "followed_up")
        pa = r.data["pending_approval"]
        self.assertEqual(pa["action"], "close")
        self.assertEqual(pa["proposed_by"], "蒋调解")
        self.assertFalse(pa["may_decide"])
        c = self.mediator.case(cid)
        self.assertEqual(c["actions"], [])       # nothing else while a proposal waits
        self.assertProblem(self.mediator.post("/api/v1/cases/%d/actions/mediate_again" % cid,
                                              {"fields": {"reason": "x"}}), 409, "approval-pending")
        # the proposer may not decide; a decline needs a reason
        self.assertProblem(self.mediator.post("/api/v1/cases/%d/approval" % cid, {"decision": "approve"}),
                           403, "forbidden")
        self.assertProblem(self.supervisor.post("/api/v1/cases/%d/approval" % cid, {"decision": "decline"}),
                           400, "validation", field="reason")
        self.assertProblem(self.supervisor.post("/api/v1/cases/%d/approval" % cid, {"decision": "maybe"}),
                           400, "validation", field="decision")
        self.assertTrue(self.supervisor.case(cid)["pending_approval"]["may_decide"])
        r = self.supervisor.post("/api/v1/cases/%d/approval" % cid,
                                 {"decision": "decline", "reason": "回访记录需补充履行凭证。"})
        d = self.assertStatus(r, 200)
        self.assertEqual(d["state"], "followed_up")
        self.assertIsNone(d["pending_approval"])
        self.assertProblem(self.supervisor.post("/api/v1/cases/%d/approval" % cid, {"decision": "approve"}),
                           409, "invalid-state")
        # proposed again, approved: the step takes effect
        self.mediator.act(cid, "close", {"summary": "已补充履行凭证，结案。"}, expect=202)
        r = self.supervisor.post("/api/v1/cases/%d/approval" % cid, {"decision": "approve"})
        d = self.assertStatus(r, 200)
        self.assertEqual(d["state"], "closed")
        self.assertFalse(d["is_open"])
        kinds = [e["kind"] for e in self.events(cid)]
        for k in ("approval_requested", "approval_declined", "approval_approved", "record"):
            self.assertIn(k, kinds)
        declined = self.events(cid, "approval_declined")[0]
        self.assertEqual(declined["text"], "回访记录需补充履行凭证。")
        closing = [e for e in self.events(cid, "transition") if e["action"] == "close"][0]
        self.assertEqual(closing["data"]["approval"]["decision"], "approved")
        self.assertEqual(closing["data"]["approval"]["proposed_by"], "蒋调解")
        self.assertEqual(closing["data"]["fields"]["summary"], "已补充履行凭证，结案。")
        obj = "case:%d" % cid
        self.assertEqual(len(self.audit("case.approval_request", obj)), 2)
        self.assertEqual(len(self.audit("case.approval_decline", obj)), 1)
        self.assertEqual(len(self.audit("case.approval_approve", obj)), 1)
        self.assertEqual(len(self.audit("case.record", obj)), 5)
        # a closed case takes no record
        self.assertProblem(self.record(cid, "risk_report", {"level": "ordinary", "may_escalate": False,
                                                            "facts": "无"}, expect=None), 409, "invalid-state")

    def test_decline(self):
        cid = self.register()
        body = {"fields": {"reason": "party_refuses", "explanation": "被申请人明确表示不同意调解。"}}
        self.assertProblem(self.supervisor.post("/api/v1/cases/%d/actions/decline" % cid, body), 403)
        r = self.mediator.post("/api/v1/cases/%d/actions/decline" % cid, body)
        d = self.assertStatus(r, 200)
        self.assertEqual(d["state"], "declined")
        notice = self.events(cid, "notice")[0]
        self.assertIn("被申请人明确表示不同意调解", notice["text"])
        self.assertIn("当事人一方明确拒绝调解", notice["text"])
        # terminal: every action is now a wrong state
        self.assertProblem(self.mediator.post("/api/v1/cases/%d/actions/accept" % cid, {"fields": ACCEPT}),
                           409, "invalid-state")

    def test_fail_tells_legal_route(self):
        cid = self.to_mediating()
        body = {"fields": {"reason": "双方对赔偿数额分歧过大。", "legal_route": "litigation"}}
        self.assertProblem(self.supervisor.post("/api/v1/cases/%d/actions/fail" % cid, body), 403)
        d = self.assertStatus(self.mediator.post("/api/v1/cases/%d/actions/fail" % cid, body), 200)
        self.assertEqual(d["state"], "failed")
        self.assertIn("向人民法院起诉", self.events(cid, "notice")[-1]["text"])

    def test_wrong_state_for_every_transition(self):
        """Each transition from a state it does not leave is 409; by a role it lacks, 403."""
        cases = {"registered": self.register(), "mediating": self.to_mediating(),
                 "agreed": self.to_agreed(), "confirming": self.to_confirming(),
                 "decided": self.to_decided(), "followed_up": self.to_followed_up()}
        # a sample body per action that passes field validation
        bodies = {
            "refer": {"committee_id": self.org["chengguan-mediation"]},
            "accept": ACCEPT,
            "decline": {"reason": "other", "explanation": "x"},
            "agree": {}, "follow_up": {}, "court_extends": {},
            "fail": {"reason": "x", "legal_route": "other"},
            "apply_confirmation": {"court_id": self.org["district-court"], "applied_on": "2026-03-05",
                                   "confirmable": True},
            "court_decides": {"outcome": "rejected", "ruling_no": "1", "ruled_on": "2026-03-15"},
            "mediate_again": {"reason": "x"},
            "close": {"summary": "x"},
        }
        for t in self.wf["transitions"]:
            if t["roles"] == ["system"]:
                continue
            staff = self.intake if "intake" in t["roles"] and t["name"] == "refer" else self.mediator
            for state, cid in cases.items():
                if state in t["from"]:
                    continue
                if t["name"] == "refer" and state != "registered":
                    staff = self.supervisor   # sees it; the mediator's unit owns it now
                    r = staff.post("/api/v1/cases/%d/actions/refer" % cid, {"fields": bodies["refer"]})
                    self.assertProblem(r, 403, msg="refer by a supervisor in %s" % state)
                    continue
                r = staff.post("/api/v1/cases/%d/actions/%s" % (cid, t["name"]), {"fields": bodies[t["name"]]})
                self.assertProblem(r, 409, "invalid-state", msg="%s from %s: %r" % (t["name"], state, r))
            # a role it lacks, in a state it leaves: 403 (the supervisor sees every case)
            state = t["from"][0]
            cid = cases[state]
            r = self.supervisor.post("/api/v1/cases/%d/actions/%s" % (cid, t["name"]), {"fields": bodies[t["name"]]})
            self.assertProblem(r, 403, "forbidden", msg="%s by the supervisor" % t["name"])
            # and the system-only step is nobody's to take
        for who in (self.mediator, self.supervisor):
            self.assertProblem(who.post("/api/v1/cases/%d/actions/confirmation_window_passed" % cases["agreed"], {}),
                               403, "forbidden")

    def test_confirmation_window_and_timeout(self):
        cid = self.to_agreed()
        c = self.mediator.case(cid)
        ac = [a for a in c["actions"] if a["name"] == "apply_confirmation"][0]
        self.assertIsNotNone(ac["window_end"])
        SRV.advance_past(c["due_at"])
        self.assertProblem(self.mediator.post("/api/v1/cases/%d/actions/apply_confirmation" % cid, {
            "fields": {"court_id": self.org["district-court"], "applied_on": "2026-03-05", "confirmable": True}}),
            409, "window-closed")
        SRV.tick()
        c = self.mediator.case(cid)
        self.assertEqual(c["state"], "performing")
        self.assertEqual(self.due_days(c), 30)
        t = [e for e in self.events(cid, "transition") if e["action"] == "confirmation_window_passed"]
        self.assertEqual(len(t), 1)
        self.assertEqual(t[0]["actor_name"], "system")
        # follow-up from performing, then mediate again
        self.record(cid, "follow_up", dict(FOLLOW_UP, performance="not_performed"))
        self.mediator.act(cid, "follow_up")
        r = self.mediator.act(cid, "mediate_again", {"reason": "李某未按期支付，双方同意再次调解。"})
        self.assertEqual(r.data["state"], "mediating")
        self.assertEqual(self.due_days(r.data), 30)

    def test_labour_limit_15_days(self):
        """Labour disputes have their own 15-day mediation limit (a category limit)."""
        for category, days in (("labour", 15), ("wage_arrears", 15), ("contract", 30)):
            cid = self.register(category=category)
            self.record(cid, "party", PARTY)
            r = self.mediator.act(cid, "accept", ACCEPT)
            self.assertEqual(self.due_days(r.data), days, category)

    def test_mediating_overdue(self):
        cid = self.to_mediating()
        c = self.mediator.case(cid)
        SRV.advance_past(c["due_at"])
        SRV.tick()
        c = self.mediator.case(cid)
        self.assertTrue(c["overdue"])
        self.assertEqual(c["state"], "mediating")
        self.assertEqual(len(self.events(cid, "overdue")), 1)

    def test_risk_report_seen_by_committee(self):
        cid = self.to_mediating()
        self.record(cid, "risk_report", {"level": "major", "may_escalate": True,
                                         "facts": "一方扬言报复，情绪激动。", "measures": "已通知社区民警。"})
        plc = SRV.client("plcsup")      # political-legal committee supervisor: oversees the district
        recs = plc.case(cid)["records"]
        rr = [x for x in recs if x["kind"] == "risk_report"][0]
        self.assertEqual(rr["fields"]["level"], "major")
        self.assertTrue(rr["fields"]["may_escalate"])
        self.assertEqual(rr["field_labels"]["level"], "重大")
        # the other committee's mediator does not see the case at all
        self.assertProblem(self.mediator2.get("/api/v1/cases/%d" % cid), 404)

    def test_risk_reports_listed_for_the_committee(self):
        major = self.to_mediating()
        rid = self.record(major, "risk_report", {"level": "elevated", "may_escalate": False,
                                                 "facts": "双方争吵升级。"}).data["id"]
        # a correction: only the current version is listed
        self.record(major, "risk_report", {"level": "major", "may_escalate": True,
                                           "facts": "一方扬言报复。", "measures": "已通知派出所。"},
                    supersedes=rid)
        calm = self.to_mediating()
        self.record(calm, "risk_report", {"level": "ordinary", "may_escalate": False,
                                          "facts": "情绪稳定。"})
        plc = SRV.client("plcsup")
        q = "/api/v1/records?type=dispute&kind=risk_report"

        def listed(client, extra=""):
            r = client.get(q + extra)
            d = self.assertStatus(r, 200)
            return {(x["case"]["id"], x["fields"]["level"], x["fields"]["may_escalate"]): x
                    for x in d["items"]}

        got = listed(plc)
        self.assertIn((major, "major", True), got)
        self.assertIn((calm, "ordinary", False), got)
        self.assertNotIn((major, "elevated", False), got)  # superseded
        x = got[(major, "major", True)]
        self.assertEqual(x["kind_label"], "风险报告")
        self.assertEqual(x["field_labels"]["level"], "重大")
        self.assertEqual(x["case"]["number"], self.mediator.case(major)["number"])
        self.assertEqual(x["case"]["owner_org"]["id"], self.org["chengguan-mediation"])
        self.assertEqual(x["org"]["id"], self.org["chengguan-mediation"])
        self.assertEqual(x["case"]["state"], "mediating")
        # filters on the kind's fields, the unit and the date
        self.assertEqual({k[0] for k in listed(plc, "&level=major")} & {major, calm}, {major})
        self.assertEqual({k[0] for k in listed(plc, "&may_escalate=false")} & {major, calm}, {calm})
        self.assertEqual({k[0] for k in listed(plc, "&owner_org=%d" % self.org["hexi-mediation"])}
                         & {major, calm}, set())
        self.assertEqual(listed(plc, "&from=2099-01-01"), {})
        today = H.local_date(SRV)
        self.assertIn((major, "major", True), listed(plc, "&to=" + today))
        # paging: one at a time, newest first, the cursor goes on
        r = self.assertStatus(plc.get(q + "&limit=1&may_escalate=false"), 200)
        self.assertEqual(len(r["items"]), 1)
        self.assertIsNotNone(r["next_cursor"])
        # bad filters name themselves
        self.assertProblem(plc.get(q + "&level=huge"), 400, "validation", field="level")
        self.assertProblem(plc.get(q + "&may_escalate=yes"), 400, "validation", field="may_escalate")
        self.assertProblem(plc.get(q + "&colour=red"), 400, "validation", field="colour")
        self.assertProblem(plc.get("/api/v1/records?type=dispute"), 400, "validation", field="kind")
        self.assertProblem(plc.get("/api/v1/records?kind=risk_report"), 400, "validation", field="type")
        self.assertProblem(plc.get("/api/v1/records?type=dispute&kind=session"), 404, "not-found")
        self.assertProblem(plc.get("/api/v1/records?type=nothing&kind=risk_report"), 404, "not-found")
        # the committee's leader and the district's supervisors list them; the mediator
        # and an unrelated department may not
        self.assertIn((major, "major", True), listed(SRV.client("plcleader")))
        self.assertIn((major, "major", True), listed(self.supervisor))
        self.assertProblem(self.mediator.get(q), 403, "forbidden")
        self.assertProblem(self.housing.get(q), 403, "forbidden")
        # the definition says who lists and who is alerted
        rk = [r for r in self.wf["records"] if r["name"] == "risk_report"][0]
        self.assertEqual(rk["list"], ["supervisor", "leader"])
        self.assertEqual(rk["alert"], {"when": {"level": ["major"], "may_escalate": True},
                                       "to": {"kind": "political_legal_committee",
                                              "roles": ["supervisor", "leader"]}})

    # -- hand-over from a petition (访调对接) --

    def petition_in_handling(self):
        d = H.submit_petition(SRV)
        pid = H.find_case_id(self.intake, d["number"])
        self.intake.act(pid, "accept")
        return pid, d["number"], d["query_code"]

    def hand_over(self, pid, category="neighbourhood"):
        r = self.xfj.act(pid, "hand_over", {"committee_id": self.org["chengguan-mediation"],
                                            "dispute_category": category, "note": "适宜人民调解"})
        self.assertEqual(r.data["state"], "in_mediation")
        # the handler sees the new case's number on the step; the link shows
        # to those who see both cases
        step = [e for e in self.xfj.get("/api/v1/cases/%d/events?limit=500" % pid).data["items"]
                if e.get("action") == "hand_over"][0]
        self.assertRegex(step["data"]["handover_case"], r"^TJ-\d{4}-\d{6}$")
        self.assertNotIn("handover", [l["kind"] for l in self.xfj.case(pid)["links"]])
        links = [l for l in self.supervisor.case(pid)["links"] if l["kind"] == "handover"]
        self.assertEqual(len(links), 1)
        self.assertEqual(links[0]["direction"], "outgoing")
        self.assertEqual(links[0]["case"]["id"], step["data"]["handover_case_id"])
        self.assertEqual(links[0]["case"]["number"], step["data"]["handover_case"])
        return links[0]["case"]["id"]

    def test_handover_declined_then_reply(self):
        pid, number, code = self.petition_in_handling()
        self.assertProblem(self.xfj.post("/api/v1/cases/%d/actions/hand_over" % pid, {"fields": {
            "committee_id": self.org["chengguan-mediation"], "dispute_category": "nonsense"}}),
            400, "validation", field="fields.dispute_category")
        self.assertProblem(self.xfj.post("/api/v1/cases/%d/actions/hand_over" % pid, {"fields": {
            "committee_id": 999999, "dispute_category": "neighbourhood"}}),
            400, "validation", field="fields.committee_id")
        did = self.hand_over(pid)
        dc = self.mediator.case(did)
        self.assertEqual(dc["type"], "dispute")
        self.assertEqual(dc["channel"], "handover")
        self.assertEqual(dc["category"], "neighbourhood")
        self.assertEqual(dc["owner_org"]["id"], self.org["chengguan-mediation"])
        self.assertEqual(dc["state"], "registered")
        self.assertEqual(dc["links"], [])    # the mediator does not see the petition
        self.assertEqual([(l["kind"], l["direction"], l["case"]["id"]) for l in self.supervisor.case(did)["links"]],
                         [("handover", "incoming", pid)])
        # the petition waits: nothing for the handler but taking it back
        self.assertEqual([a["name"] for a in self.xfj.case(pid)["actions"]], ["take_back"])
        self.assertProblem(self.xfj.post("/api/v1/cases/%d/actions/reply" % pid, {"fields": {}}), 409)
        # the system-only step is nobody's to take by hand
        self.assertProblem(self.xfj.post("/api/v1/cases/%d/actions/mediation_ended" % pid, {}), 403)
        # the committee declines: the petition records the outcome by itself
        self.mediator.act(did, "decline", {"reason": "party_refuses", "explanation": "对方拒绝调解。"})
        p = self.xfj.case(pid)
        self.assertEqual(p["state"], "mediated")
        self.assertEqual(self.due_days(p), 15)
        ended = [e for e in self.events(pid, "transition") if e["action"] == "mediation_ended"]
        self.assertEqual(len(ended), 1)
        self.assertEqual(ended[0]["data"]["fields"], {"outcome": "declined", "handover_case": dc["number"]})
        self.assertEqual(ended[0]["actor_name"], "system")
        # the public timeline shows it, with the outcome's label
        v = H.track(SRV, number, code).data
        pub = [e for e in v["timeline"] if e.get("action") == "mediation_ended"][0]
        self.assertEqual(pub["fields"]["outcome"]["label"], "调解组织不予受理")
        # and the handler replies from mediated
        r = self.xfj.act(pid, "reply", {"decision": "explain", "facts": "经调解组织受理审查，对方拒绝调解。",
                                        "basis": "《信访工作条例》第三十三条", "opinion": "建议通过诉讼途径解决。"})
        self.assertEqual(r.data["state"], "replied")

    def test_handover_settled(self):
        pid, number, code = self.petition_in_handling()
        did = self.hand_over(pid, category="labour")
        self.record(did, "party", PARTY)
        self.mediator.act(did, "accept", ACCEPT)
        self.record(did, "agreement", AGREEMENT)
        self.mediator.act(did, "agree")
        self.record(did, "follow_up", FOLLOW_UP)
        self.mediator.act(did, "follow_up")
        self.mediator.act(did, "close", {"summary": "调解成功。"}, expect=202)
        self.assertEqual(self.xfj.case(pid)["state"], "in_mediation")   # not until approved
        self.assertStatus(self.supervisor.post("/api/v1/cases/%d/approval" % did, {"decision": "approve"}), 200)
        p = self.xfj.case(pid)
        self.assertEqual(p["state"], "mediated")
        ended = [e for e in self.events(pid, "transition") if e["action"] == "mediation_ended"][0]
        self.assertEqual(ended["data"]["fields"]["outcome"], "closed")

    def test_take_back(self):
        pid, number, code = self.petition_in_handling()
        did = self.hand_over(pid)
        self.assertProblem(self.housing.post("/api/v1/cases/%d/actions/take_back" % pid,
                                             {"fields": {"reason": "x"}}), 404)
        r = self.xfj.act(pid, "take_back", {"reason": "调解久拖不决，收回办理。"})
        self.assertEqual(r.data["state"], "handling")
        # the dispute ending later changes nothing on the petition
        self.mediator.act(did, "decline", {"reason": "other", "explanation": "已收回。"})
        self.assertEqual(self.xfj.case(pid)["state"], "handling")


if __name__ == "__main__":
    H.run_module()

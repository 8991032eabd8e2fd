#!/usr/bin/env python3
"""
test_joint_case.py — the joint case (workflows/joint_case.yaml) over HTTP:
opened by the political-legal committee, visible only to it and to the
participating agencies (everyone else, supervisors above included, gets 404
— on the case, its records, its actions, and in lists), participants with
their own stage tracks (forward only, by their own staff or the committee),
consultations, tasks and the asset ledger as records, every transition
allowed and refused (403 wrong role, 409 wrong state), every deadline, and
the approvals on extending (a leader) and concluding (a supervisor).

Run: python3 tests/api/test_joint_case.py   (PINGAN_BIN = the binary)
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}
TZ = datetime.timezone(datetime.timedelta(hours=8))
DAY = H.DAY

CONSULTATION = {"held_on": "2026-03-02", "place": "区委政法委会议室",
                "participants": "区委政法委、区公安分局、区人民检察院",
                "minutes": "通报线索核查情况，研究下一步工作。", "decisions": "公安立案侦查；检察院提前介入。"}


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


class JointCase(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.plcsup = SRV.client("plcsup")        # committee: intake + supervisor
        cls.plc = SRV.client("plc")              # committee: handler
        cls.plcleader = SRV.client("plcleader")  # committee: leader
        cls.police = SRV.client("police")        # district police bureau, handler
        cls.procurator = SRV.client("procurator")
        cls.judge = SRV.client("judge")
        cls.supervisor = SRV.client("supervisor")  # petition office supervisor: oversees the district
        cls.leader = SRV.client("leader")          # district government leader
        cls.housing = SRV.client("housing")
        cls.auditor = SRV.client("auditor")
        orgs = cls.plc.get("/api/v1/orgs").data["items"]
        cls.org = {o["code"]: o["id"] for o in orgs}
        cls.wf = cls.plc.get("/api/v1/workflows/joint_case").data

    # -- helpers --

    def open_case(self, client=None, expect=201):
        r = (client or self.plcsup).post("/api/v1/cases", {
            "type": "joint_case", "category": "organized_crime", "channel": "letter",
            "title": "某村霸强揽工程、欺压群众案", "body": "群众举报线索经初核属实，需公安、检察协同办理。"})
        if expect != 201:
            return r
        d = self.assertStatus(r, 201)
        self.assertRegex(d["number"], r"^XT-\d{4}-\d{6}$")
        return d["id"]

    def participate(self, cid, code, client=None, expect=200):
        r = (client or self.plc).post("/api/v1/cases/%d/participants" % cid, {"org_id": self.org[code]})
        if expect is not None:
            self.assertEqual(r.status, expect, r)
        return r

    def stage(self, cid, code, stage, client, expect=200, note=None):
        body = {"stage": stage}
        if note:
            body["note"] = note
        r = client.post("/api/v1/cases/%d/participants/%d/stage" % (cid, self.org[code]), body)
        if expect is not None:
            self.assertEqual(r.status, expect, r)
        return r

    def record(self, cid, kind, fields, client=None, expect=201, **extra):
        body = {"fields": fields}
        body.update(extra)
        r = (client or self.plc).post("/api/v1/cases/%d/records/%s" % (cid, kind), body)
        if expect is not None:
            self.assertEqual(r.status, expect, r)
        return r

    def in_progress(self):
        cid = self.open_case()
        self.participate(cid, "district-police")
        self.record(cid, "consultation", CONSULTATION)
        self.plc.act(cid, "start")
        return cid

    def events(self, cid, kind=None):
        evs = self.plc.get("/api/v1/cases/%d/events?limit=500" % cid).data["items"]
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

    # -- the definition --

    def test_definition(self):
        p = self.wf["participants"]
        self.assertEqual(p["visibility"], "participants")
        tracks = {t["kind"]: [s["code"] for s in t["stages"]] for t in p["tracks"]}
        self.assertEqual(tracks["police"], ["investigating", "transferred_for_prosecution"])
        self.assertEqual(tracks["procuratorate"], ["early_intervention", "arrest_review",
                                                   "prosecution_review", "prosecuted"])
        self.assertEqual(tracks["court"], ["accepted", "trial", "judgment", "enforcement"])
        self.assertEqual(tracks["discipline_commission"], ["preliminary_check", "investigation", "transferred"])
        self.assertEqual({r["name"] for r in self.wf["records"]}, {"consultation", "task", "asset"})
        asset = [r for r in self.wf["records"] if r["name"] == "asset"][0]
        measure = [f for f in asset["fields"] if f["name"] == "measure"][0]
        self.assertEqual([v["label"]["zh"] for v in measure["values"]], ["查封", "扣押", "冻结", "追缴"])

    # -- visibility --

    def test_only_participants_and_committee_see_it(self):
        cid = self.open_case()
        c = self.plcsup.case(cid)
        self.assertEqual(c["owner_org"]["id"], self.org["district-plc"])
        self.assertEqual(c["participants"], [])
        self.assertEqual(c["state"], "opened")
        # not a participant yet: 404 everywhere, whatever the roles above
        for who in (self.police, self.procurator, self.supervisor, self.leader, self.housing):
            self.assertProblem(who.get("/api/v1/cases/%d" % cid), 404, msg=who.username)
            self.assertProblem(who.get("/api/v1/cases/%d/records" % cid), 404)
            self.assertProblem(who.get("/api/v1/cases/%d/events" % cid), 404)
            self.assertProblem(self.record(cid, "asset", {}, client=who, expect=None), 404)
            self.assertProblem(who.post("/api/v1/cases/%d/actions/start" % cid, {}), 404)
            self.assertNotIn(cid, who.inbox_ids(open="any"), who.username)
        self.assertIn(cid, self.plc.inbox_ids())
        # the police join: its staff see it now, the others still do not
        r = self.participate(cid, "district-police")
        parts = r.data["participants"]
        self.assertEqual([(p["org"]["id"], p["kind"], p["stage"], p["stage_label"]) for p in parts],
                         [(self.org["district-police"], "police", "investigating", "立案侦查")])
        self.assertEqual(self.police.case(cid)["id"], cid)
        for who in (self.procurator, self.supervisor, self.leader, self.housing):
            self.assertProblem(who.get("/api/v1/cases/%d" % cid), 404)
        ev = self.events(cid, "participant_added")
        self.assertEqual(len(ev), 1)
        self.assertEqual(len(self.audit("case.participant_add", "case:%d" % cid)), 1)

    def test_participants_inboxes(self):
        # a joint case is in its participants' inboxes and the committee's, nobody else's;
        # lists, filters, search and exports let through exactly what the detail opens
        title = "某涉黑组织非法采砂案（收件箱）"
        r = self.plcsup.post("/api/v1/cases", {
            "type": "joint_case", "category": "organized_crime", "channel": "letter",
            "title": title, "body": "非法采砂、暴力阻挠执法，需公安、检察协同办理。"})
        cid = self.assertStatus(r, 201)["id"]
        self.participate(cid, "district-police")
        self.participate(cid, "district-procuratorate")
        self.stage(cid, "district-procuratorate", "arrest_review", self.procurator)
        everyone = (self.plc, self.plcsup, self.plcleader, self.police, self.procurator, self.judge,
                    self.supervisor, self.leader, self.housing)
        seeing = {self.plc, self.plcsup, self.plcleader, self.police, self.procurator}
        for who in everyone:
            listed = cid in who.inbox_ids(open="any")
            opens = who.get("/api/v1/cases/%d" % cid).status == 200
            self.assertEqual(listed, who in seeing, who.username)
            self.assertEqual(opens, listed, who.username)
            # the same under filters
            self.assertEqual(cid in who.inbox_ids(type="joint_case"), listed, who.username)
            self.assertEqual(cid in who.inbox_ids(state="opened", open="any"), listed, who.username)
            self.assertNotIn(cid, who.inbox_ids(state="in_progress", open="any"))
            # full-text search and the export count the same cases
            found = [c["id"] for c in who.get("/api/v1/search/cases", {"q": "非法采砂"}).data["items"]]
            self.assertEqual(cid in found, listed, who.username)
            csv = who.get("/api/v1/exports/cases", {"open": "any", "type": "joint_case"})
            self.assertEqual(csv.status, 200)
            self.assertEqual(title.encode("utf-8") in csv.raw, listed, who.username)
        # each participant sees its own track in its inbox; the committee sees none there
        rows = {c["id"]: c for c in self.police.inbox(type="joint_case")}
        part = rows[cid]["participation"]
        self.assertEqual((part["org_id"], part["kind"], part["stage"], part["stage_label"]),
                         (self.org["district-police"], "police", "investigating", "立案侦查"))
        self.assertIsNotNone(part["since"])
        rows = {c["id"]: c for c in self.procurator.inbox(type="joint_case")}
        self.assertEqual(rows[cid]["participation"]["stage"], "arrest_review")
        self.assertEqual(rows[cid]["participation"]["stage_label"], "审查逮捕")
        self.assertEqual(rows[cid]["state"], "opened")  # the case's own state, as for everyone
        rows = {c["id"]: c for c in self.plc.inbox(type="joint_case")}
        self.assertIsNone(rows[cid]["participation"])
        en = SRV.client("procurator", fresh=True, lang="en")
        rows = {c["id"]: c for c in en.inbox(type="joint_case")}
        self.assertEqual(rows[cid]["participation"]["stage_label"], "Review of arrest")
        # the detail the participant opens from its inbox shows its track too
        self.assertEqual(self.police.case(cid)["participation"]["stage"], "investigating")
        # a court joining later gets it in its inbox at its first stage
        self.participate(cid, "district-court")
        rows = {c["id"]: c for c in self.judge.inbox(open="any")}
        self.assertEqual(rows[cid]["participation"]["stage"], "accepted")

    def test_participants_rules(self):
        cid = self.open_case()
        # who adds: the committee's participant roles; not a participant, not the leader
        self.participate(cid, "district-police", client=self.plcleader, expect=403)
        self.participate(cid, "district-police", client=self.plcsup)
        self.assertProblem(self.participate(cid, "district-police", expect=None), 409, "conflict")
        # a unit of a kind without a track, or no such unit
        self.assertProblem(self.participate(cid, "district-housing", expect=None), 422, field="org_id")
        self.assertProblem(self.plc.post("/api/v1/cases/%d/participants" % cid, {"org_id": 999999}),
                           422, field="org_id")
        self.assertProblem(self.plc.post("/api/v1/cases/%d/participants" % cid, {"org_id": "x"}),
                           400, field="org_id")
        # a participant cannot add others
        self.assertProblem(self.participate(cid, "district-procuratorate", client=self.police, expect=None), 403)
        self.participate(cid, "district-procuratorate")
        self.participate(cid, "district-court")
        # stages: forward only, along the unit's own track, by itself or the committee
        self.stage(cid, "district-procuratorate", "arrest_review", self.procurator)
        self.assertProblem(self.stage(cid, "district-procuratorate", "early_intervention", self.procurator,
                                      expect=None), 409, "invalid-state", field="stage")
        self.assertProblem(self.stage(cid, "district-procuratorate", "arrest_review", self.procurator,
                                      expect=None), 409, "invalid-state")
        self.assertProblem(self.stage(cid, "district-procuratorate", "trial", self.procurator, expect=None),
                           400, "validation", field="stage")
        self.assertProblem(self.stage(cid, "district-procuratorate", "prosecution_review", self.police,
                                      expect=None), 403)
        self.assertProblem(self.stage(cid, "district-police", "transferred_for_prosecution", self.judge,
                                      expect=None), 403)
        self.stage(cid, "district-procuratorate", "prosecuted", self.plc, note="已向区法院提起公诉")
        r = self.stage(cid, "district-police", "transferred_for_prosecution", self.police)
        stages = {p["kind"]: p["stage"] for p in r.data["participants"]}
        self.assertEqual(stages, {"police": "transferred_for_prosecution", "procuratorate": "prosecuted",
                                  "court": "accepted"})
        # not a participant
        self.assertProblem(self.stage(cid, "district-discipline", "investigation", self.plc, expect=None),
                           404, field="org_id")
        evs = self.events(cid, "participant_stage")
        self.assertEqual([(e["data"]["kind"], e["data"]["from_stage"], e["data"]["stage"]) for e in evs],
                         [("procuratorate", "early_intervention", "arrest_review"),
                          ("procuratorate", "arrest_review", "prosecuted"),
                          ("police", "investigating", "transferred_for_prosecution")])
        self.assertEqual(evs[1]["text"], "已向区法院提起公诉")
        self.assertEqual(len(self.audit("case.participant_stage", "case:%d" % cid)), 3)

    def test_participant_stage_limits(self):
        # a track stage's due: its limit from when the unit entered it, in that unit's
        # inbox row; past it, the timer marks the stage overdue once (timeline, audit);
        # the next stage starts its own limit
        cid = self.open_case()
        self.participate(cid, "district-police")
        self.participate(cid, "district-procuratorate")
        rows = {c["id"]: c for c in self.police.inbox(type="joint_case")}
        part = rows[cid]["participation"]
        since, due = H.parse_time(part["since"]), H.parse_time(part["due_at"])
        # investigating: 60 calendar days (to the day's end; a last day on a holiday moves on)
        self.assertTrue(60 <= (due - since) / DAY <= 70, part)
        self.assertFalse(part["overdue"])
        rows = {c["id"]: c for c in self.procurator.inbox(type="joint_case")}
        self.assertIsNone(rows[cid]["participation"]["due_at"])  # early intervention: no limit
        self.stage(cid, "district-procuratorate", "arrest_review", self.procurator)
        part = {c["id"]: c for c in self.procurator.inbox(type="joint_case")}[cid]["participation"]
        self.assertTrue(7 <= (H.parse_time(part["due_at"]) - H.parse_time(part["since"])) / DAY <= 17, part)
        self.assertEqual(self.events(cid, "participant_stage")[-1]["data"]["due_at"],
                         H.parse_time(part["due_at"]))
        self.assertEqual(self.events(cid, "participant_overdue"), [])

        SRV.advance_past(part["due_at"])
        self.assertGreaterEqual(SRV.tick()["participants_overdue"], 1)
        SRV.tick()  # once only
        evs = self.events(cid, "participant_overdue")
        self.assertEqual(len(evs), 1)
        self.assertEqual(evs[0]["data"]["org_id"], self.org["district-procuratorate"])
        self.assertFalse(evs[0]["public"])
        self.assertEqual(len(self.audit("case.participant_overdue", "case:%d" % cid)), 1)
        part = {c["id"]: c for c in self.procurator.inbox(type="joint_case")}[cid]["participation"]
        self.assertTrue(part["overdue"])
        part = {c["id"]: c for c in self.police.inbox(type="joint_case")}[cid]["participation"]
        self.assertFalse(part["overdue"])  # the police stage's 60 days have not passed
        # the next stage: a new limit, not overdue
        self.stage(cid, "district-procuratorate", "prosecution_review", self.procurator)
        part = {c["id"]: c for c in self.procurator.inbox(type="joint_case")}[cid]["participation"]
        self.assertFalse(part["overdue"])
        self.assertTrue(30 <= (H.parse_time(part["due_at"]) - H.parse_time(part["since"])) / DAY <= 40, part)
        SRV.tick()
        self.assertEqual(len(self.events(cid, "participant_overdue")), 1)

    def test_opening_needs_intake(self):
        self.assertProblem(self.open_case(client=self.plc, expect=None), 403)
        self.assertProblem(self.open_case(client=self.plcleader, expect=None), 403)
        # the public cannot submit joint cases
        r = SRV.public().post("/api/public/cases", {"type": "joint_case", "category": "other", "title": "x",
                                                   "body": "y", "contact": {"name": "张三"}})
        self.assertIn(r.status, (400, 403, 422), r)

    # -- records --

    def test_records_by_committee_and_participants(self):
        cid = self.in_progress()
        task = self.record(cid, "task", {"agency_id": self.org["district-police"], "lead": "lead",
                                         "task": "查明涉案公司资金流向", "due_on": "2026-04-30",
                                         "status": "open"}).data
        self.assertEqual(task["field_labels"]["lead"], "主办")
        # the police, a participant, adds an asset and marks its task done (a new version)
        a = self.record(cid, "asset", {"measure": "freeze", "description": "涉案公司银行账户存款",
                                       "value_yuan": 3500000, "holder": "区公安分局",
                                       "decided_on": "2026-03-10"}, client=self.police).data
        self.assertEqual(a["org"]["id"], self.org["district-police"])
        self.assertEqual(a["field_labels"]["measure"], "冻结")
        done = self.record(cid, "task", {"agency_id": self.org["district-police"], "lead": "lead",
                                         "task": "查明涉案公司资金流向", "due_on": "2026-04-30",
                                         "status": "done"}, client=self.police, supersedes=task["id"]).data
        self.assertEqual(done["version"], 2)
        # field checks: the value is a whole number of yuan, not negative; the agency exists
        self.assertProblem(self.record(cid, "asset", {"measure": "freeze", "description": "x", "value_yuan": -1,
                                                      "holder": "x", "decided_on": "2026-03-10"}, expect=None),
                           400, field="fields.value_yuan")
        self.assertProblem(self.record(cid, "asset", {"measure": "confiscate", "description": "x",
                                                      "value_yuan": 1, "holder": "x",
                                                      "decided_on": "2026-03-10"}, expect=None),
                           400, field="fields.measure")
        self.assertProblem(self.record(cid, "task", {"agency_id": 999999, "lead": "lead", "task": "x",
                                                     "due_on": "2026-04-30", "status": "open"}, expect=None),
                           422, field="fields.agency_id")
        self.assertProblem(self.record(cid, "task", {"agency_id": self.org["district-police"], "lead": "lead",
                                                     "task": "x", "due_on": "2026-02-30", "status": "open"},
                                       expect=None), 400, field="fields.due_on")
        # the leader may add a consultation, not a task
        self.record(cid, "consultation", CONSULTATION, client=self.plcleader)
        self.assertProblem(self.record(cid, "task", {}, client=self.plcleader, expect=None), 403)
        recs = self.plc.case(cid)["records"]
        self.assertEqual([(r["kind"], r["version"], r["superseded"]) for r in recs],
                         [("consultation", 1, False), ("task", 1, True), ("asset", 1, False),
                          ("task", 2, False), ("consultation", 1, False)])
        self.assertEqual(len(self.audit("case.record", "case:%d" % cid)), 5)

    # -- transitions --

    def test_start_needs_consultation(self):
        cid = self.open_case()
        self.assertProblem(self.plcleader.post("/api/v1/cases/%d/actions/start" % cid, {}), 403)
        self.assertProblem(self.plc.post("/api/v1/cases/%d/actions/start" % cid, {}), 409, "record-required",
                           field="records.consultation")
        self.record(cid, "consultation", CONSULTATION)
        r = self.plc.act(cid, "start")
        self.assertEqual(r.data["state"], "in_progress")
        self.assertEqual(r.data["limit"]["amount"], 90)
        due = datetime.datetime.fromtimestamp(H.parse_time(r.data["due_at"]), TZ).date()
        entered = datetime.datetime.fromtimestamp(H.parse_time(r.data["state_entered_at"]), TZ).date()
        self.assertGreaterEqual((due - entered).days, 90)
        self.assertLessEqual((due - entered).days, 99)
        self.assertProblem(self.plc.post("/api/v1/cases/%d/actions/start" % cid, {}), 409, "invalid-state")

    def test_opened_due_in_working_days(self):
        cid = self.open_case()
        c = self.plc.case(cid)
        self.assertEqual(c["limit"], {"amount": 10, "unit": "working_days", "basis": "首次会商时限（本地规定，可配置）"})
        created = datetime.datetime.fromtimestamp(H.parse_time(c["created_at"]), TZ).date()
        due = datetime.datetime.fromtimestamp(H.parse_time(c["due_at"]), TZ).date()
        self.assertGreaterEqual((due - created).days, 14)   # 10 working days: two weekends at least
        SRV.advance_past(c["due_at"])
        SRV.tick()
        self.assertTrue(self.plc.case(cid)["overdue"])

    def test_withdraw(self):
        cid = self.open_case()
        body = {"fields": {"reason": "误立案。"}}
        self.assertProblem(self.plc.post("/api/v1/cases/%d/actions/withdraw" % cid, body), 403)
        d = self.assertStatus(self.plcsup.post("/api/v1/cases/%d/actions/withdraw" % cid, body), 200)
        self.assertEqual(d["state"], "withdrawn")
        self.assertFalse(d["is_open"])
        self.assertProblem(self.plcsup.post("/api/v1/cases/%d/actions/withdraw" % cid, body), 409, "invalid-state")
        self.assertProblem(self.participate(cid, "district-court", expect=None), 409, "invalid-state")

    def test_extend_with_leader_approval(self):
        cid = self.in_progress()
        before = H.parse_time(self.plc.case(cid)["due_at"])
        self.assertProblem(self.plcleader.post("/api/v1/cases/%d/actions/extend" % cid,
                                               {"fields": {"days": 30, "reason": "x"}}), 403)
        self.assertProblem(self.plc.post("/api/v1/cases/%d/actions/extend" % cid,
                                         {"fields": {"days": 91, "reason": "x"}}), 400, field="fields.days")
        r = self.plc.act(cid, "extend", {"days": 30, "reason": "涉案资金流向复杂，需延长办理。"}, expect=202)
        self.assertEqual(H.parse_time(r.data["due_at"]), before)
        # a supervisor is not the approver of an extension; the leader is
        self.assertProblem(self.plcsup.post("/api/v1/cases/%d/approval" % cid, {"decision": "approve"}), 403)
        self.assertFalse(self.plcsup.case(cid)["pending_approval"]["may_decide"])
        r = self.plcleader.post("/api/v1/cases/%d/approval" % cid, {"decision": "approve"})
        d = self.assertStatus(r, 200)
        added = H.parse_time(d["due_at"]) - before
        self.assertGreaterEqual(added, 30 * DAY)
        self.assertLessEqual(added, 39 * DAY)
        # once only
        self.assertProblem(self.plc.post("/api/v1/cases/%d/actions/extend" % cid,
                                         {"fields": {"days": 10, "reason": "x"}}), 409, "once-only")

    def test_conclude_with_supervisor_approval(self):
        cid = self.in_progress()
        body = {"outcome": "prosecuted", "summary": "公安侦查终结，检察院已提起公诉。"}
        self.assertProblem(self.plcsup.post("/api/v1/cases/%d/actions/conclude" % cid, {"fields": body}), 403)
        self.assertProblem(self.plcleader.post("/api/v1/cases/%d/actions/conclude" % cid, {"fields": body}), 403)
        self.plc.act(cid, "conclude", body, expect=202)
        # while the proposal waits, nothing else: no extension, no second proposal
        self.assertProblem(self.plc.post("/api/v1/cases/%d/actions/extend" % cid,
                                         {"fields": {"days": 10, "reason": "x"}}), 409, "approval-pending")
        self.assertProblem(self.plc.post("/api/v1/cases/%d/actions/conclude" % cid, {"fields": body}),
                           409, "approval-pending")
        # the police (a participant) cannot decide
        self.assertProblem(self.police.post("/api/v1/cases/%d/approval" % cid, {"decision": "approve"}), 403)
        r = self.plcsup.post("/api/v1/cases/%d/approval" % cid, {"decision": "decline", "reason": "资产处置情况未入账。"})
        self.assertEqual(self.assertStatus(r, 200)["state"], "in_progress")
        self.plc.act(cid, "conclude", body, expect=202)
        d = self.assertStatus(self.plcsup.post("/api/v1/cases/%d/approval" % cid, {"decision": "approve"}), 200)
        self.assertEqual(d["state"], "concluded")
        self.assertFalse(d["is_open"])
        self.assertEqual([e["kind"] for e in self.events(cid) if e["kind"].startswith("approval_")],
                         ["approval_requested", "approval_declined", "approval_requested", "approval_approved"])
        # still visible to its participants afterwards, still not to others
        self.assertEqual(self.police.case(cid)["state"], "concluded")
        self.assertProblem(self.supervisor.get("/api/v1/cases/%d" % cid), 404)

    def test_wrong_state_and_role_for_every_transition(self):
        """Every transition: 409 from each state it does not leave, 403 for a role it lacks."""
        opened = self.open_case()
        self.record(opened, "consultation", CONSULTATION)
        running = self.in_progress()
        done = self.in_progress()
        self.plc.act(done, "conclude", {"outcome": "other", "summary": "x"}, expect=202)
        self.assertStatus(self.plcsup.post("/api/v1/cases/%d/approval" % done, {"decision": "approve"}), 200)
        cases = {"opened": opened, "in_progress": running, "concluded": done}
        bodies = {"start": {}, "withdraw": {"reason": "x"}, "extend": {"days": 5, "reason": "x"},
                  "conclude": {"outcome": "other", "summary": "x"}}
        takers = {"start": self.plc, "withdraw": self.plcsup, "extend": self.plc, "conclude": self.plc}
        lacking = {"start": self.plcleader, "withdraw": self.plc, "extend": self.plcleader,
                   "conclude": self.plcsup}
        self.assertEqual(set(bodies), {t["name"] for t in self.wf["transitions"]})
        for t in self.wf["transitions"]:
            name = t["name"]
            for state, cid in cases.items():
                if state in t["from"]:
                    continue
                r = takers[name].post("/api/v1/cases/%d/actions/%s" % (cid, name), {"fields": bodies[name]})
                self.assertProblem(r, 409, "invalid-state", msg="%s from %s: %r" % (name, state, r))
            cid = cases[t["from"][0]]
            r = lacking[name].post("/api/v1/cases/%d/actions/%s" % (cid, name), {"fields": bodies[name]})
            self.assertProblem(r, 403, "forbidden", msg="%s by %s" % (name, lacking[name].username))


if __name__ == "__main__":
    H.run_module()

#!/usr/bin/env python3
"""
test_tip.py — a tip (线索, workflows/tip.yaml) over HTTP: anonymous public
submission with a query code, classification, assignment that refuses the
accused unit and every unit under it (by kind, by unit, and a transfer), the
verification limit and its one extension, the outcomes, feedback to the
informant on the public page, the automatic archive; every transition
allowed and forbidden (403 wrong role, 409 wrong state).

Sealing: the accused unit never sees the tip — every case route answers it
404, lists and the supervision board leave it out; the informant's identity
is shown to nobody but intake staff of the registering unit through the
reveal route (403 for everyone else, and both are in the audit log); it is
not in the SQLite file or its WAL in clear text.

Run: python3 tests/api/test_tip.py   (PINGAN_BIN = the binary)
"""
import os
import json
import subprocess
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}
DAY = 86400

INFORMANT = {"name": "司马秘密举报人", "phone": "13700007777", "id_number": "11010519491231002X",
             "address": "平安区河西街道滨江路88号", "email": "secret.informant@example.org"}


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


def tip_body(category="protective_umbrella", accused=None, contact=None, **extra):
    d = {"type": "tip", "category": category,
         "title": "举报某派出所民警为赌场充当保护伞",
         "body": "滨江路一带有地下赌场长期经营，有民警收受好处为其通风报信。"}
    if accused:
        d["accused_org_id"] = accused
    if contact:
        d["contact"] = contact
    d.update(extra)
    return d


def case_routes():
    """Every staff route under /api/v1/cases/{id}, from the route table."""
    with open(os.path.join(H.SOURCE_DIR, "src", "api", "routes.c"), encoding="utf-8") as f:
        src = f.read()
    return sorted(set(re.findall(r'\{ "(GET|POST|PATCH|PUT|DELETE)", "(/api/v1/cases/\{id\}[^"]*)"', src)))


class Tip(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")          # district-xfj: registers, may reveal
        cls.police = SRV.client("police")          # district-police handler
        cls.discipline = SRV.client("discipline")  # district-discipline handler
        cls.sup = SRV.client("supervisor")         # district-xfj supervisor
        cls.plc = SRV.client("plc")
        cls.auditor = SRV.client("auditor")
        orgs = cls.intake.get("/api/v1/orgs").data["items"]
        cls.org = {o["code"]: o["id"] for o in orgs}

    def audit_items(self, action=None):
        items, after = [], 0
        while True:
            page = self.assertStatus(self.auditor.get("/api/v1/audit", {"after": after, "limit": 500}), 200)
            items += page["items"]
            if page["next_after"] is None:
                break
            after = page["next_after"]
        return [x for x in items if action is None or x["action"] == action]

    def submit(self, **kw):
        r = SRV.public().post("/api/public/cases", tip_body(**kw))
        d = self.assertStatus(r, 201)
        cid = H.find_case_id(self.intake, d["number"])
        return cid, d

    def forbidden(self, client, cid, action, fields=None):
        self.assertProblem(client.act(cid, action, fields, expect=None), 403, "forbidden")

    def wrong_state(self, client, cid, action, fields=None):
        self.assertProblem(client.act(cid, action, fields, expect=None), 409, "invalid-state")

    def test_01_anonymous_submission_and_whole_life(self):
        police = self.org["district-police"]
        cid, d = self.submit(accused=police)
        self.assertRegex(d["number"], r"^XS-\d{4}-\d{6}$")
        code = d["query_code"]
        v = self.assertStatus(H.track(SRV, d["number"], code), 200)
        self.assertEqual(v["type"], "tip")
        self.assertEqual(v["state"], "registered")
        c = self.intake.case(cid)
        self.assertEqual(c["parties"], [])          # anonymous
        self.assertEqual(c["accused_org"]["id"], police)
        self.assertEqual(c["owner_org"]["id"], self.org["district-xfj"])
        self.assertEqual(c["limit"], {"amount": 5, "unit": "working_days",
                                      "basis": "线索分类交办：5个工作日（本区规定）"})
        created = H.parse_time(c["created_at"])
        due = H.parse_time(c["due_at"])
        self.assertTrue(5 * DAY <= due - created <= 12 * DAY, c["due_at"])
        self.assertEqual({a["name"] for a in c["actions"]}, {"classify"})

        # wrong roles and states
        self.forbidden(self.sup, cid, "classify", {"track": "official"})
        self.wrong_state(self.intake, cid, "assign_discipline")
        self.wrong_state(self.intake, cid, "feedback", {"text": "x"})
        self.wrong_state(self.sup, cid, "extend", {"days": 5, "reason": "x"})
        self.assertProblem(self.intake.act(cid, "classify", {}, expect=None), 400, "validation",
                           field="fields.track")
        r = self.intake.act(cid, "classify", {"track": "official", "note": "涉及公职人员"})
        self.assertEqual(r.data["state"], "classified")
        self.assertEqual(H.parse_time(r.data["due_at"]), due)   # the same 5 days, from receipt
        self.wrong_state(self.intake, cid, "classify", {"track": "official"})
        self.forbidden(self.sup, cid, "assign_discipline")

        # never to the accused unit, or any unit under it
        r = self.intake.act(cid, "assign_police", expect=None)
        self.assertProblem(r, 422, "unprocessable")
        r = self.intake.act(cid, "assign", {"org_id": police}, expect=None)
        self.assertProblem(r, 422, "unprocessable", field="fields.org_id")
        self.assertEqual(self.intake.case(cid)["state"], "classified")
        r = self.intake.act(cid, "assign_discipline")
        c = r.data
        self.assertEqual(c["state"], "verifying")
        self.assertEqual(c["owner_org"]["id"], self.org["district-discipline"])
        entered = H.parse_time(c["state_entered_at"])
        due30 = H.parse_time(c["due_at"])
        self.assertTrue(30 * DAY <= due30 - entered <= 34 * DAY, c["due_at"])
        self.assertEqual(c["limit"]["amount"], 30)

        dc = self.discipline.case(cid)
        self.assertEqual({a["name"] for a in dc["actions"]}, {"extend", "conclude", "transfer", "hand_over_joint"})
        self.forbidden(self.discipline, cid, "feedback", {"text": "x"})
        self.forbidden(self.sup, cid, "conclude", {"outcome": "substantiated", "findings": "x"})
        # a transfer may not name the accused unit either
        r = self.discipline.act(cid, "transfer", {"to_org_id": police, "reason": "移送"}, expect=None)
        self.assertProblem(r, 422, "unprocessable", field="fields.to_org_id")
        # extension: once, adds its days to the due
        r = self.discipline.act(cid, "extend", {"days": 10, "reason": "需调取银行流水"})
        # ten days added to the due (moved on past a rest day, as every day limit)
        self.assertTrue(10 * DAY <= H.parse_time(r.data["due_at"]) - due30 <= 13 * DAY, r.data["due_at"])
        r = self.discipline.act(cid, "extend", {"days": 5, "reason": "再延"}, expect=None)
        self.assertProblem(r, 409, "once-only")
        self.assertProblem(self.discipline.act(cid, "conclude", {"outcome": "proven", "findings": "x"},
                                               expect=None), 400, "validation", field="fields.outcome")
        r = self.discipline.act(cid, "conclude", {"outcome": "partly_substantiated",
                                                  "findings": "经核查，部分问题属实，已立案审查。"})
        self.assertEqual(r.data["state"], "concluded")
        self.assertEqual(r.data["owner_org"]["id"], self.org["district-xfj"])
        self.assertEqual(r.data["limit"]["amount"], 15)
        # the informant does not see the internal steps
        v = self.assertStatus(H.track(SRV, d["number"], code), 200)
        self.assertNotIn("部分问题属实", str(v))
        self.wrong_state(self.intake, cid, "archive")
        r = self.intake.act(cid, "feedback", {"text": "您举报的问题经核查部分属实，已依纪依法处理。"})
        self.assertEqual(r.data["state"], "fed_back")
        v = self.assertStatus(H.track(SRV, d["number"], code), 200)
        self.assertEqual(v["state"], "fed_back")
        self.assertTrue(any("部分属实，已依纪依法处理" in (n.get("text") or "") for n in v["notices"]), v["notices"])
        # the informant may rate
        r = SRV.public().post("/api/public/cases/%s/rating" % d["number"],
                              {"code": code, "level": "satisfied"})
        self.assertIn(r.status, (200, 201), r.data)
        # archived by itself 30 days later
        SRV.advance_past(self.intake.case(cid)["due_at"], margin=60)
        SRV.tick()
        self.assertEqual(self.intake.case(cid)["state"], "archived")

    def test_02_staff_registration_police_and_transfer(self):
        r = self.intake.post("/api/v1/cases", tip_body("organized_crime", channel="phone",
                                                      contact={"name": "王五", "phone": "13600001234"}))
        cid = self.assertStatus(r, 201)["id"]
        self.intake.act(cid, "classify", {"track": "criminal"})
        r = self.intake.act(cid, "assign_police")
        self.assertEqual(r.data["owner_org"]["id"], self.org["district-police"])
        self.forbidden(self.police, cid, "archive")
        r = self.police.act(cid, "transfer", {"to_org_id": self.org["district-procuratorate"],
                                              "reason": "涉嫌犯罪，已立案侦查，移送检察机关提前介入"})
        self.assertEqual(r.data["state"], "transferred")
        r = self.intake.act(cid, "feedback", {"text": "您举报的线索已移送有关机关依法处理。"})
        self.assertEqual(r.data["state"], "fed_back")
        r = self.intake.act(cid, "archive")
        self.assertEqual(r.data["state"], "archived")
        self.assertFalse(r.data["is_open"])
        # a unit field that does not exist
        r = self.intake.post("/api/v1/cases", tip_body("other_crime", channel="visit"))
        cid = self.assertStatus(r, 201)["id"]
        self.intake.act(cid, "classify", {"track": "other"})
        self.assertProblem(self.intake.act(cid, "assign", {"org_id": 999999}, expect=None), 400,
                           "validation", field="fields.org_id")

    def test_03_accused_unit_never_sees_it(self):
        police = self.org["district-police"]
        cid, d = self.submit(accused=police, contact=dict(INFORMANT))
        c = self.intake.case(cid)
        party = c["parties"][0]["id"]
        # a supervision order and a comment so those lists are not empty
        self.assertStatus(self.intake.post("/api/v1/cases/%d/comments" % cid, {"text": "内部备注"}), 201)
        for method, path in case_routes():
            url = path.replace("{id}", str(cid)).replace("{party}", str(party)) \
                .replace("{action}", "classify").replace("{sha}", "0" * 64)
            body = {} if method != "GET" else None
            r = self.police.request(method, url, body) if body is not None else self.police.get(url)
            self.assertProblem(r, 404, "not-found", msg="%s %s as the accused unit -> %d %r" % (
                method, url, r.status, r.data))
            self.assertNotIn(INFORMANT["name"].encode(), r.raw)
        self.assertNotIn(cid, self.police.inbox_ids(open="any"))
        self.assertNotIn(cid, self.police.inbox_ids(type="tip"))
        board = self.assertStatus(self.police.get("/api/v1/supervision"), 200)
        self.assertNotIn(d["number"], str(board))

    def test_04_sealed_identity(self):
        cid, d = self.submit(accused=self.org["district-housing"], contact=dict(INFORMANT))
        c = self.intake.case(cid)
        self.assertEqual(len(c["parties"]), 1)
        p = c["parties"][0]
        # not even masked
        self.assertEqual(p["role"], "informant")
        self.assertTrue(p["sealed"])
        for k in ("name", "phone", "id_number", "address", "email"):
            self.assertIsNone(p.get(k), p)
        r = self.intake.get("/api/v1/cases/%d" % cid)
        for secret in ("7777", "司马", "滨江路88号", "secret.informant"):
            self.assertNotIn(secret.encode(), r.raw)
        self.intake.act(cid, "classify", {"track": "official"})
        self.intake.act(cid, "assign_discipline")
        dc = self.discipline.case(cid)
        self.assertTrue(dc["parties"][0]["sealed"])
        self.assertNotIn(b"7777", self.discipline.get("/api/v1/cases/%d" % cid).raw)
        refused_before = len(self.audit_items("party.reveal_refused"))
        reveals_before = len(self.audit_items("party.reveal"))
        # the handling unit may not reveal it, nor a supervisor
        url = "/api/v1/cases/%d/parties/%d/reveal" % (cid, p["id"])
        self.assertProblem(self.discipline.post(url), 403, "forbidden")
        self.assertProblem(self.sup.post(url), 403, "forbidden")
        refused = self.audit_items("party.reveal_refused")
        self.assertEqual(len(refused), refused_before + 2)
        self.assertIn("discipline", refused[-2]["actor"])
        # the registering unit's intake may, once it owns it again
        self.discipline.act(cid, "conclude", {"outcome": "unsubstantiated", "findings": "查无实据"})
        clear = self.assertStatus(self.intake.post(url), 200)
        self.assertEqual(clear["name"], INFORMANT["name"])
        self.assertEqual(clear["phone"], INFORMANT["phone"])
        self.assertEqual(clear["id_number"], INFORMANT["id_number"])
        reveals = self.audit_items("party.reveal")
        self.assertEqual(len(reveals), reveals_before + 1)
        self.assertIn("intake", reveals[-1]["actor"])
        self.assertEqual(reveals[-1]["object"], "case:%d" % cid)
        # a second reveal is audited again
        self.assertStatus(self.intake.post(url), 200)
        self.assertEqual(len(self.audit_items("party.reveal")), reveals_before + 2)
        # the feedback notice and its document name no one
        r = self.intake.act(cid, "feedback", {"text": "经核查，您反映的问题查无实据。"})
        v = self.assertStatus(H.track(SRV, d["number"], d["query_code"]), 200)
        self.assertNotIn(INFORMANT["name"], str(v))
        docs = self.assertStatus(self.intake.get("/api/v1/cases/%d/documents" % cid), 200)
        self.assertNotIn(INFORMANT["name"], str(docs))

    def test_05_not_in_the_database_in_clear(self):
        cid, d = self.submit(contact=dict(INFORMANT), category="organized_crime")
        self.intake.act(cid, "classify", {"track": "criminal"})
        db = os.path.join(SRV.data, "pingan.db")
        blobs = b""
        if H.on_postgres():  # the whole database as pg_dump writes it
            blobs = subprocess.run([os.path.join(os.path.dirname(H._psql()), "pg_dump"), "-d", SRV.db_url],
                                   stdout=subprocess.PIPE, check=True, timeout=120).stdout
        for path in (db, db + "-wal"):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    blobs += f.read()
        self.assertGreater(len(blobs), 0)
        self.assertIn(d["number"].encode(), blobs)   # the file is the right one
        for secret in (INFORMANT["name"], INFORMANT["phone"], INFORMANT["id_number"],
                       INFORMANT["address"], INFORMANT["email"]):
            self.assertFalse(secret.encode() in blobs, "%r is in the database in clear" % secret)

    def test_06_registering_unit_accused(self):
        # a tip accusing the petition office itself goes to the discipline commission,
        # and the petition office sees nothing of it
        cid_number = self.assertStatus(SRV.public().post(
            "/api/public/cases", tip_body(accused=self.org["district-xfj"], contact=dict(INFORMANT))), 201)
        number = cid_number["number"]
        self.assertIsNone(H.find_case_id(self.intake, number))
        cid = H.find_case_id(self.discipline, number)
        self.assertIsNotNone(cid)
        c = self.discipline.case(cid)
        self.assertEqual(c["owner_org"]["id"], self.org["district-discipline"])
        self.assertTrue(c["parties"][0]["sealed"])

    def test_08_hand_over_into_a_joint_case(self):
        # an organized-crime lead, verified by the police, becomes a joint case led by the committee
        r = self.intake.post("/api/v1/cases", tip_body("organized_crime", channel="phone",
                                                      contact=dict(INFORMANT)))
        cid = self.assertStatus(r, 201)["id"]
        self.intake.act(cid, "classify", {"track": "criminal"})
        self.intake.act(cid, "assign_police")
        plc = self.org["district-plc"]
        fields = {"committee_id": plc, "joint_category": "organized_crime",
                  "reason": "涉及多个部门，需政法委牵头协同办理"}
        self.forbidden(self.sup, cid, "hand_over_joint", fields)
        self.assertProblem(self.police.act(cid, "hand_over_joint", dict(fields, joint_category="x"),
                                           expect=None), 400, "validation", field="fields.joint_category")
        r = self.police.act(cid, "hand_over_joint", fields)
        self.assertEqual(r.data["state"], "transferred")
        # the tip went back to the registering unit (to tell the informant)
        self.assertEqual(r.data["owner_org"]["id"], self.org["district-xfj"])
        step = [e for e in self.intake.get("/api/v1/cases/%d/events?limit=500" % cid).data["items"]
                if e.get("action") == "hand_over_joint"]
        self.assertEqual(len(step), 1)
        number = step[0]["data"]["handover_case"]
        self.assertRegex(number, r"^XT-\d{4}-\d{6}$")
        jid = step[0]["data"]["handover_case_id"]
        # the committee owns the joint case; the police (not a participant yet) do not see it
        jc = self.plc.case(jid)
        self.assertEqual(jc["type"], "joint_case")
        self.assertEqual(jc["category"], "organized_crime")
        self.assertEqual(jc["owner_org"]["id"], plc)
        self.assertEqual(jc["channel"], "handover")
        self.assertProblem(self.police.get("/api/v1/cases/%d" % jid), 404)
        # the informant's identity does not travel with it
        text = json.dumps(jc, ensure_ascii=False)
        for v in INFORMANT.values():
            self.assertNotIn(v, text)
        self.assertEqual(jc.get("parties") or [], [])
        # the link is shown only to those who may see both cases: the committee,
        # which may not see the tip, does not learn of it through the joint case
        self.assertEqual([l for l in self.plc.case(jid)["links"] if l["kind"] == "handover"], [])
        # a tip that accuses the committee cannot be handed to it
        r = SRV.public().post("/api/public/cases", tip_body("organized_crime", accused=plc))
        number2 = self.assertStatus(r, 201)["number"]
        cid2 = H.find_case_id(self.intake, number2)
        self.intake.act(cid2, "classify", {"track": "criminal"})
        self.intake.act(cid2, "assign_police")
        self.assertProblem(self.police.act(cid2, "hand_over_joint", fields, expect=None), 422)

    def test_07_public_rules(self):
        pub = SRV.public()
        self.assertProblem(pub.post("/api/public/cases", tip_body(category="nope")), 400, "validation",
                           field="category")
        self.assertProblem(pub.post("/api/public/cases", tip_body(location={"address": "x"})), 400,
                           "validation", field="location")
        d = self.assertStatus(pub.get("/api/public/workflows/tip"), 200)
        self.assertTrue(d["submit"])
        self.assertTrue(d["anonymous"])
        # types the public may not submit are refused
        r = self.intake.get("/api/v1/workflows")
        types = [w["type"] for w in self.assertStatus(r, 200)["items"]]
        self.assertIn("tip", types)
        for t in types:
            w = self.assertStatus(self.intake.get("/api/v1/workflows/%s" % t), 200)
            if not w["register"]["public"]:
                cat = w["categories"][0]["code"] if w["categories"] else "x"
                r = pub.post("/api/public/cases", {"type": t, "category": cat, "title": "t", "body": "b"})
                self.assertProblem(r, 400, "validation", field="type")


if __name__ == "__main__":
    H.run_module()

#!/usr/bin/env python3
"""
test_access.py — who may see and do what: unit isolation (404, never 403,
for another unit's case), roles (403) before states (409), accusations
sealed from the accused unit, supervisors' district-wide view, admin-only
user and org administration, the auditor's audit log, CSRF, API tokens,
logout, login lockout, revealing personal data (audited) and masking.

Run: python3 tests/api/test_access.py   (PINGAN_BIN = the binary)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


class Access(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")
        cls.xfj = SRV.client("xfj")
        cls.housing = SRV.client("housing")
        cls.hrss = SRV.client("hrss")
        cls.admin = SRV.client("admin")
        cls.auditor = SRV.client("auditor")
        cls.supervisor = SRV.client("supervisor")
        orgs = cls.intake.get("/api/v1/orgs").data["items"]
        cls.org = {o["code"]: o["id"] for o in orgs}

    def new_case(self, **kw):
        d = H.submit_petition(SRV, **kw)
        cid = H.find_case_id(self.intake, d["number"])
        self.assertIsNotNone(cid)
        return cid, d["number"], d["query_code"]

    # ---- unit isolation ------------------------------------------------------

    def test_another_units_case_is_not_found(self):
        cid, _, _ = self.new_case()  # owned by the petition office
        for path, method, body in [
            ("/api/v1/cases/%d" % cid, "GET", None),
            ("/api/v1/cases/%d/events" % cid, "GET", None),
            ("/api/v1/cases/%d/actions/accept" % cid, "POST", {}),
            ("/api/v1/cases/%d/actions/no-such-action" % cid, "POST", {}),
            ("/api/v1/cases/%d/comments" % cid, "POST", {"text": "看看"}),
            ("/api/v1/cases/%d/parties/1/reveal" % cid, "POST", None),
            ("/api/v1/cases/%d/attachments/%s" % (cid, "a" * 64), "GET", None),
        ]:
            r = self.housing.request(method, path, body)
            self.assertProblem(r, 404, "not-found", msg="%s %s -> %d %r" % (method, path, r.status, r.data))
        self.assertNotIn(cid, self.housing.inbox_ids(open="any"))
        # the answer for a case that does not exist is the same
        r1 = self.housing.get("/api/v1/cases/%d" % cid)
        r2 = self.housing.get("/api/v1/cases/987654")
        self.assertEqual(r1.status, r2.status)
        self.assertEqual(r1.data["type"], r2.data["type"])
        # odd spellings of an id are not ids
        for bad in ("0", "01", "-1", "abc", "1e3", "99999999999999999999"):
            self.assertProblem(self.intake.get("/api/v1/cases/" + bad), 404, "not-found")
        # nothing changed
        self.assertEqual(self.intake.case(cid)["state"], "registered")
        ev = self.intake.get("/api/v1/cases/%d/events" % cid).data["items"]
        self.assertNotIn("comment", [e["kind"] for e in ev])

    def test_role_before_state(self):
        cid, _, _ = self.new_case()
        # intake has no handler role: extend/reply are 403 whatever the state
        self.assertProblem(self.intake.act(cid, "reply", {}, expect=None), 403, "forbidden")
        self.assertProblem(self.intake.act(cid, "extend", {"days": 3, "reason": "x"}, expect=None), 403,
                           "forbidden")
        # xfj is a handler in the owning unit, but the case is not being handled: 409
        self.assertProblem(self.xfj.act(cid, "extend", {"days": 3, "reason": "x"}, expect=None), 409,
                           "invalid-state")
        self.assertProblem(self.xfj.act(cid, "reply", {"decision": "support", "facts": "f", "basis": "b",
                                                       "opinion": "o"}, expect=None), 409, "invalid-state")
        # a handler cannot forward (intake only), even in the right state
        self.assertProblem(self.xfj.act(cid, "forward", {"org_id": self.org["district-housing"]}, expect=None),
                           403, "forbidden")
        # only the system closes; only the public asks for review
        self.assertProblem(self.supervisor.act(cid, "close", expect=None), 403, "forbidden")
        self.assertProblem(self.intake.act(cid, "request_review", {"reason": "x"}, expect=None), 403, "forbidden")
        # an action the workflow does not have
        self.assertProblem(self.intake.act(cid, "teleport", expect=None), 404, "not-found", "action")
        self.assertEqual(self.intake.case(cid)["state"], "registered")
        # a stale version is a conflict
        c = self.intake.case(cid)
        r = self.intake.post("/api/v1/cases/%d/actions/accept" % cid, {"version": c["version"] + 5})
        self.assertProblem(r, 409, "conflict", "version")
        r = self.intake.post("/api/v1/cases/%d/actions/accept" % cid, {"version": c["version"]})
        self.assertStatus(r, 200)

    # ---- accusations -----------------------------------------------------------

    def test_accusation_sealed_from_the_accused_unit(self):
        housing_id = self.org["district-housing"]
        d = H.submit_petition(SRV, category="accusation", title="举报住建局某科长收受好处费",
                              body="某科长在审批中索要好处费。", contact=False, accused_org_id=housing_id)
        cid = H.find_case_id(self.intake, d["number"])
        self.assertIsNotNone(cid, "the petition office does not see the accusation")
        c = self.intake.case(cid)
        self.assertEqual(c["accused_org"]["id"], housing_id)
        self.assertEqual(c["owner_org"]["id"], self.org["district-xfj"])
        self.assertNotIn(cid, self.housing.inbox_ids(open="any"))
        self.assertProblem(self.housing.get("/api/v1/cases/%d" % cid), 404, "not-found")
        self.assertProblem(self.housing.get("/api/v1/cases/%d/events" % cid), 404, "not-found")
        # it may never be forwarded or assigned to the accused unit
        for action in ("forward", "assign"):
            r = self.intake.act(cid, action, {"org_id": housing_id}, expect=None)
            self.assertProblem(r, 422, "unprocessable", "fields.org_id")
        self.assertEqual(self.intake.case(cid)["state"], "registered")
        self.assertEqual(self.intake.case(cid)["owner_org"]["id"], self.org["district-xfj"])
        self.assertNotIn(cid, self.housing.inbox_ids(open="any"))
        self.assertProblem(self.housing.get("/api/v1/cases/%d" % cid), 404)
        # to the discipline commission it may go; the accused still sees nothing
        self.intake.act(cid, "forward", {"org_id": self.org["district-discipline"]})
        disc = SRV.client("discipline")
        self.assertIn(cid, disc.inbox_ids())
        self.assertNotIn(cid, self.housing.inbox_ids(open="any"))
        # review goes to the superior (district-gov): never to the accused either
        self.assertProblem(self.housing.get("/api/v1/cases/%d" % cid), 404)

    def test_accusation_against_the_intake_unit_goes_to_discipline(self):
        xfj_id = self.org["district-xfj"]
        d = H.submit_petition(SRV, category="accusation", title="举报信访局工作人员推诿", contact=False,
                              accused_org_id=xfj_id)
        sup = self.supervisor
        # the petition office's own staff do not see it…
        self.assertIsNone(H.find_case_id(self.intake, d["number"]))
        self.assertIsNone(H.find_case_id(sup, d["number"]))
        # …the discipline commission does
        disc = SRV.client("discipline")
        cid = H.find_case_id(disc, d["number"])
        self.assertIsNotNone(cid)
        self.assertEqual(disc.case(cid)["owner_org"]["id"], self.org["district-discipline"])

    def test_accusation_review_never_goes_to_the_accused(self):
        # An accusation against the district government, handled by the
        # housing bureau.  The petitioner asks for review (第35条): the
        # housing bureau's superior is the accused government, so the review
        # must go to some other unit — not fail, and never to the accused.
        gov_id = self.org["district-gov"]
        d = H.submit_petition(SRV, category="accusation", title="举报区政府违规审批", contact=False,
                              accused_org_id=gov_id)
        cid = H.find_case_id(self.intake, d["number"])
        self.assertIsNotNone(cid)
        self.intake.act(cid, "forward", {"org_id": self.org["district-housing"]})
        self.housing.act(cid, "accept")
        self.housing.act(cid, "reply", {"decision": "reject", "facts": "经查不实", "basis": "有关规定", "opinion": "不予支持"})
        gov = SRV.client("gov")
        self.assertNotIn(cid, gov.inbox_ids(open="any"))
        v = H.track(SRV, d["number"], d["query_code"]).data
        self.assertTrue(v["review"]["available"], v["review"])
        r = SRV.public().post("/api/public/cases/%s/review" % d["number"], {"code": d["query_code"], "reason": "不服"})
        self.assertEqual(r.status, 200,
                         "the public page offers a review, but asking for it fails: %d %r" % (r.status, r.data))
        self.assertEqual(r.data["state"], "reviewing")
        owner = self.supervisor.case(cid)["owner_org"]["id"]
        self.assertNotEqual(owner, gov_id)
        self.assertNotIn(cid, gov.inbox_ids(open="any"))
        self.assertProblem(gov.get("/api/v1/cases/%d" % cid), 404)
        self.assertProblem(SRV.client("leader").get("/api/v1/cases/%d" % cid), 404)

    def test_accusation_against_the_petition_office_can_be_reviewed(self):
        # Same, when the accused is the petition office: the discipline
        # commission handles it; its review must not fall back to the
        # (accused) petition office — nor fail.
        d = H.submit_petition(SRV, category="accusation", title="举报信访局压件不办", contact=False,
                              accused_org_id=self.org["district-xfj"])
        disc = SRV.client("discipline")
        cid = H.find_case_id(disc, d["number"])
        disc.act(cid, "accept")
        disc.act(cid, "reply", {"decision": "support", "facts": "属实", "basis": "有关规定", "opinion": "已责令整改"})
        r = SRV.public().post("/api/public/cases/%s/review" % d["number"], {"code": d["query_code"], "reason": "整改不到位"})
        self.assertEqual(r.status, 200, "review of an accusation against the petition office: %d %r" % (r.status, r.data))
        self.assertEqual(r.data["state"], "reviewing")
        self.assertIsNone(H.find_case_id(self.intake, d["number"]))
        self.assertIsNone(H.find_case_id(self.xfj, d["number"]))

    def test_accusation_against_the_government_handled_by_the_petition_office(self):
        # The petition office accepts and answers an accusation against the
        # district government itself.  Its superior is the accused
        # government, the intake unit is the owner, the nearest government is
        # the accused: the review still has to go somewhere that is not the
        # accused — and if the server offers the review on the public page,
        # asking for it must work.
        gov_id = self.org["district-gov"]
        d = H.submit_petition(SRV, category="accusation", title="举报区政府拖延履职", contact=False,
                              accused_org_id=gov_id)
        cid = H.find_case_id(self.intake, d["number"])
        self.intake.act(cid, "accept")
        self.xfj.act(cid, "reply", {"decision": "explain", "facts": "经查", "basis": "有关规定", "opinion": "已转纪委监委"})
        v = H.track(SRV, d["number"], d["query_code"]).data
        r = SRV.public().post("/api/public/cases/%s/review" % d["number"], {"code": d["query_code"], "reason": "不服"})
        if v["review"]["available"]:
            self.assertEqual(r.status, 200, "the public page offers a review (window until %s), but asking for it "
                             "fails: %d %r" % (v["review"]["window_end"], r.status, r.data))
            owner = self.supervisor.case(cid)["owner_org"]["id"]
            self.assertNotEqual(owner, gov_id)
            self.assertProblem(SRV.client("gov").get("/api/v1/cases/%d" % cid), 404)
        else:
            self.assertProblem(r, 409)

    def test_accused_org_only_on_accusations(self):
        body = H.petition_body(category="grievance", accused_org_id=self.org["district-housing"])
        self.assertProblem(SRV.public().post("/api/public/cases", body), 400, "validation", "accused_org_id")
        body = H.petition_body(category="accusation", accused_org_id=self.org["district"])
        self.assertProblem(SRV.public().post("/api/public/cases", body), 400, "validation", "accused_org_id")
        body = H.petition_body(category="accusation", accused_org_id="district-housing")
        self.assertProblem(SRV.public().post("/api/public/cases", body), 400, "validation", "accused_org_id")

    # ---- oversight ---------------------------------------------------------------

    def test_supervisor_sees_the_whole_district(self):
        a, _, _ = self.new_case()
        b, _, _ = self.new_case()
        self.intake.act(b, "forward", {"org_id": self.org["district-housing"]})
        c, _, _ = self.new_case()
        self.intake.act(c, "route_legal", {"reason": "涉诉"})
        ids = self.supervisor.inbox_ids()
        for x in (a, b, c):
            self.assertIn(x, ids)
            self.assertEqual(self.supervisor.case(x)["id"], x)
        # the housing handler sees only its own
        self.assertEqual(self.housing.inbox_ids() & {a, b, c}, {b})
        # the leader (district government) oversees the district too
        self.assertTrue({a, b, c} <= SRV.client("leader").inbox_ids())
        # filter by owner
        self.assertEqual(self.supervisor.inbox_ids(owner_org=self.org["district-housing"]) & {a, b, c}, {b})

    def all_pages(self, client, **params):
        """Every item of the case list, page by page; (items, pages)."""
        items, pages, cursor = [], 0, None
        while True:
            q = dict(params)
            if cursor:
                q["cursor"] = cursor
            r = self.assertStatus(client.get("/api/v1/cases", params=q), 200)
            items += r["items"]
            pages += 1
            cursor = r["next_cursor"]
            if not cursor:
                return items, pages
            self.assertLess(pages, 1000)

    def test_district_list_of_open_and_closed_cases_pages_in_deadline_order(self):
        # open=any over every unit is read as its closed and its open cases
        # merged (store: two ranges of the deadline indexes); the pages
        # are the same rows in the same order as the open and the closed
        # lists, each whole, and a small page size changes nothing
        a, _, _ = self.new_case()
        b, _, _ = self.new_case()
        self.intake.act(b, "forward", {"org_id": self.org["district-housing"]})
        for who in (self.supervisor, SRV.client("leader")):
            big, _ = self.all_pages(who, open="any", limit=100)
            small, pages = self.all_pages(who, open="any", limit=3)
            ids = [c["id"] for c in big]
            self.assertEqual([c["id"] for c in small], ids)
            self.assertEqual(len(set(ids)), len(ids))
            self.assertGreater(pages, 1)
            self.assertTrue({a, b} <= set(ids))
            opened, _ = self.all_pages(who, open="true", limit=100)
            closed, _ = self.all_pages(who, open="false", limit=100)
            self.assertEqual(sorted(ids), sorted(c["id"] for c in opened + closed))
            # each kind keeps its own (due_at, id) order inside the merged list
            self.assertEqual([c["id"] for c in big if c["is_open"]], [c["id"] for c in opened])
            self.assertEqual([c["id"] for c in big if not c["is_open"]], [c["id"] for c in closed])
            # with due_before: the open cases due before it, in the same order
            due = self.supervisor.case(a)["due_at"]
            before, _ = self.all_pages(who, open="any", limit=2, due_before=due)
            self.assertNotIn(a, [c["id"] for c in before])
            self.assertEqual([c["id"] for c in before],
                             [c["id"] for c in big if c["id"] in {x["id"] for x in before}])

    # ---- administration ----------------------------------------------------------

    def test_admin_creates_org_and_user(self):
        r = self.admin.post("/api/v1/orgs", {"code": "district-edu", "name": "平安区教育局",
                                             "name_en": "District Education Bureau", "kind": "department",
                                             "parent_id": self.org["district"],
                                             "superior_id": self.org["district-gov"]})
        org = self.assertStatus(r, 201)
        self.assertEqual(org["code"], "district-edu")
        self.assertTrue(org["is_unit"])
        codes = [o["code"] for o in self.admin.get("/api/v1/orgs").data["items"]]
        self.assertIn("district-edu", codes)
        self.assertProblem(self.admin.post("/api/v1/orgs", {"code": "district-edu", "name": "重复", "kind": "department",
                                                            "parent_id": self.org["district"]}), 409, "conflict", "code")
        r = self.admin.post("/api/v1/users", {"username": "edu1", "display_name": "教育一",
                                              "password": "Edu-Pass-2026!", "roles": [
                                                  {"org_id": org["id"], "role": "handler"}]})
        u = self.assertStatus(r, 201)
        self.assertEqual(u["username"], "edu1")
        self.assertEqual(u["roles"], [{"org_id": org["id"], "role": "handler"}])
        self.assertNotIn("password", u)
        self.assertNotIn(b"Edu-Pass-2026", r.raw)
        self.assertProblem(self.admin.post("/api/v1/users", {"username": "edu1", "password": "Edu-Pass-2026!"}),
                           409, "conflict", "username")
        self.assertProblem(self.admin.post("/api/v1/users", {"username": "edu2", "password": "Edu-Pass-2026!",
                                                             "roles": [{"org_id": org["id"], "role": "king"}]}),
                           400, "validation", "roles[0]")
        # the new user can log in, and a case forwarded to the new unit reaches them
        edu = H.Client(SRV)
        edu.login("edu1", "Edu-Pass-2026!")
        cid, _, _ = self.new_case()
        self.intake.act(cid, "forward", {"org_id": org["id"]})
        self.assertIn(cid, edu.inbox_ids())
        # others may not administer
        for who in (self.intake, self.supervisor, self.auditor):
            self.assertProblem(who.post("/api/v1/users", {"username": "x" + who.username, "password": "Edu-Pass-2026!"}),
                               403, "forbidden")
            self.assertProblem(who.post("/api/v1/orgs", {"code": "x-" + who.username, "name": "x", "kind": "department",
                                                         "parent_id": self.org["district"]}), 403, "forbidden")
            self.assertProblem(who.get("/api/v1/users"), 403, "forbidden")
        self.assertStatus(self.admin.get("/api/v1/users"), 200)

    def test_disabled_user_is_locked_out_at_once(self):
        r = self.admin.post("/api/v1/users", {"username": "temp1", "password": "Temp-Pass-2026!", "roles": [
            {"org_id": self.org["district-xfj"], "role": "intake"}]})
        uid = self.assertStatus(r, 201)["id"]
        c = H.Client(SRV)
        c.relogin = False
        c.login("temp1", "Temp-Pass-2026!")
        tok = self.assertStatus(c.post("/api/v1/tokens", {"name": "t"}), 201)["token"]
        t = H.Client(SRV)
        t.bearer, t.relogin = tok, False
        self.assertStatus(c.get("/api/v1/cases"), 200)
        self.assertStatus(t.get("/api/v1/cases"), 200)
        self.assertProblem(self.admin.patch("/api/v1/users/%d" % self.admin.user["id"], {"disabled": True}), 422)
        self.assertProblem(self.intake.patch("/api/v1/users/%d" % uid, {"disabled": True}), 403, "forbidden")
        r = self.admin.patch("/api/v1/users/%d" % uid, {"disabled": True})
        self.assertIs(self.assertStatus(r, 200)["disabled"], True)
        self.assertProblem(c.get("/api/v1/cases"), 401, "unauthenticated")
        self.assertProblem(t.get("/api/v1/cases"), 401, "unauthenticated")
        self.assertProblem(c.login("temp1", "Temp-Pass-2026!", expect=None), 401, "unauthenticated")
        self.assertStatus(self.admin.patch("/api/v1/users/%d" % uid, {"disabled": False}), 200)
        c.login("temp1", "Temp-Pass-2026!")
        self.assertStatus(c.get("/api/v1/cases"), 200)

    # ---- the audit log -------------------------------------------------------------

    def test_auditor_reads_and_verifies_the_audit_log(self):
        r = self.auditor.get("/api/v1/audit", {"limit": 500})
        log = self.assertStatus(r, 200)
        self.assertTrue(log["items"])
        seqs = [x["seq"] for x in log["items"]]
        self.assertEqual(seqs, sorted(seqs))
        for x in log["items"][1:]:
            self.assertTrue(x["hash"] and x["prev_hash"])
        r = self.auditor.get("/api/v1/audit/verify")
        v = self.assertStatus(r, 200)
        self.assertIs(v["intact"], True, v)
        self.assertGreaterEqual(v["records"], len(log["items"]))
        for who in (self.intake, self.admin, self.supervisor, self.housing):
            self.assertProblem(who.get("/api/v1/audit"), 403, "forbidden")
            self.assertProblem(who.get("/api/v1/audit/verify"), 403, "forbidden")
        self.assertProblem(SRV.public().get("/api/v1/audit"), 401, "unauthenticated")

    def audit_items(self, action=None):
        items, after = [], 0
        while True:
            r = self.auditor.get("/api/v1/audit", {"after": after, "limit": 500})
            page = self.assertStatus(r, 200)
            items += page["items"]
            if page["next_after"] is None:
                break
            after = page["next_after"]
        return [x for x in items if action is None or x["action"] == action]

    # ---- personal data -----------------------------------------------------------------

    def test_reveal_is_audited_and_lists_mask(self):
        d = H.submit_petition(SRV, contact={"name": "欧阳小娜", "phone": "13812345678",
                                            "id_number": "11010519491231002X", "address": "平安区东门社区幸福小区3栋"})
        cid = H.find_case_id(self.intake, d["number"])
        c = self.intake.case(cid)
        self.assertEqual(len(c["parties"]), 1)
        p = c["parties"][0]
        self.assertEqual(p["role"], "petitioner")
        self.assertEqual(p["phone"], "138****5678")
        self.assertNotEqual(p["name"], "欧阳小娜")
        self.assertTrue(p["id_number"].startswith("110105") and p["id_number"].endswith("002X"), p)
        self.assertIn("*", p["id_number"])
        self.assertNotIn("幸福小区", p["address"])
        # the list carries no personal data in clear
        r = self.intake.get("/api/v1/cases", {"limit": 500})
        self.assertStatus(r, 200)
        self.assertNotIn(b"13812345678", r.raw)
        self.assertNotIn("欧阳小娜".encode(), r.raw)
        r = self.intake.get("/api/v1/cases/%d" % cid)
        self.assertNotIn(b"13812345678", r.raw)
        self.assertNotIn(b"11010519491231002X", r.raw)
        before = len(self.audit_items("party.reveal"))
        # reveal: the clear values, and an audit record
        r = self.intake.post("/api/v1/cases/%d/parties/%d/reveal" % (cid, p["id"]))
        clear = self.assertStatus(r, 200)
        self.assertEqual(clear["phone"], "13812345678")
        self.assertEqual(clear["name"], "欧阳小娜")
        self.assertEqual(clear["id_number"], "11010519491231002X")
        self.assertEqual(clear["address"], "平安区东门社区幸福小区3栋")
        reveals = self.audit_items("party.reveal")
        self.assertEqual(len(reveals), before + 1)
        rec = reveals[-1]
        self.assertEqual(rec["object"], "case:%d" % cid)
        self.assertIn("intake", rec["actor"])
        self.assertEqual(rec["detail"], {"parties": [p["id"]]})
        # viewing a case is audited too
        views = [x for x in self.audit_items("case.view") if x["object"] == "case:%d" % cid]
        self.assertTrue(views)
        # another unit cannot reveal; an unknown party is 404
        self.assertProblem(self.housing.post("/api/v1/cases/%d/parties/%d/reveal" % (cid, p["id"])), 404)
        self.assertProblem(self.intake.post("/api/v1/cases/%d/parties/%d/reveal" % (cid, p["id"] + 1000)), 404)
        self.assertEqual(len(self.audit_items("party.reveal")), before + 1)
        self.assertIs(self.auditor.get("/api/v1/audit/verify").data["intact"], True)

    def test_personal_data_is_encrypted_at_rest(self):
        secrets = {"name": "司马清风", "phone": "13987654321", "id_number": "320102197511220035",
                   "address": "平安区西门社区秘密巷88号"}
        d = H.submit_petition(SRV, contact=secrets)
        self.assertIsNotNone(H.find_case_id(self.intake, d["number"]))
        needles = [v.encode() for v in secrets.values()] + [d["query_code"].encode()]
        found = []
        for root, _, files in os.walk(SRV.data):
            for f in files:
                path = os.path.join(root, f)
                if f.endswith(".keys") or "keys" in root:
                    continue
                with open(path, "rb") as fh:
                    blob = fh.read()
                found += ["%s in %s" % (n.decode(), os.path.relpath(path, SRV.data)) for n in needles if n in blob]
        self.assertEqual(found, [], "personal data or the query code stored in clear")

    # ---- sessions, CSRF, tokens ----------------------------------------------------------

    def test_csrf_required_on_session_writes(self):
        cid, _, _ = self.new_case()
        r = self.intake.post("/api/v1/cases/%d/comments" % cid, {"text": "无令牌"}, csrf=False)
        self.assertProblem(r, 403, "csrf")
        r = self.intake.post("/api/v1/cases/%d/comments" % cid, {"text": "错令牌"},
                             headers={"X-CSRF-Token": "0" * 64})
        self.assertProblem(r, 403, "csrf")
        r = self.intake.post("/api/v1/cases/%d/actions/accept" % cid, {}, csrf=False)
        self.assertProblem(r, 403, "csrf")
        self.assertEqual(self.intake.case(cid)["state"], "registered")
        ev = self.intake.get("/api/v1/cases/%d/events" % cid).data["items"]
        self.assertNotIn("comment", [e["kind"] for e in ev])
        # GET needs none; the session tells the token again
        r = self.intake.get("/api/v1/session")
        self.assertStatus(r, 200)
        self.assertEqual(r.data["csrf_token"], self.intake.csrf)
        self.assertEqual(r.data["user"]["username"], "intake")
        # no session at all
        self.assertProblem(SRV.public().get("/api/v1/cases"), 401, "unauthenticated")
        self.assertProblem(SRV.public().get("/api/v1/cases", headers={"Cookie": "pingan_session=" + "a" * 64}),
                           401, "unauthenticated")

    def test_api_token(self):
        cid, _, _ = self.new_case()
        c = SRV.client("intake", fresh=True)
        r = c.post("/api/v1/tokens", {"name": "对接系统", "ttl_days": 30})
        tok = self.assertStatus(r, 201)
        self.assertTrue(tok["token"].startswith("pa_"))
        t = H.Client(SRV)
        t.bearer = tok["token"]
        t.relogin = False
        self.assertEqual(self.assertStatus(t.get("/api/v1/session"), 200)["user"]["username"], "intake")
        # no CSRF with a bearer token
        self.assertStatus(t.post("/api/v1/cases/%d/comments" % cid, {"text": "经接口写入"}), 201)
        self.assertIn(cid, t.inbox_ids())
        lst = self.assertStatus(c.get("/api/v1/tokens"), 200)["items"]
        self.assertEqual([x["name"] for x in lst if x["id"] == tok["id"]], ["对接系统"])
        self.assertNotIn(tok["token"].encode(), c.get("/api/v1/tokens").raw)
        # another user cannot revoke it
        self.assertProblem(self.housing.delete("/api/v1/tokens/%d" % tok["id"]), 404)
        self.assertStatus(t.get("/api/v1/session"), 200)
        # revoke → 401
        r = c.delete("/api/v1/tokens/%d" % tok["id"])
        self.assertEqual(r.status, 204, r.data)
        self.assertProblem(t.get("/api/v1/cases"), 401, "unauthenticated")
        self.assertProblem(t.post("/api/v1/cases/%d/comments" % cid, {"text": "撤销后"}), 401, "unauthenticated")
        # a garbage token
        t.bearer = "pa_" + "0" * 64
        self.assertProblem(t.get("/api/v1/cases"), 401, "unauthenticated")
        t.bearer = "nonsense"
        self.assertProblem(t.get("/api/v1/cases"), 401, "unauthenticated")

    def test_logout_ends_the_session(self):
        c = SRV.client("xfj", fresh=True)
        c.relogin = False
        old_cookie, old_csrf = c.cookie, c.csrf
        self.assertStatus(c.get("/api/v1/cases"), 200)
        r = c.logout()
        self.assertEqual(r.status, 204, r.data)
        # the response clears the cookie; the old one no longer works either
        self.assertIsNone(c.cookie)
        c.cookie, c.csrf = old_cookie, old_csrf
        self.assertProblem(c.get("/api/v1/cases"), 401, "unauthenticated")
        self.assertProblem(c.get("/api/v1/session"), 401, "unauthenticated")
        # other sessions of the same user are unaffected
        self.assertStatus(self.xfj.get("/api/v1/cases"), 200)

    def test_lockout_after_five_wrong_passwords(self):
        r = self.admin.post("/api/v1/users", {"username": "lockme", "password": "Lock-Pass-2026!", "roles": [
            {"org_id": self.org["district-xfj"], "role": "handler"}]})
        self.assertStatus(r, 201)
        c = H.Client(SRV)
        for i in range(4):
            r = c.login("lockme", "wrong-password-%d" % i, expect=None)
            self.assertProblem(r, 401, "unauthenticated")
        r = c.login("lockme", "wrong-password-4", expect=None)
        self.assertProblem(r, 429, "account-locked")
        self.assertTrue(r.headers.get("retry-after", "").isdigit(), r.headers)
        self.assertGreater(int(r.headers["retry-after"]), 0)
        # now even the right password is refused, with the same problem
        r = c.login("lockme", "Lock-Pass-2026!", expect=None)
        self.assertProblem(r, 429, "account-locked")
        self.assertIn("retry-after", r.headers)
        self.assertIsNone(c.cookie)
        # wrong passwords for an unknown user look like any wrong password
        r = c.login("nobody-here", "whatever-1", expect=None)
        self.assertProblem(r, 401, "unauthenticated")
        # an admin lifts the lockout; the password is unchanged
        uid = [u["id"] for u in self.admin.get("/api/v1/users").data["items"] if u["username"] == "lockme"][0]
        self.assertProblem(self.admin.patch("/api/v1/users/%d" % uid, {"unlock": "yes"}), 400, "validation", "unlock")
        self.assertStatus(self.admin.patch("/api/v1/users/%d" % uid, {"unlock": True}), 200)
        r = c.login("lockme", "Lock-Pass-2026!", expect=None)
        self.assertEqual(r.status, 200, r.data)

    # ---- health ------------------------------------------------------------------------

    def test_healthz(self):
        r = SRV.public().get("/healthz")
        d = self.assertStatus(r, 200)
        self.assertEqual(d["status"], "ok")
        self.assertTrue(d["version"])
        self.assertEqual(r.headers.get("x-content-type-options"), "nosniff")
        self.assertEqual(r.headers.get("cache-control"), "no-store")


if __name__ == "__main__":
    H.run_module()

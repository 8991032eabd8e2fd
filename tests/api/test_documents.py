#!/usr/bin/env python3
"""
test_documents.py — written documents (文书) over HTTP, on a real server:
after accept, refuse, extend and reply the case has its document (generated
in the background); staff download it, the public downloads the ones
addressed to them with the query code; the sha256 on the timeline and in
the audit log is the file's; regenerating makes a new numbered version; the
batch print of a unit's day is one PDF of several pages; a changed stored
file makes `pingan audit verify` exit 1 naming the document.

Run: python3 tests/api/test_documents.py   (PINGAN_BIN = the binary)
Uses pdftotext and pdfinfo (poppler-utils) when installed.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}
REPLY = {"decision": "explain", "facts": "经调查，电梯已于本月维修完毕。",
         "basis": "《特种设备安全法》第三十九条", "opinion": "物业公司已完成维修，今后加强巡查。"}
HAVE_POPPLER = shutil.which("pdftotext") is not None and shutil.which("pdfinfo") is not None


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()  # asserts exit status 0 after SIGTERM


def pdf_text(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdftotext", "-enc", "UTF-8", f.name, "-"], stdout=subprocess.PIPE, check=True)
    return "".join(out.stdout.decode("utf-8").split())


def pdf_pages(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdfinfo", f.name], stdout=subprocess.PIPE, check=True).stdout.decode()
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def squeeze(s):
    return "".join(s.split())


class Documents(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")
        cls.xfj = SRV.client("xfj")
        cls.housing = SRV.client("housing")
        orgs = cls.intake.get("/api/v1/orgs").data["items"]
        cls.org = {o["code"]: o["id"] for o in orgs}

    # -- helpers --

    def new_case(self, **kw):
        d = H.submit_petition(SRV, **kw)
        cid = H.find_case_id(self.intake, d["number"])
        self.assertIsNotNone(cid)
        return cid, d["number"], d["query_code"]

    def documents(self, cid, who=None, want=1, timeout=30):
        """The case's documents once `want` of them are done."""
        who = who or self.intake
        deadline = time.time() + timeout
        while True:
            r = who.get("/api/v1/cases/%d/documents" % cid)
            self.assertEqual(r.status, 200, r.data)
            items = r.data["items"]
            if sum(1 for d in items if d["status"] == "done") >= want:
                return items
            if time.time() > deadline:
                self.fail("documents of case %d not issued within %d s: %r" % (cid, timeout, items))
            time.sleep(0.1)

    def check_issued(self, cid, number, code, doc, kind, words=()):
        self.assertEqual(doc["kind"], kind)
        self.assertEqual(doc["status"], "done")
        self.assertTrue(doc["public"])
        self.assertRegex(doc["sha256"], r"^[0-9a-f]{64}$")
        self.assertTrue(doc["number"])
        # staff download: the bytes hash to the recorded sha256
        r = self.intake.get(doc["pdf_path"])
        self.assertEqual(r.status, 200, r.data)
        self.assertEqual(r.headers.get("content-type"), "application/pdf")
        self.assertTrue(r.raw.startswith(b"%PDF-"))
        sha = hashlib.sha256(r.raw).hexdigest()
        self.assertEqual(sha, doc["sha256"])
        self.assertEqual(r.headers.get("x-content-sha256"), sha)
        # the timeline names it with the same sha256 (staff and public views)
        ev = self.intake.get("/api/v1/cases/%d/events?limit=500" % cid).data["items"]
        issued = [e for e in ev if e["kind"] == "document" and e["data"].get("document_id") == doc["id"]]
        self.assertEqual(len(issued), 1, ev)
        self.assertEqual(issued[0]["data"]["sha256"], sha)
        self.assertIn(sha, issued[0]["text"])
        pub = H.track(SRV, number, code).data
        self.assertTrue(any(e["kind"] == "document" and sha in (e["text"] or "") for e in pub["timeline"]),
                        pub["timeline"])
        self.assertIn(sha, [a["sha256"] for a in pub["attachments"]])
        # an issued document is sent to the public, not received from it
        self.assertEqual([a["direction"] for a in pub["attachments"] if a["sha256"] == sha], ["out"])
        staff = self.intake.get("/api/v1/cases/%d" % cid).data["attachments"]
        self.assertEqual([a["direction"] for a in staff if a["sha256"] == sha], ["out"])
        # the public downloads it with the query code
        q = urllib.parse.quote(code)
        lst = SRV.public().get("/api/public/cases/%s/documents?code=%s" % (number, q))
        self.assertEqual(lst.status, 200, lst.data)
        mine = [d for d in lst.data["items"] if d["id"] == doc["id"]]
        self.assertEqual(len(mine), 1, lst.data)
        r2 = SRV.public().get("%s?code=%s" % (mine[0]["pdf_path"], q))
        self.assertEqual(r2.status, 200, r2.data)
        self.assertEqual(r2.raw, r.raw)
        # not without the right code
        other = SRV.public(source="127.0.0.9")
        self.assertProblem(other.get("%s?code=%s" % (mine[0]["pdf_path"], "0000000000")), 404)
        # the text holds the case number, the document number and the step's values
        if HAVE_POPPLER:
            text = pdf_text(r.raw)
            for w in (number, doc["number"]) + tuple(words):
                self.assertIn(squeeze(w), text, "%s: %r not in the PDF text" % (kind, w))
        return r.raw

    # -- tests --

    def test_accept_extend_reply_issue_documents(self):
        cid, number, code = self.new_case(title="电梯故障文书测试")
        self.intake.act(cid, "accept")
        docs = self.documents(cid)
        self.check_issued(cid, number, code, docs[0], "acceptance", ("信访事项受理告知书", "电梯故障文书测试"))
        self.xfj.act(cid, "extend", {"days": 20, "reason": "需要现场勘验"})
        docs = self.documents(cid, want=2)
        ext = [d for d in docs if d["kind"] == "extension"][0]
        self.check_issued(cid, number, code, ext, "extension", ("需要现场勘验", "20"))
        self.xfj.act(cid, "reply", REPLY)
        docs = self.documents(cid, want=3)
        op = [d for d in docs if d["kind"] == "opinion"][0]
        self.check_issued(cid, number, code, op, "opinion", (REPLY["facts"], REPLY["opinion"], "解释说明", "30日内"))
        # numbers are distinct
        self.assertEqual(len({d["number"] for d in docs}), 3)

    def test_refusal_names_the_channel_and_time_limits(self):
        cid, number, code = self.new_case(title="劳动合同纠纷")
        self.intake.act(cid, "refuse", {"reason": "属于劳动争议", "legal_channel": "arbitration"})
        docs = self.documents(cid)
        self.check_issued(cid, number, code, docs[0], "refusal",
                          ("属于劳动争议", "仲裁", "60日内", "6个月内", "信访事项不予受理告知书"))

    def test_supervision_order_is_issued_to_the_unit(self):
        cid, number, code = self.new_case(title="督办文书测试")
        leader = SRV.client("leader")
        due = H.local_date(SRV, 10)
        body = {"reason": "受理后长期未见处理进展", "required_action": "五日内书面报告核查结果", "due_date": due}
        r = leader.post("/api/v1/cases/%d/supervision" % cid, body)
        self.assertEqual(r.status, 201, r.data)
        docs = self.documents(cid, who=SRV.client("supervisor"))
        order = [d for d in docs if d["kind"] == "supervision_order"]
        self.assertEqual(len(order), 1, docs)
        doc = order[0]
        self.assertEqual(doc["status"], "done")
        # internal: addressed to the unit, never to the public
        self.assertFalse(doc["public"])
        lst = SRV.public().get("/api/public/cases/%s/documents?code=%s" % (number, urllib.parse.quote(code)))
        self.assertEqual(lst.status, 200, lst.data)
        self.assertNotIn(doc["id"], [d["id"] for d in lst.data["items"]])
        # numbered by the issuing unit (the district government, 平政), not the case's unit
        self.assertRegex(doc["number"], r"^平政〔20\d\d〕\d+号$")
        pdf = self.xfj.get(doc["pdf_path"])
        self.assertEqual(pdf.status, 200, pdf.data)
        self.assertEqual(hashlib.sha256(pdf.raw).hexdigest(), doc["sha256"])
        if HAVE_POPPLER:
            text = pdf_text(pdf.raw)
            for w in ("督办通知书", number, doc["number"], body["reason"], body["required_action"],
                      "平安区信访局"):
                self.assertIn(squeeze(w), text, "%r not in the order's PDF text" % w)

    def test_mediation_agreement_carries_the_agreement(self):
        # a dispute mediated to an agreement: the 人民调解协议书 is issued with
        # the agreement record's contents and its signature area
        mediator = SRV.client("mediator")
        r = self.intake.post("/api/v1/cases", {
            "type": "dispute", "category": "neighbourhood", "channel": "visit",
            "title": "漏水纠纷文书测试", "body": "双方多次协商未果，申请人民调解。",
            "contact": {"name": "张三", "phone": "13812345678"}})
        self.assertEqual(r.status, 201, r.data)
        cid = r.data["id"]
        self.intake.act(cid, "refer", {"committee_id": self.org["chengguan-mediation"]})
        party = {"designation": "申请人 张某", "role": "applicant", "party_kind": "person",
                 "consent": "consents", "chosen_mediator": "蒋调解", "session_preference": "private"}
        self.assertEqual(mediator.post("/api/v1/cases/%d/records/party" % cid, {"fields": party}).status, 201)
        mediator.act(cid, "accept", {"mediator_name": "蒋调解", "chosen_by_parties": True,
                                     "session_mode": "private"})
        agreement = {"parties": "申请人张某，被申请人李某", "dispute_facts": "因楼上漏水损坏楼下装修发生纠纷。",
                     "points": "维修费用的赔偿数额。", "responsibilities": "李某负主要责任。",
                     "mediator": "蒋调解", "terms": "李某赔偿张某维修费3000元。",
                     "performance": "2026年3月10日前在调解委员会当面现金支付。", "signed_on": "2026-03-02",
                     "signed_by_parties": True, "signed_by_mediator": True, "committee_seal": True}
        r = mediator.post("/api/v1/cases/%d/records/agreement" % cid, {"fields": agreement})
        self.assertEqual(r.status, 201, r.data)
        mediator.act(cid, "agree")
        docs = [d for d in self.documents(cid, who=mediator, want=2) if d["kind"] == "mediation_agreement"]
        self.assertEqual(len(docs), 1, docs)
        doc = docs[0]
        self.assertEqual(doc["status"], "done")
        self.assertRegex(doc["number"], r"^城调〔20\d\d〕\d+号$")
        pdf = mediator.get(doc["pdf_path"])
        self.assertEqual(pdf.status, 200, pdf.data)
        self.assertEqual(hashlib.sha256(pdf.raw).hexdigest(), doc["sha256"])
        if HAVE_POPPLER:
            text = pdf_text(pdf.raw)
            for w in ("人民调解协议书", doc["number"], agreement["parties"], agreement["dispute_facts"],
                      agreement["points"], agreement["responsibilities"], agreement["terms"],
                      agreement["performance"]):
                self.assertIn(squeeze(w), text, "%r not in the agreement's PDF text" % w)

    def test_numbers_start_with_the_units_abbreviation(self):
        admin = SRV.client("admin")
        xfj_id = self.org["district-xfj"]
        cid, number, code = self.new_case(title="文号代字测试")
        self.intake.act(cid, "accept")
        doc = self.documents(cid)[0]
        self.assertRegex(doc["number"], r"^平信〔20\d\d〕\d+号$")
        # bad abbreviations are refused, naming the field; only an admin sets one
        for bad in ("平 信", "平{seq}", "一二三四五六七八九十一二三四五六七"):
            self.assertProblem(admin.patch("/api/v1/orgs/%d" % xfj_id, {"abbr": bad}), 400, field="abbr")
        self.assertProblem(self.xfj.patch("/api/v1/orgs/%d" % xfj_id, {"abbr": "平访"}), 403)
        self.assertProblem(admin.patch("/api/v1/orgs/999999", {"abbr": "平访"}), 404)
        self.assertProblem(admin.patch("/api/v1/orgs/%d" % xfj_id, {"code": "x"}), 400)
        self.assertProblem(admin.patch("/api/v1/orgs/%d" % xfj_id, {}), 400)
        try:
            r = admin.patch("/api/v1/orgs/%d" % xfj_id, {"abbr": "平访"})
            self.assertEqual(r.status, 200, r.data)
            self.assertEqual(r.data["abbr"], "平访")
            self.assertEqual(r.data["code"], "district-xfj")
            cid2, _, _ = self.new_case(title="文号代字测试二")
            self.intake.act(cid2, "accept")
            doc2 = self.documents(cid2)[0]
            # the new abbreviation, the same sequence of the unit (never reused)
            self.assertRegex(doc2["number"], r"^平访〔20\d\d〕\d+号$")
            seq = lambda n: int(n.split("〕")[1].rstrip("号"))
            self.assertGreater(seq(doc2["number"]), seq(doc["number"]))
            # the earlier document keeps its number
            again = [d for d in self.documents(cid) if d["id"] == doc["id"]][0]
            self.assertEqual(again["number"], doc["number"])
        finally:
            self.assertEqual(admin.patch("/api/v1/orgs/%d" % xfj_id, {"abbr": "平信"}).status, 200)

    def test_regenerate_makes_a_new_numbered_version(self):
        cid, number, code = self.new_case(title="重新生成测试")
        self.intake.act(cid, "accept")
        old = self.documents(cid)[0]
        old_pdf = self.intake.get(old["pdf_path"]).raw
        r = self.intake.post("/api/v1/documents/%d/regenerate" % old["id"], {"locale": "en"})
        self.assertEqual(r.status, 202, r.data)
        self.assertEqual(r.data["version"], 2)
        self.assertEqual(r.data["supersedes"], old["id"])
        docs = self.documents(cid, want=2)
        new = [d for d in docs if d["id"] == r.data["id"]][0]
        self.assertNotEqual(new["number"], old["number"])
        self.assertNotEqual(new["sha256"], old["sha256"])
        self.assertEqual(new["locale"], "en")
        if HAVE_POPPLER:
            self.assertIn("NoticeofAcceptance", pdf_text(self.intake.get(new["pdf_path"]).raw))
        # the first version is unchanged
        self.assertEqual(self.intake.get(old["pdf_path"]).raw, old_pdf)
        # bad locale; a unit that does not see the case gets 404
        self.assertProblem(self.intake.post("/api/v1/documents/%d/regenerate" % old["id"], {"locale": "fr"}),
                           400, "validation", "locale")
        self.assertProblem(self.housing.post("/api/v1/documents/%d/regenerate" % old["id"], {}), 404)
        self.assertProblem(self.housing.get(old["pdf_path"]), 404)

    def test_batch_print_of_a_day(self):
        issued = []
        for i in range(3):
            cid, _, _ = self.new_case(title="批量打印%d" % i)
            self.intake.act(cid, "accept")
            doc = self.documents(cid)[0]
            issued.append(self.intake.get(doc["pdf_path"]).raw)
        date = doc["issued_at"][:10]
        unit = self.org["district-xfj"]
        r = self.intake.get("/api/v1/documents/batch?unit=%d&date=%s" % (unit, date))
        self.assertEqual(r.status, 200, r.data)
        self.assertEqual(r.headers.get("content-type"), "application/pdf")
        ndocs = int(r.headers.get("x-documents"))
        self.assertGreaterEqual(ndocs, 3)
        if HAVE_POPPLER:
            self.assertGreaterEqual(pdf_pages(r.raw), ndocs)
            self.assertEqual(pdf_pages(r.raw), int(r.headers.get("x-pages")))
            # the issued files themselves, page for page: each one's whole text is in the batch
            batch = pdf_text(r.raw)
            for raw in issued:
                self.assertIn(pdf_text(raw), batch)
        # another unit's staff may not print it; bad parameters
        self.assertProblem(self.housing.get("/api/v1/documents/batch?unit=%d&date=%s" % (unit, date)), 403)
        self.assertProblem(self.intake.get("/api/v1/documents/batch?unit=%d&date=2026-13-40" % unit), 400)
        self.assertProblem(self.intake.get("/api/v1/documents/batch?date=%s" % date), 400)

    def test_zz_changed_file_fails_audit_verify(self):
        cid, number, code = self.new_case(title="篡改检测")
        self.intake.act(cid, "accept")
        doc = self.documents(cid)[0]
        verify = [H.PINGAN_BIN, "audit", "verify", "--data", SRV.data]
        env = H._clean_env()
        r = subprocess.run(verify, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(b"documents intact", r.stdout)
        path = os.path.join(SRV.data, "attachments", doc["sha256"][:2], doc["sha256"])
        with open(path, "rb") as f:
            original = f.read()
        try:
            with open(path, "r+b") as f:
                f.seek(300)
                f.write(b"X")
            r = subprocess.run(verify, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn(("document %d" % doc["id"]).encode(), r.stdout)
            self.assertIn(doc["number"].encode(), r.stdout)
            # the auditor's API check re-hashes the documents too
            v = SRV.client("auditor").get("/api/v1/audit/verify")
            self.assertEqual(v.status, 200, v.data)
            self.assertFalse(v.data["intact"])
            self.assertFalse(v.data["documents"]["intact"])
            self.assertGreaterEqual(v.data["documents"]["bad"], 1)
            self.assertIn(doc["number"], v.data["documents"]["first_bad"])
        finally:
            with open(path, "wb") as f:
                f.write(original)
        r = subprocess.run(verify, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        v = SRV.client("auditor").get("/api/v1/audit/verify").data
        self.assertTrue(v["intact"], v)
        self.assertTrue(v["documents"]["intact"], v)
        self.assertGreaterEqual(v["documents"]["checked"], 1)


if __name__ == "__main__":
    H.run_module()

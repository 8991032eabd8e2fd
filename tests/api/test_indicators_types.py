#!/usr/bin/env python3
"""
test_indicators_types.py — the indicators a dispute and a tip count, from the
`indicators:` sections of workflows/dispute.yaml and workflows/tip.yaml, on a
small dataset worked out by hand (its own server, so no other test's cases
count):

  D1  mediated to an agreement, then taken to court for judicial confirmation
  D2  mediated, failed (the parties are told their legal routes)
  D3  accepted for mediation, still mediating
  T1  assigned to the police and concluded (查实)
  T2  assigned to the police, still being verified
  T3  registered, not yet assigned

Hand-worked numbers:
  dispute.mediation_success_rate     = agreed / mediations ended    = 1 / 2 (D1 of D1, D2)
  dispute.judicial_confirmation_rate = confirmation applied / agreed = 1 / 1 (D1)
  tip.verification_rate              = verified / assigned          = 1 / 2 (T1 of T1, T2)
and the drill-down of the success rate's denominator lists exactly D1 and D2.

Run: python3 tests/api/test_indicators_types.py   (PINGAN_BIN = the binary)
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
TZ = datetime.timezone(datetime.timedelta(hours=8))
PARTY = {"designation": "申请人 张某", "role": "applicant", "party_kind": "person",
         "consent": "consents", "chosen_mediator": "蒋调解", "session_preference": "private"}
AGREEMENT = {"parties": "申请人张某，被申请人李某", "dispute_facts": "因楼上漏水损坏楼下装修发生纠纷。",
             "points": "维修费用的赔偿数额。", "responsibilities": "李某负主要责任。", "mediator": "蒋调解",
             "terms": "李某赔偿张某维修费3000元。", "performance": "2026年3月10日前当面现金支付。",
             "signed_on": "2026-03-02", "signed_by_parties": True, "signed_by_mediator": True,
             "committee_seal": True}
ACCEPT = {"mediator_name": "蒋调解", "chosen_by_parties": True, "session_mode": "private"}


def setUpModule():
    global SRV
    SRV = H.Server().start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


def by_name(groups, key=""):
    for g in groups:
        if g["key"] == key:
            return {v["name"]: v for v in g["indicators"]}
    return {}


class TypeIndicators(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")
        cls.mediator = SRV.client("mediator")
        cls.police = SRV.client("police")
        cls.leader = SRV.client("leader")
        cls.org = {o["code"]: o["id"] for o in cls.intake.get("/api/v1/orgs").data["items"]}
        cls.d = {name: cls.dispute(name) for name in ("D1", "D2", "D3")}
        cls.mediator.post("/api/v1/cases/%d/records/agreement" % cls.d["D1"], {"fields": AGREEMENT})
        cls.mediator.act(cls.d["D1"], "agree")
        cls.mediator.act(cls.d["D1"], "apply_confirmation", {
            "court_id": cls.org["district-court"], "applied_on": cls.today(), "confirmable": True})
        cls.mediator.act(cls.d["D2"], "fail", {"reason": "一方明确拒绝继续调解", "legal_route": "litigation"})
        cls.t = {name: cls.tip(name) for name in ("T1", "T2", "T3")}
        for name in ("T1", "T2"):
            cls.intake.act(cls.t[name], "classify", {"track": "criminal"})
            cls.intake.act(cls.t[name], "assign_police")
        cls.police.act(cls.t["T1"], "conclude", {"outcome": "substantiated", "findings": "经核查，举报属实。"})

    @classmethod
    def today(cls):
        return datetime.datetime.fromtimestamp(SRV.now(), TZ).strftime("%Y-%m-%d")

    @classmethod
    def dispute(cls, name):
        r = cls.intake.post("/api/v1/cases", {
            "type": "dispute", "category": "neighbourhood", "channel": "visit",
            "title": "邻里纠纷指标测试 " + name, "body": "双方多次协商未果，申请人民调解。",
            "contact": {"name": "张三", "phone": "13812345678"}})
        assert r.status == 201, r
        cid = r.data["id"]
        cls.intake.act(cid, "refer", {"committee_id": cls.org["chengguan-mediation"]})
        r = cls.mediator.post("/api/v1/cases/%d/records/party" % cid, {"fields": PARTY})
        assert r.status == 201, r
        cls.mediator.act(cid, "accept", ACCEPT)
        return cid

    @classmethod
    def tip(cls, name):
        r = cls.intake.post("/api/v1/cases", {
            "type": "tip", "category": "organized_crime", "channel": "phone",
            "title": "举报线索指标测试 " + name, "body": "有人长期在滨江路一带强迫交易。"})
        assert r.status == 201, r
        return r.data["id"]

    def numbers(self, **params):
        day = self.today()
        p = {"from": day, "to": day}
        p.update(params)
        r = self.assertStatus(self.leader.get("/api/v1/indicators", p), 200)
        return by_name(r["groups"])

    def assertRate(self, v, name, num, den):
        self.assertIn(name, v)
        self.assertEqual((v[name]["numerator"], v[name]["denominator"]), (num, den), name)
        self.assertAlmostEqual(v[name]["value"], num / den)
        self.assertTrue(v[name]["formula"], name)

    def test_dispute_rates(self):
        v = self.numbers(type="dispute")
        self.assertEqual(v["cases"]["numerator"], 3)
        self.assertRate(v, "dispute.mediation_success_rate", 1, 2)
        self.assertRate(v, "dispute.judicial_confirmation_rate", 1, 1)
        self.assertEqual(v["dispute.mediation_success_rate"]["label"], "矛盾纠纷 · 调解成功率")

    def test_tip_rate(self):
        v = self.numbers(type="tip")
        self.assertEqual(v["cases"]["numerator"], 3)
        self.assertRate(v, "tip.verification_rate", 1, 2)

    def test_all_types_together(self):
        v = self.numbers()
        self.assertEqual(v["cases"]["numerator"], 6)
        self.assertRate(v, "dispute.mediation_success_rate", 1, 2)
        self.assertRate(v, "tip.verification_rate", 1, 2)

    def test_drill_down(self):
        day = self.today()
        ids = []
        for part, want in (("denominator", {self.d["D1"], self.d["D2"]}), ("numerator", {self.d["D1"]})):
            r = self.assertStatus(self.leader.get(
                "/api/v1/indicators/dispute.mediation_success_rate/cases",
                {"from": day, "to": day, "part": part, "limit": 100}), 200)
            ids = {c["id"] for c in r["items"]}
            self.assertEqual(ids, want, part)


if __name__ == "__main__":
    H.run_module()

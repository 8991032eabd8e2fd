#!/usr/bin/env python3
"""
test_links.py — links between cases over HTTP: related links (shown on both
cases, once either way, only between cases the user sees), merging (the
merged case closes, takes no more actions, and its public number and query
code show the surviving case) and repeat detection at intake (the same
party with a similar text within the window gets a repeat_of link; other
text, another party or an older case do not; a submission is never
refused and its public answer does not change).

Run: python3 tests/api/test_links.py   (PINGAN_BIN = the binary)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}

ELEVATOR = ("幸福小区3号楼电梯长期故障", "电梯自三月起多次故障停运，物业一直未修复，老人上下楼十分困难。")
ELEVATOR_AGAIN = ("幸福小区3号楼电梯又坏了", "电梯自三月起多次故障停运，物业至今未修复，老人上下楼十分困难，请督促解决。")
CANTEEN = ("建议增设社区老年食堂", "东门社区老年人较多，建议在社区服务中心增设老年食堂，方便老人就餐。")
RECEIPT_KEYS = {"number", "query_code", "state", "state_label", "created_at", "due_at", "tracking_path"}

_phone = [0]


def new_phone():
    """A phone number no other submission of this run uses."""
    _phone[0] += 1
    return "1390%07d" % (os.getpid() % 1000 * 1000 + _phone[0])


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


class Base(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")
        cls.xfj = SRV.client("xfj")
        cls.housing = SRV.client("housing")
        cls.supervisor = SRV.client("supervisor")
        cls.org = {o["code"]: o["id"] for o in cls.intake.get("/api/v1/orgs").data["items"]}

    def submit(self, text=None, phone=None, id_number=None, srv=None):
        """Public submission; returns (id, number, code, receipt)."""
        srv = srv or SRV
        title, body = text or ELEVATOR
        contact = {"name": "张三", "phone": phone or new_phone()}
        if id_number:
            contact["id_number"] = id_number
        r = srv.public().post("/api/public/cases", H.petition_body(title=title, body=body, contact=contact))
        receipt = self.assertStatus(r, 201)  # never refused, repeat or not
        self.assertEqual(set(receipt), RECEIPT_KEYS)
        intake = srv.client("intake")
        cid = H.find_case_id(intake, receipt["number"])
        self.assertIsNotNone(cid)
        return cid, receipt["number"], receipt["query_code"], receipt

    def links(self, cid, client=None, kind=None):
        d = (client or self.supervisor).case(cid)
        return [l for l in d["links"] if kind is None or l["kind"] == kind]


class Related(Base):
    def test_related_both_ways(self):
        a, na, _, _ = self.submit()
        b, nb, _, _ = self.submit(CANTEEN)
        url = "/api/v1/cases/%d/links" % a
        r = self.assertStatus(self.xfj.post(url, {"to_number": nb, "kind": "related", "note": "同一小区"}), 201)
        self.assertEqual(r["kind"], "related")
        self.assertEqual(r["direction"], "outgoing")
        self.assertEqual(r["case"]["id"], b)
        self.assertEqual(r["case"]["number"], nb)
        self.assertEqual(r["note"], "同一小区")
        self.assertEqual(r["created_by"]["name"], "李信访")
        la = self.links(a, self.xfj, "related")
        lb = self.links(b, self.xfj, "related")
        self.assertEqual([(l["direction"], l["case"]["id"]) for l in la], [("outgoing", b)])
        self.assertEqual([(l["direction"], l["case"]["id"]) for l in lb], [("incoming", a)])
        self.assertEqual(la[0]["id"], lb[0]["id"])
        self.assertEqual(la[0]["kind_label"], "关联案件")
        # once, either way
        self.assertProblem(self.xfj.post(url, {"to_id": b}), 409, "conflict")
        self.assertProblem(self.xfj.post("/api/v1/cases/%d/links" % b, {"to_id": a}), 409, "conflict")
        # on both timelines, internal
        for cid, other in ((a, b), (b, a)):
            ev = [e for e in self.xfj.get("/api/v1/cases/%d/events" % cid).data["items"] if e["kind"] == "link"]
            self.assertEqual(len(ev), 1)
            self.assertEqual(ev[0]["data"]["case_id"], other)
            self.assertFalse(ev[0]["public"])

    def test_link_by_id_without_kind(self):
        a, _, _, _ = self.submit()
        b, _, _, _ = self.submit(CANTEEN)
        r = self.assertStatus(self.supervisor.post("/api/v1/cases/%d/links" % a, {"to_id": b}), 201)
        self.assertEqual(r["kind"], "related")
        self.assertIsNone(r["note"])

    def test_link_refusals(self):
        a, na, _, _ = self.submit()
        b, nb, _, _ = self.submit(CANTEEN)
        h, nh, _, _ = self.submit(CANTEEN)
        self.intake.act(h, "forward", {"org_id": self.org["district-housing"]})
        url = "/api/v1/cases/%d/links" % a
        x = self.xfj
        self.assertProblem(x.post(url, {"to_id": a}), 400, "validation", "to_id")
        self.assertProblem(x.post(url, {}), 400, "validation", "to_id")
        self.assertProblem(x.post(url, {"to_id": b, "to_number": nb}), 400, "validation", "to_id")
        self.assertProblem(x.post(url, {"to_id": "7"}), 400, "validation", "to_id")
        self.assertProblem(x.post(url, {"to_id": b, "kind": "merged_into"}), 400, "validation", "kind")
        self.assertProblem(x.post(url, {"to_id": b, "kind": "repeat_of"}), 400, "validation", "kind")
        self.assertProblem(x.post(url, {"to_id": b, "why": 1}), 400, "validation", "why")
        self.assertProblem(x.post(url, {"to_id": b, "note": "x" * 1001}), 400, "validation", "note")
        # the other case must be one the user sees: xfj no longer sees the forwarded one
        self.assertProblem(x.post(url, {"to_id": h}), 422, "unprocessable", "to_id")
        self.assertProblem(x.post(url, {"to_number": nh}), 422, "unprocessable", "to_number")
        self.assertProblem(x.post(url, {"to_number": "XF-1999-000001"}), 422, "unprocessable", "to_number")
        self.assertProblem(x.post(url, {"to_id": 999999}), 422, "unprocessable", "to_id")
        # and this case too
        self.assertProblem(self.housing.post(url, {"to_id": h}), 404, "not-found")
        self.assertEqual(self.links(a, kind="related"), [])
        # a supervisor sees both
        self.assertStatus(self.supervisor.post(url, {"to_id": h}), 201)
        # a linked case the viewer may not see is not listed
        self.assertEqual([l["case"]["id"] for l in self.links(a, self.supervisor, "related")], [h])
        self.assertEqual(self.links(a, self.xfj, "related"), [])

    def test_accusation_never_linked_to_the_accused(self):
        housing = self.org["district-housing"]
        acc = H.submit_petition(SRV, category="accusation", accused_org_id=housing,
                                contact={"name": "李四", "phone": new_phone()},
                                title="举报住建局工作人员违规收费", body="住建局某工作人员在办理业务时违规收取费用。")
        acc_id = H.find_case_id(self.supervisor, acc["number"])
        h, _, _, _ = self.submit(CANTEEN)
        self.intake.act(h, "forward", {"org_id": housing})
        r = self.supervisor.post("/api/v1/cases/%d/links" % acc_id, {"to_id": h})
        self.assertProblem(r, 422, "unprocessable")
        self.assertProblem(self.supervisor.post("/api/v1/cases/%d/links" % h, {"to_id": acc_id}), 422)


class Merge(Base):
    def test_merge(self):
        m, nm, code_m, _ = self.submit()
        s, ns, code_s, _ = self.submit(CANTEEN)
        before = self.xfj.case(m)
        r = self.assertStatus(self.xfj.post("/api/v1/cases/%d/merge" % m,
                                            {"into_id": s, "reason": "同一事项，合并办理。"}), 200)
        self.assertFalse(r["is_open"])
        self.assertEqual(r["state"], before["state"])  # the state stays
        self.assertEqual(r["version"], before["version"] + 1)
        dm = self.xfj.case(m)
        self.assertEqual(dm["actions"], [])
        self.assertIsNone(dm["due_at"])
        out = [l for l in dm["links"] if l["kind"] == "merged_into"]
        self.assertEqual([(l["direction"], l["case"]["id"]) for l in out], [("outgoing", s)])
        self.assertEqual(out[0]["note"], "同一事项，合并办理。")
        self.assertEqual(out[0]["kind_label"], "已合并至")
        inc = self.links(s, self.xfj, "merged_into")
        self.assertEqual([(l["direction"], l["case"]["id"]) for l in inc], [("incoming", m)])
        self.assertEqual(inc[0]["kind_label"], "合并自")
        # the merged case takes no more actions and is not in the inbox
        self.assertProblem(self.intake.act(m, "accept", expect=None), 409, "invalid-state")
        self.assertNotIn(m, self.xfj.inbox_ids())
        self.assertIn(m, self.xfj.inbox_ids(open="any"))
        self.assertProblem(self.xfj.post("/api/v1/cases/%d/merge" % m, {"into_id": s, "reason": "再次"}),
                           409, "invalid-state")
        # on both timelines and in the audit log
        for cid in (m, s):
            kinds = [e["kind"] for e in self.xfj.get("/api/v1/cases/%d/events" % cid).data["items"]]
            self.assertIn("merge", kinds)
        # the public: the old number and code show the surviving case
        v = self.assertStatus(H.track(SRV, nm, code_m), 200)
        self.assertEqual(v["number"], ns)
        self.assertEqual(v["merged_from"], nm)
        self.assertEqual(v["title"], CANTEEN[0])
        self.assertTrue(v["is_open"])
        self.assertProblem(H.track(SRV, nm, code_s), 404, "not-found")   # the code is the merged case's
        self.assertProblem(H.track(SRV, nm, "0000000000"), 404, "not-found")
        own = self.assertStatus(H.track(SRV, ns, code_s), 200)
        self.assertNotIn("merged_from", own)
        self.assertEqual(own["number"], ns)
        # what happens on the surviving case shows through the old number
        self.intake.act(s, "accept")
        self.assertEqual(self.assertStatus(H.track(SRV, nm, code_m), 200)["state"], "handling")

    def test_merge_refusals(self):
        m, _, _, _ = self.submit()
        s, _, _, _ = self.submit(CANTEEN)
        t, _, _, _ = self.submit(CANTEEN)
        h, _, _, _ = self.submit(CANTEEN)
        self.intake.act(h, "forward", {"org_id": self.org["district-housing"]})
        url = "/api/v1/cases/%d/merge" % m
        x = self.xfj
        self.assertProblem(x.post(url, {"into_id": m, "reason": "x"}), 400, "validation", "into_id")
        self.assertProblem(x.post(url, {"reason": "x"}), 400, "validation", "into_id")
        self.assertProblem(x.post(url, {"into_id": "12", "reason": "x"}), 400, "validation", "into_id")
        self.assertProblem(x.post(url, {"into_id": s}), 400, "validation", "reason")
        self.assertProblem(x.post(url, {"into_id": s, "reason": "x", "now": 1}), 400, "validation", "now")
        self.assertProblem(x.post(url, {"into_id": h, "reason": "x"}), 422, "unprocessable", "into_id")
        self.assertProblem(x.post(url, {"into_id": 999999, "reason": "x"}), 422, "unprocessable", "into_id")
        self.assertProblem(self.housing.post(url, {"into_id": h, "reason": "x"}), 404, "not-found")
        # into a case that is merged itself: merge into its survivor instead
        self.assertStatus(x.post("/api/v1/cases/%d/merge" % t, {"into_id": s, "reason": "重复"}), 200)
        self.assertProblem(x.post(url, {"into_id": t, "reason": "x"}), 422, "unprocessable", "into_id")
        # once merged, a case cannot be merged again, nor be the target of a merge
        self.assertStatus(x.post(url, {"into_id": s, "reason": "合并"}), 200)
        self.assertProblem(x.post(url, {"into_id": s, "reason": "合并"}), 409, "invalid-state")
        self.assertProblem(x.post("/api/v1/cases/%d/merge" % s, {"into_id": m, "reason": "x"}), 422,
                           "unprocessable", "into_id")

    def test_merge_chain_for_the_public(self):
        a, na, ca, _ = self.submit()
        b, nb, cb, _ = self.submit(CANTEEN)
        c, nc, cc, _ = self.submit(CANTEEN)
        self.assertStatus(self.xfj.post("/api/v1/cases/%d/merge" % a, {"into_id": b, "reason": "合并"}), 200)
        self.assertStatus(self.xfj.post("/api/v1/cases/%d/merge" % b, {"into_id": c, "reason": "合并"}), 200)
        v = self.assertStatus(H.track(SRV, na, ca), 200)
        self.assertEqual((v["number"], v["merged_from"]), (nc, na))
        v = self.assertStatus(H.track(SRV, nb, cb), 200)
        self.assertEqual((v["number"], v["merged_from"]), (nc, nb))


class Repeat(Base):
    def test_same_phone_similar_text_links_repeat_of(self):
        phone = new_phone()
        a, na, _, _ = self.submit(ELEVATOR, phone=phone)
        b, nb, _, rb = self.submit(ELEVATOR_AGAIN, phone=phone)
        rep = self.links(b, kind="repeat_of")
        self.assertEqual([(l["direction"], l["case"]["id"]) for l in rep], [("outgoing", a)])
        self.assertIsNone(rep[0]["created_by"])       # found by the system
        self.assertTrue(rep[0]["note"].startswith("similarity 0."), rep[0]["note"])
        self.assertEqual(rep[0]["kind_label"], "重复件，首件为")
        back = self.links(a, kind="repeat_of")
        self.assertEqual([(l["direction"], l["case"]["id"]) for l in back], [("incoming", b)])
        # the earlier case has no repeat_of of its own
        self.assertEqual([l for l in back if l["direction"] == "outgoing"], [])
        # the public answer is the usual receipt (checked in submit) and the portal shows nothing of it
        pub = self.assertStatus(H.track(SRV, nb, rb["query_code"]), 200)
        self.assertNotIn("links", pub)
        self.assertNotIn("repeat", pub)
        self.assertEqual(pub["state"], "registered")

    def test_most_similar_earlier_case(self):
        phone = new_phone()
        a, _, _, _ = self.submit(ELEVATOR, phone=phone)
        self.submit(CANTEEN, phone=phone)
        c, _, _, _ = self.submit(ELEVATOR, phone=phone)      # identical to a
        d, _, _, _ = self.submit(ELEVATOR_AGAIN, phone=phone)
        self.assertEqual([l["case"]["id"] for l in self.links(c, kind="repeat_of") if l["direction"] == "outgoing"], [a])
        # d: a and c are equally similar; the most recent wins
        self.assertEqual([l["case"]["id"] for l in self.links(d, kind="repeat_of") if l["direction"] == "outgoing"], [c])

    def test_different_text_is_not_a_repeat(self):
        phone = new_phone()
        self.submit(ELEVATOR, phone=phone)
        b, _, _, _ = self.submit(CANTEEN, phone=phone)
        self.assertEqual(self.links(b, kind="repeat_of"), [])

    def test_another_party_is_not_a_repeat(self):
        self.submit(ELEVATOR)
        b, _, _, _ = self.submit(ELEVATOR)  # same text, another phone
        self.assertEqual(self.links(b, kind="repeat_of"), [])

    def test_same_id_number_is_the_same_party(self):
        idn = "11010519491231002X"
        a, _, _, _ = self.submit(ELEVATOR, id_number=idn)
        b, _, _, _ = self.submit(ELEVATOR_AGAIN, id_number=idn)  # other phones
        self.assertEqual([l["case"]["id"] for l in self.links(b, kind="repeat_of")], [a])

    def test_staff_registration_is_checked_too(self):
        phone = new_phone()
        a, _, _, _ = self.submit(ELEVATOR, phone=phone)
        body = H.petition_body(title=ELEVATOR_AGAIN[0], body=ELEVATOR_AGAIN[1], channel="visit",
                               contact={"name": "张三", "phone": phone})
        r = self.assertStatus(self.intake.post("/api/v1/cases", body), 201)
        self.assertEqual([l["case"]["id"] for l in self.links(r["id"], kind="repeat_of")], [a])

    def test_zz_outside_the_window_is_not_a_repeat(self):
        """Runs last in this class: it moves the clock past the 180-day window."""
        phone = new_phone()
        a, _, _, _ = self.submit(ELEVATOR, phone=phone)
        SRV.advance_clock(179 * H.DAY)
        b, _, _, _ = self.submit(ELEVATOR_AGAIN, phone=phone)
        self.assertEqual([l["case"]["id"] for l in self.links(b, kind="repeat_of")], [a])
        SRV.advance_clock(2 * H.DAY)  # a is now 181 days old, b 2 days
        c, _, _, _ = self.submit(ELEVATOR, phone=phone)
        self.assertEqual([l["case"]["id"] for l in self.links(c, kind="repeat_of")], [b])
        SRV.advance_clock(181 * H.DAY)  # everything is older than the window
        d, _, _, _ = self.submit(ELEVATOR, phone=phone)
        self.assertEqual(self.links(d, kind="repeat_of"), [])


class RepeatSettings(Base):
    """repeat.similarity and repeat.window_days come from the configuration."""

    def test_threshold_and_off(self):
        strict = H.Server(env=dict(ENV, PINGAN_REPEAT_SIMILARITY="0.9")).start()
        off = H.Server(env=dict(ENV, PINGAN_REPEAT_WINDOW_DAYS="0")).start()
        try:
            phone = new_phone()
            a, _, _, _ = self.submit(ELEVATOR, phone=phone, srv=strict)
            b, _, _, _ = self.submit(ELEVATOR_AGAIN, phone=phone, srv=strict)   # about 0.6: not enough
            c, _, _, _ = self.submit(ELEVATOR, phone=phone, srv=strict)         # identical
            sup = strict.client("supervisor")
            self.assertEqual([l for l in sup.case(b)["links"] if l["kind"] == "repeat_of"], [])
            self.assertEqual([l["case"]["id"] for l in sup.case(c)["links"]
                              if l["kind"] == "repeat_of"], [a])
            self.submit(ELEVATOR, phone=phone, srv=off)
            d, _, _, _ = self.submit(ELEVATOR, phone=phone, srv=off)
            self.assertEqual(off.client("supervisor").case(d)["links"], [])
        finally:
            strict.stop()
            off.stop()


if __name__ == "__main__":
    H.run_module()

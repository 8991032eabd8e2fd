#!/usr/bin/env python3
"""
test_surveys.py — surveys over HTTP: defining (who may, what is checked),
opening and closing, one-time invitation tokens (a token answers once: the
second use is 409), the open link's per-address limit (429 when flooded), a
response to a closed survey (409), and the results: rates with Wilson
intervals, scores with Student-t intervals, the composite index, per street
and community, and the trend over the rounds of a series — checked against
values worked out by hand below.

Run: python3 tests/api/test_surveys.py   (PINGAN_BIN = the binary)
"""
import copy
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000",
       "PINGAN_RATE_SURVEY_PER_MINUTE": "1", "PINGAN_RATE_SURVEY_BURST": "2"}

SAFETY = {"id": "safety", "options": [
    {"code": "safe", "label": "安全", "label_en": "Safe", "positive": True},
    {"code": "fairly_safe", "label": "比较安全", "label_en": "Fairly safe", "positive": True},
    {"code": "not_very_safe", "label": "不太安全", "label_en": "Not very safe"},
    {"code": "unsafe", "label": "不安全", "label_en": "Unsafe"},
    {"code": "unsure", "label": "说不清", "label_en": "Can't say", "excluded": True}]}
SATISFACTION = {"id": "satisfaction", "options": [
    {"code": "very_satisfied", "label": "非常满意", "points": 100, "positive": True},
    {"code": "satisfied", "label": "比较满意", "points": 80, "positive": True},
    {"code": "basically_satisfied", "label": "基本满意", "points": 60, "positive": True},
    {"code": "dissatisfied", "label": "比较不满意", "points": 30},
    {"code": "very_dissatisfied", "label": "非常不满意", "points": 0},
    {"code": "unsure", "label": "说不清", "excluded": True}]}

DEFINITION = {
    "series": "safety-index",
    "title": "2026年第四季度群众安全感和满意度调查",
    "title_en": "Public safety and satisfaction survey, 2026 Q4",
    "intro": "本调查匿名进行，不收集姓名和电话。",
    "access": "token",
    "scales": [SAFETY, SATISFACTION],
    "questions": [
        {"id": "safety", "text": "在目前的社会治安环境下，您感觉安全吗？",
         "text_en": "In today's public order, do you feel safe?", "scale": "safety",
         "weight": 0.5},
        {"id": "law_enforcement", "text": "您对政法机关执法工作满意吗？", "scale": "satisfaction",
         "weight": 0.5, "index": "score"},
    ],
}

# The hand-worked sample: ten respondents in 东门社区 (城关街道).
SAFETY_ANSWERS = ["safe"] * 4 + ["fairly_safe"] * 3 + ["not_very_safe"] * 2 + ["unsure"]
SATISFACTION_ANSWERS = (["very_satisfied"] * 3 + ["satisfied"] * 3 +
                        ["basically_satisfied", "dissatisfied", "very_dissatisfied", "unsure"])


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


def org_id(staff, code):
    r = staff.get("/api/v1/orgs")
    for o in r.data["items"]:
        if o["code"] == code:
            return o["id"]
    raise AssertionError("no org " + code)


class Surveys(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = SRV.client("admin")
        cls.intake = SRV.client("intake")
        cls.dongmen = org_id(cls.admin, "dongmen")
        cls.binjiang = org_id(cls.admin, "binjiang")
        cls.chengguan = org_id(cls.admin, "chengguan")

    def create(self, definition=None, expect=201):
        r = self.admin.post("/api/v1/surveys", definition or DEFINITION)
        self.assertStatus(r, expect)
        return r.data

    def invite(self, sid, count, place=None):
        body = {"count": count}
        if place:
            body["place"] = place
        r = self.admin.post("/api/v1/surveys/%d/invitations" % sid, body)
        self.assertStatus(r, 201)
        return [i["token"] for i in r.data["invitations"]]

    def answer(self, sid, answers, token=None, place=None, source=None, expect=201):
        body = {"answers": answers}
        if token:
            body["token"] = token
        if place:
            body["place"] = place
        r = SRV.public(source=source).post("/api/public/surveys/%d/responses" % sid, body)
        if expect is not None:
            self.assertStatus(r, expect)
        return r

    # ---- defining ------------------------------------------------------------------------

    def test_only_managers_define(self):
        r = self.intake.post("/api/v1/surveys", DEFINITION)
        self.assertProblem(r, 403)

    def test_definition_is_checked(self):
        bad = copy.deepcopy(DEFINITION)
        bad["questions"][0]["scale"] = "nope"
        self.assertProblem(self.admin.post("/api/v1/surveys", bad), 400, field="questions[0].scale")
        bad = copy.deepcopy(DEFINITION)
        bad["scales"][1]["options"][0]["points"] = -5
        self.assertProblem(self.admin.post("/api/v1/surveys", bad), 400,
                           field="scales[1].options[0].points")
        bad = copy.deepcopy(DEFINITION)
        bad["colour"] = "red"
        self.assertProblem(self.admin.post("/api/v1/surveys", bad), 400, field="colour")
        bad = copy.deepcopy(DEFINITION)
        bad["scales"][0]["options"][4]["positive"] = True  # an excluded answer cannot count
        self.assertProblem(self.admin.post("/api/v1/surveys", bad), 400,
                           field="scales[0].options[4].excluded")
        bad = copy.deepcopy(DEFINITION)
        bad["questions"][0]["index"] = "score"  # the safety scale has no points
        self.assertProblem(self.admin.post("/api/v1/surveys", bad), 400, field="questions[0].index")

    def test_draft_is_not_public_and_cannot_be_answered(self):
        s = self.create()
        r = SRV.public().get("/api/public/surveys/%d" % s["id"])
        self.assertProblem(r, 404)

    # ---- tokens ---------------------------------------------------------------------------

    def test_token_answers_once(self):
        s = self.create()
        sid = s["id"]
        self.assertStatus(self.admin.post("/api/v1/surveys/%d/open" % sid), 200)
        r = self.admin.post("/api/v1/surveys/%d/invitations" % sid, {"count": 2, "place": self.dongmen})
        self.assertStatus(r, 201)
        inv = r.data["invitations"]
        self.assertEqual(len(inv), 2)
        self.assertTrue(inv[0]["url"].endswith("/survey/%d?t=%s" % (sid, inv[0]["token"])))
        self.assertTrue(inv[0]["qr_svg"].startswith("<svg"))
        token = inv[0]["token"]
        form = SRV.public().get("/api/public/surveys/%d" % sid, {"token": token})
        self.assertStatus(form, 200)
        self.assertEqual(form.data["place"]["id"], self.dongmen)
        self.assertEqual([q["id"] for q in form.data["questions"]], ["safety", "law_enforcement"])
        self.assertNotIn("weight", str(form.data))
        ans = {"safety": "safe", "law_enforcement": "satisfied"}
        self.answer(sid, ans, token=token.lower())  # typed in lower case: the same token
        r = self.answer(sid, ans, token=token, expect=409)
        self.assertProblem(r, 409, slug="token-used", field="token")
        r = SRV.public().get("/api/public/surveys/%d" % sid, {"token": token})
        self.assertProblem(r, 409, field="token")
        # no token, a wrong one, a required question missing
        self.assertProblem(self.answer(sid, ans, expect=400), 400, field="token")
        self.assertProblem(self.answer(sid, ans, token="ZZZZZZZZZZZZ", expect=404), 404)
        self.assertProblem(self.answer(sid, {"safety": "safe"}, token=inv[1]["token"], expect=400),
                           400, field="answers.law_enforcement")
        self.assertProblem(self.answer(sid, {"safety": "maybe", "law_enforcement": "satisfied"},
                                       token=inv[1]["token"], expect=400), 400, field="answers.safety")
        # the failed attempts did not spend the second token
        self.answer(sid, ans, token=inv[1]["token"])
        got = self.admin.get("/api/v1/surveys/%d" % sid).data
        self.assertEqual((got["responses"], got["invitations"], got["invitations_used"]), (2, 2, 2))

    # ---- closing --------------------------------------------------------------------------

    def test_closed_survey_refuses_responses(self):
        s = self.create()
        sid = s["id"]
        self.admin.post("/api/v1/surveys/%d/open" % sid)
        tokens = self.invite(sid, 1)
        r = self.admin.post("/api/v1/surveys/%d/close" % sid)
        self.assertStatus(r, 200)
        self.assertEqual(r.data["state"], "closed")
        r = self.answer(sid, {"safety": "safe", "law_enforcement": "satisfied"}, token=tokens[0],
                        expect=409)
        self.assertProblem(r, 409, slug="survey-closed")
        self.assertProblem(self.admin.post("/api/v1/surveys/%d/close" % sid), 409)
        self.assertProblem(self.admin.post("/api/v1/surveys/%d/open" % sid), 409)

    # ---- the open link ---------------------------------------------------------------------

    def test_open_link_flood_is_limited(self):
        d = copy.deepcopy(DEFINITION)
        d["access"] = "open"
        d["series"] = "open-flood"
        sid = self.create(d)["id"]
        self.admin.post("/api/v1/surveys/%d/open" % sid)
        form = SRV.public().get("/api/public/surveys/%d" % sid).data
        self.assertIn(self.dongmen, [p["id"] for p in form["places"]])
        ans = {"safety": "safe", "law_enforcement": "satisfied"}
        src = "127.0.0.71"
        self.answer(sid, ans, place=self.dongmen, source=src)
        self.answer(sid, ans, place=self.dongmen, source=src)
        codes = [self.answer(sid, ans, place=self.dongmen, source=src, expect=None).status
                 for _ in range(5)]
        self.assertEqual(set(codes), {429})
        r = SRV.public(source=src).post("/api/public/surveys/%d/responses" % sid,
                                        {"answers": ans, "place": self.dongmen})
        self.assertProblem(r, 429)
        self.assertIn("retry-after", r.headers)
        # another address is not affected; a unit is not a place
        self.answer(sid, ans, place=self.dongmen, source="127.0.0.72")
        self.assertProblem(self.answer(sid, ans, place=org_id(self.admin, "district-xfj"),
                                       source="127.0.0.73", expect=400), 400, field="place")
        self.assertEqual(self.admin.get("/api/v1/surveys/%d" % sid).data["responses"], 3)

    # ---- results ----------------------------------------------------------------------------

    def test_results_with_hand_worked_intervals(self):
        sid = self.create()["id"]
        self.admin.post("/api/v1/surveys/%d/open" % sid)
        tokens = self.invite(sid, 10, place=self.dongmen)
        for tok, a, b in zip(tokens, SAFETY_ANSWERS, SATISFACTION_ANSWERS):
            self.answer(sid, {"safety": a, "law_enforcement": b}, token=tok)
        # two more respondents in 滨江社区 (河西街道)
        for tok in self.invite(sid, 2, place=self.binjiang):
            self.answer(sid, {"safety": "unsafe", "law_enforcement": "very_dissatisfied"}, token=tok)
        res = self.admin.get("/api/v1/surveys/%d/results" % sid).data
        self.assertEqual(res["method"]["rate"], "wilson")
        self.assertEqual(res["overall"]["responses"], 12)

        dong = [c for c in res["communities"] if c["org"]["id"] == self.dongmen][0]
        self.assertEqual(dong["responses"], 10)
        safety, law = dong["questions"]
        # Safety rate in 东门: 10 answers, 1 说不清 excluded → n = 9 valid, x = 4 + 3 = 7.
        # Wilson, z = 1.959964: p = 7/9 = 0.777778; z²/n = 0.426829;
        # centre = (p + z²/2n)/(1 + z²/n) = (0.777778 + 0.213415)/1.426829 = 0.694682;
        # half = z/(1 + z²/n)·√(p(1-p)/n + z²/4n²) = 1.373643·√(0.019204 + 0.011857) = 0.242093;
        # interval = (0.452589, 0.936775).
        self.assertEqual((safety["answers"], safety["excluded"], safety["valid"]), (10, 1, 9))
        self.assertAlmostEqual(safety["rate"]["value"], 7 / 9, places=6)
        self.assertAlmostEqual(safety["rate"]["low"], 0.452589, places=5)
        self.assertAlmostEqual(safety["rate"]["high"], 0.936775, places=5)
        self.assertIsNone(safety["score"])  # the safety scale has no points
        # Law-enforcement score in 东门: points 100,100,100,80,80,80,60,30,0 (说不清 excluded):
        # n = 9, mean = 630/9 = 70; Σ(x-70)² = 3·900 + 3·100 + 100 + 1600 + 4900 = 9600;
        # s² = 9600/8 = 1200, s = 34.641016; se = s/3 = 11.547005;
        # t(0.975, 8) = 2.306004; half = 26.627443; interval = (43.372557, 96.627443).
        self.assertEqual(law["valid"], 9)
        self.assertAlmostEqual(law["score"]["value"], 70.0, places=6)
        self.assertAlmostEqual(law["score"]["low"], 43.372557, places=4)
        self.assertAlmostEqual(law["score"]["high"], 96.627443, places=4)
        # its satisfaction rate (基本满意 or above): 7 of 9, the same Wilson interval as above
        self.assertAlmostEqual(law["rate"]["low"], 0.452589, places=5)
        # Composite in 东门: 0.5·77.7778 (safety rate ×100) + 0.5·70 (score) = 73.8889;
        # se(safety) = 100·√(p(1-p)/9) = 13.85799, se(score) = 11.547005;
        # half = 1.959964·√(0.25·13.85799² + 0.25·11.547005²) = 1.959964·9.019108 = 17.677128.
        comp = dong["composite"]
        self.assertAlmostEqual(comp["value"], 73.888889, places=4)
        self.assertAlmostEqual(comp["low"], 73.888889 - 17.677128, places=4)
        self.assertAlmostEqual(comp["high"], 73.888889 + 17.677128, places=4)

        # streets: 城关 holds 东门's ten, 河西 滨江's two
        streets = {s["org"]["id"]: s for s in res["streets"]}
        self.assertEqual(streets[self.chengguan]["responses"], 10)
        hexi = [s for s in res["streets"] if s["org"]["code"] == "hexi"][0]
        self.assertEqual(hexi["responses"], 2)
        self.assertEqual(hexi["questions"][0]["rate"]["value"], 0.0)
        # overall: safety 7 positive of 11 valid
        self.assertAlmostEqual(res["overall"]["questions"][0]["rate"]["value"], 7 / 11, places=6)
        self.assertEqual(res["trend"][-1]["survey"]["id"], sid)

        # a second round of the series: the trend lists both, oldest first, with the change
        self.admin.post("/api/v1/surveys/%d/close" % sid)
        d2 = copy.deepcopy(DEFINITION)
        d2["title"] = "2027年第一季度群众安全感和满意度调查"
        sid2 = self.create(d2)["id"]
        self.admin.post("/api/v1/surveys/%d/open" % sid2)
        for tok in self.invite(sid2, 2, place=self.dongmen):
            self.answer(sid2, {"safety": "safe", "law_enforcement": "very_satisfied"}, token=tok)
        res2 = self.admin.get("/api/v1/surveys/%d/results" % sid2).data
        ids = [t["survey"]["id"] for t in res2["trend"]]
        self.assertIn(sid, ids)
        self.assertEqual(ids[-1], sid2)
        prev = [t for t in res2["trend"] if t["survey"]["id"] == sid][0]
        self.assertAlmostEqual(res2["trend"][-1]["composite"]["value"], 100.0, places=6)
        self.assertAlmostEqual(res2["trend"][-1]["composite_change"],
                               100.0 - prev["composite"]["value"], places=6)
        # readers: an auditor may read results, intake may not
        self.assertStatus(SRV.client("auditor").get("/api/v1/surveys/%d/results" % sid2), 200)
        self.assertProblem(self.intake.get("/api/v1/surveys/%d/results" % sid2), 403)

    def test_list(self):
        self.create()
        r = self.admin.get("/api/v1/surveys", {"state": "draft"})
        self.assertStatus(r, 200)
        self.assertTrue(all(s["state"] == "draft" for s in r.data["items"]))
        self.assertProblem(self.admin.get("/api/v1/surveys", {"state": "bogus"}), 400, field="state")


if __name__ == "__main__":
    H.run_module()

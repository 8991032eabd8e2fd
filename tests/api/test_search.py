#!/usr/bin/env python3
"""
test_search.py — full-text search over HTTP (docs/search.md): Chinese
queries of one, two and three or more characters, English and mixed text,
punctuation and quotes, query syntax typed by a user (always plain text,
never a 500), escaped snippets, notes (comments) found, the inbox filters,
users who may not see a matching case (another unit; an accusation against
the user's own unit), similar cases at intake, and the order of a full window (newest first,
unranked) against one that holds every match (ranked).

Run: python3 tests/api/test_search.py   (PINGAN_BIN = the binary)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}

LAMP = ("东门社区路灯损坏", "晚上一片漆黑，老人出行不便。Street LIGHT broken near Gate 5.")
NOISE = ("楼下KTV夜间噪音扰民", "楼下KTV每天营业到凌晨两点，噪音很大，无法入睡。")
CANTEEN = ("建议增设\"老年食堂\"", "建议：增设老年食堂（每周七天）！方便社区老人就餐。")
XSS = ("网格内井盖缺失", "<script>alert(1)</script>井盖缺失很危险 & 需尽快处理")
SECRET = ("举报信访局某人吃拿卡要", "信访局工作人员索要烟酒，涉嫌违纪。")

CASES = {}


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV
    intake = SRV.client("intake")
    orgs = {o["code"]: o["id"] for o in intake.get("/api/v1/orgs").data["items"]}
    for key, (title, body) in {"lamp": LAMP, "noise": NOISE, "canteen": CANTEEN, "xss": XSS}.items():
        d = H.submit_petition(SRV, title=title, body=body)
        CASES[key] = H.find_case_id(intake, d["number"])
    d = H.submit_petition(SRV, category="accusation", title=SECRET[0], body=SECRET[1], contact=False,
                          accused_org_id=orgs["district-xfj"])
    CASES["secret"] = H.find_case_id(SRV.client("discipline"), d["number"])
    assert all(CASES.values()), CASES


def tearDownModule():
    if SRV:
        SRV.stop()


class SearchTest(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")

    def search(self, q, client=None, expect=200, **params):
        params["q"] = q
        r = (client or self.intake).get("/api/v1/search/cases", params)
        self.assertEqual(r.status, expect, "q=%r -> %d %r" % (q, r.status, r.data))
        return r.data

    def ids(self, q, client=None, **params):
        return [c["id"] for c in self.search(q, client, **params)["items"]]

    # ---- Chinese: one, two, three and more characters ---------------------------

    def test_one_character(self):
        self.assertEqual(self.ids("灯"), [CASES["lamp"]])
        self.assertEqual(self.ids("噪"), [CASES["noise"]])
        # a character at the end of a run (no bigram starts with it there)
        self.assertIn(CASES["xss"], self.ids("险"))

    def test_two_characters(self):
        self.assertEqual(self.ids("路灯"), [CASES["lamp"]])
        self.assertEqual(self.ids("入睡"), [CASES["noise"]])
        self.assertEqual(self.ids("灯路"), [])  # adjacent, in that order

    def test_three_and_more_characters(self):
        self.assertEqual(self.ids("路灯损坏"), [CASES["lamp"]])
        self.assertEqual(self.ids("老年食堂"), [CASES["canteen"]])
        self.assertEqual(self.ids("老年食堂关门"), [])

    def test_terms_are_all_required(self):
        self.assertEqual(self.ids("路灯 老人"), [CASES["lamp"]])
        self.assertEqual(self.ids("路灯 噪音"), [])

    # ---- English and mixed --------------------------------------------------------

    def test_english_ignores_case(self):
        self.assertEqual(self.ids("street light"), [CASES["lamp"]])
        self.assertEqual(self.ids("GATE"), [CASES["lamp"]])
        # a short Latin term through the gram index, full-width folded
        self.assertEqual(self.ids("Ｇａ"), [CASES["lamp"]])

    def test_mixed_chinese_and_english(self):
        self.assertEqual(self.ids("ktv夜间"), [CASES["noise"]])
        self.assertEqual(self.ids("路灯 broken"), [CASES["lamp"]])
        self.assertEqual(self.ids("KTV 灯"), [])
        self.assertEqual(self.ids("street 灯"), [CASES["lamp"]])
        self.assertEqual(self.ids("street 灯路"), [])
        # a long term with a space beside a short one (the grams of each candidate)
        self.assertEqual(self.ids('"Gate 5" 灯'), [CASES["lamp"]])
        self.assertEqual(self.ids('"Gate 5" 噪'), [])
        # long and short terms in one MATCH of the gram index: runs of word characters
        self.assertEqual(self.ids("噪音扰民 楼下"), [CASES["noise"]])
        self.assertEqual(self.ids("噪音扰民 路灯"), [])
        self.assertEqual(self.ids("扰民楼 楼下"), [])   # a long term is adjacent characters

    # ---- punctuation and quotes ---------------------------------------------------

    def test_punctuation_separates_terms(self):
        self.assertEqual(self.ids("老年，食堂！"), [CASES["canteen"]])
        self.assertEqual(self.ids("建议：增设"), [CASES["canteen"]])

    def test_quoted_phrase_is_literal(self):
        self.assertEqual(self.ids('"（每周七天）"'), [CASES["canteen"]])
        self.assertEqual(self.ids('"Gate 5"'), [CASES["lamp"]])
        self.assertEqual(self.ids('"Gate  6"'), [])
        # a quote left open runs to the end
        self.assertEqual(self.ids('"street light'), [CASES["lamp"]])
        # a quote inside a title is found and marked
        d = self.search('"老年食堂"')
        self.assertEqual(d["items"][0]["title_html"], "建议增设&quot;<mark>老年食堂</mark>&quot;")

    # ---- what users type is never query syntax -------------------------------------

    def test_injection_is_text(self):
        for q in ['灯" OR "噪音', 'NEAR(路灯 噪音)', 'title:路灯', '路灯*', '^路灯', '路灯 AND',
                  '路灯 OR 噪音', '") OR 1=1 --', "'; DROP TABLE cases; --", '%路灯%', '路灯"""',
                  '{title body}: 灯', '- 路灯', '路灯 NOT 老人', '\\"灯']:
            r = self.intake.get("/api/v1/search/cases", {"q": q})
            self.assertIn(r.status, (200, 400), "q=%r -> %d %r" % (q, r.status, r.data))
            if r.status == 400:
                self.assertProblem(r, 400, field="q")
        # operators are words: 路灯 OR 噪音 needs the word "or" as well
        self.assertEqual(self.ids("路灯 OR 噪音"), [])
        self.assertEqual(self.ids("路灯*"), [CASES["lamp"]])
        # the tables are still there
        self.assertEqual(self.ids("路灯"), [CASES["lamp"]])

    def test_bad_queries(self):
        self.assertProblem(self.intake.get("/api/v1/search/cases"), 400, field="q")
        self.assertProblem(self.intake.get("/api/v1/search/cases", {"q": "，。！"}), 400, field="q")
        self.assertProblem(self.intake.get("/api/v1/search/cases", {"q": "灯" * 201}), 400, field="q")
        self.assertProblem(self.intake.get("/api/v1/search/cases", {"q": "a b c d e f g h i"}), 400,
                           field="q")
        self.assertProblem(self.intake.get("/api/v1/search/cases", {"q": "灯\x01"}), 400, field="q")
        self.assertProblem(self.intake.get("/api/v1/search/cases", {"q": "灯", "cursor": "x"}), 400,
                           field="cursor")

    # ---- snippets -------------------------------------------------------------------

    def test_snippet_is_escaped_and_marked(self):
        d = self.search("井盖")
        item = d["items"][0]
        self.assertEqual(item["id"], CASES["xss"])
        self.assertEqual(item["matched_in"], "title")
        self.assertEqual(item["title_html"], "网格内<mark>井盖</mark>缺失")
        sn = item["snippet_html"]
        self.assertNotIn("<script>", sn)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;<mark>井盖</mark>缺失很危险 &amp; 需尽快处理", sn)
        # the markup in a snippet is only <mark>
        d = self.search("script")
        sn = d["items"][0]["snippet_html"]
        self.assertEqual(sn.replace("<mark>", "").replace("</mark>", "").count("<"), 0)
        self.assertIn("&lt;<mark>script</mark>&gt;", sn)

    def test_comment_is_found_as_a_note(self):
        r = self.intake.post("/api/v1/cases/%d/comments" % CASES["noise"], {"text": "已联系城管执法中队夜查"})
        self.assertStatus(r, 201)
        d = self.search("执法中队")
        self.assertEqual([c["id"] for c in d["items"]], [CASES["noise"]])
        self.assertEqual(d["items"][0]["matched_in"], "notes")
        self.assertIn("<mark>执法中队</mark>", d["items"][0]["snippet_html"])
        self.assertEqual(self.ids("夜查"), [CASES["noise"]])
        # long and short terms together: the short one found among the row's grams, notes too
        self.assertEqual(self.ids("KTV 夜查"), [CASES["noise"]])
        self.assertEqual(self.ids("执法中队 噪"), [CASES["noise"]])
        self.assertEqual(self.ids("执法中队 灯"), [])

    # ---- filters, visibility and paging ------------------------------------------------

    def test_inbox_filters_apply(self):
        self.assertEqual(self.ids("路灯", type="petition", open="true"), [CASES["lamp"]])
        self.assertEqual(self.ids("路灯", state="closed"), [])
        self.assertEqual(self.ids("路灯", open="false"), [])
        self.assertProblem(self.intake.get("/api/v1/search/cases", {"q": "灯", "type": "nope"}), 400,
                           field="type")

    def test_another_unit_sees_nothing(self):
        housing = SRV.client("housing")
        self.assertEqual(self.ids("路灯", client=housing), [])
        self.assertEqual(self.ids("灯", client=housing), [])

    def test_accusation_is_sealed_from_the_accused_unit(self):
        for who in ("intake", "xfj", "supervisor"):
            c = SRV.client(who)
            self.assertEqual(self.ids("吃拿卡要", client=c), [], who)
            self.assertEqual(self.ids("烟酒", client=c), [], who)
            self.assertEqual(self.ids("拿", client=c), [], who)
        self.assertEqual(self.ids("吃拿卡要", client=SRV.client("discipline")), [CASES["secret"]])

    def test_paging(self):
        first = self.search("社区", limit=1)
        self.assertEqual(len(first["items"]), 1)
        self.assertIsNotNone(first["next_cursor"])
        seen = [first["items"][0]["id"]]
        cursor = first["next_cursor"]
        while cursor:
            d = self.search("社区", limit=1, cursor=cursor)
            seen.extend(c["id"] for c in d["items"])
            cursor = d["next_cursor"]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertIn(CASES["lamp"], seen)
        self.assertIn(CASES["canteen"], seen)
        self.assertFalse(first["window_full"])

    def test_title_ranks_first(self):
        # 噪音 is in the noise case's title; a second case mentions it in its body only
        d = H.submit_petition(SRV, title="夜间施工扰民", body="工地夜间施工，噪音扰民。")
        other = H.find_case_id(self.intake, d["number"])
        ids = self.ids("噪音")
        self.assertEqual(ids[0], CASES["noise"])
        self.assertIn(other, ids)

    # ---- similar cases ------------------------------------------------------------------

    def test_similar_at_intake(self):
        r = self.intake.post("/api/v1/search/similar", {"title": "东门社区的路灯坏了",
                                                         "body": "晚上一片漆黑"})
        d = self.assertStatus(r, 200)
        self.assertEqual(d["items"][0]["id"], CASES["lamp"])
        self.assertGreater(d["items"][0]["similarity"], 0)
        r = self.intake.get("/api/v1/cases/%d/similar" % CASES["lamp"])
        d = self.assertStatus(r, 200)
        self.assertNotIn(CASES["lamp"], [c["id"] for c in d["items"]])
        # the accused unit is never shown the accusation as a similar case
        r = self.intake.post("/api/v1/search/similar", {"title": SECRET[0], "body": SECRET[1]})
        d = self.assertStatus(r, 200)
        self.assertNotIn(CASES["secret"], [c["id"] for c in d["items"]])
        self.assertProblem(self.intake.post("/api/v1/search/similar", {"body": "x"}), 400, field="title")
        self.assertProblem(self.intake.post("/api/v1/search/similar", {"title": "x", "limit": 0}), 400,
                           field="limit")


class WindowOrderTest(H.ApiTestCase):
    """search.window = 3 on a server of its own: three or more matches fill the
    window and are listed newest first, unranked; fewer are ranked."""

    @classmethod
    def setUpClass(cls):
        cls.srv = H.Server(env=dict(ENV, PINGAN_SEARCH_WINDOW="3")).start()
        cls.intake = cls.srv.client("intake")
        cls.ids = {}
        for key, title, body in (
                ("title", "路面塌陷很危险", "东街口，请尽快处理。"),        # oldest; the term in the title
                ("body1", "报修", "北街路面塌陷了，坑很深。"),
                ("body2", "报修", "西街路面塌陷了，请尽快处理。"),
                ("body3", "报修", "南街路面塌陷了，积水。")):      # newest
            d = H.submit_petition(cls.srv, title=title, body=body)
            cls.ids[key] = H.find_case_id(cls.intake, d["number"])

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def search(self, q):
        r = self.intake.get("/api/v1/search/cases", {"q": q})
        return self.assertStatus(r, 200)

    def test_full_window_is_newest_first_unranked(self):
        d = self.search("路面塌陷")   # four matches, a window of three
        self.assertTrue(d["window_full"])
        self.assertEqual(d["order"], "newest")
        self.assertEqual([c["id"] for c in d["items"]],
                         [self.ids["body3"], self.ids["body2"], self.ids["body1"]])
        self.assertEqual({c["rank"] for c in d["items"]}, {0})

    def test_matches_that_fit_are_ranked(self):
        d = self.search("路面塌陷 尽快")   # two matches: the older one has the term in its title
        self.assertFalse(d["window_full"])
        self.assertEqual(d["order"], "relevance")
        self.assertEqual([c["id"] for c in d["items"]], [self.ids["title"], self.ids["body2"]])
        self.assertLess(d["items"][0]["rank"], d["items"][1]["rank"])
        # a short term beside a long one (one MATCH on the gram index) ranks too
        d = self.search("塌陷 很危险")
        self.assertEqual(d["order"], "relevance")
        self.assertEqual([c["id"] for c in d["items"]], [self.ids["title"]])
        self.assertLess(d["items"][0]["rank"], 0)


if __name__ == "__main__":
    H.run_module()

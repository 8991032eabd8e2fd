#!/usr/bin/env python3
"""
test_bad_input.py — every kind of bad input gets a 4xx problem document
naming what was wrong, never a crash and never a half-written case:
validation (400), media types (415), sizes (413), routes (404/405), markup
in text (escaped), the public and query-code rate limits (429), multipart
submissions with an attachment, and 200 random malformed requests.

Run: python3 tests/api/test_bad_input.py   (PINGAN_BIN = the binary)
"""
import json
import os
import random
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {
    "PINGAN_LIMITS_MAX_FILE": "1024",            # the smallest allowed: one attachment ≤ 1 KiB
    "PINGAN_RATE_QUERY_CODE_PER_MINUTE": "3",    # wrong query codes per minute per address
    "PINGAN_RATE_PUBLIC_PER_MINUTE": "6000",     # the per-address public limit is tested on its own server
    "PINGAN_RATE_PUBLIC_BURST": "1000",
}
MIB = 1024 * 1024


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


def elf_binary():
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + bytes(range(256)) * 2


class Bad(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")
        cls.sup = SRV.client("supervisor")
        cls.pub = SRV.public()

    def count(self):
        """Cases anyone can see: the supervisor's district-wide inbox, any state,
        and the open cases the metrics count."""
        n = len(self.sup.inbox(open="any"))
        m = re.search(r"(?m)^pingan_cases_open (\d+)$", self.pub.get("/metrics").raw.decode())
        return n, int(m.group(1)) if m else None

    def bad(self, r, status, slug=None, field=None, before=None):
        """A problem document, and (with before) no new case."""
        body = self.assertProblem(r, status, slug, field)
        if before is not None:
            self.assertEqual(self.count(), before, "a refused request left a case behind: %r" % (body,))
        return body

    def own_case(self):
        """A new case owned by the petition office (intake's unit)."""
        d = H.submit_petition(SRV)
        return H.find_case_id(self.intake, d["number"])

    def post_case(self, body, staff=False, **kw):
        c = self.intake if staff else self.pub
        return c.post("/api/v1/cases" if staff else "/api/public/cases", body, **kw)

    # ---- 400: the case submission ----------------------------------------------

    def test_validation_names_the_field(self):
        before = self.count()
        no_title = H.petition_body()
        del no_title["title"]
        cases = [
            (no_title, "validation", "title"),
            (H.petition_body(title=""), "validation", "title"),
            (H.petition_body(title="字" * 201), "validation", "title"),
            (H.petition_body(title="a\u0007b"), "validation", "title"),
            (H.petition_body(body="字" * 20001), "validation", "body"),
            (H.petition_body(foo=1), "validation", "foo"),
            (H.petition_body(contact={"name": "张三", "nickname": "三儿"}), "validation", "contact.nickname"),
            (H.petition_body(title=5), "validation", "title"),
            (H.petition_body(title=["a"]), "validation", "title"),
            (H.petition_body(body={"text": "x"}), "validation", "body"),
            (H.petition_body(contact="张三 13812345678"), "validation", "contact"),
            (H.petition_body(contact={"name": "张三", "phone": 13812345678}), "validation", "contact.phone"),
            (H.petition_body(accused_org_id="x"), "validation", "accused_org_id"),
            (H.petition_body(contact={"name": "张三", "phone": "12ab"}), "validation", "contact.phone"),
            (H.petition_body(contact={"name": "张三", "phone": "138123456789012345678"}), "validation",
             "contact.phone"),
            (H.petition_body(contact={"name": "张三", "id_number": "110105194912310021"}), "validation",
             "contact.id_number"),  # wrong check digit
            (H.petition_body(contact={"name": "张三", "id_number": "12345"}), "validation", "contact.id_number"),
            (H.petition_body(contact={"name": "", "phone": "13812345678"}), "validation", "contact.name"),
            (H.petition_body(contact={"name": "张" * 51}), "validation", "contact.name"),
            (H.petition_body(category="wish"), "validation", "category"),
            (H.petition_body(category=None), "validation", "category"),
            (H.petition_body(type="complaint"), "validation", "type"),
        ]
        for body, slug, field in cases:
            with self.subTest(field=field, body=json.dumps(body, ensure_ascii=False)[:120]):
                self.bad(self.post_case(body), 400, slug, field)
                self.bad(self.post_case(body, staff=True), 400, slug, field)
        # only accusations may be anonymous (staff may register a visit without contact details)
        self.bad(self.post_case(H.petition_body(contact=None)), 400, "validation", "contact")
        self.assertEqual(self.count(), before)
        # exactly 200 characters is fine (Chinese characters count as one each)
        self.assertStatus(self.post_case(H.petition_body(title="字" * 200)), 201)

    def test_problem_details_follow_the_language(self):
        # The detail says what is wrong with which field: in zh-CN by default and
        # for a Chinese Accept-Language, in English for en (header or ?lang=en).
        zh, en = SRV.public(lang="zh-CN,zh;q=0.9"), SRV.public(lang="en")
        default = SRV.public()
        phone = H.petition_body(contact={"name": "张三", "phone": "12ab"})
        for c in (zh, default):
            d = self.bad(c.post("/api/public/cases", phone), 400, "validation", "contact.phone")
            self.assertEqual(d["detail"], "contact.phone 不是有效的电话号码", d)
        d = self.bad(en.post("/api/public/cases", phone), 400, "validation", "contact.phone")
        self.assertEqual(d["detail"], "contact.phone is not a phone number", d)
        d = self.bad(default.post("/api/public/cases?lang=en", phone), 400, "validation", "contact.phone")
        self.assertEqual(d["detail"], "contact.phone is not a phone number", d)
        # a number formatted into the sentence, in both
        long_title = H.petition_body(title="字" * 201)
        d = self.bad(zh.post("/api/public/cases", long_title), 400, "validation", "title")
        self.assertEqual(d["detail"], "title 超过 200 个字符", d)
        d = self.bad(en.post("/api/public/cases", long_title), 400, "validation", "title")
        self.assertEqual(d["detail"], "title is longer than 200 characters", d)
        # staff get the same, from the HTTP layer too (bad JSON, unknown path)
        staff_en = SRV.client("intake", fresh=True, lang="en")
        r = self.intake.post("/api/v1/cases", b'{"a":1,\n"b":}', content_type="application/json")
        self.assertIn("第 2 行", self.bad(r, 400, "bad-json", "body")["detail"])
        r = staff_en.post("/api/v1/cases", b'{"a":1,\n"b":}', content_type="application/json")
        self.assertIn("at line 2", self.bad(r, 400, "bad-json", "body")["detail"])
        self.assertEqual(self.bad(zh.get("/api/v1/nothing"), 404, "not-found")["detail"], "资源不存在")
        self.assertEqual(self.bad(en.get("/api/v1/nothing"), 404, "not-found")["detail"], "no such resource")
        # every refused submission of test_validation_names_the_field says it in Chinese
        bad_bodies = [
            H.petition_body(title=""), H.petition_body(title=5), H.petition_body(foo=1),
            H.petition_body(contact={"name": "张三", "nickname": "三儿"}),
            H.petition_body(contact="张三 13812345678"), H.petition_body(accused_org_id="x"),
            H.petition_body(contact={"name": "张三", "id_number": "12345"}),
            H.petition_body(category="wish"), H.petition_body(category=None),
            H.petition_body(type="complaint"), H.petition_body(contact=None),
        ]
        for body in bad_bodies:
            with self.subTest(body=json.dumps(body, ensure_ascii=False)[:120]):
                d = self.bad(zh.post("/api/public/cases", body), 400, "validation")
                self.assertRegex(d.get("detail", ""), "[\u4e00-\u9fff]", d)
                d = self.bad(en.post("/api/public/cases", body), 400, "validation")
                self.assertNotRegex(d.get("detail", ""), "[\u4e00-\u9fff]", d)

    def test_blank_title_and_body_are_missing(self):
        # A title or body of only spaces is no title: the workflow's own
        # required text fields say "must not be blank", the case fields should too.
        before = self.count()
        self.bad(self.post_case(H.petition_body(title="   ")), 400, "validation", "title", before)
        self.bad(self.post_case(H.petition_body(body=" \n\t ")), 400, "validation", "body", before)

    def test_bad_json(self):
        before = self.count()
        good = json.dumps(H.petition_body(title="XX"), ensure_ascii=False)
        for raw, what in [
            (b'{"type":', "truncated"),
            (b"", "empty"),
            (b"not json", "not json"),
            (b"[]", "array"),
            (b'"text"', "string"),
            (b'{"type":"petition","type":"petition","category":"grievance","title":"a","body":"b"}', "duplicate keys"),
            (good.replace("XX", "\\u0000").encode(), "NUL escape"),
            (good.encode().replace(b"XX", b"\xff\xfe"), "invalid UTF-8"),
            (good.encode().replace(b"XX", b"\xed\xa0\x80"), "UTF-8 surrogate"),
            (good.replace("XX", "\\ud800").encode(), "lone surrogate escape"),
            (good.encode() + b" {}", "trailing data"),
        ]:
            with self.subTest(what=what):
                self.bad(self.pub.post("/api/public/cases", raw, content_type="application/json"), 400, "bad-json",
                         before=before)
        # on staff routes and the login too
        self.bad(self.intake.post("/api/v1/cases", b"{", content_type="application/json"), 400, "bad-json")
        self.bad(self.pub.post("/api/v1/session", b'{"username":"a","username":"b","password":"x"}',
                               content_type="application/json"), 400, "bad-json")
        cid = self.own_case()
        self.bad(self.intake.post("/api/v1/cases/%d/comments" % cid, b'{"text":"a"', content_type="application/json"),
                 400, "bad-json")

    def test_bad_query_parameters(self):
        for q, field in [("limit=0", "limit"), ("limit=abc", "limit"), ("limit=501", "limit"), ("limit=-1", "limit"),
                         ("limit=1.5", "limit"), ("cursor=garbage", "cursor"), ("cursor=1.0", "cursor"),
                         ("cursor=1.2.3", "cursor"), ("due_before=notadate", "due_before"),
                         ("due_before=2026-13-45", "due_before"), ("overdue=maybe", "overdue"), ("open=sometimes", "open"),
                         ("due_soon=false", "due_soon"), ("due_soon=soon", "due_soon"),
                         ("owner_org=x", "owner_org"), ("type=complaint", "type"), ("limit=%zz", "query"),
                         ("a=%ff", "query")]:
            with self.subTest(q=q):
                self.bad(self.intake.get("/api/v1/cases?" + q), 400, "validation", field)
        # the good ones
        for q in ("limit=1", "due_before=2030-01-01", "overdue=false", "open=any", "type=petition", "due_soon=true",
                  "due_soon=any"):
            self.assertStatus(self.intake.get("/api/v1/cases?" + q), 200)

    def test_the_longest_query_fits_in_a_connections_memory(self):
        """HTTP_CONN_MEMORY (16 KiB) holds the request head: a query string of
        HTTP_MAX_QUERY_BYTES with a browser's headers and other cookies beside
        the session's still reaches Pingan (not libmicrohttpd's 431), and one
        byte more is Pingan's own 400 naming the query."""
        browser = {
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                          "Chrome/120.0.0.0 Safari/537.36 " + "x" * 150,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                      "image/webp,*/*;q=0.8",
            "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
            "Accept-Encoding": "gzip, deflate, br",
            "Cookie": "pingan_session=%s; theme=dark; %s" % (
                self.intake.cookie, "; ".join("c%d=%s" % (i, "v" * 90) for i in range(10))),
        }
        fill = 8192 - len("pad=")
        r = self.intake.get("/api/v1/session?pad=" + "a" * fill, headers=browser)
        self.assertStatus(r, 200)
        self.assertEqual(r.data["user"]["username"], "intake")
        self.bad(self.intake.get("/api/v1/session?pad=" + "a" * (fill + 1), headers=browser),
                 400, "validation", "query")

    def test_inbox_paging_is_complete(self):
        for _ in range(5):
            H.submit_petition(SRV)
        for _ in range(3):  # closed cases have no due time: they page too
            self.intake.act(self.own_case(), "refuse", {"reason": "不属于信访事项", "legal_channel": "other"})
        self.intake.act(self.own_case(), "accept")
        everything = [c["id"] for c in self.sup.inbox(open="any")]
        self.assertGreaterEqual(len(everything), 5)
        paged, cursor = [], None
        for _ in range(200):
            params = {"limit": 2, "open": "any"}
            if cursor:
                params["cursor"] = cursor
            page = self.assertStatus(self.sup.get("/api/v1/cases", params), 200)
            self.assertLessEqual(len(page["items"]), 2)
            paged += [c["id"] for c in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(paged, everything)
        self.assertEqual(len(set(paged)), len(paged))

    # ---- 415 -----------------------------------------------------------------------

    def test_unsupported_media_types(self):
        before = self.count()
        text = json.dumps(H.petition_body(), ensure_ascii=False)
        self.bad(self.pub.post("/api/public/cases", text, content_type="text/plain"), 415,
                 "unsupported-media-type", before=before)
        self.bad(self.pub.post("/api/public/cases", text), 415, "unsupported-media-type", before=before)  # no type
        self.bad(self.pub.post("/api/public/cases", "type=petition", content_type="application/x-www-form-urlencoded"),
                 415, "unsupported-media-type", before=before)
        self.bad(self.intake.post("/api/v1/cases", text, content_type="text/plain"), 415, "unsupported-media-type",
                 before=before)
        self.bad(self.pub.post("/api/v1/session", '{"username":"intake","password":"x"}', content_type="text/plain"),
                 415, "unsupported-media-type")
        # attachments that are not documents
        for name, data in [("page.html", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
                           ("image.svg", b'  <svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
                           ("run.bin", elf_binary()),
                           ("run.png", elf_binary())]:  # the name does not decide, the bytes do
            with self.subTest(name=name):
                body, ctype = H.multipart([("case", json.dumps(H.petition_body())),
                                           ("files", data, name, "image/png")])
                self.bad(self.pub.post("/api/public/cases", body, content_type=ctype), 415,
                         "unsupported-media-type", "files[0]", before)
                self.bad(self.intake.post("/api/v1/cases", body, content_type=ctype), 415,
                         "unsupported-media-type", "files[0]", before)
        cid = self.own_case()
        before = self.count()
        self.bad(self.intake.post("/api/v1/cases/%d/attachments" % cid, {"files": "x"}), 415,
                 "unsupported-media-type")

    # ---- 413 -----------------------------------------------------------------------

    def big_json(self, pad=int(1.1 * MIB)):
        """A valid submission padded with whitespace to over 1 MiB."""
        return (json.dumps(H.petition_body(title="超大请求"), ensure_ascii=False) + " " * pad).encode()

    def send_big(self, path, data, client, ctype="application/json"):
        hdrs = {"Content-Type": ctype, "Content-Length": str(len(data))}
        if client.cookie:
            hdrs["Cookie"] = "pingan_session=" + client.cookie
            hdrs["X-CSRF-Token"] = client.csrf
        return H.raw_exchange(SRV.port, H.request_head("POST", path, hdrs), data)

    def test_json_over_one_mib_on_a_json_route(self):
        cid = self.own_case()
        before = self.count()
        data = json.dumps({"text": "x" * (MIB + 10)}).encode()
        self.bad(self.send_big("/api/v1/cases/%d/comments" % cid, data, self.intake), 413, "too-large",
                 before=before)
        self.bad(self.send_big("/api/v1/session", self.big_json(), self.pub), 413, "too-large")
        self.assertStatus(self.pub.get("/healthz"), 200)

    def test_json_over_one_mib_on_an_upload_route(self):
        # limits.max_json ("bytes of a JSON request body", default 1M) holds
        # for JSON sent to the routes that also take multipart uploads.
        before = self.count()
        self.bad(self.send_big("/api/public/cases", self.big_json(), self.pub), 413, "too-large", before=before)
        self.bad(self.send_big("/api/v1/cases", self.big_json(), self.intake), 413, "too-large", before=before)

    def test_body_over_max_body(self):
        # Content-Length alone is enough: the server answers before reading
        head = H.request_head("POST", "/api/public/cases",
                              {"Content-Type": "application/json", "Content-Length": str(30 * MIB)})
        r = H.raw_exchange(SRV.port, head, b"{}")
        self.bad(r, 413, "too-large")
        self.assertStatus(self.pub.get("/healthz"), 200)

    def test_attachment_over_the_file_limit(self):
        before = self.count()
        png = H.tiny_png()
        big = png + b"\x00" * (2048 - len(png))  # still a PNG by its bytes, 2 KiB > 1 KiB
        body, ctype = H.multipart([("case", json.dumps(H.petition_body())), ("files", big, "big.png", "image/png")])
        self.bad(self.pub.post("/api/public/cases", body, content_type=ctype), 413, "too-large", "files[0]", before)
        self.bad(self.intake.post("/api/v1/cases", body, content_type=ctype), 413, "too-large", "files[0]", before)
        # the second file too
        body, ctype = H.multipart([("case", json.dumps(H.petition_body())), ("files", png, "ok.png"),
                                   ("files", big, "big.png")])
        self.bad(self.pub.post("/api/public/cases", body, content_type=ctype), 413, "too-large", "files[1]", before)
        # the limits the portal checks before sending are this server's configuration
        lim = self.pub.get("/api/public/limits")
        self.assertEqual(lim.status, 200, lim.data)
        self.assertEqual(lim.data["attachments"]["max_file_bytes"], 1024)
        self.assertEqual(lim.data["attachments"]["max_files"], 5)
        # more files than allowed (limits.max_files, default 5)
        body, ctype = H.multipart([("case", json.dumps(H.petition_body()))] +
                                  [("files", png + b"\x00" * i, "f%d.png" % i) for i in range(6)])
        self.bad(self.pub.post("/api/public/cases", body, content_type=ctype), 413, "too-large", "files", before)
        # on an existing case
        cid = self.own_case()
        body, ctype = H.multipart([("files", big, "big.png")])
        self.bad(self.intake.post("/api/v1/cases/%d/attachments" % cid, body, content_type=ctype), 413,
                 "too-large", "files[0]")
        self.assertEqual(self.intake.case(cid)["attachments"], [])

    # ---- 404 / 405 -------------------------------------------------------------------

    def test_unknown_routes(self):
        for path in ("/api", "/api/v1", "/api/v1/nothing", "/api/v1/cases/1/nothing", "/api/public/cases/a/b/c/d",
                     "/api/v2/cases", "/api/v1/cases/%2F", "/api/v1/cases/%00",
                     "/api/public/cases/%ff", "/api/" + "a/" * 40, "/x" * 1500, "/assets/missing.js",
                     "/%2e%2e/etc/passwd", "/../etc/passwd", "/.hidden"):
            with self.subTest(path=path[:60]):
                self.bad(self.pub.get(path), 404, "not-found")
        self.bad(self.pub.post("/api/v1/nothing", {"a": 1}), 404, "not-found")
        self.bad(self.pub.post("/console/inbox", {"a": 1}), 404, "not-found")
        # Other paths belong to the web application (client-side routes get its
        # index.html) when it is built, and are 404 problems when it is not.
        for path in ("/", "/HEALTHZ", "/healthz/", "/track/XF-2026-000001", "/console/inbox"):
            with self.subTest(path=path):
                st, hdrs, body = self.pub.get(path)
                if st == 200:
                    self.assertTrue(hdrs.get("content-type", "").startswith("text/html"), hdrs)
                    self.assertIn("default-src 'self'", hdrs.get("content-security-policy", ""))
                else:
                    self.bad((st, hdrs, body), 404, "not-found")

    def test_problem_titles_follow_the_language(self):
        r = SRV.public(lang="en").post("/api/public/cases", H.petition_body(title=""))
        self.assertEqual(self.bad(r, 400, "validation", "title")["title"], "Invalid request field")
        r = SRV.public(lang="zh-CN,zh;q=0.9").post("/api/public/cases", H.petition_body(title=""))
        self.assertEqual(self.bad(r, 400, "validation", "title")["title"], "请求参数有误")
        r = SRV.public().post("/api/public/cases?lang=en", H.petition_body(title=""))
        self.assertEqual(self.bad(r, 400, "validation", "title")["title"], "Invalid request field")
        r = SRV.public(lang="en").get("/api/v1/nothing")
        self.assertEqual(self.bad(r, 404, "not-found")["title"], "Not found")

    def test_head_requests(self):
        r = H.raw_exchange(SRV.port, H.request_head("HEAD", "/healthz", {}), b"", timeout=2)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.raw, b"")

    def test_wrong_methods(self):
        for method, path, allow in [("PUT", "/api/public/cases", {"POST"}),
                                    ("DELETE", "/healthz", {"GET", "HEAD"}),
                                    ("POST", "/healthz", {"GET", "HEAD"}),
                                    ("PATCH", "/api/v1/cases/1", {"GET", "HEAD"}),
                                    ("GET", "/api/v1/cases/1/comments", {"POST"}),
                                    ("PUT", "/api/v1/session", {"GET", "HEAD", "POST", "DELETE"})]:
            with self.subTest(method=method, path=path):
                r = self.intake.request(method, path)
                self.bad(r, 405, "method-not-allowed")
                got = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
                self.assertEqual(got, allow)

    # ---- markup is data ----------------------------------------------------------------

    def test_markup_round_trips_as_text(self):
        title = "<img src=x onerror=alert(1)>"
        body = "<script>alert(1)</script> & 'quotes' \"double\""
        d = self.assertStatus(self.pub.post("/api/public/cases", H.petition_body(title=title, body=body)), 201)
        r = H.track(SRV, d["number"], d["query_code"])
        self.assertStatus(r, 200)
        self.assertEqual(r.data["title"], title)
        cid = H.find_case_id(self.intake, d["number"])
        r = self.intake.get("/api/v1/cases/%d" % cid)
        self.assertEqual(r.data["title"], title)
        self.assertEqual(r.data["body"], body)
        self.intake.act(cid, "refuse", {"reason": "<b>bold</b> & <script>x</script>", "legal_channel": "other"})
        for resp in (r, self.intake.get("/api/v1/cases", {"limit": 500}), H.track(SRV, d["number"], d["query_code"]),
                     self.intake.get("/api/v1/cases/%d/events" % cid),
                     self.pub.post("/api/public/cases", H.petition_body(**{"<script>": 1})),
                     self.pub.get("/api/v1/<script>alert(1)</script>"),
                     self.pub.post("/api/public/cases", H.petition_body(category="<script>alert(1)</script>"))):
            with self.subTest(path=resp.status):
                self.assertNotIn(b"<script", resp.raw.lower())
                self.assertNotIn(b"<img", resp.raw.lower())
                self.assertNotIn(b"<b>", resp.raw.lower())
                self.assertIn("json", resp.headers.get("content-type", ""))
                self.assertEqual(resp.headers.get("x-content-type-options"), "nosniff")
        self.assertIn(b"\\u003cscript\\u003e", self.intake.get("/api/v1/cases/%d" % cid).raw)

    # ---- uploads that work ----------------------------------------------------------------

    def test_multipart_submission_with_a_png(self):
        png = H.tiny_png()
        body, ctype = H.multipart([("case", json.dumps(H.petition_body(title="附照片：路面塌陷"), ensure_ascii=False)),
                                   ("files", png, "现场照片.png", "image/png")])
        r = self.pub.post("/api/public/cases", body, content_type=ctype)
        d = self.assertStatus(r, 201)
        self.assertRegex(d["number"], H.NUMBER_RE)
        cid = H.find_case_id(self.intake, d["number"])
        c = self.intake.case(cid)
        self.assertEqual(c["title"], "附照片：路面塌陷")
        self.assertEqual(len(c["attachments"]), 1, c["attachments"])
        at = c["attachments"][0]
        self.assertEqual(at["mime"], "image/png")
        self.assertEqual(at["size"], len(png))
        self.assertRegex(at["sha256"], r"^[0-9a-f]{64}$")
        self.assertTrue(at["name"].endswith(".png"), at)
        # staff download
        r = self.intake.get("/api/v1/cases/%d/attachments/%s" % (cid, at["sha256"]))
        self.assertEqual(r.status, 200, r.data)
        self.assertEqual(r.raw, png)
        self.assertEqual(r.headers.get("content-type"), "image/png")
        self.assertTrue(r.headers.get("content-disposition", "").startswith("attachment"), r.headers)
        self.assertEqual(r.headers.get("x-content-type-options"), "nosniff")
        # public download with the code, listed on the public page
        v = H.track(SRV, d["number"], d["query_code"]).data
        self.assertEqual([a["sha256"] for a in v["attachments"]], [at["sha256"]])
        q = urllib.parse.quote(d["query_code"])
        r = self.pub.get("/api/public/cases/%s/attachments/%s?code=%s" % (d["number"], at["sha256"], q))
        self.assertEqual(r.status, 200, r.data)
        self.assertEqual(r.raw, png)
        # not without the code, nor from another unit, nor an unknown blob
        other = SRV.public(source="127.0.0.9")
        self.bad(other.get("/api/public/cases/%s/attachments/%s?code=0000000000" % (d["number"], at["sha256"])), 404)
        self.bad(SRV.client("housing").get("/api/v1/cases/%d/attachments/%s" % (cid, at["sha256"])), 404)
        self.bad(self.intake.get("/api/v1/cases/%d/attachments/%s" % (cid, "0" * 64)), 404)
        self.bad(self.intake.get("/api/v1/cases/%d/attachments/%s" % (cid, "..%2F..%2Fetc%2Fpasswd")), 404)
        # staff add a document; it is internal, not on the public page
        body, ctype = H.multipart([("files", "现场核查记录：已通知养护单位。\n", "记录.txt", "text/plain")])
        r = self.intake.post("/api/v1/cases/%d/attachments" % cid, body, content_type=ctype)
        items = self.assertStatus(r, 201)["items"]
        self.assertEqual(items[0]["mime"].split(";")[0], "text/plain")
        self.assertFalse(items[0]["public"])
        v = H.track(SRV, d["number"], d["query_code"]).data
        self.assertEqual(len(v["attachments"]), 1)
        self.bad(self.pub.get("/api/public/cases/%s/attachments/%s?code=%s" % (d["number"], items[0]["sha256"], q)),
                 404)

    def test_malformed_multipart(self):
        before = self.count()
        good, ctype = H.multipart([("case", json.dumps(H.petition_body())), ("files", H.tiny_png(), "a.png")])
        for data, ct, slug, field in [
            (good[: len(good) // 2], ctype, "validation", "body"),                   # truncated
            (good, "multipart/form-data", "validation", "body"),                    # no boundary
            (good, "multipart/form-data; boundary=other", "validation", "body"),    # wrong boundary
            (H.multipart([("files", H.tiny_png(), "a.png")])[0], None, "validation", "case"),
            (H.multipart([("case", "{bad")])[0], None, "bad-json", "case"),
            (H.multipart([("case", "[1]")])[0], None, "bad-json", "case"),
            (H.multipart([("case", json.dumps(H.petition_body())), ("upload", H.tiny_png(), "a.png")])[0], None,
             "validation", "upload"),
            (H.multipart([("case", json.dumps(H.petition_body(title="")))])[0], None, "validation", "title"),
        ]:
            if ct is None:
                # rebuilt with the boundary the data was made with
                ct = "multipart/form-data; boundary=" + data.split(b"\r\n", 1)[0][2:].decode()
            with self.subTest(field=field, ct=ct[:40]):
                self.bad(self.pub.post("/api/public/cases", data, content_type=ct), 400, slug, field, before)

    # ---- rate limits -----------------------------------------------------------------------

    def test_wrong_query_codes_are_rate_limited(self):
        d = H.submit_petition(SRV)
        c = SRV.public(source="127.0.0.7")
        wrong = "0000000000" if d["query_code"] != "0000000000" else "1111111111"
        for i in range(3):
            self.bad(H.track(SRV, d["number"], wrong, client=c), 404, "not-found")
        r = H.track(SRV, d["number"], wrong, client=c)
        self.bad(r, 429, "rate-limited")
        self.assertTrue(r.headers.get("retry-after", "").isdigit(), r.headers)
        self.assertGreater(int(r.headers["retry-after"]), 0)
        # rating and review with a wrong code count too
        self.bad(c.post("/api/public/cases/%s/rating" % d["number"], {"code": wrong, "level": "satisfied"}), 429)
        # the right code still works; another address is not limited
        self.assertStatus(H.track(SRV, d["number"], d["query_code"], client=c), 200)
        self.bad(H.track(SRV, d["number"], wrong, client=SRV.public(source="127.0.0.8")), 404, "not-found")


class PublicRateLimit(H.ApiTestCase):
    def test_public_rate_limit(self):
        srv = H.Server(env={"PINGAN_RATE_PUBLIC_PER_MINUTE": "5", "PINGAN_RATE_PUBLIC_BURST": "5"}).start()
        try:
            intake = srv.client("intake")  # 1 public request (the login)
            pub = srv.public()
            statuses = []
            for i in range(4):
                statuses.append(pub.post("/api/public/cases", H.petition_body()).status)
            self.assertEqual(statuses, [201] * 4)
            r = pub.post("/api/public/cases", H.petition_body())
            self.assertProblem(r, 429, "rate-limited")
            self.assertTrue(r.headers.get("retry-after", "").isdigit(), r.headers)
            self.assertGreater(int(r.headers["retry-after"]), 0)
            self.assertProblem(pub.post("/api/v1/session", {"username": "xfj", "password": H.DEMO_PASSWORD}), 429,
                               "rate-limited")
            # nothing was written by the refused one
            self.assertEqual(len(intake.inbox()), 4)
            # health checks and staff with a session are not limited
            self.assertStatus(pub.get("/healthz"), 200)
            self.assertStatus(intake.get("/api/v1/cases"), 200)
            # another address has its own bucket
            self.assertStatus(srv.public(source="127.0.0.5").post("/api/public/cases", H.petition_body()), 201)
        finally:
            srv.stop()


class GracefulStop(H.ApiTestCase):
    def test_sigterm_lets_a_request_in_flight_finish(self):
        srv = H.Server().start()
        try:
            body = json.dumps(H.petition_body(title="关机前提交的信访件"), ensure_ascii=False).encode()
            head = H.request_head("POST", "/api/public/cases",
                                  {"Content-Type": "application/json", "Content-Length": str(len(body))})
            import socket
            import time
            k = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
            k.sendall(head + body[:20])
            time.sleep(0.2)
            # an idle keep-alive connection must not hold the stop either
            idle = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.1)
            idle.recv(4096)
            srv.proc.send_signal(__import__("signal").SIGTERM)
            time.sleep(0.3)
            k.sendall(body[20:])
            got = b""
            while True:
                b = k.recv(65536)
                if not b:
                    break
                got += b
                if H._response_complete(got):
                    break
            k.close()
            idle.close()
            r = H._parse_raw(got)
            self.assertEqual(r.status, 201, got[:500])
            t0 = time.time()
            rc = srv.proc.wait(15)
            self.assertEqual(rc, 0, srv.stderr_text()[-2000:])
            self.assertLess(time.time() - t0, 10)
            # the acknowledged case is there after a restart
            srv.start()
            v = H.track(srv, r.data["number"], r.data["query_code"])
            self.assertEqual(self.assertStatus(v, 200)["title"], "关机前提交的信访件")
        finally:
            srv.stop()


class Robustness(H.ApiTestCase):
    def test_random_malformed_requests(self):
        rnd = random.Random(20260101)
        intake = SRV.client("intake", fresh=True)
        d = H.submit_petition(SRV)
        cid = H.find_case_id(intake, d["number"])
        before = len(SRV.client("supervisor").inbox(open="any"))
        paths = ["/api/public/cases", "/api/v1/cases", "/api/v1/session", "/api/v1/cases/%d/comments" % cid,
                 "/api/v1/cases/%d/actions/accept" % cid, "/api/v1/cases/%d/actions/refuse" % cid,
                 "/api/v1/cases/%d/attachments" % cid, "/api/v1/tokens", "/api/v1/users", "/api/v1/orgs",
                 "/api/public/cases/XF-2026-000001/review", "/api/public/cases/XF-2026-000001/rating",
                 "/api/v1/cases?limit=%s" % ("9" * 30), "/healthz", "/api/test/clock", "/api/v1/cases/%d" % cid]
        ctypes = ["application/json", "multipart/form-data; boundary=xyz", "text/plain", "application/json; charset=latin1",
                  "multipart/form-data", "multipart/form-data; boundary=\"" + "b" * 80 + "\"", "", "application/\x01json"]
        statuses = []

        def rand_bytes(n):
            return bytes(rnd.getrandbits(8) for _ in range(n))

        for i in range(200):
            kind = i % 8
            path = rnd.choice(paths)
            method = rnd.choice(["POST", "POST", "GET", "PATCH", "DELETE"])
            hdrs = {"Cookie": "pingan_session=" + intake.cookie, "X-CSRF-Token": intake.csrf}
            if path == "/api/test/clock":
                method = "GET"  # never move the clock here
            if path == "/api/v1/session" and method == "DELETE":
                method = "GET"  # nor log out
            if kind == 0:      # random bytes under a random content type
                data = rand_bytes(rnd.randint(0, 3000))
                hdrs["Content-Type"] = rnd.choice(ctypes)
            elif kind == 1:    # huge header
                data = b"{}"
                hdrs["Content-Type"] = "application/json"
                hdrs["X-Filler"] = "a" * rnd.randint(60000, 110000)
            elif kind == 2:    # truncated multipart
                full, ct = H.multipart([("case", json.dumps(H.petition_body())), ("files", H.tiny_png(), "a.png")])
                data = full[: rnd.randint(0, len(full) - 1)]
                hdrs["Content-Type"] = ct
                method = "POST"
            elif kind == 3:    # invalid UTF-8 in JSON strings
                good = json.dumps(H.petition_body(title="TT", body="BB")).encode()
                data = good.replace(b"TT", rand_bytes(rnd.randint(1, 8)) + b"\xc0\xaf").replace(b"BB", b"\xf8\x88\x80")
                hdrs["Content-Type"] = "application/json"
                method = "POST"
            elif kind == 4:    # JSON of the wrong shapes
                data = json.dumps(rnd.choice([
                    {"fields": [1, 2]}, {"fields": {"reason": 5, "legal_channel": None}}, {"version": "x"},
                    {"text": {"a": 1}}, {"username": 1, "password": []}, {"type": "petition" * 1000},
                    {"title": None, "body": None, "contact": {"name": {"x": 1}}}, [None] * 50, 1e308, "x",
                    {"a": {"b": {"c": {"d": {"e": [[[[[[[[[[[]]]]]]]]]]]}}}}},
                ])).encode()
                hdrs["Content-Type"] = "application/json"
            elif kind == 5:    # deep nesting
                depth = rnd.randint(100, 5000)
                data = b"[" * depth + b"]" * depth
                hdrs["Content-Type"] = "application/json"
                method = "POST"
            elif kind == 6:    # a lying Content-Length: longer than the body (we hang up), or shorter
                data = b'{"text": "short"}' + rand_bytes(rnd.randint(0, 40))
                hdrs["Content-Type"] = "application/json"
                if i % 16 == 6:
                    hdrs["Content-Length"] = str(len(data) + rnd.randint(1, 100))
                else:
                    hdrs["Content-Length"] = str(rnd.randint(0, len(data) - 1))
            else:              # garbage in the query string and the path
                path = path + "?" + urllib.parse.quote_from_bytes(rand_bytes(30), safe="%=&+")
                data = None
                method = "GET"
            if data is not None and "Content-Length" not in hdrs:
                hdrs["Content-Length"] = str(len(data))
            short_wait = kind == 6 and int(hdrs["Content-Length"]) > len(data)
            r = H.raw_exchange(SRV.port, H.request_head(method, path, hdrs), data or b"",
                               timeout=0.1 if short_wait else 5)
            statuses.append((i, kind, method, path[:40], r.status))
            self.assertTrue(SRV.alive(), "the server died on request %d (kind %d)\n%s" % (i, kind, SRV.stderr_text()[-3000:]))
        five = [s for s in statuses if s[4] >= 500]
        self.assertEqual(five, [], "5xx answers to bad input")
        self.assertStatus(SRV.public().get("/healthz"), 200)
        self.assertTrue(SRV.alive())
        self.assertEqual(len(SRV.client("supervisor").inbox(open="any")), before,
                         "a malformed request created a case")


if __name__ == "__main__":
    H.run_module()

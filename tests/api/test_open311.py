#!/usr/bin/env python3
"""
test_open311.py — Open311 GeoReport v2 at /open311/v2/ against the
OpenAPI description docs/open311.yaml and a real server:

  - every operation of the document answers in both formats: JSON bodies
    validate against the document's schemas, XML bodies are well-formed
    (xml.etree) with the documented root and item elements, content types
    are application/json and text/xml with UTF-8, times carry a zone, ids
    and codes are strings;
  - services are exactly the categories with a service_code in
    workflows/*.yaml (read here with PyYAML, not listed by hand);
  - POST requests: api_key (an API token of a grid worker), location by
    lat/long or address, attributes, media_url; 403 without or with a bad
    key, 404 for an unknown service_code, 400 for a bad location; errors in
    the spec's shape with the HTTP status equal to their code;
  - GET requests: the 90-day default window, service_code / status / date
    filters, service_request_id lists, the 90-day range limit; one request;
    tokens; servicerequestupdates after the case moves on;
  - POST servicerequestupdates (the extension's update from a client): an
    api_key holder's update becomes an internal note on the case's timeline
    and never moves the case; 403 / 400 / 404 in the spec's shape, 404 for a
    request the key's account may not see; JSON and XML;
  - public data only: the reporter's name, phone, e-mail and the report's
    body never appear in any Open311 response.

Run: python3 tests/api/test_open311.py
"""
import glob
import gzip
import json
import os
import sys
import urllib.parse
import xml.etree.ElementTree as ET

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from test_openapi import Validator  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}
SPEC = yaml.safe_load(open(os.path.join(H.SOURCE_DIR, "docs", "open311.yaml"), encoding="utf-8"))
V = Validator(SPEC)

SECRET_NAME = "欧阳秘密"
SECRET_PHONE = "13900001111"
SECRET_MAIL = "secret.reporter@example.org"
SECRET_BODY = "这是一段只给工作人员看的详细描述XYZZY"


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


def service_codes_from_workflows():
    codes = []
    for path in sorted(glob.glob(os.path.join(H.SOURCE_DIR, "workflows", "*.yaml"))):
        with open(path, encoding="utf-8") as f:
            d = yaml.safe_load(f)
        for c in d.get("categories") or []:
            if c.get("service_code"):
                codes.append(str(c["service_code"]))
    return codes


def o3(method, path, body=None, params=None, lang=None):
    """A raw Open311 exchange: (status, content type, parsed body, raw text)."""
    if params:
        path += "?" + urllib.parse.urlencode(params)
    headers = {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body).encode("utf-8")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if lang:
        headers["Accept-Language"] = lang
    r = H.raw_request(SRV.port, method, "/open311/v2" + path, data, headers)
    text = r.raw.decode("utf-8")
    ctype = r.headers.get("content-type", "")
    parsed = None
    if ctype.startswith("application/json"):
        parsed = json.loads(text)
    elif ctype.startswith("text/xml"):
        parsed = ET.fromstring(text.encode("utf-8"))  # raises on a document that is not well-formed
    return r.status, ctype, parsed, text


class Open311(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        grid = SRV.client("grid")
        r = grid.post("/api/v1/tokens", {"name": "open311 client"})
        assert r.status == 201, r
        cls.key = r.data["token"]
        cls.codes = service_codes_from_workflows()
        assert cls.codes, "no service codes in workflows/"

    def check_json(self, status, ctype, body, schema):
        self.assertTrue(ctype.startswith("application/json"), ctype)
        self.assertIn("charset=utf-8", ctype.lower())
        errs = V.errors(schema, body)
        self.assertEqual(errs, [], "\n".join(errs[:10]))

    def check_xml(self, ctype, root, root_name, item=None, text=None):
        self.assertTrue(ctype.startswith("text/xml"), ctype)
        self.assertIn("charset=utf-8", ctype.lower())
        self.assertTrue(text.startswith('<?xml version="1.0" encoding="utf-8"?>'))
        self.assertEqual(root.tag, root_name)
        if item:
            for child in root:
                self.assertEqual(child.tag, item)

    def check_error(self, r, status, xml=False):
        st, ctype, body, text = r
        self.assertEqual(st, status, text)
        if xml:
            self.check_xml(ctype, body, "errors", "error", text)
            self.assertEqual(body.find("error/code").text, str(status))
            self.assertTrue(body.find("error/description").text)
        else:
            self.check_json(st, ctype, body, {"$ref": "#/components/schemas/Errors"})
            self.assertEqual(body[0]["code"], status)

    def post(self, fmt="json", **fields):
        body = {"api_key": self.key, "service_code": self.codes[0], "lat": "26.074500",
                "long": "119.296500", "description": "东门社区3号楼前有暴露垃圾，已堆放两天。",
                "address_string": "东门社区3号楼前"}
        body.update(fields)
        return o3("POST", "/requests." + fmt, {k: v for k, v in body.items() if v is not None})

    def schema_of(self, path, method, status="200"):
        return SPEC["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]

    # ---- discovery and services --------------------------------------------------------

    def test_discovery(self):
        st, ctype, body, _ = o3("GET", "/discovery.json")
        self.assertEqual(st, 200)
        self.check_json(st, ctype, body, self.schema_of("/discovery.{format}", "get"))
        self.assertTrue(body["endpoints"][0]["url"].endswith("/open311/v2"))
        st, ctype, root, text = o3("GET", "/discovery.xml")
        self.check_xml(ctype, root, "discovery", None, text)
        self.assertEqual(root.find("endpoints/endpoint/formats/format").text, "application/json")

    def test_services_come_from_the_workflows(self):
        st, ctype, body, _ = o3("GET", "/services.json")
        self.check_json(st, ctype, body, self.schema_of("/services.{format}", "get"))
        self.assertEqual([s["service_code"] for s in body], self.codes)
        self.assertTrue(all(isinstance(s["service_code"], str) for s in body))
        st, ctype, root, text = o3("GET", "/services.xml", lang="en")
        self.check_xml(ctype, root, "services", "service", text)
        self.assertEqual([e.find("service_code").text for e in root], self.codes)

    def test_service_definition(self):
        st, ctype, body, _ = o3("GET", "/services/%s.json" % self.codes[0])
        self.check_json(st, ctype, body, self.schema_of("/services/{service_code}.{format}", "get"))
        self.assertEqual([a["code"] for a in body["attributes"]], ["title", "lang"])
        st, ctype, root, text = o3("GET", "/services/%s.xml" % self.codes[0])
        self.check_xml(ctype, root, "service_definition", None, text)
        self.assertEqual(len(root.findall("attributes/attribute")), 2)
        self.check_error(o3("GET", "/services/NOPE.json"), 404)
        self.check_error(o3("GET", "/services/NOPE.xml"), 404, xml=True)

    def test_unknown_format_and_resource(self):
        self.check_error(o3("GET", "/services.yaml"), 404)
        self.check_error(o3("GET", "/nothing.xml"), 404, xml=True)

    # ---- POST requests ---------------------------------------------------------------------

    def test_post_and_read_back(self):
        st, ctype, body, text = self.post(first_name="秘密", last_name="欧阳", phone=SECRET_PHONE,
                                          email=SECRET_MAIL, description=SECRET_BODY,
                                          media_url="https://img.example.org/rubbish.jpg",
                                          **{"attribute[title]": "3号楼前暴露垃圾", "attribute[lang]": "zh-CN"})
        self.assertEqual(st, 200, text)
        self.check_json(st, ctype, body, self.schema_of("/requests.{format}", "post"))
        rid = body[0]["service_request_id"]
        self.assertTrue(rid.startswith("WG-"))
        # one request, both formats
        st, ctype, body, text = o3("GET", "/requests/%s.json" % rid)
        self.check_json(st, ctype, body, self.schema_of("/requests/{service_request_id}.{format}", "get"))
        req = body[0]
        self.assertEqual(req["service_code"], self.codes[0])
        self.assertEqual(req["status"], "open")
        self.assertEqual(req["description"], "3号楼前暴露垃圾")
        self.assertAlmostEqual(req["lat"], 26.0745, places=5)
        self.assertEqual(req["address"], "东门社区3号楼前")
        self.assertEqual(req["media_url"], "https://img.example.org/rubbish.jpg")
        for secret in (SECRET_NAME, "欧阳", SECRET_PHONE, SECRET_MAIL, SECRET_BODY):
            self.assertNotIn(secret, text)
        st, ctype, root, text = o3("GET", "/requests/%s.xml" % rid)
        self.check_xml(ctype, root, "service_requests", "request", text)
        self.assertEqual(root.find("request/service_request_id").text, rid)
        for secret in (SECRET_PHONE, SECRET_MAIL, SECRET_BODY):
            self.assertNotIn(secret, text)
        # the token is the id
        st, ctype, body, _ = o3("GET", "/tokens/%s.json" % rid)
        self.check_json(st, ctype, body, self.schema_of("/tokens/{token}.{format}", "get"))
        self.assertEqual(body[0]["service_request_id"], rid)
        self.check_error(o3("GET", "/tokens/XF-2000-000001.json"), 404)
        # staff see it as a grid event that came through Open311
        staff = SRV.client("grid")
        case = staff.case(H.find_case_id(staff, rid))
        self.assertEqual(case["channel"], "open311")

    def test_post_xml(self):
        st, ctype, root, text = self.post(fmt="xml", lat=None, long=None)
        self.assertEqual(st, 200, text)
        self.check_xml(ctype, root, "service_requests", "request", text)
        self.assertTrue(root.find("request/service_request_id").text.startswith("WG-"))

    def test_post_errors(self):
        self.check_error(self.post(api_key=None), 403)
        self.check_error(self.post(api_key="pa_" + "0" * 64), 403)
        self.check_error(self.post(fmt="xml", api_key="nope"), 403, xml=True)
        self.check_error(self.post(service_code="NOPE"), 404)
        self.check_error(self.post(lat="95", long="1"), 400)
        self.check_error(self.post(long=None), 400)
        self.check_error(self.post(lat=None, long=None, address_string=None), 400)
        self.check_error(self.post(media_url="javascript:alert(1)"), 400)
        self.check_error(self.post(**{"attribute[colour]": "red"}), 400)
        self.check_error(self.post(description=None), 400)
        # a token of someone who may not register grid events (the auditor)
        aud = SRV.client("auditor").post("/api/v1/tokens", {"name": "x"}).data["token"]
        self.check_error(self.post(api_key=aud), 403)
        # not a form
        r = H.raw_request(SRV.port, "POST", "/open311/v2/requests.json", b"{}",
                          {"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)

    # ---- GET requests ---------------------------------------------------------------------

    def test_filters(self):
        ids = []
        for _ in range(2):
            st, _, body, text = self.post()
            self.assertEqual(st, 200, text)
            ids.append(body[0]["service_request_id"])
        st, ctype, body, _ = o3("GET", "/requests.json")
        self.check_json(st, ctype, body, self.schema_of("/requests.{format}", "get"))
        got = [r["service_request_id"] for r in body]
        self.assertIn(ids[0], got)
        self.assertLess(got.index(ids[1]), got.index(ids[0]))  # newest first
        # service_request_id list overrides the rest
        st, _, body, _ = o3("GET", "/requests.json", params={"service_request_id": ",".join(ids),
                                                              "status": "closed"})
        self.assertEqual(sorted(r["service_request_id"] for r in body), sorted(ids))
        st, _, body, _ = o3("GET", "/requests.json", params={"status": "closed"})
        self.assertNotIn(ids[0], [r["service_request_id"] for r in body])
        st, _, body, _ = o3("GET", "/requests.json", params={"status": "open,closed",
                                                              "service_code": self.codes[0]})
        self.assertIn(ids[0], [r["service_request_id"] for r in body])
        self.assertTrue(all(r["service_code"] == self.codes[0] for r in body))
        st, _, body, _ = o3("GET", "/requests.json", params={"service_code": self.codes[-1]})
        self.assertNotIn(ids[0], [r["service_request_id"] for r in body])
        # a window before the requests: nothing; a window over 90 days: 400
        st, _, body, _ = o3("GET", "/requests.json", params={"start_date": "2020-01-01T00:00:00+08:00",
                                                              "end_date": "2020-02-01T00:00:00+08:00"})
        self.assertEqual((st, body), (200, []))
        self.check_error(o3("GET", "/requests.json", params={"start_date": "2020-01-01T00:00:00Z",
                                                              "end_date": "2020-06-01T00:00:00Z"}), 400)
        self.check_error(o3("GET", "/requests.xml", params={"start_date": "yesterday"}), 400, xml=True)
        self.check_error(o3("GET", "/requests.json", params={"status": "pending"}), 400)
        self.check_error(o3("GET", "/requests.json", params={"service_code": "NOPE"}), 404)
        self.check_error(o3("GET", "/requests/WG-1999-000001.json"), 404)
        # XML of the list
        st, ctype, root, text = o3("GET", "/requests.xml")
        self.check_xml(ctype, root, "service_requests", "request", text)
        self.assertIn(ids[0], [e.find("service_request_id").text for e in root])

    def test_z_default_window_is_90_days(self):
        # runs last (unittest sorts by name): it moves the clock past the API token's lifetime
        st, _, body, text = self.post()
        rid = body[0]["service_request_id"]
        SRV.advance_clock(91 * H.DAY)
        st, _, body, _ = o3("GET", "/requests.json")
        self.assertNotIn(rid, [r["service_request_id"] for r in body])
        st, _, body, _ = o3("GET", "/requests/%s.json" % rid)
        self.assertEqual(st, 200)

    def test_updates(self):
        st, _, body, _ = self.post()
        rid = body[0]["service_request_id"]
        staff = SRV.client("grid")
        cid = H.find_case_id(staff, rid)
        case = staff.case(cid)
        actions = [a["name"] for a in case.get("actions", [])]
        if actions:
            staff.post("/api/v1/cases/%d/actions/%s" % (cid, actions[0]), {"fields": {}})
        st, ctype, body, _ = o3("GET", "/servicerequestupdates.json")
        self.check_json(st, ctype, body, self.schema_of("/servicerequestupdates.{format}", "get"))
        mine = [u for u in body if u["service_request_id"] == rid]
        self.assertTrue(mine)
        self.assertTrue(all(isinstance(u["update_id"], str) for u in mine))
        st, ctype, root, text = o3("GET", "/servicerequestupdates.xml")
        self.check_xml(ctype, root, "service_request_updates", "request_update", text)

    def test_cached_answers_follow_writes(self):
        """A GET answer is served from the cache only until the next committed write."""
        first = o3("GET", "/requests.json")
        self.assertEqual(first[0], 200)
        self.assertEqual(o3("GET", "/requests.json")[3], first[3])   # the same answer again
        st, _, body, _ = self.post()
        rid = body[0]["service_request_id"]
        st, _, body, _ = o3("GET", "/requests.json")
        self.assertIn(rid, [r["service_request_id"] for r in body])
        st, _, root, _ = o3("GET", "/requests.xml")
        self.assertIn(rid, [e.text for e in root.iter("service_request_id")])
        # the language is part of the key
        zh = o3("GET", "/requests/%s.json" % rid)[2][0]["status_notes"]
        en = o3("GET", "/requests/%s.json" % rid, lang="en")[2][0]["status_notes"]
        self.assertNotEqual(zh, en)
        # a transition shows at once in the request and in the updates
        before = o3("GET", "/servicerequestupdates.json")[2]
        staff = SRV.client("supervisor")
        cid = H.find_case_id(staff, rid)
        r = staff.post("/api/v1/cases/%d/actions/file" % cid, {"fields": {}})
        self.assertIn(r.status, (200, 201), r.data)
        after = o3("GET", "/servicerequestupdates.json")[2]
        self.assertGreater(len([u for u in after if u["service_request_id"] == rid]),
                           len([u for u in before if u["service_request_id"] == rid]))

    def test_gzip_when_the_client_takes_it(self):
        """A client that accepts gzip gets the same answer gzipped (from the cache too); q=0 refuses it."""
        self.post()
        plain = H.raw_request(SRV.port, "GET", "/open311/v2/requests.json")
        self.assertEqual(plain.status, 200)
        self.assertGreaterEqual(len(plain.raw), 1024, "the list is too short to be compressed")
        self.assertNotIn("content-encoding", plain.headers)
        self.assertEqual(plain.headers.get("vary"), "Accept-Encoding")
        for _ in range(2):   # made by this request, then served from the cache
            gz = H.raw_request(SRV.port, "GET", "/open311/v2/requests.json",
                               headers={"Accept-Encoding": "br;q=0.9, gzip"})
            self.assertEqual(gz.status, 200)
            self.assertEqual(gz.headers.get("content-encoding"), "gzip")
            self.assertEqual(gz.headers.get("vary"), "Accept-Encoding")
            self.assertTrue(gz.headers.get("content-type", "").startswith("application/json"))
            self.assertEqual(gzip.decompress(gz.raw), plain.raw)
        xml = H.raw_request(SRV.port, "GET", "/open311/v2/requests.xml", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(xml.headers.get("content-encoding"), "gzip")
        ET.fromstring(gzip.decompress(xml.raw))
        for refuse in ("gzip;q=0", "GZIP; q=0.000, identity", "deflate"):
            r = H.raw_request(SRV.port, "GET", "/open311/v2/requests.json", headers={"Accept-Encoding": refuse})
            self.assertNotIn("content-encoding", r.headers, refuse)
            self.assertEqual(r.raw, plain.raw, refuse)
        # errors and short answers go as they are
        r = H.raw_request(SRV.port, "GET", "/open311/v2/requests/none-such.json", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 404)
        self.assertNotIn("content-encoding", r.headers)

    def post_update(self, fmt="json", **fields):
        body = {"api_key": self.key, "status": "CLOSED", "description": "已由环卫公司清运完毕（客户端反馈）。"}
        body.update(fields)
        return o3("POST", "/servicerequestupdates." + fmt,
                  {k: v for k, v in body.items() if v is not None})

    def test_updates_post(self):
        st, _, body, _ = self.post()
        rid = body[0]["service_request_id"]
        staff = SRV.client("grid")
        cid = H.find_case_id(staff, rid)
        before = staff.get("/api/v1/cases/%d" % cid).data["state"]
        st, ctype, body, text = self.post_update(service_request_id=rid, update_id="fms-77",
                                                 updated_datetime="2026-11-20T09:30:00+08:00",
                                                 media_url="https://example.org/p.jpg",
                                                 email=SECRET_MAIL, first_name="秘密", last_name="欧阳")
        self.assertEqual(st, 200, text)
        self.check_json(st, ctype, body, self.schema_of("/servicerequestupdates.{format}", "post"))
        uid = body[0]["update_id"]
        self.assertTrue(uid.isdigit())
        # the note is on the timeline, by the key's account; the state did not move
        ev = staff.get("/api/v1/cases/%d/events" % cid).data
        items = ev["items"] if isinstance(ev, dict) else ev
        note = [e for e in items if str(e.get("id")) == uid]
        self.assertEqual(len(note), 1, items)
        self.assertEqual(note[0]["kind"], "comment")
        self.assertIn("Open311 CLOSED · update fms-77", note[0]["text"])
        self.assertIn("已由环卫公司清运完毕", note[0]["text"])
        self.assertNotIn(SECRET_MAIL, json.dumps(items, ensure_ascii=False))
        self.assertEqual(staff.get("/api/v1/cases/%d" % cid).data["state"], before)
        # it is internal: not among the public steps
        st, _, body, _ = o3("GET", "/servicerequestupdates.json")
        self.assertNotIn(uid, [u["update_id"] for u in body])
        # XML
        st, ctype, root, text = self.post_update("xml", service_request_id=rid, status="IN_PROGRESS")
        self.assertEqual(st, 200, text)
        self.check_xml(ctype, root, "service_request_updates", "request_update", text)
        self.assertTrue(root.find("request_update/update_id").text.isdigit())

    def test_updates_post_errors(self):
        st, _, body, _ = self.post()
        rid = body[0]["service_request_id"]
        self.check_error(self.post_update(service_request_id=rid, api_key=None), 403)
        self.check_error(self.post_update("xml", service_request_id=rid, api_key="nope"), 403, xml=True)
        self.check_error(self.post_update(), 400)                              # no service_request_id
        self.check_error(self.post_update(service_request_id=rid, status=None), 400)
        self.check_error(self.post_update(service_request_id=rid, status="CLOSED; DROP"), 400)
        self.check_error(self.post_update(service_request_id=rid, description=None), 400)
        self.check_error(self.post_update(service_request_id=rid, description="长" * 1501), 400)
        self.check_error(self.post_update(service_request_id=rid, updated_datetime="yesterday"), 400)
        self.check_error(self.post_update(service_request_id=rid, media_url="javascript:x"), 400)
        self.check_error(self.post_update(service_request_id="WG-1999-999999"), 404)
        self.check_error(self.post_update("xml", service_request_id="WG-1999-999999"), 404, xml=True)
        # a key whose account may not see the request: as if it did not exist
        r = SRV.client("housing").post("/api/v1/tokens", {"name": "other client"})
        self.assertEqual(r.status, 201, r)
        self.check_error(self.post_update(service_request_id=rid, api_key=r.data["token"]), 404)
        st, _, body, text = o3("POST", "/servicerequestupdates.json", None)
        self.assertEqual(st, 400, text)


if __name__ == "__main__":
    H.run_module()

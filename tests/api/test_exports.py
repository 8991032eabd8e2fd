#!/usr/bin/env python3
"""
test_exports.py — case exports (docs/exports.md): CSV with a BOM, RFC 4180
quoting and formula guarding; XLSX read back by openpyxl (Debian's
python3-openpyxl) with the same rows; the inbox's visibility (another unit,
an accusation against the user's own unit); search-filtered exports;
masked personal data unless a role that may unmask asks (403 otherwise);
the audit record of every export; and `pingan export` keeping its memory
flat: the peak RSS of exporting 10 000 generated cases is that of 1 000.

Run: python3 tests/api/test_exports.py   (PINGAN_BIN = the binary)
"""
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000"}
BOM = b"\xef\xbb\xbf"
TRICKY = '=HYPERLINK("http://x"),"引号"，逗号'
CASES = {}


def read_xlsx(data):
    """Rows of the first sheet, read by openpyxl (this interpreter's, or Debian's)."""
    code = ("import openpyxl, sys, json\n"
            "wb = openpyxl.load_workbook(sys.argv[1], read_only=True)\n"
            "print(json.dumps([[c if c is not None else '' for c in r] "
            "for r in wb.active.iter_rows(values_only=True)], ensure_ascii=False))\n")
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        py = sys.executable
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            py = "/usr/bin/python3"
        out = subprocess.run([py, "-c", code, path], check=True, stdout=subprocess.PIPE).stdout
        import json
        return json.loads(out.decode("utf-8"))
    finally:
        os.unlink(path)


def setUpModule():
    global SRV
    SRV = H.Server(env=ENV).start()
    H.ApiTestCase.srv = SRV
    intake = SRV.client("intake")
    orgs = {o["code"]: o["id"] for o in intake.get("/api/v1/orgs").data["items"]}
    d = H.submit_petition(SRV, title=TRICKY, body="多行\n正文", contact={"name": "张秀兰", "phone": "13812345678"})
    CASES["tricky"] = d["number"]
    d = H.submit_petition(SRV, title="东门社区路灯损坏", contact={"name": "李四", "phone": "13900001111"})
    CASES["lamp"] = d["number"]
    d = H.submit_petition(SRV, category="accusation", title="举报信访局某人吃拿卡要", body="索要烟酒。",
                          contact=False, accused_org_id=orgs["district-xfj"])
    CASES["secret"] = d["number"]


def tearDownModule():
    if SRV:
        SRV.stop()


def parse_csv(raw):
    assert raw.startswith(BOM), raw[:10]
    text = raw[len(BOM):].decode("utf-8")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline="")))


class ExportTest(H.ApiTestCase):
    def export(self, client, expect=200, **params):
        params.setdefault("open", "any")
        r = client.get("/api/v1/exports/cases", params)
        self.assertEqual(r.status, expect, r.data if expect != 200 else r.data[:300])
        return r

    def rows_by_number(self, rows):
        return {r[0]: r for r in rows[1:]}

    def test_csv_bom_header_quoting_and_masks(self):
        r = self.export(SRV.client("intake"))
        self.assertEqual(r.headers["content-type"], "text/csv; charset=utf-8")
        self.assertRegex(r.headers["content-disposition"], r'^attachment; filename="cases-\d{8}\.csv"$')
        self.assertTrue(r.raw.startswith(BOM + "编号,类型,类别,标题".encode("utf-8")))
        rows = parse_csv(r.raw)
        self.assertEqual(len(rows[0]), 13)
        by = self.rows_by_number(rows)
        t = by[CASES["tricky"]]
        # the formula is guarded, the quotes and comma survive the quoting
        self.assertEqual(t[3], "'" + TRICKY)
        self.assertIn(b'"\'=HYPERLINK(""http://x""),""', r.raw)
        # personal data masked
        self.assertTrue(t[11].startswith("张") and "秀兰" not in t[11], t[11])
        self.assertEqual(t[12], "138****5678")
        self.assertNotIn("13812345678".encode(), r.raw)
        self.assertNotIn("张秀兰".encode("utf-8"), r.raw)
        # English headers and labels
        r = self.export(SRV.client("intake"), lang="en")
        self.assertTrue(parse_csv(r.raw)[0][:4] == ["Number", "Type", "Category", "Title"])

    def test_visibility_is_the_inbox(self):
        intake = self.rows_by_number(parse_csv(self.export(SRV.client("intake")).raw))
        self.assertIn(CASES["lamp"], intake)
        self.assertNotIn(CASES["secret"], intake)  # accuses the intake unit
        disc = self.rows_by_number(parse_csv(self.export(SRV.client("discipline")).raw))
        self.assertIn(CASES["secret"], disc)
        housing = parse_csv(self.export(SRV.client("housing")).raw)
        self.assertEqual(len(housing), 1)  # the header only
        # the same rows as the inbox
        inbox = {c["number"] for c in SRV.client("intake").inbox(open="any")}
        self.assertEqual(set(intake), inbox)

    def test_search_filter(self):
        rows = parse_csv(self.export(SRV.client("intake"), q="路灯").raw)
        self.assertEqual([r[0] for r in rows[1:]], [CASES["lamp"]])
        self.assertProblem(self.export(SRV.client("intake"), expect=400, q="，"), 400, field="q")
        self.assertProblem(self.export(SRV.client("intake"), expect=400, format="pdf"), 400, field="format")
        self.assertProblem(self.export(SRV.client("intake"), expect=400, type="nope"), 400, field="type")

    def test_unmask_needs_the_role(self):
        r = self.export(SRV.client("intake"), expect=403, unmask="true")
        self.assertProblem(r, 403, field="unmask")
        self.assertProblem(self.export(SRV.client("intake"), expect=400, unmask="yes"), 400, field="unmask")
        r = self.export(SRV.client("leader"), unmask="true")
        by = self.rows_by_number(parse_csv(r.raw))
        self.assertEqual(by[CASES["tricky"]][11:13], ["张秀兰", "13812345678"])

    def test_xlsx_opens_with_the_same_rows(self):
        intake = SRV.client("intake")
        r = self.export(intake, format="xlsx")
        self.assertEqual(r.headers["content-type"],
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.assertTrue(r.raw.startswith(b"PK"))
        rows = read_xlsx(r.raw)
        csv_rows = parse_csv(self.export(intake).raw)
        self.assertEqual(rows[0], csv_rows[0])
        self.assertEqual(len(rows), len(csv_rows))
        xl = {row[0]: row for row in rows[1:]}
        # the spreadsheet holds the text itself (no formula guard needed there)
        self.assertEqual(xl[CASES["tricky"]][3], TRICKY)
        self.assertEqual(xl[CASES["tricky"]][12], "138****5678")
        for number, row in self.rows_by_number(csv_rows).items():
            self.assertEqual([str(c) for c in xl[number][4:11]], row[4:11])

    def test_exports_are_audited(self):
        intake = SRV.client("intake")
        n = len(parse_csv(self.export(intake, q="路灯").raw)) - 1
        auditor = SRV.client("auditor")
        items, after = [], 0
        while True:
            d = auditor.get("/api/v1/audit", {"after": after, "limit": 500}).data
            items.extend(d["items"])
            if not d.get("next_after"):
                break
            after = d["next_after"]
        ex = [i for i in items if i["action"] == "case.export"]
        self.assertTrue(ex)
        last = [i for i in ex if i["detail"].get("q") == "路灯"][-1]
        self.assertTrue(last["actor"].startswith("user:"))
        self.assertIn("intake", last["actor"])
        self.assertEqual(last["detail"]["rows"], n)
        self.assertEqual(last["detail"]["format"], "csv")
        self.assertFalse(last["detail"]["unmask"])
        self.assertTrue(last["detail"]["complete"])


def peak_rss_kib(args, env):
    """Runs pingan with args; returns (exit status, peak RSS in KiB) from wait4."""
    p = subprocess.Popen([H.PINGAN_BIN] + args, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    p.stderr.read()
    p.stderr.close()
    return p.returncode, usage.ru_maxrss


class FlatMemory(unittest.TestCase):
    """A large export's memory does not grow with the number of rows."""

    def test_peak_rss_is_flat(self):
        if "ASAN_OPTIONS" in os.environ:
            # AddressSanitizer keeps freed memory in quarantine and adds shadow
            # memory: peak RSS says nothing about the exporter there. The plain
            # build of the same suite (make test's first pass) measures it.
            self.skipTest("peak RSS is not the exporter's under AddressSanitizer")
        tmp = tempfile.mkdtemp(prefix="pingan-export-")
        try:
            data = os.path.join(tmp, "data")
            env = H._clean_env({"PINGAN_ADMIN_PASSWORD": H.ADMIN_PASSWORD,
                                "PINGAN_DEMO_PASSWORD": H.DEMO_PASSWORD,
                                "PINGAN_DATABASE_SYNCHRONOUS_NORMAL": "true"})
            run = lambda *a: subprocess.run([H.PINGAN_BIN] + list(a), env=env, check=True,  # noqa: E731
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            run("init", "--data", data, "--demo")
            run("seed", "--data", data, "--cases", "1000")
            out = os.path.join(tmp, "a.csv")
            rc, small = peak_rss_kib(["export", "--data", data, "--out", out], env)
            self.assertEqual(rc, 0)
            with open(out, "rb") as f:
                self.assertEqual(f.read().count(b"\r\n"), 1001)
            run("seed", "--data", data, "--cases", "9000")
            rc, large = peak_rss_kib(["export", "--data", data, "--out", out], env)
            self.assertEqual(rc, 0)
            with open(out, "rb") as f:
                self.assertEqual(f.read().count(b"\r\n"), 10001)
            # ten times the rows, (almost) the same memory: within 25 % and 8 MiB
            self.assertLess(large, small * 1.25 + 8192, "peak RSS %d KiB for 10000 rows, %d for 1000"
                            % (large, small))
            rc, xl = peak_rss_kib(["export", "--data", data, "--format", "xlsx", "--out",
                                   os.path.join(tmp, "a.xlsx")], env)
            self.assertEqual(rc, 0)
            self.assertLess(xl, small * 1.25 + 8192, "XLSX peak RSS %d KiB" % xl)
            with open(os.path.join(tmp, "a.xlsx"), "rb") as f:
                self.assertEqual(len(read_xlsx(f.read())), 10001)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    H.run_module()

#!/usr/bin/env python3
"""
test_calendar.py — the working calendar as the server loaded it
(GET /api/v1/calendar) and the due-time calculator (GET /api/v1/calendar/due)
that the console's admin page shows: a year's days off and 调休 working
weekends equal what calendars/YYYY.yaml says (read here independently with
PyYAML), a limit spanning the National Day holiday and a 调休 Saturday lands
where the law's counting puts it, and bad parameters are 400 problems naming
the parameter.

Run: python3 tests/api/test_calendar.py   (PINGAN_BIN = the binary)
"""
import datetime
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SRV = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def setUpModule():
    global SRV
    SRV = H.Server().start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    if SRV:
        SRV.stop()


def dates(entries):
    """Every date a calendar file's entries name (ranges expanded)."""
    out = set()
    for e in entries or []:
        if isinstance(e, dict) and "from" in e:
            d, end = e["from"], e["to"]
            while d <= end:
                out.add(d)
                d += datetime.timedelta(days=1)
        elif isinstance(e, dict):
            out.add(e["date"])
        else:
            out.add(e)
    return out


class Calendar(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")

    def test_year_matches_its_file(self):
        with open(os.path.join(ROOT, "calendars", "2026.yaml"), encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        off = sorted(d.isoformat() for d in dates(doc["days_off"]) if d.weekday() < 5)
        work = sorted(d.isoformat() for d in dates(doc["working_days"]))
        weekdays = sum(1 for i in range(365)
                       if (datetime.date(2026, 1, 1) + datetime.timedelta(days=i)).weekday() < 5)
        r = self.intake.get("/api/v1/calendar?year=2026")
        cal = self.assertStatus(r, 200)
        self.assertEqual(cal["year"], 2026)
        self.assertTrue(cal["national"])
        self.assertEqual(cal["days"], 365)
        self.assertEqual(cal["days_off"], off)
        self.assertEqual(cal["working_weekends"], work)
        self.assertEqual(cal["working_days"], weekdays - len(off) + len(work))
        self.assertEqual(cal["working_hours"], [{"from": "09:00", "to": "12:00"},
                                                {"from": "13:30", "to": "17:30"}])
        self.assertEqual(cal["utc_offset_minutes"], 480)

    def test_year_without_a_file_is_monday_to_friday(self):
        cal = self.assertStatus(self.intake.get("/api/v1/calendar?year=2031"), 200)
        self.assertFalse(cal["national"])
        self.assertEqual(cal["days_off"], [])
        self.assertEqual(cal["working_weekends"], [])
        self.assertEqual(cal["working_days"], 261)

    def test_due_across_national_day(self):
        # Wednesday 30 September + 1 working day: 1–7 October are days off, so Thursday the 8th.
        due = self.assertStatus(self.intake.get(
            "/api/v1/calendar/due?start=2026-09-30&amount=1&unit=working_days"), 200)
        self.assertEqual(due["due"], "2026-10-08T23:59:59+08:00")
        self.assertEqual(due["unit"], "working_days")
        # 10 calendar days from 25 September end on 5 October, a day off: moved to the 8th.
        due = self.assertStatus(self.intake.get(
            "/api/v1/calendar/due?start=2026-09-25&amount=10&unit=calendar_days"), 200)
        self.assertEqual(due["due"], "2026-10-08T23:59:59+08:00")

    def test_working_hours_run_into_a_working_saturday(self):
        # Friday 9 October 16:30 + 2 working hours: one hour that day, the other on Saturday the
        # 10th, a 调休 working day.
        due = self.assertStatus(self.intake.get(
            "/api/v1/calendar/due",
            params={"start": "2026-10-09T16:30:00+08:00", "amount": 2, "unit": "working_hours"}), 200)
        self.assertEqual(due["due"], "2026-10-10T10:00:00+08:00")

    def test_bad_parameters_name_themselves(self):
        self.assertProblem(self.intake.get("/api/v1/calendar?year=1900"), 400, field="year")
        self.assertProblem(self.intake.get("/api/v1/calendar?year=abc"), 400, field="year")
        self.assertProblem(self.intake.get("/api/v1/calendar/due?unit=working_days"), 400,
                           field="amount")
        self.assertProblem(self.intake.get("/api/v1/calendar/due?amount=3&unit=weeks"), 400,
                           field="unit")
        self.assertProblem(self.intake.get("/api/v1/calendar/due?amount=3"), 400, field="unit")
        self.assertProblem(self.intake.get(
            "/api/v1/calendar/due?amount=3&unit=working_days&start=yesterday"), 400, field="start")
        self.assertProblem(self.intake.get("/api/v1/calendar/due?amount=99999&unit=working_days"),
                           400, field="amount")

    def test_staff_only(self):
        anon = SRV.client()
        self.assertProblem(anon.get("/api/v1/calendar"), 401)


if __name__ == "__main__":
    H.run_module()

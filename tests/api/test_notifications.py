#!/usr/bin/env python3
"""
test_notifications.py — notifications delivered for real, over the network,
to receivers this test starts on free local ports:

  - a webhook receiver (http.server): signed JSON, the HMAC-SHA256 in
    X-Pingan-Signature checked here with the shared secret;
  - an SMS gateway (http.server): GET /sms?to={phone}&text={text};
  - an SMTP receiver (socketserver, a minimal EHLO/MAIL/RCPT/DATA/QUIT
    server): the RFC 5322 message parsed with the email package.

and then what must not be lost: a receiver that is down gets retries with
backoff and the message arrives once it is back; after notify.max_attempts
the message is dead, `pingan outbox list/show` shows it and `pingan outbox
retry` revives it; reminders at 80 % of a limit and escalation past it are
sent exactly once — across ticks and a restart of the server.

Time: the server runs with --test-clock; POST /api/test/tick runs the timer,
the deadline alerts and one delivery pass synchronously, so each tick is one
attempt.  The server's own sender and timer threads are slowed to an hour so
only the ticks deliver.

Run: python3 tests/api/test_notifications.py   (PINGAN_BIN = the binary)
"""
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SECRET = "webhook-secret-for-tests"


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --------------------------------------------------------------------------
# Receivers
# --------------------------------------------------------------------------

class HttpReceiver:
    """Records every request (method, path, query, headers, body); answers 200.
    stop() closes the port (connections are refused); start() opens it again."""

    def __init__(self):
        self.port = free_port()
        self.requests = []
        self.lock = threading.Lock()
        self.httpd = None

    def start(self):
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                u = urllib.parse.urlsplit(self.path)
                with recv.lock:
                    recv.requests.append({
                        "method": self.command, "path": u.path,
                        "query": urllib.parse.parse_qs(u.query),
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    })
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = _record
            do_POST = _record

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def all(self):
        with self.lock:
            return list(self.requests)


class SmtpReceiver:
    """A minimal SMTP server: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
    Records (mail_from, rcpts, message bytes)."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        recv = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, text):
                self.wfile.write(text.encode("ascii") + b"\r\n")
                self.wfile.flush()

            def handle(self):
                self.reply("220 localhost pingan-test ESMTP")
                mail_from, rcpts = None, []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode("latin-1").rstrip("\r\n")
                    up = cmd.upper()
                    if up.startswith("EHLO"):
                        self.wfile.write(b"250-localhost\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
                        self.wfile.flush()
                    elif up.startswith("HELO"):
                        self.reply("250 localhost")
                    elif up.startswith("MAIL FROM:"):
                        # the path only: "<a@b> SIZE=1406" → "<a@b>"
                        mail_from, rcpts = cmd[10:].strip().split(" ")[0], []
                        self.reply("250 OK")
                    elif up.startswith("RCPT TO:"):
                        rcpts.append(cmd[8:].strip().split(" ")[0])
                        self.reply("250 OK")
                    elif up == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = bytearray()
                        while True:
                            ln = self.rfile.readline()
                            if not ln or ln == b".\r\n":
                                break
                            if ln.startswith(b".."):
                                ln = ln[1:]
                            data += ln
                        with recv.lock:
                            recv.messages.append((mail_from, list(rcpts), bytes(data)))
                        self.reply("250 OK queued")
                    elif up == "RSET":
                        mail_from, rcpts = None, []
                        self.reply("250 OK")
                    elif up == "NOOP":
                        self.reply("250 OK")
                    elif up == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def all(self):
        with self.lock:
            return list(self.messages)


HOOK = HttpReceiver()
SMS = HttpReceiver()
SMTP = SmtpReceiver()
SRV = None


def setUpModule():
    global SRV
    HOOK.start()
    SMS.start()
    SMTP.start()
    env = {
        "PINGAN_RATE_PUBLIC_PER_MINUTE": "6000", "PINGAN_RATE_PUBLIC_BURST": "1000",
        "PINGAN_NOTIFY_WEBHOOK_URL": "http://127.0.0.1:%d/hook" % HOOK.port,
        "PINGAN_NOTIFY_WEBHOOK_SECRET": SECRET,
        "PINGAN_NOTIFY_SMS_URL": "http://127.0.0.1:%d/sms?to={phone}&text={text}" % SMS.port,
        "PINGAN_NOTIFY_SMTP_URL": "smtp://127.0.0.1:%d" % SMTP.port,
        "PINGAN_NOTIFY_SMTP_FROM": "平安区信访局 <noreply@pingan.example>",
        "PINGAN_NOTIFY_RETRY_BASE_SECONDS": "60",
        "PINGAN_NOTIFY_MAX_ATTEMPTS": "3",
        "PINGAN_NOTIFY_TIMEOUT_SECONDS": "5",
        "PINGAN_NOTIFY_INTERVAL_SECONDS": "3600",
        "PINGAN_REMINDERS_SHARE_PERCENT": "80",
    }
    SRV = H.Server(env=env).start()
    H.ApiTestCase.srv = SRV


def tearDownModule():
    try:
        if SRV:
            SRV.stop()  # asserts exit status 0 after SIGTERM
    finally:
        HOOK.stop()
        SMS.stop()
        SMTP.stop()


def outbox_cli(*args):
    r = subprocess.run([H.PINGAN_BIN, "outbox"] + list(args) + ["--data", SRV.data],
                       env=H._clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


class Notifications(H.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        cls.intake = SRV.client("intake")

    # -- helpers --

    def new_case(self, phone, mail, lang=None, accept=True):
        pub = SRV.public(lang=lang)
        body = H.petition_body(contact={"name": "张秀兰", "phone": phone, "email": mail})
        r = pub.post("/api/public/cases", body)
        d = self.assertStatus(r, 201)
        cid = H.find_case_id(self.intake, d["number"])
        self.assertIsNotNone(cid)
        if accept:
            self.intake.act(cid, "accept")
        return cid, d["number"]

    def hooks(self, number, event=None):
        out = []
        for req in HOOK.all():
            j = json.loads(req["body"].decode("utf-8"))
            if j["case"]["number"] == number and (event is None or j["event"] == event):
                out.append((req, j))
        return out

    def sms_for(self, phone):
        return [q for q in SMS.all() if q["query"].get("to") == [phone]]

    def mails_for(self, addr):
        out = []
        for mail_from, rcpts, data in SMTP.all():
            if rcpts == ["<%s>" % addr]:
                out.append((mail_from, email.message_from_bytes(data, policy=email.policy.default)))
        return out

    def assertSigned(self, req):
        sig = req["headers"].get("x-pingan-signature", "")
        want = "sha256=" + hmac.new(SECRET.encode(), req["body"], hashlib.sha256).hexdigest()
        self.assertTrue(hmac.compare_digest(sig, want), "bad signature %r (want %r)" % (sig, want))
        # posted in ASCII, non-ASCII escaped (the outbox keeps it in UTF-8)
        self.assertTrue(req["body"].isascii(), req["body"][:200])

    def outbox_id(self, number_case_id, channel, status=None):
        rc, out, err = outbox_cli("list", "-n", "500", *(["--status", status] if status else []))
        self.assertEqual(rc, 0, err)
        for line in out.splitlines()[1:]:
            cols = line.split()
            if len(cols) > 4 and cols[2] == channel and cols[4] == str(number_case_id):
                return int(cols[0]), line
        return None, out

    # -- tests --

    def test_01_notice_reaches_webhook_sms_and_email(self):
        cid, number = self.new_case("13900000001", "zhang.xiulan@example.org")
        t = H.tick(SRV)
        self.assertGreaterEqual(t["outbox"]["sent"], 3, t)

        # the webhook: signed JSON about the notice, for the owning unit
        hooks = self.hooks(number, "case.notice")
        self.assertEqual(len(hooks), 1, hooks)
        req, j = hooks[0]
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], "/hook")
        self.assertTrue(req["headers"]["content-type"].startswith("application/json"))
        self.assertSigned(req)
        self.assertEqual(req["headers"]["x-pingan-event"], "case.notice")
        self.assertEqual(req["headers"]["x-pingan-delivery"], j["id"])
        self.assertEqual(j["case"]["id"], cid)
        self.assertEqual(j["notice"]["name"], "acceptance")
        self.assertEqual(j["notice"]["title"], "信访事项受理告知书")
        self.assertEqual(j["unit"]["code"], "district-xfj")
        self.assertIn(number, j["text"])

        # the SMS gateway: the petitioner's phone and a Chinese text
        sms = self.sms_for("13900000001")
        self.assertEqual(len(sms), 1, SMS.all())
        text = sms[0]["query"]["text"][0]
        self.assertIn(number, text)
        self.assertIn("信访事项受理告知书", text)

        # the e-mail: RFC 5322 with an encoded UTF-8 subject and the notice's text
        mails = self.mails_for("zhang.xiulan@example.org")
        self.assertEqual(len(mails), 1, SMTP.all())
        mail_from, msg = mails[0]
        self.assertEqual(mail_from, "<noreply@pingan.example>")
        self.assertEqual(str(msg["Subject"]), "信访事项受理告知书（%s）" % number)
        self.assertIn("noreply@pingan.example", str(msg["From"]))
        self.assertIn("平安区信访局", str(msg["From"]))
        self.assertEqual(str(msg["To"]), "zhang.xiulan@example.org")
        self.assertIsNotNone(msg["Message-ID"])
        content = msg.get_content()
        self.assertIn("您反映的信访事项（编号：%s" % number, content)

        # staff see the address masked; the outbox shows masks and delivery
        parties = self.intake.case(cid)["parties"]
        self.assertEqual(parties[0]["email"], "z***@example.org")
        mid, line = self.outbox_id(cid, "sms", "sent")
        self.assertIsNotNone(mid, line)
        self.assertIn("139****0001", line)
        self.assertNotIn("13900000001", line)

        # a second tick sends nothing again
        before = len(HOOK.all()), len(SMS.all()), len(SMTP.all())
        t = H.tick(SRV)
        self.assertEqual(t["outbox"], {"sent": 0, "retry": 0, "dead": 0})
        self.assertEqual((len(HOOK.all()), len(SMS.all()), len(SMTP.all())), before)

    def test_02_english_submission_is_told_in_english(self):
        cid, number = self.new_case("13900000002", "li.lei@example.org", lang="en")
        H.tick(SRV)
        sms = self.sms_for("13900000002")
        self.assertEqual(len(sms), 1)
        self.assertIn("Your case %s" % number, sms[0]["query"]["text"][0])
        (_, msg), = self.mails_for("li.lei@example.org")
        self.assertEqual(str(msg["Subject"]), "Notice of acceptance (%s)" % number)
        self.assertIn("was accepted", msg.get_content())

    def test_03_receiver_down_gets_retries_and_nothing_is_lost(self):
        HOOK.stop()
        try:
            cid, number = self.new_case("13900000003", "wang@example.org")
            t = H.tick(SRV)
            self.assertEqual(t["outbox"]["retry"], 1, t)   # the webhook; SMS and e-mail went
            self.assertEqual(len(self.sms_for("13900000003")), 1)
            mid, line = self.outbox_id(cid, "webhook", "pending")
            self.assertIsNotNone(mid, line)
            rc, out, _ = outbox_cli("show", str(mid))
            self.assertEqual(rc, 0)
            self.assertIn("attempts:      1", out)
            self.assertRegex(out, r"last error:    \S")
            # not due before the backoff: nothing is tried
            t = H.tick(SRV)
            self.assertEqual(t["outbox"]["retry"], 0, t)
            # after 60 s: the second attempt, failing too, then 120 s
            SRV.advance_clock(61)
            t = H.tick(SRV)
            self.assertEqual(t["outbox"]["retry"], 1, t)
        finally:
            HOOK.start()
        SRV.advance_clock(60)
        t = H.tick(SRV)
        self.assertEqual(t["outbox"]["sent"], 0, t)  # 120 s have not passed yet
        SRV.advance_clock(61)
        t = H.tick(SRV)
        self.assertEqual(t["outbox"]["sent"], 1, t)
        hooks = self.hooks(number)
        self.assertEqual(len(hooks), 1)
        self.assertSigned(hooks[0][0])
        rc, out, _ = outbox_cli("show", str(mid))
        self.assertIn("status:        sent", out)
        self.assertIn("attempts:      3", out)

    def test_04_dead_letter_and_retry(self):
        SMTP.stop()
        try:
            cid, number = self.new_case("13900000004", "zhao@example.org")
            for advance in (0, 61, 121):
                SRV.advance_clock(advance)
                H.tick(SRV)
            mid, line = self.outbox_id(cid, "email", "dead")
            self.assertIsNotNone(mid, "no dead e-mail in:\n" + line)
            rc, out, _ = outbox_cli("show", str(mid))
            self.assertEqual(rc, 0)
            self.assertIn("status:        dead", out)
            self.assertIn("attempts:      3\n", out)
            self.assertIn("z***@example.org", out)
            self.assertNotIn("zhao@example.org", out)
        finally:
            SMTP.start()
        # dead stays dead, even with the receiver back
        SRV.advance_clock(3600)
        H.tick(SRV)
        self.assertEqual(self.mails_for("zhao@example.org"), [])
        # revived by the operator, then delivered
        rc, out, err = outbox_cli("retry", str(mid))
        self.assertEqual(rc, 0, err)
        t = H.tick(SRV)
        self.assertEqual(t["outbox"]["sent"], 1, t)
        (_, msg), = self.mails_for("zhao@example.org")
        self.assertIn(number, str(msg["Subject"]))
        # a sent message is not retried again; an unknown one is an error
        rc, _, err = outbox_cli("retry", str(mid))
        self.assertEqual(rc, 1)
        self.assertIn("sent already", err)
        rc, _, _ = outbox_cli("retry", "999999")
        self.assertEqual(rc, 1)
        rc, out, _ = outbox_cli("retry", "--all-dead")
        self.assertEqual(rc, 0)
        self.assertIn("0 dead messages", out)
        rc, _, _ = outbox_cli("list", "--status", "lost")
        self.assertEqual(rc, 2)

    def test_05_reminder_and_escalation_exactly_once(self):
        cid, number = self.new_case("13900000005", "qian@example.org", accept=False)
        detail = self.intake.case(cid)
        entered = H.parse_time(detail["state_entered_at"])
        due = H.parse_time(detail["due_at"])
        now = SRV.now()
        # past 80 % of the 15-day limit of `registered`
        SRV.advance_clock(int(entered + (due - entered) * 0.8 - now) + 60)
        t = H.tick(SRV)
        self.assertGreaterEqual(t["reminders"], 1, t)
        rem = self.hooks(number, "case.reminder")
        self.assertEqual(len(rem), 1, rem)
        req, j = rem[0]
        self.assertSigned(req)
        self.assertEqual(j["percent"], 80)
        self.assertEqual(j["unit"]["code"], "district-xfj")
        self.assertEqual([r["username"] for r in j["recipients"]], ["supervisor"])
        self.assertIn("赵督办", j["text"])
        # again: nothing new
        H.tick(SRV)
        self.assertEqual(len(self.hooks(number, "case.reminder")), 1)
        # after a restart (the clock put back where it was): still nothing new
        offset = SRV.advance_clock(0)["offset_seconds"]
        SRV.restart()
        st, _, _ = SRV.public().post("/api/test/clock", {"offset_seconds": offset})
        self.assertEqual(st, 200)
        H.tick(SRV)
        self.assertEqual(len(self.hooks(number, "case.reminder")), 1)
        # past the limit: one escalation, once, also across a restart
        SRV.advance_clock(int(due - SRV.now()) + 60)
        t = H.tick(SRV)
        self.assertGreaterEqual(t["escalations"], 1, t)
        esc = self.hooks(number, "case.escalation")
        self.assertEqual(len(esc), 1)
        self.assertSigned(esc[0][0])
        H.tick(SRV)
        offset = SRV.advance_clock(0)["offset_seconds"]
        SRV.restart()
        SRV.public().post("/api/test/clock", {"offset_seconds": offset})
        H.tick(SRV)
        self.assertEqual(len(self.hooks(number, "case.escalation")), 1)
        self.assertEqual(len(self.hooks(number, "case.reminder")), 1)
        # both are on the internal timeline, never on the public one
        intake = SRV.client("intake", fresh=True)
        events = intake.get("/api/v1/cases/%d/events" % cid).data["items"]
        kinds = [e["kind"] for e in events]
        self.assertEqual(kinds.count("reminder"), 1, kinds)
        self.assertEqual(kinds.count("escalation"), 1, kinds)
        self.assertFalse(any(e["public"] for e in events if e["kind"] in ("reminder", "escalation")))

    def test_05b_overdue_supervision_order_tells_the_leaders_once(self):
        cid, number = self.new_case("13900000015", "zhou@example.org")
        leader = SRV.client("leader")  # 孙区长, district government
        due = H.local_date(SRV)
        r = leader.post("/api/v1/cases/%d/supervision" % cid, {
            "reason": "群众反映长期未处理", "required_action": "当日报告办理情况", "due_date": due})
        self.assertEqual(r.status, 201, r.data)
        oid = r.data["id"]
        self.assertEqual(self.hooks(number, "supervision.overdue"), [])
        SRV.advance_clock(2 * 86400)
        t = H.tick(SRV)
        self.assertGreaterEqual(t["supervision_escalated"], 1, t)
        H.tick(SRV)
        got = self.hooks(number, "supervision.overdue")
        self.assertEqual(len(got), 1, got)
        req, j = got[0]
        self.assertSigned(req)
        self.assertEqual(j["order"]["id"], oid)
        self.assertEqual(j["unit"]["code"], "district-xfj")
        # the issuing unit's leader is named; the order's text is in the message
        self.assertIn("leader", [x["username"] for x in j["recipients"]])
        self.assertIn("孙区长", j["text"])
        self.assertIn("当日报告办理情况", j["text"])
        # once per order, also after more passes
        SRV.advance_clock(86400)
        H.tick(SRV)
        self.assertEqual(len(self.hooks(number, "supervision.overdue")), 1)

    def test_06_accusation_is_sealed_in_the_webhook(self):
        orgs = {o["code"]: o["id"] for o in self.intake.get("/api/v1/orgs").data["items"]}
        title = "举报住建局某科长收受好处费"
        d = H.submit_petition(SRV, category="accusation", title=title, body="某科长在审批中索要好处费。",
                              contact={"name": "匿名", "phone": "13900000006"},
                              accused_org_id=orgs["district-housing"])
        cid = H.find_case_id(self.intake, d["number"])
        self.intake.act(cid, "accept")
        H.tick(SRV)
        (req, j), = self.hooks(d["number"], "case.notice")
        self.assertTrue(j["case"]["sealed"])
        self.assertIsNone(j["case"]["title"])
        self.assertIsNone(j["notice"]["text"])
        self.assertNotIn(title, json.dumps(j, ensure_ascii=False))
        self.assertNotIn(title, j["text"])
        # the informant is still told, on their own phone
        self.assertEqual(len(self.sms_for("13900000006")), 1)

    def test_08_risk_report_alerts_the_committee(self):
        orgs = {o["code"]: o["id"] for o in self.intake.get("/api/v1/orgs").data["items"]}
        r = self.intake.post("/api/v1/cases", {
            "type": "dispute", "category": "neighbourhood", "channel": "visit",
            "title": "宅基地边界纠纷", "body": "两户因宅基地边界多次争吵。"})
        self.assertEqual(r.status, 201, r.data)
        cid, number = r.data["id"], r.data["number"]
        self.intake.act(cid, "refer", {"committee_id": orgs["chengguan-mediation"]})
        mediator = SRV.client("mediator")

        def report(fields):
            r = mediator.post("/api/v1/cases/%d/records/risk_report" % cid, {"fields": fields})
            self.assertEqual(r.status, 201, r.data)
            H.tick(SRV)

        # neither major nor escalating: nobody is alerted
        report({"level": "elevated", "may_escalate": False, "facts": "双方争吵。"})
        self.assertEqual(self.hooks(number, "record.alert"), [])
        # may escalate: the political-legal committee's supervisors and leaders
        report({"level": "elevated", "may_escalate": True, "facts": "一方扬言报复。",
                "measures": "已通知派出所。"})
        got = self.hooks(number, "record.alert")
        self.assertEqual(len(got), 1, got)
        req, j = got[0]
        self.assertSigned(req)
        self.assertEqual(j["unit"]["code"], "district-plc")
        self.assertEqual(j["record"]["kind"], "risk_report")
        self.assertTrue(j["record"]["fields"]["may_escalate"])
        self.assertEqual(j["case"]["number"], number)
        self.assertEqual(sorted({x["username"] for x in j["recipients"]}), ["plcleader", "plcsup"])
        for text in ("风险报告", "较大", "可能激化", "扬言报复", "朱书记", "杨政法", "城关街道人民调解委员会"):
            self.assertIn(text, j["text"])
        # major alone is enough; each report is told once, however many passes
        report({"level": "major", "may_escalate": False, "facts": "已发生肢体冲突。"})
        H.tick(SRV)
        self.assertEqual(len(self.hooks(number, "record.alert")), 2)

    def test_07_bad_email_is_refused(self):
        pub = SRV.public()
        body = H.petition_body(contact={"name": "张三", "phone": "13800138000", "email": "not-an-address"})
        self.assertProblem(pub.post("/api/public/cases", body), 400, "validation", "contact.email")


if __name__ == "__main__":
    H.run_module()

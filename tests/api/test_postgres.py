"""
test_postgres.py — several servers on one PostgreSQL database, losing the
database under load, and `pingan copy` from SQLite.  Runs only with
PINGAN_TEST_DB (make test-pg).  The outage test stops and starts a private
cluster of its own (scripts/pg-test-cluster.sh), so the other tests running
meanwhile on the shared one are not disturbed.
"""

import os
import subprocess
import threading
import time
import unittest

import harness
from harness import DAY, Server, find_case_id, submit_petition

CLUSTER_SCRIPT = os.path.join(harness.SOURCE_DIR, "scripts", "pg-test-cluster.sh")
LOAD_ENV = {"PINGAN_RATE_PUBLIC_PER_MINUTE": "100000", "PINGAN_RATE_PUBLIC_BURST": "100000"}


def both(fn, a, b):
    """Runs fn(a) and fn(b) at the same time; returns both results."""
    out = [None, None]
    errs = []

    def run(i, srv):
        try:
            out[i] = fn(srv)
        except Exception as e:  # reported below
            errs.append(e)

    ts = [threading.Thread(target=run, args=(0, a)), threading.Thread(target=run, args=(1, b))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise errs[0]
    return out


@unittest.skipUnless(harness.on_postgres(), "needs PINGAN_TEST_DB (make test-pg)")
class TwoServers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Server(env=LOAD_ENV).start()
        cls.b = Server(env=LOAD_ENV, share=cls.a).start()

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()
        cls.a.stop()

    def sql(self, q):
        return harness.pg_admin(q, url=self.a.db_url).strip()

    def test_case_made_on_one_is_read_on_the_other(self):
        made = submit_petition(self.a)
        on_b = self.b.client("intake")
        cid = find_case_id(on_b, made["number"])
        self.assertIsNotNone(cid)
        r = on_b.get("/api/v1/cases/%d" % cid)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.data["number"], made["number"])
        # and the public tracks it on either server with its query code
        for srv in (self.a, self.b):
            r = harness.track(srv, made["number"], made["query_code"])
            self.assertEqual(r.status, 200, r)

    def test_a_session_works_on_any_server(self):
        c = self.a.client("xfj", fresh=True)
        c.relogin = False
        r = c.get("/api/v1/cases")
        self.assertEqual(r.status, 200)
        c.server = self.b          # the same cookie, the other server
        r = c.get("/api/v1/cases")
        self.assertEqual(r.status, 200, r)
        r = c.logout()             # logged out on b …
        c.server = self.a
        r = c.get("/api/v1/cases")  # … is logged out on a
        self.assertEqual(r.status, 401)

    def test_case_numbers_never_collide(self):
        got = []
        lock = threading.Lock()

        def submit(srv, n=15):
            for _ in range(n):
                d = submit_petition(srv)
                with lock:
                    got.append(d["number"])

        threads = [threading.Thread(target=submit, args=(s,)) for s in (self.a, self.b, self.a, self.b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(got), 60)
        self.assertEqual(len(set(got)), 60, "duplicate case numbers")

    def test_each_timer_fires_once(self):
        numbers = [submit_petition(self.a)["number"] for _ in range(3)] + \
                  [submit_petition(self.b)["number"] for _ in range(3)]
        staff = self.a.client("intake")
        ids = [find_case_id(staff, n) for n in numbers]
        self.assertNotIn(None, ids)
        # both servers' clocks past every limit (test clocks are per process)
        for srv in (self.a, self.b):
            srv.advance_clock(40 * DAY)
        first = both(lambda s: s.tick(), self.a, self.b)
        again = both(lambda s: s.tick(), self.a, self.b)
        marked = first[0]["marked_overdue"] + first[1]["marked_overdue"]
        self.assertGreaterEqual(marked, len(ids))
        self.assertEqual(again[0]["marked_overdue"] + again[1]["marked_overdue"], 0, again)
        self.assertEqual(again[0]["escalations"] + again[1]["escalations"], 0, again)
        for cid in ids:
            ev = staff.get("/api/v1/cases/%d/events" % cid).data["items"]
            self.assertEqual([e["kind"] for e in ev].count("overdue"), 1, (cid, ev))
        # escalations reported = escalations recorded: none was sent twice
        esc = first[0]["escalations"] + first[1]["escalations"]
        rows = int(self.sql("COPY (SELECT count(*) FROM case_alerts WHERE kind = 'escalation') TO STDOUT"))
        self.assertEqual(esc, rows)
        # every outbox message went out once (sent by one server or the other)
        dup = self.sql("COPY (SELECT count(*) FROM (SELECT dedupe_key FROM outbox WHERE dedupe_key "
                       "IS NOT NULL GROUP BY dedupe_key HAVING count(*) > 1) d) TO STDOUT").strip()
        self.assertEqual(dup, "0")


@unittest.skipUnless(harness.on_postgres(), "needs PINGAN_TEST_DB (make test-pg)")
class DatabaseRestart(unittest.TestCase):
    def setUp(self):
        import tempfile
        self.tmp = tempfile.mkdtemp(prefix="pingan-pgown-")
        os.chmod(self.tmp, 0o711)
        self.cluster = os.path.join(self.tmp, "cluster")
        url = subprocess.run([CLUSTER_SCRIPT, "start", self.cluster], check=True, timeout=300,
                             stdout=subprocess.PIPE).stdout.decode().strip()
        self.saved = harness.TEST_DB
        harness.TEST_DB = url      # this test's servers make their database there

    def tearDown(self):
        harness.TEST_DB = self.saved
        subprocess.run([CLUSTER_SCRIPT, "stop", self.cluster], timeout=300)
        os.rmdir(self.tmp)

    def test_outage_under_load(self):
        CLUSTER = self.cluster
        srv = Server(env=LOAD_ENV).start()
        try:
            acknowledged = []
            statuses = {}
            stop = threading.Event()
            lock = threading.Lock()

            def load():
                while not stop.is_set():
                    c = srv.public()
                    try:
                        r = c.post("/api/public/cases", harness.petition_body())
                    except OSError:
                        continue
                    with lock:
                        statuses[r.status] = statuses.get(r.status, 0) + 1
                        if r.status == 201:
                            acknowledged.append(r.data["number"])
                        elif r.status == 503:
                            self.assertEqual(r.data.get("type"), harness.PROBLEM_PREFIX + "unavailable")

            threads = [threading.Thread(target=load) for _ in range(4)]
            for t in threads:
                t.start()
            time.sleep(1.5)
            subprocess.run([CLUSTER_SCRIPT, "halt", CLUSTER], check=True, timeout=120)
            time.sleep(2)
            # while it is down every request that needs it gets 503
            r = srv.public().post("/api/public/cases", harness.petition_body())
            self.assertEqual(r.status, 503, r)
            self.assertIn("retry-after", r.headers)
            subprocess.run([CLUSTER_SCRIPT, "resume", CLUSTER], check=True, timeout=120)
            # the server heals by itself
            deadline = time.time() + 60
            while time.time() < deadline:
                r = srv.public().post("/api/public/cases", harness.petition_body())
                if r.status == 201:
                    break
                time.sleep(0.2)
            self.assertEqual(r.status, 201, r)
            time.sleep(1)
            stop.set()
            for t in threads:
                t.join()
            self.assertTrue(srv.alive())
            self.assertEqual(set(statuses) - {201, 503}, set(), statuses)
            self.assertGreater(statuses.get(503, 0), 0, statuses)
            # everything acknowledged is there
            seen = {c["number"] for c in srv.client("intake").inbox(open="any")}
            missing = [n for n in acknowledged if n not in seen]
            self.assertEqual(missing, [], "acknowledged but lost")
            rc = subprocess.run([harness.PINGAN_BIN, "audit", "verify", "--data", srv.data],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            self.assertEqual(rc.returncode, 0, rc.stdout + rc.stderr)
        finally:
            srv.stop()


def run(*args):
    r = subprocess.run([harness.PINGAN_BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=600, env=harness._clean_env())
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


@unittest.skipUnless(harness.on_postgres(), "needs PINGAN_TEST_DB (make test-pg)")
class CopyFromSqlite(unittest.TestCase):
    def test_copy_a_generated_district(self):
        src = Server(sqlite=True).start()
        name = None
        try:
            made = [submit_petition(src) for _ in range(3)]
            src.stop(keep_data=True)
            rc, out, err = run("seed", "--data", src.data, "--cases", "500")
            self.assertEqual(rc, 0, err)
            db = os.path.join(src.data, "pingan.db")
            name, url = harness.pg_create_database()
            rc, out, err = run("copy", "--from", db, "--to", url)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("every table has as many rows", out)
            self.assertIn("audit log intact in PostgreSQL", out)
            import sqlite3
            con = sqlite3.connect(db)
            for table in ("cases", "events", "parties", "audit", "outbox", "users", "orgs", "meta"):
                want = con.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
                got = int(harness.pg_admin("COPY (SELECT count(*) FROM %s) TO STDOUT" % table, url=url))
                self.assertEqual(got, want, table)
            con.close()
            # a second copy into it is refused: it holds a district now
            rc, out, err = run("copy", "--from", db, "--to", url)
            self.assertEqual(rc, 3, out + err)
            # the same data directory (keys, attachments) served from PostgreSQL
            with open(os.path.join(src.data, "pingan.yaml"), "a") as f:
                f.write("\ndatabase:\n  path: %s\n" % url)
            src.start()
            staff = src.client("xfj")
            for d in made:
                cid = find_case_id(staff, d["number"])
                self.assertIsNotNone(cid, d["number"])
                r = harness.track(src, d["number"], d["query_code"])
                self.assertEqual(r.status, 200, r)
            # ids and numbers go on after the copied ones
            fresh = submit_petition(src)
            self.assertNotIn(fresh["number"], [d["number"] for d in made])
            rc, out, err = run("audit", "verify", "--data", src.data)
            self.assertEqual(rc, 0, out + err)
        finally:
            src.stop()
            if name:
                harness.pg_drop_database(name)


if __name__ == "__main__":
    unittest.main(verbosity=2)

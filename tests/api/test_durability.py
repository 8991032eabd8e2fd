"""
test_durability.py — every acknowledged submission survives a crash.

A burst of public submissions from several threads; once some have been
answered 201, the server is killed with SIGKILL in the middle of the burst
(requests in flight, batches being executed and synced).  Served again on the
same data directory, every number that was acknowledged must be there with
its query code, numbers stay unique, and the audit chain still verifies.

The SQLite writer commits without syncing and a syncer thread fdatasync()s
the WAL before the batch is answered (store_sqlite.c, "Pipelined commit").
SIGKILL does not drop the kernel's page cache, so this test shows that the
store recovers from a crash at any point of that pipeline and that nothing
answered is lost or doubled; that no answer leaves before its fdatasync is
a property of the code's order (the syncer answers, and only after the
call returned 0), which a power cut would be needed to observe.
"""

import http.client
import json
import signal
import subprocess
import threading
import unittest

import harness
from harness import PINGAN_BIN, Server, petition_body, track

THREADS = 12
KILL_AFTER = 150      # acknowledged submissions before the SIGKILL


class Durability(unittest.TestCase):
    def test_acknowledged_submissions_survive_sigkill(self):
        srv = Server(env={"PINGAN_RATE_PUBLIC_PER_MINUTE": "0"}).start()
        try:
            self._burst_and_check(srv)
        finally:
            srv.stop(check=False, keep_data=True)
            srv._cleanup()

    def _burst_and_check(self, srv):
        port = srv.port
        acked = []                # (number, code)
        lock = threading.Lock()
        enough = threading.Event()
        stop = threading.Event()

        def submitter(k):
            n = 0
            while not stop.is_set():
                n += 1
                body = petition_body(title="崩溃测试 %d-%d 路灯不亮" % (k, n),
                                     contact={"name": "李四", "phone": "139%02d%06d" % (k, n)})
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    conn.request("POST", "/api/public/cases", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
                    r = conn.getresponse()
                    data = r.read()
                except (OSError, http.client.HTTPException):
                    return        # the server is gone
                finally:
                    conn.close()
                if r.status != 201:
                    continue      # e.g. 503 while stopping: not acknowledged
                d = json.loads(data)
                with lock:
                    acked.append((d["number"], d["query_code"]))
                    if len(acked) >= KILL_AFTER:
                        enough.set()

        threads = [threading.Thread(target=submitter, args=(k,), daemon=True)
                   for k in range(THREADS)]
        for t in threads:
            t.start()
        self.assertTrue(enough.wait(120), "only %d submissions acknowledged" % len(acked))
        srv.proc.send_signal(signal.SIGKILL)   # the burst is still running
        srv.proc.wait()
        stop.set()
        for t in threads:
            t.join(60)
        with lock:
            answered = list(acked)
        self.assertGreaterEqual(len(answered), KILL_AFTER)

        srv.start()                             # same data directory
        public = srv.public()
        for number, code in answered:
            r = track(srv, number, code, client=public)
            self.assertEqual(r.status, 200, "acknowledged %s lost after SIGKILL: %r" % (number, r.data))
            self.assertEqual(r.data["number"], number)
        self.assertEqual(len({n for n, _ in answered}), len(answered), "a number was given twice")

        # the store goes on where it was: a new submission gets a new number
        after = harness.submit_petition(srv, client=public)
        self.assertNotIn(after["number"], {n for n, _ in answered})

        srv.stop(keep_data=True)
        r = subprocess.run([PINGAN_BIN, "audit", "verify", "--data", srv.data],
                           env=harness._clean_env({}), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())


if __name__ == "__main__":
    unittest.main()

"""
test_cli.py — the `pingan` commands as scripts and operators use them:
--help everywhere, exit codes (0 ok, 1 failed, 2 usage, 3 configuration),
user and org administration, a backup taken while the server writes,
restore, and `audit verify` catching an edited, a deleted and a reordered
record by name.
"""

import os
import sqlite3
import subprocess
import tempfile
import threading
import unittest

import harness
from harness import PINGAN_BIN, Server, submit_petition

COMMANDS = ["serve", "init", "migrate", "seed", "user", "org", "audit", "backup", "restore",
            "workflow", "config", "calendar", "version", "outbox", "export"]


def run(*args, env=None, stdin=None, timeout=60):
    e = harness._clean_env(env or {})
    r = subprocess.run([PINGAN_BIN] + list(args), env=e, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pingan-cli-")
        cls.data = os.path.join(cls.tmp, "data")
        rc, out, err = run("init", "--data", cls.data, "--demo",
                           env={"PINGAN_ADMIN_PASSWORD": harness.ADMIN_PASSWORD,
                                "PINGAN_DEMO_PASSWORD": harness.DEMO_PASSWORD})
        assert rc == 0, err

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.tmp])

    def test_help_for_every_command(self):
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        for c in COMMANDS:
            self.assertIn(c, out)
            rc, out2, err2 = run(c, "--help")
            self.assertEqual(rc, 0, "%s --help: %s" % (c, err2))
            self.assertIn("usage: pingan " + c, out2)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run("frobnicate")[0], 2)
        self.assertEqual(run()[0], 2)
        self.assertEqual(run("serve", "--no-such-option")[0], 2)
        self.assertEqual(run("user")[0], 2)
        self.assertEqual(run("user", "add")[0], 2)
        self.assertEqual(run("audit")[0], 2)
        self.assertEqual(run("outbox")[0], 2)
        self.assertEqual(run("outbox", "retry")[0], 2)
        self.assertEqual(run("backup", "--data", self.data)[0], 2)
        rc, _, err = run("serve", "--listen")
        self.assertEqual(rc, 2)
        self.assertIn("needs a value", err)

    def test_bad_configuration_exits_3(self):
        rc, _, err = run("serve", "--data", self.data, "--listen", "nonsense")
        self.assertEqual(rc, 3)
        self.assertIn("listen", err)
        rc, _, err = run("serve", "--data", self.data, env={"PINGAN_THREADS": "0"})
        self.assertEqual(rc, 3)
        self.assertIn("PINGAN_THREADS", err)
        rc, _, err = run("audit", "verify", "--data", os.path.join(self.tmp, "missing"))
        self.assertEqual(rc, 3)
        self.assertIn("init", err)
        bad = os.path.join(self.tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("listen: 127.0.0.1:8080\nno_such_setting: 1\n")
        rc, _, err = run("serve", "--data", self.data, "--config", bad)
        self.assertEqual(rc, 3)
        self.assertIn("no_such_setting", err)

    def test_init_refuses_to_overwrite(self):
        rc, _, err = run("init", "--data", self.data)
        self.assertEqual(rc, 1)
        self.assertIn("already", err)

    def test_user_administration(self):
        rc, out, err = run("user", "add", "wang.wu", "--roles", "handler@district-housing",
                           "--name", "王五", "--data", self.data, env={"PINGAN_PASSWORD": "Wang-Wu-2026!"})
        self.assertEqual(rc, 0, err)
        rc, out, _ = run("user", "list", "--data", self.data)
        self.assertEqual(rc, 0)
        self.assertIn("wang.wu", out)
        self.assertIn("handler@district-housing", out)
        # bad role, unknown org, weak password, taken name
        self.assertEqual(run("user", "add", "x1", "--roles", "root@district-housing", "--data", self.data,
                             env={"PINGAN_PASSWORD": "Long-Enough-1"})[0], 2)
        self.assertEqual(run("user", "add", "x2", "--roles", "handler@nowhere", "--data", self.data,
                             env={"PINGAN_PASSWORD": "Long-Enough-1"})[0], 2)
        self.assertNotEqual(run("user", "add", "x3", "--data", self.data, env={"PINGAN_PASSWORD": "short"})[0], 0)
        self.assertNotEqual(run("user", "add", "wang.wu", "--data", self.data,
                                env={"PINGAN_PASSWORD": "Long-Enough-1"})[0], 0)
        rc, out, err = run("user", "passwd", "wang.wu", "--password-stdin", "--data", self.data,
                           stdin=b"New-Password-2026\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(run("user", "disable", "wang.wu", "--data", self.data)[0], 0)
        rc, out, _ = run("user", "list", "--data", self.data)
        self.assertRegex(out, r"wang\.wu\s+\S+\s+disabled")
        self.assertEqual(run("user", "enable", "wang.wu", "--data", self.data)[0], 0)
        self.assertEqual(run("user", "disable", "nobody", "--data", self.data)[0], 1)

    def test_org_administration(self):
        rc, out, err = run("org", "add", "district-edu", "--name", "平安区教育局", "--kind", "department",
                           "--parent", "district", "--data", self.data)
        self.assertEqual(rc, 0, err)
        rc, out, _ = run("org", "list", "--data", self.data)
        self.assertIn("district-edu", out)
        self.assertEqual(run("org", "add", "x", "--name", "x", "--kind", "castle", "--data", self.data)[0], 2)
        self.assertEqual(run("org", "add", "y", "--name", "y", "--kind", "department", "--parent", "nope",
                             "--data", self.data)[0], 2)
        # the 机关代字 of document numbers
        rc, out, err = run("org", "set", "district-edu", "--abbr", "平教", "--data", self.data)
        self.assertEqual(rc, 0, err)
        self.assertIn("平教", out)
        rc, _, err = run("org", "set", "district-edu", "--abbr", "平 教", "--data", self.data)
        self.assertEqual(rc, 2)
        self.assertIn("abbr", err)
        self.assertEqual(run("org", "set", "nope", "--abbr", "x", "--data", self.data)[0], 2)
        self.assertEqual(run("org", "set", "district-edu", "--data", self.data)[0], 2)
        rc, _, err = run("org", "add", "district-sport", "--name", "平安区体育局", "--kind", "department",
                         "--parent", "district", "--abbr", "平体", "--data", self.data)
        self.assertEqual(rc, 0, err)

    def test_workflow_and_calendar_commands(self):
        src = harness.SOURCE_DIR
        rc, out, _ = run("workflow", "check", os.path.join(src, "workflows", "petition.yaml"))
        self.assertEqual(rc, 0)
        self.assertIn("ok", out)
        bad = os.path.join(self.tmp, "bad-wf.yaml")
        with open(bad, "w") as f:
            f.write("type: x\nnumber_prefix: X\ninitial: a\nstates:\n  a: {}\ntransitions:\n  go: {from: [a], to: b, roles: [intake]}\n")
        rc, _, err = run("workflow", "check", bad)
        self.assertEqual(rc, 1)
        self.assertIn("bad-wf.yaml", err)
        rc, out, _ = run("workflow", "show", "petition", "--data", self.data)
        self.assertEqual(rc, 0)
        self.assertIn("registered", out)
        rc, out, _ = run("workflow", "show", "petition", "--dot", "--data", self.data)
        self.assertTrue(out.startswith("digraph"))
        rc, out, _ = run("calendar", "due", "2026-09-30", "5", "working_days", "--data", self.data)
        self.assertEqual(rc, 0)
        self.assertIn("2026-10-13T23:59:59+08:00", out)
        rc, out, _ = run("calendar", "day", "2026-02-14", "--data", self.data)
        self.assertIn("a working day", out)
        self.assertEqual(run("calendar", "due", "2026-09-30", "5", "fortnights", "--data", self.data)[0], 2)

    def test_version_and_config(self):
        rc, out, _ = run("version")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^pingan \d+\.\d+\.\d+")
        rc, out, _ = run("config")
        self.assertEqual(rc, 0)
        self.assertIn("PINGAN_LISTEN", out)


class BackupAndAudit(unittest.TestCase):
    def setUp(self):
        self.srv = Server()
        self.srv.start()

    def tearDown(self):
        self.srv.stop()

    @unittest.skipIf(harness.on_postgres(), "PostgreSQL is backed up with pg_dump (docs/postgresql.md)")
    def test_backup_while_writing_then_restore(self):
        for _ in range(5):
            submit_petition(self.srv)
        stop = threading.Event()
        made = []

        def writer():
            while not stop.is_set():
                made.append(submit_petition(self.srv))

        t = threading.Thread(target=writer)
        t.start()
        backup = os.path.join(self.srv.tmp, "backup.db")
        try:
            rc, out, err = run("backup", "--data", self.srv.data, backup)
        finally:
            stop.set()
            t.join()
        self.assertEqual(rc, 0, err)
        db = sqlite3.connect(backup)
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        n = db.execute("SELECT count(*) FROM cases").fetchone()[0]
        db.close()
        self.assertGreaterEqual(n, 5)
        # the copy is consistent: its own audit chain verifies
        restored = os.path.join(self.srv.tmp, "restored")
        os.makedirs(restored)
        rc, out, err = run("restore", "--data", restored, backup)
        self.assertEqual(rc, 0, err)
        rc, out, err = run("audit", "verify", "--data", restored)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("intact", out)

    def _tamper(self, sql):
        self.srv.stop(keep_data=True)
        if harness.on_postgres():
            # whoever owns the database can switch the append-only triggers off too
            harness.pg_admin("ALTER TABLE audit DISABLE TRIGGER USER; %s "
                             "ALTER TABLE audit ENABLE TRIGGER USER;" % sql, url=self.srv.db_url)
            rc, out, err = run("audit", "verify", "--data", self.srv.data)
            self.srv.start()
            return rc, out
        db = sqlite3.connect(os.path.join(self.srv.data, "pingan.db"))
        # whoever edits the file can drop the append-only triggers too
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
            db.execute('DROP TRIGGER "%s"' % name)
        db.executescript(sql)
        db.commit()
        db.close()
        rc, out, err = run("audit", "verify", "--data", self.srv.data)
        self.srv.start()
        return rc, out

    def test_audit_verify_names_the_edited_record(self):
        for _ in range(3):
            submit_petition(self.srv)
        rc, out, _ = run("audit", "verify", "--data", self.srv.data)
        self.assertEqual(rc, 0, out)
        rc, out = self._tamper("UPDATE audit SET detail = '{\"edited\":true}' WHERE seq = 5;")
        self.assertEqual(rc, 1)
        self.assertIn("record 5", out)

    def test_audit_verify_catches_deletion_and_reordering(self):
        for _ in range(3):
            submit_petition(self.srv)
        rc, out = self._tamper("DELETE FROM audit WHERE seq = 4;")
        self.assertEqual(rc, 1)
        self.assertIn("4", out)
        rc, out = self._tamper(
            "UPDATE audit SET seq = 100000 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = 7;"
            "UPDATE audit SET seq = 7 WHERE seq = 100000;")
        self.assertEqual(rc, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""
harness.py — shared by the API tests (tests/api/test_*.py).

Starts a real `pingan serve` on a free port over a fresh data directory made
by `pingan init --demo`, and drives it over HTTP with the standard library
only.

    srv = Server(env={"PINGAN_RATE_PUBLIC_PER_MINUTE": "5"})
    srv.start()
    intake = srv.client("intake")          # logged in, cached per server
    st, hdrs, body = intake.get("/api/v1/cases")
    srv.stop()                              # SIGTERM, asserts exit status 0

Environment of the server: every inherited PINGAN_* variable is dropped
(so a developer's shell cannot change what the tests see), then
DEFAULT_SERVE_ENV, then the per-server overrides.  PINGAN_RATE_* are NOT set
by default: the server's own defaults apply unless a test overrides them.
The timer interval is set to an hour so that only the tests' explicit
POST /api/test/tick moves cases on: a background pass in the middle of a
test would make window and overdue tests depend on timing.

The clock: the server runs with --test-clock, and advance_clock() moves the
server's clock forward.  Sessions expire by that clock (12 hours), so a
Client logs in again by itself when a request answers 401 and it was made
with credentials (relogin=True, the default for Server.client()).  Clients
made to test 401s use relogin=False.

Other tools: raw_exchange()/request_head() speak HTTP over a bare socket
(early 413s, lying Content-Lengths, huge headers); Client(source="127.0.0.N")
connects from another loopback address, since rate limits are per address;
Server.restart() serves the same data directory again.

Environment of the test run: PINGAN_BIN (the binary; default
<repo>/build/pingan) and PINGAN_SOURCE_DIR (the repo root; default two levels
up from this file).

PINGAN_TEST_DB=postgresql://USER@HOST:PORT/DB runs the servers on PostgreSQL:
each Server gets a fresh database (created on that cluster, dropped when the
server's data is removed), named in the data directory's pingan.yaml, so
`pingan serve` and every CLI command given --data use it
(scripts/pg-test-cluster.sh makes such a cluster; `make test-pg` runs the
suite on one).  Without it the servers use SQLite under the data directory.
"""

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

ADMIN_PASSWORD = "Admin-Pass-2026"
DEMO_PASSWORD = "Demo-Pass-2026"

SOURCE_DIR = os.environ.get("PINGAN_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PINGAN_BIN = os.path.abspath(os.environ.get("PINGAN_BIN") or os.path.join(SOURCE_DIR, "build", "pingan"))

DAY = 86400

TEST_DB = os.environ.get("PINGAN_TEST_DB", "")


def on_postgres():
    return TEST_DB.startswith(("postgresql://", "postgres://"))


def _psql():
    for d in [os.environ.get("PG_BIN", "")] + sorted(
            [os.path.join("/usr/lib/postgresql", v, "bin") for v in
             (os.listdir("/usr/lib/postgresql") if os.path.isdir("/usr/lib/postgresql") else [])],
            reverse=True):
        if d and os.path.exists(os.path.join(d, "psql")):
            return os.path.join(d, "psql")
    return "psql"


def pg_admin(sql, url=None):
    """Runs SQL on the PINGAN_TEST_DB cluster (its own database) with psql."""
    r = subprocess.run([_psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url or TEST_DB, "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("psql failed: %s" % r.stderr.decode("utf-8", "replace"))
    return r.stdout.decode("utf-8", "replace")


def pg_url_for(dbname):
    u = urllib.parse.urlsplit(TEST_DB)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + dbname, u.query, ""))


def pg_create_database():
    """A fresh UTF-8 database on the test cluster; returns (name, url)."""
    name = "pingan_t%d_%06d" % (os.getpid(), random.randrange(1000000))
    pg_admin("CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' "
             "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" % name)
    return name, pg_url_for(name)


def pg_drop_database(name):
    try:
        pg_admin("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    except Exception:
        pass

DEFAULT_SERVE_ENV = {
    "PINGAN_TIMER_INTERVAL_SECONDS": "3600",
    "PINGAN_LOG_LEVEL": "info",
}

LISTEN_RE = re.compile(r"pingan \S+ listening on http://127\.0\.0\.1:(\d+) \(")

NUMBER_RE = re.compile(r"^XF-\d{4}-\d{6}$")
PROBLEM_PREFIX = "urn:pingan:problem:"


def _clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGAN_")}
    if extra:
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = str(v)
    return env


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

class Server:
    """One pingan process over a fresh data directory."""

    def __init__(self, env=None, demo=True, db_url=None, sqlite=False, share=None):
        """share=other: a second server on other's PostgreSQL database, with its
        key file and attachment directory (as servers behind one load balancer)."""
        self.overrides = dict(env or {})
        self.share = share
        if share is not None:
            db_url = share.db_url
        self.sqlite = sqlite          # SQLite even when PINGAN_TEST_DB is set
        self.db_url = db_url          # share this PostgreSQL database (several servers)
        self.pg_name = None           # the database this server created (dropped with its data)
        self.demo = demo
        self.proc = None
        self.port = None
        self.tmp = None
        self.data = None
        self._stdout_lines = []
        self._clients = {}
        self._stderr_path = None

    # -- lifecycle --

    def start(self):
        if not os.path.exists(PINGAN_BIN):
            raise RuntimeError("pingan binary not found at %s (set PINGAN_BIN or build first)" % PINGAN_BIN)
        if self.proc is not None:
            if self.proc.poll() is None:
                raise RuntimeError("the server is already running")
            self._cleanup(keep_data=True)  # it exited: serve the same data again
        if self.tmp is None:
            self.tmp = tempfile.mkdtemp(prefix="pingan-api-")
            self.data = os.path.join(self.tmp, "data")
            if (on_postgres() and not self.sqlite) or self.db_url:
                if not self.db_url:
                    self.pg_name, self.db_url = pg_create_database()
                os.makedirs(self.data)
                with open(os.path.join(self.data, "pingan.yaml"), "w") as f:
                    f.write("database:\n  path: %s\n" % self.db_url)
                    if self.share is not None:
                        f.write("keys_file: %s\nattachments_dir: %s\n" % (
                            os.path.join(self.share.data, "keys", "pingan.keys"),
                            os.path.join(self.share.data, "attachments")))
            init_env = _clean_env({"PINGAN_ADMIN_PASSWORD": ADMIN_PASSWORD,
                                   "PINGAN_DEMO_PASSWORD": DEMO_PASSWORD})
            args = [PINGAN_BIN, "init", "--data", self.data] + (["--demo"] if self.demo else [])
            if self.db_url and not self.pg_name:
                args = [PINGAN_BIN, "migrate", "--data", self.data]  # a shared database: made already
            r = subprocess.run(args, env=init_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=60)
            if r.returncode != 0:
                raise RuntimeError("pingan init failed (%d):\n%s\n%s" % (
                    r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")))
        env = dict(DEFAULT_SERVE_ENV)
        env.update(self.overrides)
        serve_env = _clean_env(env)
        self.port = None
        self._stdout_lines = []
        self._clients = {}
        self._stderr_path = os.path.join(self.tmp, "stderr.log")
        self._stderr = open(self._stderr_path, "ab")
        self.proc = subprocess.Popen(
            [PINGAN_BIN, "serve", "--data", self.data, "--listen", "127.0.0.1:0", "--test-clock"],
            env=serve_env, stdout=subprocess.PIPE, stderr=self._stderr, cwd=self.tmp)
        got = threading.Event()

        proc = self.proc

        def drain():
            try:
                for raw in proc.stdout:
                    line = raw.decode("utf-8", "replace").rstrip("\n")
                    self._stdout_lines.append(line)
                    m = LISTEN_RE.search(line)
                    if m and self.port is None:
                        self.port = int(m.group(1))
                        got.set()
            except (ValueError, OSError):
                pass  # closed by stop()
            got.set()

        threading.Thread(target=drain, daemon=True).start()
        if not got.wait(10) or self.port is None:
            rc = self.proc.poll()
            if rc is None:
                self.proc.kill()
                self.proc.wait()
            err = self.stderr_text()
            out = "\n".join(self._stdout_lines)
            rc = self.proc.returncode
            self._cleanup()
            raise RuntimeError("pingan serve did not report its port within 10 s (exit %r)\nstdout:\n%s\nstderr:\n%s"
                               % (rc, out, err))
        return self

    def stderr_text(self):
        try:
            self._stderr.flush()
        except Exception:
            pass
        try:
            with open(self._stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def restart(self):
        """Stops (SIGTERM, exit 0 asserted) and serves the same data directory again."""
        self.stop(keep_data=True)
        return self.start()

    def stop(self, check=True, keep_data=False):
        """SIGTERM; returns the exit status. With check, raises unless it is 0."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
                err = self.stderr_text()
                self._cleanup()
                raise AssertionError("pingan serve did not stop within 30 s of SIGTERM\n" + err[-4000:])
        err = self.stderr_text()
        self._cleanup(keep_data)
        if check and rc != 0:
            raise AssertionError("pingan serve exited %d after SIGTERM (expected 0)\nstderr (tail):\n%s"
                                 % (rc, err[-4000:]))
        return rc

    def _cleanup(self, keep_data=False):
        for f in (getattr(self, "_stderr", None), self.proc and self.proc.stdout):
            try:
                if f:
                    f.close()
            except Exception:
                pass
        self.proc = None
        if keep_data:
            return
        if self.tmp and not os.environ.get("PINGAN_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self.pg_name:
                pg_drop_database(self.pg_name)
                self.pg_name = None
                self.db_url = None
        self.tmp = None

    # -- helpers --

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def client(self, username=None, fresh=False, lang=None):
        """A Client; with a username, logged in (cached per server unless fresh)."""
        if username is None:
            return Client(self, lang=lang)
        if not fresh and username in self._clients:
            return self._clients[username]
        c = Client(self, lang=lang)
        c.login(username)
        if not fresh:
            self._clients[username] = c
        return c

    def public(self, lang=None, source=None):
        return Client(self, lang=lang, source=source)

    def advance_clock(self, seconds):
        st, _, body = self.public().post("/api/test/clock", {"advance_seconds": int(seconds)})
        if st != 200:
            raise AssertionError("POST /api/test/clock -> %d %r" % (st, body))
        return body

    def now(self):
        """The server's clock (epoch seconds), from POST /api/test/clock with 0."""
        return parse_time(self.advance_clock(0)["now"])

    def tick(self):
        st, _, body = self.public().post("/api/test/tick", {})
        if st != 200:
            raise AssertionError("POST /api/test/tick -> %d %r" % (st, body))
        return body

    def advance_past(self, iso_or_epoch, at_least=0, margin=3600):
        """Moves the clock to just past the given time (and by at least at_least seconds)."""
        target = iso_or_epoch if isinstance(iso_or_epoch, (int, float)) else parse_time(iso_or_epoch)
        now = self.now()
        delta = max(int(target - now) + margin, int(at_least))
        if delta > 0:
            self.advance_clock(delta)
        return delta


# --------------------------------------------------------------------------
# HTTP client
# --------------------------------------------------------------------------

class Response(tuple):
    """(status, headers, data): data is parsed JSON when the body is JSON,
    else bytes.  Also .status, .headers (lower-cased names), .data, .raw."""

    def __new__(cls, status, headers, data, raw):
        self = tuple.__new__(cls, (status, headers, data))
        self.raw = raw
        return self

    status = property(lambda self: self[0])
    headers = property(lambda self: self[1])
    data = property(lambda self: self[2])

    def __repr__(self):
        return "Response(%d, %r)" % (self[0], self[2] if not isinstance(self[2], bytes) else self[2][:300])


class Client:
    def __init__(self, server, lang=None, source=None):
        self.server = server
        self.source = source  # client address, e.g. "127.0.0.7": rate limits are per address
        self.cookie = None
        self.csrf = None
        self.lang = lang
        self.username = None
        self.password = None
        self.relogin = True
        self.bearer = None
        self.user = None

    # -- auth --

    def login(self, username, password=None, expect=200):
        if password is None:
            password = ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD
        r = self.request("POST", "/api/v1/session", {"username": username, "password": password},
                         _auth=False)
        if expect is not None and r.status != expect:
            raise AssertionError("login %s -> %d %r" % (username, r.status, r.data))
        if r.status == 200:
            self.username, self.password = username, password
            self.csrf = r.data["csrf_token"]
            self.user = r.data["user"]
        return r

    def logout(self):
        return self.delete("/api/v1/session")

    # -- requests --

    def request(self, method, path, body=None, headers=None, content_type=None, csrf=True,
                _auth=True, _retry=True):
        """body: dict/list → JSON; bytes/str → sent as is (content_type applies)."""
        hdrs = {}
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                hdrs["Content-Type"] = content_type or "application/json"
            else:
                data = body.encode("utf-8") if isinstance(body, str) else body
                if content_type:
                    hdrs["Content-Type"] = content_type
        elif method in ("POST", "PATCH", "PUT") and content_type:
            hdrs["Content-Type"] = content_type
        if self.lang:
            hdrs["Accept-Language"] = self.lang
        if self.bearer:
            hdrs["Authorization"] = "Bearer " + self.bearer
        elif _auth and self.cookie:
            hdrs["Cookie"] = "pingan_session=" + self.cookie
            if csrf and method not in ("GET", "HEAD") and self.csrf:
                hdrs["X-CSRF-Token"] = self.csrf
        if headers:
            for k, v in headers.items():
                if v is None:
                    hdrs.pop(k, None)
                else:
                    hdrs[k] = v
        r = raw_request(self.server.port, method, path, data, hdrs, source=self.source)
        # remember a session cookie the server sets (or clears)
        for k, v in r.header_list:
            if k.lower() == "set-cookie" and v.startswith("pingan_session="):
                val = v.split(";", 1)[0].split("=", 1)[1]
                self.cookie = val or None
        if (r.status == 401 and _retry and self.relogin and self.username and _auth
                and not self.bearer and path != "/api/v1/session"):
            self.login(self.username, self.password)
            return self.request(method, path, body, headers, content_type, csrf, _auth, _retry=False)
        return r

    def get(self, path, params=None, **kw):
        if params:
            path = path + ("&" if "?" in path else "?") + urllib.parse.urlencode(params)
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # -- domain helpers --

    def case(self, case_id):
        r = self.get("/api/v1/cases/%d" % case_id)
        if r.status != 200:
            raise AssertionError("GET case %d as %s -> %d %r" % (case_id, self.username, r.status, r.data))
        return r.data

    def act(self, case_id, action, fields=None, expect=200):
        body = {"fields": fields} if fields is not None else {}
        r = self.post("/api/v1/cases/%d/actions/%s" % (case_id, action), body)
        if expect is not None and r.status != expect:
            raise AssertionError("%s on case %d as %s -> %d (expected %d) %r" % (
                action, case_id, self.username, r.status, expect, r.data))
        return r

    def inbox(self, **params):
        """All cases the user sees with these filters (follows cursors)."""
        params.setdefault("limit", 500)
        items = []
        cursor = None
        for _ in range(100):
            p = dict(params)
            if cursor:
                p["cursor"] = cursor
            r = self.get("/api/v1/cases", p)
            if r.status != 200:
                raise AssertionError("GET /api/v1/cases as %s -> %d %r" % (self.username, r.status, r.data))
            items.extend(r.data["items"])
            cursor = r.data.get("next_cursor")
            if not cursor:
                break
        return items

    def inbox_ids(self, **params):
        return {c["id"] for c in self.inbox(**params)}



def raw_request(port, method, path, data=None, headers=None, timeout=30, source=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        hdrs = dict(headers or {})
        if data is not None:
            hdrs.setdefault("Content-Length", str(len(data)))
        elif method in ("POST", "PUT", "PATCH"):
            hdrs.setdefault("Content-Length", "0")
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders(data)
        resp = conn.getresponse()
        raw = resp.read()
        header_list = resp.getheaders()
        h = {}
        for k, v in header_list:
            h[k.lower()] = v
        ctype = h.get("content-type", "")
        parsed = raw
        if raw and ("json" in ctype):
            try:
                parsed = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                parsed = raw
        r = Response(resp.status, h, parsed, raw)
        r.header_list = header_list
        return r
    finally:
        conn.close()


def raw_exchange(port, head, body=b"", timeout=10, chunk=65536, source=None, half_close=False):
    """Sends raw request bytes (head, then body in chunks) on a fresh socket and
    reads whatever comes back until the server closes or the response is
    complete.  Stops sending as soon as the server answers (an early 413) or
    the socket breaks.  half_close shuts the sending side after the body (for
    a body shorter than its Content-Length).  Returns Response (status 0 when nothing parseable came
    back); .raw is the whole response."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    got = bytearray()
    try:
        try:
            s.sendall(head)
            off = 0
            s.setblocking(False)
            import select
            while off < len(body):
                r, w, _ = select.select([s], [s], [], timeout)
                if r:
                    break  # the server answered early
                if not w:
                    break
                try:
                    off += s.send(body[off:off + chunk])
                except BlockingIOError:
                    continue
            s.setblocking(True)
            s.settimeout(timeout)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, OSError):
                break
            if not b:
                break
            got += b
            if _response_complete(got):
                break
    finally:
        s.close()
    return _parse_raw(bytes(got))


def _response_complete(buf):
    i = buf.find(b"\r\n\r\n")
    if i < 0:
        return False
    head = buf[:i].decode("latin-1").lower()
    m = re.search(r"\r\ncontent-length:\s*(\d+)", head)
    if m:
        return len(buf) - i - 4 >= int(m.group(1))
    return False


def _parse_raw(buf):
    i = buf.find(b"\r\n\r\n")
    if not buf.startswith(b"HTTP/") or i < 0:
        r = Response(0, {}, buf, buf)
        r.header_list = []
        return r
    lines = buf[:i].decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hl = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hl.append((k.strip(), v.strip()))
    h = {k.lower(): v for k, v in hl}
    body = buf[i + 4:]
    parsed = body
    if body and "json" in h.get("content-type", ""):
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            pass
    r = Response(status, h, parsed, body)
    r.header_list = hl
    return r


def request_head(method, path, headers):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "Connection: close"]
    for k, v in headers.items():
        lines.append("%s: %s" % (k, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


# --------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------

def multipart(parts, boundary=None):
    """parts: list of (name, value[, filename[, content_type]]); value str or bytes.
    Returns (body bytes, content type header)."""
    boundary = boundary or "----pingan%016x" % random.getrandbits(64)
    out = bytearray()
    for p in parts:
        name, value = p[0], p[1]
        filename = p[2] if len(p) > 2 else None
        ctype = p[3] if len(p) > 3 else None
        if isinstance(value, str):
            value = value.encode("utf-8")
        out += b"--" + boundary.encode() + b"\r\n"
        disp = 'form-data; name="%s"' % name
        if filename is not None:
            disp += '; filename="%s"' % filename
        out += ("Content-Disposition: %s\r\n" % disp).encode("utf-8")
        if ctype:
            out += ("Content-Type: %s\r\n" % ctype).encode()
        out += b"\r\n" + value + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return bytes(out), "multipart/form-data; boundary=" + boundary


def tiny_png():
    """A valid 1x1 RGBA PNG."""
    import struct
    import zlib

    def chunk(kind, payload):
        c = struct.pack(">I", len(payload)) + kind + payload
        return c + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00\xff")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

_counter = [0]


def petition_body(category="grievance", title=None, body=None, contact=True, **extra):
    _counter[0] += 1
    d = {
        "type": "petition",
        "category": category,
        "title": title if title is not None else "小区电梯长期故障无人维修（测试%d）" % _counter[0],
        "body": body if body is not None else "该问题已持续三个月，多次向物业反映未果，恳请有关部门调查处理。",
    }
    if contact is True:
        d["contact"] = {"name": "张三", "phone": "13812345678", "address": "平安区东门社区1号"}
    elif contact:
        d["contact"] = contact
    d.update(extra)
    return d


def submit_petition(server, expect=201, client=None, **kw):
    """POST /api/public/cases; returns the response data (number, query_code, ...)."""
    c = client or server.public()
    r = c.post("/api/public/cases", petition_body(**kw))
    if expect is not None and r.status != expect:
        raise AssertionError("public submission -> %d (expected %d) %r" % (r.status, expect, r.data))
    return r.data


def track(server, number, code, client=None):
    c = client or server.public()
    return c.get("/api/public/cases/%s?code=%s" % (urllib.parse.quote(number), urllib.parse.quote(code)))


def find_case_id(staff, number):
    """The id of the case with this number among those staff sees (any state)."""
    for c in staff.inbox(open="any"):
        if c["number"] == number:
            return c["id"]
    return None


def login(server, username, password=None):
    """A new Client logged in as username (demo passwords by default)."""
    c = Client(server)
    c.login(username, password)
    return c


def advance_clock(server, seconds):
    """POST /api/test/clock {"advance_seconds": N}; returns the server's answer."""
    return server.advance_clock(seconds)


def tick(server):
    """POST /api/test/tick: one timer pass now; returns {"applied", "marked_overdue"}."""
    return server.tick()


def local_date(server, days_ahead=0):
    """The server's local date (YYYY-MM-DD; the demo district is UTC+8), days_ahead from today."""
    import datetime
    tz = datetime.timezone(datetime.timedelta(hours=8))
    now = datetime.datetime.fromtimestamp(server.now(), tz)
    return (now + datetime.timedelta(days=days_ahead)).strftime("%Y-%m-%d")


def parse_time(s):
    """ISO 8601 with offset (2026-11-29T18:36:42+08:00) → epoch seconds."""
    from datetime import datetime
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


# --------------------------------------------------------------------------
# unittest support
# --------------------------------------------------------------------------

class ApiTestCase(unittest.TestCase):
    """Base class: self.srv is the module's server (set by the test module)."""
    srv = None
    maxDiff = 4000

    def assertProblem(self, r, status, slug=None, field=None, msg=None):
        st, hdrs, body = r
        self.assertEqual(st, status, msg or ("expected %d, got %d: %r" % (status, st, body)))
        ctype = hdrs.get("content-type", "")
        self.assertTrue(ctype.startswith("application/problem+json"),
                        "problem content type expected, got %r (%r)" % (ctype, body))
        self.assertIsInstance(body, dict, "problem body is not JSON: %r" % (body,))
        self.assertTrue(body.get("type", "").startswith(PROBLEM_PREFIX), body)
        self.assertEqual(body.get("status"), status, body)
        self.assertTrue(body.get("title"), body)
        if slug is not None:
            self.assertEqual(body["type"], PROBLEM_PREFIX + slug, body)
        if field is not None:
            self.assertEqual(body.get("field"), field, body)
        return body

    def assertStatus(self, r, status, msg=None):
        self.assertEqual(r[0], status, msg or ("expected %d, got %d: %r" % (status, r[0], r[2])))
        return r[2]


def run_module():
    """unittest.main with verbosity 2; exit status non-zero on failure."""
    unittest.main(verbosity=2)

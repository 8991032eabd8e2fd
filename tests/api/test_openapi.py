#!/usr/bin/env python3
"""
test_openapi.py — docs/openapi.yaml against the route table and a real server.

  (a) the paths and methods of docs/openapi.yaml are exactly the routes of
      src/api/routes.c, and what the route flags say (staff, public,
      rate-limited, upload, test-only, non-JSON) is what the document says;
      the document is a well-formed OpenAPI 3.1 description (every $ref
      resolves, every path template has its path parameters, ...);
  (b) on a running `pingan serve --test-clock`, every documented operation
      exists (no 405, no unknown-path 404), answers only statuses the
      document lists, and a method the document does not list is 405 with
      the documented methods in Allow;
  (c) the bodies of the main flows (login, public submission, tracking,
      inbox, case detail, timeline, actions, workflows, problems, ...)
      validate against the schemas the document gives for their status.

Run: python3 tests/api/test_openapi.py
Environment: PINGAN_BIN (default <repo>/build/pingan), PINGAN_SOURCE_DIR
(default: two levels up from this file).  Needs PyYAML (python3-yaml).
"""
import http.client
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

import yaml

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("PINGAN_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
PINGAN_BIN = os.environ.get("PINGAN_BIN") or os.path.join(SOURCE_DIR, "build", "pingan")
SPEC_PATH = os.path.join(SOURCE_DIR, "docs", "openapi.yaml")
ROUTES_C = os.path.join(SOURCE_DIR, "src", "api", "routes.c")

ADMIN_PASSWORD = "Admin-Pass-2026"
DEMO_PASSWORD = "Demo-Pass-2026"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# How src/http/server.c words the 404 of a path no route matches.
UNKNOWN_PATH_DETAIL = "资源不存在"  # "no such resource" in zh-CN, the default language

ROUTE_RE = re.compile(r'\{\s*"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)"\s*,\s*"([^"]+)"\s*,\s*([^,]+?)\s*,')


def load_spec():
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def parse_routes():
    """{(METHOD, path): set of flags} from the route table in routes.c."""
    with open(ROUTES_C, encoding="utf-8") as f:
        text = f.read()
    # the table only: from the array's opening to its closing "};"
    start = text.index("api_routes[] = {")
    end = text.index("};", start)
    routes = {}
    for m in ROUTE_RE.finditer(text[start:end]):
        flags = set()
        for tok in re.split(r"[|\s()]+", m.group(3)):
            if tok == "S":
                flags.add("ROUTE_STAFF")
            elif tok == "P":
                flags.update(("ROUTE_PUBLIC", "ROUTE_RATELIMIT"))
            elif tok:
                flags.add(tok)
        routes[(m.group(1), m.group(2))] = flags
    return routes


def spec_operations(spec):
    """{(METHOD, path): operation} of the document."""
    ops = {}
    for path, item in (spec.get("paths") or {}).items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                ops[(method.upper(), path)] = op
    return ops


# ---------------------------------------------------------------------------
# A small JSON Schema validator: the subset docs/openapi.yaml uses.
# ---------------------------------------------------------------------------

DATE_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")
SUPPORTED_KEYWORDS = {
    "$ref", "type", "required", "properties", "additionalProperties", "unevaluatedProperties",
    "items", "enum", "const", "allOf", "anyOf", "oneOf", "pattern", "format", "minimum", "maximum",
    "minLength", "maxLength", "minItems", "maxItems", "description", "examples", "example",
    "default", "title", "contentMediaType", "deprecated",
}


class Validator:
    def __init__(self, spec):
        self.spec = spec

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise ValueError("only local $ref are supported: %s" % ref)
        node = self.spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[part]
        return node

    @staticmethod
    def type_ok(value, t):
        if t == "null":
            return value is None
        if t == "boolean":
            return isinstance(value, bool)
        if t == "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if t == "number":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if t == "string":
            return isinstance(value, str)
        if t == "array":
            return isinstance(value, list)
        if t == "object":
            return isinstance(value, dict)
        raise ValueError("unknown type %r" % t)

    def evaluated_names(self, schema, value):
        """Property names a schema (with its allOf/anyOf/oneOf/$ref) evaluates."""
        names = set((schema.get("properties") or {}).keys())
        if "$ref" in schema:
            names |= self.evaluated_names(self.resolve(schema["$ref"]), value)
        for sub in schema.get("allOf", []):
            names |= self.evaluated_names(sub, value)
        for key in ("anyOf", "oneOf"):
            for sub in schema.get(key, []):
                if not self.errors(sub, value, "$"):
                    names |= self.evaluated_names(sub, value)
        return names

    def errors(self, schema, value, path="$"):
        """A list of 'path: problem' strings; empty when value is valid."""
        if schema is True or schema == {}:
            return []
        if schema is False:
            return ["%s: no value is allowed here" % path]
        unknown = set(schema) - SUPPORTED_KEYWORDS
        if unknown:
            raise ValueError("%s: the test's validator does not know %s" % (path, sorted(unknown)))
        errs = []
        if "$ref" in schema:
            errs += self.errors(self.resolve(schema["$ref"]), value, path)
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(self.type_ok(value, t) for t in types):
                return errs + ["%s: %s is not of type %s" % (path, json.dumps(value, ensure_ascii=False)[:80],
                                                             "/".join(types))]
        if "enum" in schema and value not in schema["enum"]:
            errs.append("%s: %r is not one of %s" % (path, value, schema["enum"]))
        if "const" in schema and value != schema["const"]:
            errs.append("%s: %r is not %r" % (path, value, schema["const"]))
        for sub in schema.get("allOf", []):
            errs += self.errors(sub, value, path)
        if "anyOf" in schema:
            alts = [self.errors(sub, value, path) for sub in schema["anyOf"]]
            if all(alts):
                errs.append("%s: matches none of anyOf: %s" % (path, "; ".join(a[0] for a in alts)))
        if "oneOf" in schema:
            alts = [self.errors(sub, value, path) for sub in schema["oneOf"]]
            ok = sum(1 for a in alts if not a)
            if ok != 1:
                errs.append("%s: matches %d of oneOf (needs exactly 1)" % (path, ok))
        if isinstance(value, str):
            if "pattern" in schema and not re.search(schema["pattern"], value):
                errs.append("%s: %r does not match %s" % (path, value, schema["pattern"]))
            if "minLength" in schema and len(value) < schema["minLength"]:
                errs.append("%s: shorter than %d" % (path, schema["minLength"]))
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                errs.append("%s: longer than %d" % (path, schema["maxLength"]))
            if schema.get("format") == "date-time" and not DATE_TIME_RE.match(value):
                errs.append("%s: %r is not an ISO 8601 time with an offset" % (path, value))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                errs.append("%s: %r is below %r" % (path, value, schema["minimum"]))
            if "maximum" in schema and value > schema["maximum"]:
                errs.append("%s: %r is above %r" % (path, value, schema["maximum"]))
        if isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                errs.append("%s: fewer than %d items" % (path, schema["minItems"]))
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                errs.append("%s: more than %d items" % (path, schema["maxItems"]))
            if "items" in schema:
                for i, v in enumerate(value):
                    errs += self.errors(schema["items"], v, "%s[%d]" % (path, i))
        if isinstance(value, dict):
            props = schema.get("properties") or {}
            for name in schema.get("required", []):
                if name not in value:
                    errs.append("%s: required member %r is missing" % (path, name))
            for name, v in value.items():
                if name in props:
                    errs += self.errors(props[name], v, "%s.%s" % (path, name))
                elif "additionalProperties" in schema:
                    ap = schema["additionalProperties"]
                    if ap is False:
                        errs.append("%s: member %r is not documented" % (path, name))
                    elif isinstance(ap, dict):
                        errs += self.errors(ap, v, "%s.%s" % (path, name))
            if schema.get("unevaluatedProperties") is False:
                known = self.evaluated_names(schema, value)
                for name in value:
                    if name not in known:
                        errs.append("%s: member %r is not documented" % (path, name))
        return errs


class Case(unittest.TestCase):
    def fail_if(self, problems):
        """Fails with one line per problem."""
        if problems:
            self.fail("\n" + "\n".join(problems))


# ---------------------------------------------------------------------------
# (a) the document against the route table
# ---------------------------------------------------------------------------

class TestSpecMatchesRoutes(Case):
    @classmethod
    def setUpClass(cls):
        cls.spec = load_spec()
        cls.routes = parse_routes()
        cls.ops = spec_operations(cls.spec)
        cls.validator = Validator(cls.spec)

    def test_route_table_parsed(self):
        self.assertGreater(len(self.routes), 20, "the route table regex found too few rows in routes.c")

    def test_same_paths_and_methods(self):
        in_code = set(self.routes)
        in_doc = set(self.ops)
        missing = sorted(in_code - in_doc)
        extra = sorted(in_doc - in_code)
        msg = []
        if missing:
            msg.append("routes in src/api/routes.c but not in docs/openapi.yaml:\n  " +
                       "\n  ".join("%s %s" % r for r in missing))
        if extra:
            msg.append("operations in docs/openapi.yaml but not in src/api/routes.c:\n  " +
                       "\n  ".join("%s %s" % r for r in extra))
        self.fail_if(msg)

    def test_flags_match_document(self):
        problems = []
        for key, flags in sorted(self.routes.items()):
            op = self.ops.get(key)
            if op is None:
                continue  # reported by test_same_paths_and_methods
            name = "%s %s" % key
            security = op.get("security", self.spec.get("security"))
            staff = "ROUTE_STAFF" in flags
            if staff and not security:
                problems.append("%s: a staff route, but the document needs no authentication" % name)
            if not staff and security:
                problems.append("%s: a public route, but the document asks for authentication (security: [])"
                                % name)
            if staff and key[0] not in ("GET", "HEAD"):
                for req in security:
                    if "sessionCookie" in req and "csrfToken" not in req:
                        problems.append("%s: a write with a session needs csrfToken in its security" % name)
            test_only = "ROUTE_TEST" in flags
            if test_only != bool(op.get("x-test-only")) or test_only != ("testing" in op.get("tags", [])):
                problems.append("%s: ROUTE_TEST=%s but x-test-only=%s, tags=%s"
                                % (name, test_only, op.get("x-test-only"), op.get("tags")))
            responses = op.get("responses", {})
            if "ROUTE_RATELIMIT" in flags and "429" not in responses:
                problems.append("%s: rate-limited but 429 is not documented" % name)
            if staff and "401" not in responses:
                problems.append("%s: a staff route without 401" % name)
            if "ROUTE_UPLOAD" in flags:
                content = (op.get("requestBody") or {}).get("content", {})
                if "multipart/form-data" not in content:
                    problems.append("%s: an upload route without a multipart/form-data body" % name)
                if "413" not in responses:
                    problems.append("%s: an upload route without 413" % name)
            ok = [s for s in responses if s.startswith("2")]
            media = set()
            for s in ok:
                media |= set((responses[s].get("content") or {}).keys())
            if "ROUTE_TEXT" in flags and "application/json" in media:
                problems.append("%s: ROUTE_TEXT but documented as answering JSON" % name)
            if "ROUTE_TEXT" not in flags and media - {"application/json"}:
                problems.append("%s: answers JSON but documented as %s" % (name, sorted(media)))
        self.fail_if(problems)

    def test_openapi_structure(self):
        spec = self.spec
        problems = []
        if not str(spec.get("openapi", "")).startswith("3.1."):
            problems.append("openapi must be 3.1.x")
        info = spec.get("info") or {}
        if not info.get("title") or info.get("version") != "0.1.0":
            problems.append("info needs a title and version 0.1.0")
        declared_tags = {t["name"] for t in spec.get("tags", [])}
        op_ids = {}
        schemes = (spec.get("components") or {}).get("securitySchemes") or {}
        for (method, path), op in self.ops.items():
            name = "%s %s" % (method, path)
            if not path.startswith("/"):
                problems.append("%s: a path must start with /" % name)
            oid = op.get("operationId")
            if not oid:
                problems.append("%s: no operationId" % name)
            elif oid in op_ids:
                problems.append("%s: operationId %s also used by %s" % (name, oid, op_ids[oid]))
            else:
                op_ids[oid] = name
            for tag in op.get("tags", []):
                if tag not in declared_tags:
                    problems.append("%s: tag %s is not declared" % (name, tag))
            if not op.get("responses"):
                problems.append("%s: no responses" % name)
            for status, resp in op.get("responses", {}).items():
                if not re.fullmatch(r"[1-5](\d\d|XX)|default", str(status)):
                    problems.append("%s: bad response key %r" % (name, status))
                if "$ref" not in resp and "description" not in resp:
                    problems.append("%s %s: a response needs a description" % (name, status))
            for req in op.get("security", []):
                for s in req:
                    if s not in schemes:
                        problems.append("%s: unknown security scheme %s" % (name, s))
            # path parameters: exactly the template's names
            params = []
            for p in spec["paths"][path].get("parameters", []) + op.get("parameters", []):
                p = self.validator.resolve(p["$ref"]) if "$ref" in p else p
                params.append(p)
                if p.get("in") not in ("path", "query", "header", "cookie"):
                    problems.append("%s: parameter %s has a bad 'in'" % (name, p.get("name")))
                if "schema" not in p and "content" not in p:
                    problems.append("%s: parameter %s has no schema" % (name, p.get("name")))
            in_template = set(re.findall(r"\{([^}]+)\}", path))
            in_params = {p["name"] for p in params if p.get("in") == "path"}
            if in_template != in_params:
                problems.append("%s: path parameters %s, template has %s"
                                % (name, sorted(in_params), sorted(in_template)))
            for p in params:
                if p.get("in") == "path" and p.get("required") is not True:
                    problems.append("%s: path parameter %s must be required: true" % (name, p["name"]))

        # every $ref resolves
        def walk(node, where):
            if isinstance(node, dict):
                if "$ref" in node:
                    try:
                        self.validator.resolve(node["$ref"])
                    except (KeyError, ValueError, TypeError):
                        problems.append("%s: $ref %s does not resolve" % (where, node["$ref"]))
                for k, v in node.items():
                    walk(v, "%s/%s" % (where, k))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, "%s/%d" % (where, i))
        walk(spec, "#")
        self.fail_if(problems)

    def test_openapi_spec_validator(self):
        """The full OpenAPI 3.1 check, where the optional openapi-spec-validator is installed."""
        try:
            from openapi_spec_validator import validate
        except ImportError:
            self.skipTest("openapi-spec-validator is not installed (optional)")
        validate(self.spec)

    def test_schema_keywords(self):
        """Every schema uses only keywords the validator knows (a YAML flow mapping
        with an unquoted comma in a description makes a stray key, caught here)."""
        problems = []

        def walk(schema, where):
            if not isinstance(schema, dict):
                if not isinstance(schema, bool):
                    problems.append("%s: a schema must be an object or a boolean" % where)
                return
            unknown = set(schema) - SUPPORTED_KEYWORDS
            if unknown:
                problems.append("%s: unknown keywords %s" % (where, sorted(unknown)))
            for name, sub in (schema.get("properties") or {}).items():
                walk(sub, "%s/properties/%s" % (where, name))
            for key in ("items", "additionalProperties", "unevaluatedProperties"):
                if isinstance(schema.get(key), dict):
                    walk(schema[key], "%s/%s" % (where, key))
            for key in ("allOf", "anyOf", "oneOf"):
                for i, sub in enumerate(schema.get(key, [])):
                    walk(sub, "%s/%s/%d" % (where, key, i))

        def find(node, where):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "schema":
                        walk(v, where + "/schema")
                    elif k == "schemas" and where == "#/components":
                        for name, s in v.items():
                            walk(s, "#/components/schemas/" + name)
                    elif k not in ("example", "examples"):
                        find(v, "%s/%s" % (where, k))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    find(v, "%s/%d" % (where, i))
        find(self.spec, "#")
        self.fail_if(problems)

    def test_examples_match_schemas(self):
        """Media-type examples validate against their schemas (keeps the examples honest)."""
        problems = []
        for (method, path), op in sorted(self.ops.items()):
            bodies = []
            rb = op.get("requestBody")
            if rb:
                bodies.append(("request", rb))
            for status, resp in op.get("responses", {}).items():
                bodies.append((status, self.validator.resolve(resp["$ref"]) if "$ref" in resp else resp))
            for where, body in bodies:
                for mt, media in (body.get("content") or {}).items():
                    if "json" not in mt or "schema" not in media:
                        continue
                    examples = []
                    if "example" in media:
                        examples.append(media["example"])
                    for ex in (media.get("examples") or {}).values():
                        examples.append(ex["value"])
                    for ex in examples:
                        for e in self.validator.errors(media["schema"], ex):
                            problems.append("%s %s (%s example): %s" % (method, path, where, e))
        self.fail_if(problems)


# ---------------------------------------------------------------------------
# A real server
# ---------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def media_type(self):
        ct = self.header("Content-Type") or ""
        return ct.split(";")[0].strip().lower()

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %s %s>" % (self.status, self.media_type, self.body[:300].decode("utf-8", "replace"))


def multipart(fields, files):
    """fields: [(name, text, content_type|None)]; files: [(name, filename, bytes)]."""
    boundary = "----pingan" + uuid.uuid4().hex
    out = []
    for name, text, ctype in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n" % (boundary, name)).encode())
        if ctype:
            out.append(("Content-Type: %s\r\n" % ctype).encode())
        out.append(b"\r\n" + text.encode("utf-8") + b"\r\n")
    for name, filename, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: application/octet-stream\r\n\r\n" % (boundary, name, filename)).encode("utf-8"))
        out.append(data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=%s" % boundary


class Session:
    """A logged-in staff member: cookie + CSRF token."""

    def __init__(self, cookie, csrf, login):
        self.cookie = cookie
        self.csrf = csrf
        self.login = login  # the login Response

    def headers(self, method):
        h = {"Cookie": "pingan_session=%s" % self.cookie}
        if method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        return h


class ServerTestCase(Case):
    """Starts `pingan serve --test-clock` on a fresh demo database once for the class."""

    proc = None

    @classmethod
    def setUpClass(cls):
        if not os.access(PINGAN_BIN, os.X_OK):
            raise unittest.SkipTest("no server binary at %s (build it, or set PINGAN_BIN)" % PINGAN_BIN)
        cls.spec = load_spec()
        cls.ops = spec_operations(cls.spec)
        cls.validator = Validator(cls.spec)
        cls.tmp = tempfile.mkdtemp(prefix="pingan-openapi-")
        cls.data = os.path.join(cls.tmp, "data")
        # a developer's PINGAN_* settings must not change what the test sees
        env = {k: v for k, v in os.environ.items() if not k.startswith("PINGAN_")}
        env.update({
            # only POST /api/test/tick moves cases on, never a background pass
            "PINGAN_TIMER_INTERVAL_SECONDS": "3600",
            "PINGAN_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "PINGAN_DEMO_PASSWORD": DEMO_PASSWORD,
            "PINGAN_SHARE_DIR": SOURCE_DIR,
            # this test sends many public requests from one address on purpose
            "PINGAN_RATE_PUBLIC_PER_MINUTE": "0",
        })
        cls.env = env
        cls.pg_name = None
        if harness.on_postgres():  # the same database engine as the rest of the suite
            cls.pg_name, url = harness.pg_create_database()
            os.makedirs(cls.data)
            with open(os.path.join(cls.data, "pingan.yaml"), "w") as f:
                f.write("database:\n  path: %s\n" % url)
        init = subprocess.run([PINGAN_BIN, "init", "--data", cls.data, "--demo"], cwd=cls.tmp, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if init.returncode != 0:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise RuntimeError("pingan init failed (%d):\n%s%s" % (init.returncode, init.stdout.decode(),
                                                                   init.stderr.decode()))
        cls.stderr_path = os.path.join(cls.tmp, "serve.stderr")
        cls.stderr_file = open(cls.stderr_path, "wb")
        cls.proc = subprocess.Popen([PINGAN_BIN, "serve", "--data", cls.data, "--listen", "127.0.0.1:0",
                                     "--test-clock"], cwd=cls.tmp, env=env, stdout=subprocess.PIPE,
                                    stderr=cls.stderr_file)
        line = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            r, _, _ = select.select([cls.proc.stdout], [], [], 0.2)
            if r:
                chunk = os.read(cls.proc.stdout.fileno(), 1)
                if not chunk:
                    break
                line += chunk
        m = re.match(rb"pingan \S+ listening on http://127\.0\.0\.1:(\d+) \(", line)
        if not m:
            cls._stop()
            raise RuntimeError("no 'listening on' line from pingan serve, got %r; stderr:\n%s"
                               % (line, cls._stderr_tail()))
        cls.port = int(m.group(1))
        cls.fixture()

    @classmethod
    def _stderr_tail(cls):
        try:
            with open(cls.stderr_path, "rb") as f:
                return f.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return ""

    @classmethod
    def _stop(cls):
        rc = None
        if cls.proc and cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                rc = cls.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()
                rc = "timeout"
        elif cls.proc:
            rc = "exited early with %s" % cls.proc.returncode
        if cls.proc and cls.proc.stdout:
            cls.proc.stdout.close()
        if getattr(cls, "stderr_file", None):
            cls.stderr_file.close()
        return rc

    @classmethod
    def tearDownClass(cls):
        rc = cls._stop()
        tail = cls._stderr_tail()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if cls.pg_name:
            harness.pg_drop_database(cls.pg_name)
        if rc != 0:
            raise AssertionError("pingan serve did not exit 0 on SIGTERM: %s\nstderr:\n%s" % (rc, tail))

    # ---- HTTP ------------------------------------------------------------

    @classmethod
    def request(cls, method, path, body=None, headers=None, json_body=None, session=None):
        h = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            h.setdefault("Content-Type", "application/json")
        if session is not None:
            h.update(session.headers(method))
        conn = http.client.HTTPConnection("127.0.0.1", cls.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    @classmethod
    def login(cls, username, password=DEMO_PASSWORD):
        r = cls.request("POST", "/api/v1/session", json_body={"username": username, "password": password})
        if r.status != 200:
            raise AssertionError("login as %s: %r" % (username, r))
        cookie = None
        for k, v in r.headers:
            if k.lower() == "set-cookie" and v.startswith("pingan_session="):
                cookie = v.split(";")[0].split("=", 1)[1]
        if not cookie:
            raise AssertionError("login as %s set no pingan_session cookie" % username)
        return Session(cookie, r.json["csrf_token"], r)

    @classmethod
    def fixture(cls):
        """One public petition (number + code) every test may use."""
        r = cls.request("POST", "/api/public/cases", json_body={
            "type": "petition", "category": "grievance", "title": "小区电梯长期故障",
            "body": "幸福小区3号楼电梯自今年3月起多次故障停运，物业一直未修复，老人上下楼十分困难。",
            "contact": {"name": "张秀兰", "phone": "13800138000"}})
        if r.status != 201:
            raise AssertionError("public submission for the fixture: %r" % r)
        cls.case_number = r.json["number"]
        cls.query_code = r.json["query_code"]
        cls.admin = cls.login("admin", ADMIN_PASSWORD)

    # ---- the document ----------------------------------------------------

    def operation(self, method, template):
        op = self.ops.get((method, template))
        self.assertIsNotNone(op, "%s %s is not documented" % (method, template))
        return op

    def check(self, method, template, r, want_status=None):
        """Asserts r is documented for the operation (status, media type, schema); returns r.json."""
        name = "%s %s" % (method, template)
        if want_status is not None:
            self.assertEqual(r.status, want_status, "%s: %r" % (name, r))
        op = self.operation(method, template)
        responses = op.get("responses", {})
        resp = responses.get(str(r.status)) or responses.get("%dXX" % (r.status // 100)) or \
            responses.get("default")
        self.assertIsNotNone(resp, "%s answered %d, which the document does not list: %r" % (name, r.status, r))
        if "$ref" in resp:
            resp = self.validator.resolve(resp["$ref"])
        content = resp.get("content") or {}
        if not content:
            self.assertEqual(r.body, b"", "%s %d: documented without a body, got %r" % (name, r.status, r))
            return None
        media = r.media_type
        if media not in content:  # a media range: type/* or */*
            media = next((m for m in (media.split("/")[0] + "/*", "*/*") if m in content), media)
        self.assertIn(media, content, "%s %d: Content-Type %s is not documented (%s)"
                      % (name, r.status, r.media_type, sorted(content)))
        for hname in (resp.get("headers") or {}):
            if hname in ("Retry-After", "Location"):
                self.assertIsNotNone(r.header(hname), "%s %d: no %s header" % (name, r.status, hname))
        schema = content[media].get("schema")
        if "json" not in r.media_type:
            return None
        body = r.json
        if schema is not None:
            errs = self.validator.errors(schema, body)
            if errs:
                self.fail("%s %d: the body does not match the document:\n  %s\nbody: %s"
                          % (name, r.status, "\n  ".join(errs[:30]), json.dumps(body, ensure_ascii=False)[:2000]))
        return body


# ---------------------------------------------------------------------------
# (b) every documented operation exists on the server
# ---------------------------------------------------------------------------

SAMPLE_PARAMS = {
    "id": "1", "party": "1", "type": "petition", "action": "accept", "sha": "0" * 64,
    "kind": "party", "org": "1",
    "indicator": "cases",
}
PROBE_BODY = {"__probe__": True}  # every JSON handler refuses it (or ignores it) before doing anything


class TestRoutesExist(ServerTestCase):
    def fill(self, template):
        values = dict(SAMPLE_PARAMS, number=self.case_number)
        return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], template)

    def test_unknown_path_wording(self):
        """The check below relies on how the server words an unknown path's 404."""
        r = self.request("GET", "/api/v1/no-such-route")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.media_type, "application/problem+json")
        self.assertEqual(r.json.get("detail"), UNKNOWN_PATH_DETAIL)
        self.assertEqual(r.json.get("type"), "urn:pingan:problem:not-found")

    def test_every_operation_exists(self):
        failures = []
        for (method, template), op in sorted(self.ops.items()):
            path = self.fill(template)
            if "{number}" in template:
                path += "?code=" + self.query_code
            session = self.admin
            if (method, template) == ("DELETE", "/api/v1/session"):
                session = self.login("admin", ADMIN_PASSWORD)  # a throwaway session to log out
            if op.get("security") == []:
                session = None
            # a body the handler refuses before doing anything (on multipart-only
            # routes a JSON body is 415); no body where none is documented
            json_body = PROBE_BODY if op.get("requestBody") else None
            r = self.request(method, path, json_body=json_body, session=session)
            name = "%s %s (sent %s %s)" % (method, template, method, path)
            if r.status == 405:
                failures.append("%s: 405, the route does not exist with this method: %r" % (name, r))
                continue
            if r.status == 404:
                detail = r.json.get("detail") if r.media_type == "application/problem+json" else None
                if detail == UNKNOWN_PATH_DETAIL:
                    failures.append("%s: 404 for an unknown path, the route does not exist: %r" % (name, r))
                    continue
            try:
                self.check(method, template, r)
            except AssertionError as e:
                failures.append(str(e))
        self.fail_if(failures)

    def test_other_methods_are_405(self):
        failures = []
        paths = self.spec["paths"]
        for template, item in sorted(paths.items()):
            documented = {m.upper() for m in item if m in HTTP_METHODS}
            other = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET") if m not in documented)
            r = self.request(other, self.fill(template), session=self.admin)
            if r.status != 405:
                failures.append("%s %s: expected 405, got %r" % (other, template, r))
                continue
            allow = {m.strip() for m in (r.header("Allow") or "").split(",") if m.strip()}
            want = documented | ({"HEAD"} if "GET" in documented else set())
            if allow != want:
                failures.append("%s: Allow is %s, the document has %s" % (template, sorted(allow), sorted(want)))
            if r.media_type != "application/problem+json" or \
                    r.json.get("type") != "urn:pingan:problem:method-not-allowed":
                failures.append("%s %s: 405 is not a method-not-allowed problem: %r" % (other, template, r))
        self.fail_if(failures)


# ---------------------------------------------------------------------------
# (c) real bodies against the documented schemas
# ---------------------------------------------------------------------------

PETITION = {
    "type": "petition",
    "category": "grievance",
    "title": "小区电梯长期故障",
    "body": "幸福小区3号楼电梯自今年3月起多次故障停运，物业一直未修复，老人上下楼十分困难，恳请有关部门督促解决。",
    "contact": {"name": "张秀兰", "phone": "13800138000", "address": "城关街道幸福小区3号楼2单元501室"},
}
TEXT_FILE = "电梯故障情况说明：3号楼电梯3月12日、4月2日两次困人。\n".encode("utf-8")


class TestResponsesMatchSchemas(ServerTestCase):
    def test_health_and_metrics(self):
        self.check("GET", "/healthz", self.request("GET", "/healthz"), 200)
        r = self.request("GET", "/metrics")
        self.check("GET", "/metrics", r, 200)
        self.assertIn(b"pingan_cases_open", r.body)

    def test_session(self):
        s = self.login("intake")
        self.check("POST", "/api/v1/session", s.login, 200)
        me = self.check("GET", "/api/v1/session", self.request("GET", "/api/v1/session", session=s), 200)
        self.assertEqual(me["user"]["username"], "intake")
        self.assertEqual(me["csrf_token"], s.csrf)
        # problems: wrong password, no session, missing CSRF token
        r = self.request("POST", "/api/v1/session", json_body={"username": "intake", "password": "wrong-password-1"})
        self.check("POST", "/api/v1/session", r, 401)
        self.check("GET", "/api/v1/session", self.request("GET", "/api/v1/session"), 401)
        r = self.request("POST", "/api/v1/tokens", json_body={"name": "x"},
                         headers={"Cookie": "pingan_session=" + s.cookie})
        body = self.check("POST", "/api/v1/tokens", r, 403)
        self.assertEqual(body["type"], "urn:pingan:problem:csrf")
        self.assertEqual(body["field"], "X-CSRF-Token")
        # tokens
        r = self.request("POST", "/api/v1/tokens", json_body={"name": "月度报表导出", "ttl_days": 30}, session=s)
        tok = self.check("POST", "/api/v1/tokens", r, 201)
        bearer = {"Authorization": "Bearer " + tok["token"]}
        r = self.request("GET", "/api/v1/tokens", headers=bearer)
        items = self.check("GET", "/api/v1/tokens", r, 200)["items"]
        self.assertIn(tok["id"], [t["id"] for t in items])
        me = self.check("GET", "/api/v1/session", self.request("GET", "/api/v1/session", headers=bearer), 200)
        self.assertNotIn("csrf_token", me)
        self.check("DELETE", "/api/v1/session", self.request("DELETE", "/api/v1/session", headers=bearer), 400)
        r = self.request("DELETE", "/api/v1/tokens/%d" % tok["id"], session=s)
        self.check("DELETE", "/api/v1/tokens/{id}", r, 204)
        self.check("GET", "/api/v1/tokens", self.request("GET", "/api/v1/tokens", headers=bearer), 401)
        # log out
        self.check("DELETE", "/api/v1/session", self.request("DELETE", "/api/v1/session", session=s), 204)
        self.check("GET", "/api/v1/session", self.request("GET", "/api/v1/session", session=s), 401)

    def test_public_submission_and_tracking(self):
        # JSON
        r = self.request("POST", "/api/public/cases", json_body=PETITION)
        receipt = self.check("POST", "/api/public/cases", r, 201)
        self.assertEqual(r.header("Location"), "/api/public/cases/" + receipt["number"])
        # multipart with an attachment
        body, ctype = multipart([("case", json.dumps(PETITION, ensure_ascii=False), "application/json")],
                                [("files", "情况说明.txt", TEXT_FILE)])
        r = self.request("POST", "/api/public/cases", body=body, headers={"Content-Type": ctype})
        receipt2 = self.check("POST", "/api/public/cases", r, 201)
        # tracking
        url = "/api/public/cases/%s?code=%s" % (receipt2["number"], receipt2["query_code"])
        case = self.check("GET", "/api/public/cases/{number}", self.request("GET", url), 200)
        self.assertEqual(case["title"], PETITION["title"])
        self.assertEqual(len(case["attachments"]), 1)
        self.assertTrue(case["attachments"][0]["public"])
        sha = case["attachments"][0]["sha256"]
        r = self.request("GET", "/api/public/cases/%s/attachments/%s?code=%s"
                         % (receipt2["number"], sha, receipt2["query_code"]))
        self.check("GET", "/api/public/cases/{number}/attachments/{sha}", r, 200)
        self.assertEqual(r.body, TEXT_FILE)
        self.assertTrue((r.header("Content-Disposition") or "").startswith("attachment"))
        # English labels
        case_en = self.check("GET", "/api/public/cases/{number}", self.request("GET", url + "&lang=en"), 200)
        self.assertEqual(case_en["state_label"], "Registered")
        # wrong code: 404 that names the code
        r = self.request("GET", "/api/public/cases/%s?code=0000000000" % receipt["number"])
        self.assertEqual(self.check("GET", "/api/public/cases/{number}", r, 404).get("field"), "code")
        # forms
        wf = self.check("GET", "/api/public/workflows/{type}",
                        self.request("GET", "/api/public/workflows/petition"), 200)
        self.assertIn("grievance", [c["code"] for c in wf["categories"]])
        self.check("GET", "/api/public/workflows/{type}", self.request("GET", "/api/public/workflows/nope"), 404)
        units = self.check("GET", "/api/public/units", self.request("GET", "/api/public/units"), 200)
        self.assertTrue(units["items"])
        # attachment limits: the defaults of limits.max_file / max_files / max_body
        lim = self.check("GET", "/api/public/limits", self.request("GET", "/api/public/limits"), 200)
        att = lim["attachments"]
        self.assertEqual((att["max_file_bytes"], att["max_files"], att["max_body_bytes"]),
                         (10 * 1024 * 1024, 5, 25 * 1024 * 1024))
        exts = {e for t in att["types"] for e in t["extensions"]}
        self.assertTrue({"pdf", "png", "jpg", "jpeg", "txt", "docx", "xlsx"} <= exts, exts)
        self.assertIsNone(lim["map"])  # no map.tile_url: no map, the place is typed
        self.assertEqual(case["attachments"][0]["direction"], "in")

    def test_problem_documents(self):
        bad = dict(PETITION)
        del bad["title"]
        r = self.request("POST", "/api/public/cases", json_body=bad)
        p = self.check("POST", "/api/public/cases", r, 400)
        self.assertEqual(p["type"], "urn:pingan:problem:validation")
        self.assertEqual(p["field"], "title")
        self.assertEqual(p["instance"], "/api/public/cases")
        r = self.request("POST", "/api/public/cases", json_body=dict(PETITION, channel="web"))
        self.assertEqual(self.check("POST", "/api/public/cases", r, 400)["field"], "channel")
        r = self.request("POST", "/api/public/cases", body=b"{", headers={"Content-Type": "application/json"})
        self.assertEqual(self.check("POST", "/api/public/cases", r, 400)["type"], "urn:pingan:problem:bad-json")
        r = self.request("POST", "/api/public/cases", body=b"title=x", headers={"Content-Type": "text/plain"})
        self.check("POST", "/api/public/cases", r, 415)
        r = self.request("GET", "/api/v1/cases?limit=0", session=self.admin)
        self.assertEqual(self.check("GET", "/api/v1/cases", r, 400)["field"], "limit")
        r = self.request("GET", "/api/v1/cases/999999", session=self.admin)
        self.check("GET", "/api/v1/cases/{id}", r, 404)
        r = self.request("GET", "/api/v1/cases/1?lang=en")
        self.assertEqual(self.check("GET", "/api/v1/cases/{id}", r, 401)["title"], "Authentication required")

    def test_staff_case_flow(self):
        intake = self.login("intake")
        # inbox
        r = self.request("GET", "/api/v1/cases?limit=500", session=intake)
        inbox = self.check("GET", "/api/v1/cases", r, 200)
        ids = {c["number"]: c["id"] for c in inbox["items"]}
        self.assertIn(self.case_number, ids)
        r = self.request("GET", "/api/v1/cases?limit=1&open=any&overdue=false&type=petition", session=intake)
        page = self.check("GET", "/api/v1/cases", r, 200)
        if page["next_cursor"]:
            r = self.request("GET", "/api/v1/cases?limit=1&open=any&overdue=false&type=petition&cursor="
                             + page["next_cursor"], session=intake)
            self.check("GET", "/api/v1/cases", r, 200)

        # search and similar cases (docs/search.md)
        r = self.request("GET", "/api/v1/search/cases?q=%E7%94%B5%E6%A2%AF&limit=1&open=any", session=intake)
        found = self.check("GET", "/api/v1/search/cases", r, 200)
        self.assertTrue(found["items"])
        r = self.request("GET", "/api/v1/cases/%d/similar" % found["items"][0]["id"], session=intake)
        self.check("GET", "/api/v1/cases/{id}/similar", r, 200)
        r = self.request("POST", "/api/v1/search/similar", json_body={"title": "小区电梯故障"}, session=intake)
        self.check("POST", "/api/v1/search/similar", r, 200)

        # register a case (multipart, with a file)
        staff_case = dict(PETITION, title="建议增设社区老年食堂", category="suggestion", channel="visit",
                          body="东门社区老年人较多，建议在社区服务中心增设老年食堂。")
        body, ctype = multipart([("case", json.dumps(staff_case, ensure_ascii=False), "application/json")],
                                [("files", "来访登记表.txt", TEXT_FILE)])
        r = self.request("POST", "/api/v1/cases", body=body, headers={"Content-Type": ctype}, session=intake)
        created = self.check("POST", "/api/v1/cases", r, 201)
        self.assertEqual(r.header("Location"), "/api/v1/cases/%d" % created["id"])
        r = self.request("POST", "/api/v1/cases", json_body=dict(staff_case, channel="fax"), session=intake)
        self.check("POST", "/api/v1/cases", r, 400)

        cid = ids[self.case_number]
        base = "/api/v1/cases/%d" % cid
        detail = self.check("GET", "/api/v1/cases/{id}", self.request("GET", base, session=intake), 200)
        masked = detail["parties"][0]
        self.assertNotEqual(masked["name"], "张秀兰")
        self.assertIn("*", masked["name"])
        self.assertEqual(masked["phone"], "138****8000")
        self.assertIn("accept", [a["name"] for a in detail["actions"]])
        events = self.check("GET", "/api/v1/cases/{id}/events",
                            self.request("GET", base + "/events", session=intake), 200)
        self.assertEqual(events["items"][0]["kind"], "created")

        wf = self.check("GET", "/api/v1/workflows/{type}",
                        self.request("GET", "/api/v1/workflows/petition", session=intake), 200)
        self.assertIn("reply", [t["name"] for t in wf["transitions"]])
        self.check("GET", "/api/v1/workflows", self.request("GET", "/api/v1/workflows", session=intake), 200)
        self.check("GET", "/api/v1/workflows/{type}",
                   self.request("GET", "/api/v1/workflows/nope", session=intake), 404)
        cal = self.check("GET", "/api/v1/calendar",
                         self.request("GET", "/api/v1/calendar?year=2026", session=intake), 200)
        self.assertTrue(cal["national"])
        self.check("GET", "/api/v1/calendar", self.request("GET", "/api/v1/calendar?year=x", session=intake), 400)
        self.check("GET", "/api/v1/calendar/due",
                   self.request("GET", "/api/v1/calendar/due?start=2026-09-30&amount=1&unit=working_days",
                                session=intake), 200)
        self.check("GET", "/api/v1/calendar/due",
                   self.request("GET", "/api/v1/calendar/due?amount=1&unit=weeks", session=intake), 400)

        # comment, reveal, attachments
        r = self.request("POST", base + "/comments", json_body={"text": "已电话联系信访人，约定下周二现场查看。"},
                         session=intake)
        self.check("POST", "/api/v1/cases/{id}/comments", r, 201)
        r = self.request("POST", base + "/comments", json_body={"text": "x", "public": True}, session=intake)
        self.assertEqual(self.check("POST", "/api/v1/cases/{id}/comments", r, 400)["field"], "public")
        party = detail["parties"][0]["id"]
        r = self.request("POST", "%s/parties/%d/reveal" % (base, party), session=intake)
        clear = self.check("POST", "/api/v1/cases/{id}/parties/{party}/reveal", r, 200)
        self.assertEqual(clear["name"], "张秀兰")
        body, ctype = multipart([], [("files", "现场照片说明.txt", TEXT_FILE + b"2")])
        r = self.request("POST", base + "/attachments", body=body, headers={"Content-Type": ctype}, session=intake)
        att = self.check("POST", "/api/v1/cases/{id}/attachments", r, 201)["items"][0]
        self.assertFalse(att["public"])
        r = self.request("GET", "%s/attachments/%s" % (base, att["sha256"]), session=intake)
        self.check("GET", "/api/v1/cases/{id}/attachments/{sha}", r, 200)
        self.assertEqual(r.body, TEXT_FILE + b"2")
        r = self.request("POST", base + "/attachments", json_body={}, session=intake)
        self.check("POST", "/api/v1/cases/{id}/attachments", r, 415)

        # actions: a wrong one, a stale version, accept, reply
        r = self.request("POST", base + "/actions/reply", json_body={}, session=intake)
        self.check("POST", "/api/v1/cases/{id}/actions/{action}", r, 403)
        r = self.request("POST", base + "/actions/nonexistent", json_body={}, session=intake)
        self.assertEqual(self.check("POST", "/api/v1/cases/{id}/actions/{action}", r, 404)["field"], "action")
        r = self.request("POST", base + "/actions/refuse", json_body={"fields": {}}, session=intake)
        self.assertEqual(self.check("POST", "/api/v1/cases/{id}/actions/{action}", r, 400)["field"],
                         "fields.reason")
        r = self.request("POST", base + "/actions/accept", json_body={"version": 99}, session=intake)
        self.check("POST", "/api/v1/cases/{id}/actions/{action}", r, 409)
        r = self.request("POST", base + "/actions/accept", json_body={"version": detail["version"]},
                         session=intake)
        accepted = self.check("POST", "/api/v1/cases/{id}/actions/{action}", r, 200)
        self.assertEqual(accepted["state"], "handling")
        r = self.request("POST", base + "/actions/accept", session=intake)
        self.check("POST", "/api/v1/cases/{id}/actions/{action}", r, 409)

        xfj = self.login("xfj")
        r = self.request("POST", base + "/actions/reply", session=xfj, json_body={"fields": {
            "decision": "support",
            "facts": "经现场核查，幸福小区3号楼电梯确实存在长期故障，物业公司未按规定组织维修。",
            "basis": "《特种设备安全法》第四十二条",
            "opinion": "责成物业公司于30日内完成电梯维修并通过特种设备检验。"}})
        replied = self.check("POST", "/api/v1/cases/{id}/actions/{action}", r, 200)
        self.assertEqual(replied["state"], "replied")
        events = self.check("GET", "/api/v1/cases/{id}/events",
                            self.request("GET", base + "/events?limit=2", session=xfj), 200)
        self.assertEqual(len(events["items"]), 2)
        self.assertIsNotNone(events["next_after"])
        r = self.request("GET", base + "/events?after=%d" % events["next_after"], session=xfj)
        rest = self.check("GET", "/api/v1/cases/{id}/events", r, 200)["items"]
        self.assertGreater(rest[0]["id"], events["next_after"])
        kinds = [e["kind"] for e in events["items"] + rest]
        for k in ("comment", "attachment", "transition", "notice"):
            self.assertIn(k, kinds)

        # the public side: tracking with the opinion, rating, review
        pub = "/api/public/cases/" + self.case_number
        case = self.check("GET", "/api/public/cases/{number}",
                          self.request("GET", pub + "?code=" + self.query_code), 200)
        self.assertTrue(case["can_rate"])
        self.assertTrue(case["review"]["available"])
        self.assertEqual(len(case["opinions"]), 1)
        self.assertTrue(case["notices"])
        for e in case["timeline"]:
            self.assertNotIn("actor_name", e)
            self.assertNotIn(e["kind"], ("comment", "attachment"))
        r = self.request("POST", pub + "/rating", json_body={"code": self.query_code, "level": "great"})
        self.assertEqual(self.check("POST", "/api/public/cases/{number}/rating", r, 400)["field"], "level")
        r = self.request("POST", pub + "/rating", json_body={"code": self.query_code, "level": "satisfied",
                                                             "comment": "处理及时，态度很好。"})
        self.check("POST", "/api/public/cases/{number}/rating", r, 201)
        r = self.request("POST", pub + "/rating", json_body={"code": self.query_code, "level": "satisfied"})
        self.check("POST", "/api/public/cases/{number}/rating", r, 409)
        # the public's steps now: the review, also by its transition's name
        self.assertEqual([a["name"] for a in case["actions"]], ["request_review"])
        act = pub + "/actions/"
        r = self.request("POST", act + "reply", json_body={"code": self.query_code})
        self.check("POST", "/api/public/cases/{number}/actions/{action}", r, 403)
        r = self.request("POST", act + "fly", json_body={"code": self.query_code})
        self.check("POST", "/api/public/cases/{number}/actions/{action}", r, 404)
        r = self.request("POST", act + "request_review", json_body={"code": self.query_code, "fields": {}})
        self.assertEqual(self.check("POST", "/api/public/cases/{number}/actions/{action}", r, 400)["field"],
                         "fields.reason")
        r = self.request("POST", pub + "/review", json_body={"code": self.query_code})
        self.assertEqual(self.check("POST", "/api/public/cases/{number}/review", r, 400)["field"], "reason")
        r = self.request("POST", pub + "/review", json_body={"code": self.query_code,
                                                             "reason": "维修后电梯仍频繁停运，物业未落实处理意见。"})
        reviewed = self.check("POST", "/api/public/cases/{number}/review", r, 200)
        self.assertEqual(reviewed["state"], "reviewing")
        case = self.check("GET", "/api/public/cases/{number}",
                          self.request("GET", pub + "?code=" + self.query_code), 200)
        self.assertEqual(case["ratings"][0]["level"], "satisfied")
        # the review went to the superior of the petition office: the district government
        gov = self.login("gov")
        detail = self.check("GET", "/api/v1/cases/{id}", self.request("GET", base, session=gov), 200)
        self.assertEqual(detail["state"], "reviewing")
        self.assertEqual(detail["ratings"][0]["level"], "satisfied")
        self.assertIn("review_reply", [a["name"] for a in detail["actions"]])

    def test_admin_and_audit(self):
        admin = self.admin
        orgs = self.check("GET", "/api/v1/orgs", self.request("GET", "/api/v1/orgs", session=admin), 200)
        places = {o["code"]: o["id"] for o in orgs["items"]}
        r = self.request("POST", "/api/v1/orgs", session=admin, json_body={
            "code": "dongmen-g3", "name": "东门社区第三网格", "name_en": "Dongmen Grid 3", "kind": "grid",
            "parent_id": places["dongmen"]})
        self.check("POST", "/api/v1/orgs", r, 201)
        r = self.request("POST", "/api/v1/orgs", session=admin, json_body={
            "code": "dongmen-g3", "name": "东门社区第三网格", "kind": "grid", "parent_id": places["dongmen"]})
        self.check("POST", "/api/v1/orgs", r, 409)
        self.check("GET", "/api/v1/users", self.request("GET", "/api/v1/users", session=admin), 200)
        r = self.request("POST", "/api/v1/users", session=admin, json_body={
            "username": "zhang.wei", "display_name": "张伟", "password": "Xinfang-2026-ok",
            "roles": [{"org_id": places["district-xfj"], "role": "handler"}]})
        user = self.check("POST", "/api/v1/users", r, 201)
        r = self.request("PATCH", "/api/v1/users/%d" % user["id"], session=admin, json_body={"disabled": True})
        self.assertTrue(self.check("PATCH", "/api/v1/users/{id}", r, 200)["disabled"])
        me = admin.login.json["user"]["id"]
        r = self.request("PATCH", "/api/v1/users/%d" % me, session=admin, json_body={"disabled": True})
        self.check("PATCH", "/api/v1/users/{id}", r, 422)
        r = self.request("POST", "/api/v1/users/%d/password" % user["id"], session=admin,
                         json_body={"password": "Pingan-Xinfang-2027"})
        self.check("POST", "/api/v1/users/{id}/password", r, 204)
        intake = self.login("intake")
        self.check("GET", "/api/v1/users", self.request("GET", "/api/v1/users", session=intake), 403)

        auditor = self.login("auditor")
        audit = self.check("GET", "/api/v1/audit", self.request("GET", "/api/v1/audit?limit=5", session=auditor), 200)
        self.assertEqual(len(audit["items"]), 5)
        r = self.request("GET", "/api/v1/audit?after=%d" % audit["next_after"], session=auditor)
        self.check("GET", "/api/v1/audit", r, 200)
        v = self.check("GET", "/api/v1/audit/verify",
                       self.request("GET", "/api/v1/audit/verify", session=auditor), 200)
        self.assertTrue(v["intact"])
        self.check("GET", "/api/v1/audit", self.request("GET", "/api/v1/audit", session=intake), 403)

    def test_testing_routes(self):
        r = self.request("POST", "/api/test/clock", json_body={"advance_seconds": 0})
        self.check("POST", "/api/test/clock", r, 200)
        self.check("POST", "/api/test/clock", self.request("POST", "/api/test/clock", json_body={}), 400)
        self.check("POST", "/api/test/tick", self.request("POST", "/api/test/tick"), 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)

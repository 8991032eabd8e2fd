#!/usr/bin/env python3
"""
test_map_config.py — the portal's map tiles (map.tile_url, map.attribution):
GET /api/public/limits hands them to the portal, and the web app's pages may
load images from the tiles' origin (Content-Security-Policy img-src) — from
that origin only, and from none when no tiles are configured. A template
without {z}/{x}/{y} keeps the server from starting.

Run: python3 tests/api/test_map_config.py   (PINGAN_BIN = the binary)
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

TILES = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"


def img_src(csp):
    for part in csp.split(";"):
        words = part.split()
        if words and words[0] == "img-src":
            return words[1:]
    raise AssertionError("no img-src in %r" % csp)


class MapConfig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.web = tempfile.TemporaryDirectory()
        with open(os.path.join(cls.web.name, "index.html"), "w", encoding="utf-8") as f:
            f.write("<!doctype html><title>Pingan</title>")

    @classmethod
    def tearDownClass(cls):
        cls.web.cleanup()

    def serve(self, **env):
        srv = H.Server(env=dict(env, PINGAN_WEB_DIR=self.web.name)).start()
        self.addCleanup(srv.stop)
        return srv

    def test_tiles_configured(self):
        srv = self.serve(PINGAN_MAP_TILE_URL=TILES, PINGAN_MAP_ATTRIBUTION="© 天地图 <b>GS(2024)</b>",
                         PINGAN_MAP_CENTER="39.9042, 116.4074", PINGAN_MAP_ZOOM="15")
        lim = srv.client().get("/api/public/limits")
        self.assertEqual(lim.status, 200)
        # given as configured: the portal shows the credit line as text
        self.assertEqual(lim.data["map"], {"tile_url": TILES, "attribution": "© 天地图 <b>GS(2024)</b>",
                                           "center": [39.9042, 116.4074], "zoom": 15})
        page = H.raw_request(srv.port, "GET", "/submit/grid_event")
        self.assertEqual(page.status, 200)
        self.assertEqual(img_src(page.headers["content-security-policy"]),
                         ["'self'", "data:", "blob:", "https://*.tiles.example.org"])
        # scripts and connections stay same-origin
        self.assertIn("script-src 'self';", page.headers["content-security-policy"])
        self.assertIn("connect-src 'self';", page.headers["content-security-policy"])

    def test_no_tiles(self):
        srv = self.serve()
        self.assertIsNone(srv.client().get("/api/public/limits").data["map"])
        page = H.raw_request(srv.port, "GET", "/")
        self.assertEqual(img_src(page.headers["content-security-policy"]), ["'self'", "data:", "blob:"])

    def test_bad_settings_refused(self):
        for env, key in (({"PINGAN_MAP_TILE_URL": "https://tiles.example.org/map.png"}, "map.tile_url"),
                         ({"PINGAN_MAP_CENTER": "91,10"}, "map.center"),
                         ({"PINGAN_MAP_CENTER": "26.07"}, "map.center")):
            with tempfile.TemporaryDirectory() as tmp:
                r = subprocess.run([H.PINGAN_BIN, "serve", "--data", os.path.join(tmp, "d"), "--listen",
                                    "127.0.0.1:0"], env=H._clean_env(env), cwd=tmp,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
                out = (r.stdout + r.stderr).decode("utf-8", "replace")
                self.assertNotEqual(r.returncode, 0, out)
                self.assertIn(key, out)


if __name__ == "__main__":
    unittest.main()

"""test_diff_chromium -- issue 20's own diff test with the real Chromium: an article served on
127.0.0.1 by this file's server changes by version between three captures of one link
(a paragraph inserted near the top; then a word changed lower down), and snapshot.diff
must call the first one `added` region with the rest of the page unchanged, and the second
one `modified` region, with the text blocks that came and went. Then the noise (issue 20
section 5) and bad captures, in the same daemon and server: a page with a clock that
changes on every load, captured twice under a site rule that ignores the clock (no change,
visual or text), and the same page on a link without the rule, captured between a 503 and a
bot wall: neither is ever the baseline, the next good capture compares with the last good
one, and without the rule the clock is a change (so the first check can fail). One daemon,
nine captures (the suite is at its time budget)."""
import http.server
import json
import socketserver
import threading

from linksnap_test import Daemon, TestCase, main

PARAS = [
    "The northern coast sees two high tides a day, and the fishermen of the harbour plan "
    "their week around them, as their grandparents did before them.",
    "Each spring the moon pulls the sea further up the beach than at any other time, and "
    "the old sea wall, built in 1887, is tested by waves that reach the road.",
    "Engineers measured the wall last autumn and found the mortar sound, though the lowest "
    "course of stones has worn by almost four centimetres in a century.",
    "The town council will decide next month whether to repair the wall in stone or to "
    "build a new barrier of concrete further out to sea, which costs twice as much.",
    "Fishermen say the new barrier would change the currents at the harbour mouth and "
    "silt up the channel their boats use at low water.",
    "A public meeting is planned in the school hall, where both designs will be shown on "
    "large boards and the engineers will answer questions.",
    "Whatever the council decides, the work cannot start before the autumn storms have "
    "passed, and it will take at least two summers to finish.",
    "Until then the road along the wall stays open, but it closes at spring tides when "
    "the waves come over the top.",
]
INSERTED = ("Breaking: the council has just published the cost of both designs, and the "
            "stone repair is now the cheaper of the two by a wide margin.")
VERSION = [1]
LOADS = [0]          # clock pages served: each load shows another time
WALL_STATE = ["good"]   # what /wall answers: good | 503 | wall


def clock_page():
    """An article with a clock in a paragraph of its own: the time moves on every load."""
    LOADS[0] += 1
    t = "10:%02d:%02d" % (LOADS[0] * 7 // 60 % 60, LOADS[0] * 7 % 60)
    body = "".join("<p>%s</p>" % p for p in PARAS[:4])
    return ("<!doctype html><html lang=en><meta charset=utf-8><title>Harbour</title>"
            "<style>body{margin:40px auto;max-width:700px;font:18px/1.5 serif}</style>"
            "<article><h1>Harbour news</h1><p>Updated at <span class=clock>%s</span></p>%s"
            "</article>" % (t, body)).encode()


UNAVAILABLE = (b"<!doctype html><html lang=en><meta charset=utf-8><title>Service unavailable"
               b"</title><h1>Service unavailable</h1><p>The server is down for maintenance. "
               b"Please try again in a few minutes.</p></html>")
WALL = (b"<!DOCTYPE html><html lang=en><head><title>Just a moment...</title></head><body>"
        b"<h2 id=challenge-running>Checking if the site connection is secure</h2>"
        b"<noscript>Enable JavaScript and cookies to continue</noscript></body></html>")


def article():
    paras = list(PARAS)
    if VERSION[0] >= 2:
        paras.insert(1, INSERTED)
    if VERSION[0] >= 3:
        paras[7] = paras[7].replace("two summers", "three summers")
    body = "".join("<p>%s</p>" % p for p in paras)
    return ("<!doctype html><html lang=en><meta charset=utf-8><title>Tides</title>"
            "<style>body{margin:40px auto;max-width:700px;font:18px/1.5 serif}</style>"
            "<article><h1>Tides of the northern coast</h1>%s</article>" % body).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        status, headers, body = 200, {}, b""
        if self.path.startswith("/clock"):
            body = clock_page()
        elif self.path.startswith("/wall"):
            if WALL_STATE[0] == "503":
                status, body = 503, UNAVAILABLE
            elif WALL_STATE[0] == "wall":
                status, body = 403, WALL
                headers = {"Server": "cloudflare", "cf-mitigated": "challenge"}
            else:
                body = clock_page()
        elif self.path.startswith("/tides"):
            body = article()
        else:
            status, body = 404, b"not here"
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class DiffChromium(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=cls.srv.serve_forever, daemon=True).start()
        cls.base = "http://127.0.0.1:%d" % cls.srv.server_address[1]
        cls.d = Daemon(capture=True, config="job_timeout = 60\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()
        cls.srv.shutdown()
        cls.srv.server_close()

    def capture(self, url, state="ok"):
        """One capture of url; its job.finished event (its state checked)."""
        with self.d.client(timeout=120) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            r = c.call("snapshot.request", {"url": url})
            ev = c.wait_event(lambda e: e.get("topic") == "job.finished"
                              and e["job_id"] == r["job_id"], 120)
        self.assertEqual(ev["state"], state, ev)
        ev["link_id"] = r["link_id"]
        return ev

    def test_versions_of_an_article(self):
        d = self.d
        url = self.base + "/tides"
        snaps = []
        for v in (1, 2, 3):
            VERSION[0] = v
            ev = self.capture(url)
            snaps.append(ev["snapshot"]["id"])
        link = ev["link_id"]
        s1, s2, s3 = snaps

        # a paragraph inserted near the top: one added region, the rest unchanged
        r = d.call("snapshot.diff", {"from": s1, "to": s2})
        self.assertTrue(r["changed"])
        self.assertEqual([g["kind"] for g in r["regions"]], ["added"], r["regions"])
        self.assertEqual(r["text"]["added"], [INSERTED])
        self.assertEqual(r["text"]["removed"], [])
        self.assertLess(r["changed_fraction"], 0.25)

        # a word changed lower down: one modified region, below the first one
        r2 = d.call("snapshot.diff", {"link_id": link})
        self.assertEqual((r2["from"], r2["to"]), (s2, s3))
        self.assertEqual([g["kind"] for g in r2["regions"]], ["modified"], r2["regions"])
        self.assertGreater(r2["regions"][0]["y"], r["regions"][0]["y"] + r["regions"][0]["h"])
        self.assertEqual(len(r2["text"]["added"]), 1)
        self.assertIn("three summers", r2["text"]["added"][0])
        self.assertIn("two summers", r2["text"]["removed"][0])
        self.assertEqual(d.sanitizer_report(), "")

    def test_ignored_clock_and_bad_captures(self):
        d = self.d
        # the clock under a rule that ignores it: two captures, no change at all
        d.call("site.set", {"match": self.base + "/clock", "ignore": [".clock", "#absent"]})
        c1 = self.capture(self.base + "/clock/a")["snapshot"]["id"]
        c2 = self.capture(self.base + "/clock/a")["snapshot"]["id"]
        snap = d.call("snapshot.get", {"id": c2})["snapshot"]
        ig = snap["fidelity"]["ignored"]
        self.assertEqual(ig["selectors"], [".clock", "#absent"])
        self.assertEqual(len(ig["boxes"]), 1, ig)      # one clock; #absent matches nothing
        x, y, w, h = ig["boxes"][0]
        self.assertTrue(y > 40 and 0 < h < 60 and 0 < w < 300, ig)
        self.assertEqual(len(ig["texts"]), 1)
        self.assertRegex(ig["texts"][0], r"^10:\d\d:\d\d$")
        self.assertEqual(self.d.wait_change(c2), {"against": c1, "changed": False,
                                              "changed_fraction": 0})
        r = d.call("snapshot.diff", {"from": c1, "to": c2})
        self.assertEqual((r["changed"], r["regions"], r["text"]),
                         (False, [], {"added": [], "removed": []}), r)
        self.assertEqual(r["ignored"]["to"], ig["boxes"])
        # the stored text keeps the clock (only the compared copy loses it)
        t = d.call("snapshot.text", {"id": c2})
        self.assertIn(ig["texts"][0], json.dumps(t))

        # the same page without the rule, between a 503 and a bot wall
        wall = self.base + "/wall"
        WALL_STATE[0] = "good"
        g1 = self.capture(wall)
        link, g1 = g1["link_id"], g1["snapshot"]["id"]
        WALL_STATE[0] = "503"
        b1 = self.capture(wall)["snapshot"]
        self.assertEqual(b1["http_status"], 503)
        WALL_STATE[0] = "wall"
        b2 = self.capture(wall, "blocked")["snapshot"]["id"]
        WALL_STATE[0] = "good"
        g2 = self.capture(wall)["snapshot"]["id"]
        # the good capture compares with the last good one, never with the bad ones, and
        # without the rule the clock is a change, visual and text
        ch = self.d.wait_change(g2)
        self.assertEqual((ch["against"], ch["changed"]), (g1, True), ch)
        self.assertGreater(ch["changed_fraction"], 0)
        for bad in (b1["id"], b2):
            self.assertIsNone(d.call("snapshot.get", {"id": bad})["snapshot"]["change"])
        r = d.call("snapshot.diff", {"link_id": link})
        self.assertEqual((r["from"], r["to"], r["changed"]), (g1, g2, True))
        self.assertEqual([g["kind"] for g in r["regions"]], ["modified"], r["regions"])
        self.assertEqual(len(r["text"]["added"]), 1)
        self.assertIn("Updated at 10:", r["text"]["added"][0])
        self.assertNotIn("ignored", r)
        self.assertEqual(d.sanitizer_report(), "")


if __name__ == "__main__":
    main()

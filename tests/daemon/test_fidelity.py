"""test_fidelity -- what a person sees, through the real linksnapd and a real Chromium, on
pages served on 127.0.0.1:

- consent notices (tests/capture/consent/: a known manager, a generic notice that locks
  scrolling, a page with its own fixed header) are gone from the shot by default, the
  article is whole, the header stays, and the snapshot's `fidelity.consent` names the
  layers that acted; a site rule with hide_consent = false keeps the notice (so the check
  can fail); a page that replaces JSON.stringify, querySelector and Array.prototype.push
  to forge its record and bloat it to 20 MB (audit finding 11) gets the truth, small;
- bot walls (tests/capture/botwall_cases.txt served as pages) end `blocked` with the wall
  named, a 429 too; plain 403 and 404 pages stay captures with their status; with
  blocked_retries = 1 a wall is tried once more, later, then ends blocked with its picture;
- a members page behind a cookie: through a site rule with the cookie it is captured as
  the members page; without the rule, as the login page it redirects to;
- a site rule's cookies reach only the rule's host and port (audit finding 7): names
  resolve to 127.0.0.1 through the test's own DNS server (dns_servers), a
  members.example:PORT rule whose cookies.txt also held an evil.example cookie sends
  neither cookie to evil.example after a redirect, nor its own to members.example on the
  second server's port;
- a rule's headers reach only the rule's host:port, never another host the page loads
  from; its user agent, viewport, wait_for (found, and cut at its deadline), hide
  selectors and scroll = false take effect and are recorded."""
import http.server
import json
import os
import re
import socketserver
import sqlite3
import threading
import time

import pngread
from linksnap_test import SRC, Daemon, TestCase, dns_server, main

CONSENT_DIR = os.path.join(SRC, "tests", "capture", "consent")
WALLS = os.path.join(SRC, "tests", "capture", "botwall_cases.txt")


def load_walls():
    cases, cur = {}, None
    with open(WALLS, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") and cur is None:
                continue
            if line.startswith("=== "):
                cur = {"status": 200, "headers": [], "markup": [], "in_markup": False}
                cases[line[4:].strip()] = cur
            elif cur is None:
                continue
            elif cur["in_markup"]:
                cur["markup"].append(line)
            elif line.startswith("status "):
                cur["status"] = int(line.split()[1])
            elif line.startswith("header "):
                name, _, value = line[7:].strip().partition(": ")
                cur["headers"].append((name, value))
            elif line.startswith("expect "):
                cur["expect"] = line.split()[1]
            elif line.strip() == "markup":
                cur["in_markup"] = True
    for c in cases.values():
        c["markup"] = "".join(c["markup"])
    return cases


class Site:
    """A threaded HTTP server on 127.0.0.1 that records the headers of every request."""

    def __init__(self, walls):
        self.walls = walls
        self.seen = []          # (path, {header: value}) of every request
        self.lock = threading.Lock()
        site = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, status, body, ctype="text/html; charset=utf-8", headers=()):
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                with site.lock:
                    site.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                site.route(self)

        self.httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def headers_of(self, prefix):
        with self.lock:
            return [h for p, h in self.seen if p.startswith(prefix)]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, h):
        path, _, query = h.path.partition("?")
        if path.startswith("/consent/"):
            name = path[len("/consent/"):]
            f = os.path.join(CONSENT_DIR, name)
            if not re.fullmatch(r"[a-z_]+\.html", name) or not os.path.exists(f):
                return h.send(404, "<title>missing</title>")
            with open(f, encoding="utf-8") as fp:
                page = fp.read()
            with open(os.path.join(CONSENT_DIR, "article.inc"), encoding="utf-8") as fp:
                page = page.replace("<!--ARTICLE-->", fp.read())
            return h.send(200, page)
        if path.startswith("/wall/"):
            c = self.walls.get(path[len("/wall/"):])
            if not c:
                return h.send(404, "<title>missing</title>")
            return h.send(c["status"], c["markup"], headers=c["headers"])
        if path == "/members":
            if "session=letmein" in (h.headers.get("Cookie") or ""):
                return h.send(200, "<title>Members area</title><h1>Welcome back</h1>")
            h.send_response(302)
            h.send_header("Location", "/login")
            h.send_header("Content-Length", "0")
            h.end_headers()
            return None
        if path == "/to":
            # a redirect to the URL in the query (another host or port)
            h.send_response(302)
            h.send_header("Location", query)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return None
        if path == "/landing":
            return h.send(200, "<title>landed</title><p>here</p>")
        if path == "/login":
            return h.send(200, "<title>Log in</title><form><input name=user></form>")
        if path == "/echo":
            # the page shows what arrived: the title carries the test header and agent
            title = "hdr=%s;ua=%s" % (h.headers.get("X-Linksnap-Test", "-"),
                                      h.headers.get("User-Agent", "-"))
            other = query  # the URL of a second host's image, loaded by the page
            img = '<img src="%s/pixel.png">' % other if other else ""
            return h.send(200, "<title>%s</title><body style='margin:0'>%s"
                               "<div class='ad' style='height:300px;background:#ff00ff'>ad</div>"
                               "<div style='height:300px;background:#00a000'>text</div></body>"
                          % (title.replace("<", "&lt;"), img))
        if path == "/pixel.png":
            return h.send(200, PIXEL, ctype="image/png")
        if path == "/late-element":
            # #ready appears after 3 s; the title follows it
            return h.send(200, "<title>waiting</title><body><script>setTimeout(function () {"
                               "var d = document.createElement('div'); d.id = 'ready';"
                               "d.textContent = 'ready'; document.body.appendChild(d);"
                               "document.title = 'ready'; }, 3000);</script></body>")
        if path == "/antiflicker":
            # Google Optimize's anti-flicker snippet: the page stays invisible until a script
            # that never loads (here: for 60 s)
            return h.send(200, "<title>hidden</title><style>.async-hide{opacity:0 !important}</style>"
                               "<script>document.documentElement.className += ' async-hide';"
                               "setTimeout(function () { document.documentElement.classList.remove("
                               "'async-hide'); }, 60000);</script>"
                               "<body style='margin:0;background:#00a000'><h1>article</h1></body>")
        if path == "/tall-lazy":
            # loads content lazily as pages do (an IntersectionObserver on its last block),
            # so the lazy pass scrolls it; no lazy image, which with scroll = false would
            # stay unloaded and cost the image wait's cap (3 s) for nothing
            return h.send(200, "<title>tall</title><body style='margin:0'>"
                               "<div style='height:5000px'>tall</div><div id=end>end</div>"
                               "<script>new IntersectionObserver(function () {})"
                               ".observe(document.getElementById('end'));</script></body>")
        return h.send(404, "<title>missing</title>")


# a 1x1 white PNG
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763"
    "f8ffff3f0005fe02fea7d6a4440000000049454e44ae426082")


def is_magenta(p):
    r, g, b = p[:3]
    return r >= 180 and b >= 180 and g <= 175 and r - g >= 60


def is_green(p):
    r, g, b = p[:3]
    return g >= 130 and r <= 60 and b <= 60


def is_blue(p):
    r, g, b = p[:3]
    return b >= 200 and r <= 60 and g <= 60


def count(img, pred, step=3):
    """Pixels matching pred, sampling every step-th row and column (pure Python)."""
    w, h, rows, bpp = img
    n = 0
    for y in range(0, h, step):
        row = rows[y]
        for x in range(0, w, step):
            if pred(row[x * bpp:x * bpp + 3]):
                n += 1
    return n


# the test's names: every one of them is 127.0.0.1 (the two Sites stand in for the hosts)
TEST_NAMES = ("members.example", "evil.example")


def capture(d, url, timeout=120):
    """Queues a capture of url (a new link or a new snapshot of a saved one) and returns
    the snapshot once its job finished."""
    with d.client(timeout=timeout) as c:
        c.call("events.subscribe", {"topics": ["job"]})
        r = c.call("snapshot.request", {"url": url})
        c.wait_event(lambda e: e.get("topic") == "job.finished" and e["job_id"] == r["job_id"], timeout)
    return d.call("link.get", {"id": r["link_id"]})["link"]["last_snapshot"]


class FidelityTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.walls = load_walls()
        cls.site = Site(cls.walls)
        cls.other = Site(cls.walls)     # a second host (another port) the pages load from
        cls.dns = dns_server(TEST_NAMES)
        cls.dns_port = cls.dns.getsockname()[1]
        cls.config = "job_timeout = 20\ndns_servers = 127.0.0.1:%d\n" % cls.dns_port
        cls.d = Daemon(capture=True, config=cls.config, keep=bool(os.environ.get("KEEP"))).start()

    def reload_with(self, setting):
        """The class's daemon with one more setting (SIGHUP) until the case ends."""
        self.d.reload(self.config + setting)
        self.addCleanup(self.d.reload, self.config)

    @classmethod
    def tearDownClass(cls):
        cls.d.close()
        cls.site.stop()
        cls.other.stop()
        cls.dns.close()

    def test_consent_notices_hidden_and_recorded(self):
        for name, manager in (("onetrust", True), ("generic_de_locked", False), ("fixed_header", False)):
            snap = capture(self.d, self.site.url("/consent/%s.html" % name))
            self.assertEqual(snap["state"], "ok", (name, snap["error"]))
            img = pngread.read(snap["path"])
            self.assertEqual(count(img, is_magenta), 0, "%s: notice pixels in the shot" % name)
            self.assertGreater(count(img, is_green), 0, "%s: the article's end is missing" % name)
            fid = snap["fidelity"]
            self.assertIsNone(fid["rule"])
            self.assertIsNotNone(fid["consent"], name)
            if name == "fixed_header":
                self.assertGreater(count(img, is_blue), 0, "the page's own header was hidden")
                self.assertTrue(fid["consent"]["kept"], fid)
            elif manager:
                self.assertIn("css", fid["consent"]["layers"])
                self.assertTrue(fid["consent"]["managers"])
            else:
                self.assertIn("generic", fid["consent"]["layers"])
                self.assertIn("scroll", fid["consent"]["layers"])
                self.assertTrue(fid["consent"]["hidden"])

    def test_consent_record_cannot_be_forged_or_bloated(self):
        snap = capture(self.d, self.site.url("/consent/hostile_forger.html"))
        self.assertEqual(snap["state"], "ok", snap["error"])
        self.assertEqual(count(pngread.read(snap["path"]), is_magenta), 0, "notice pixels in the shot")
        consent = snap["fidelity"]["consent"]
        self.assertIsNotNone(consent)
        text = json.dumps(consent)
        self.assertNotIn("forged", text)
        self.assertEqual(consent["managers"], [], "the page forged the manager list")
        self.assertIn("generic", consent["layers"])
        # the real notice (its 1 MB id cut) and 63 of the 80 bars; the rest counted
        self.assertEqual(len(consent["hidden"]), 64)
        self.assertGreaterEqual(consent["dropped"], 17)
        self.assertIn("problem", consent)
        for e in consent["hidden"]:
            self.assertLessEqual(len(e["what"].encode()), 200)
            self.assertTrue(e["what"].startswith("div#nxxx") or e["what"] == "div.bar", e["what"][:80])
        self.assertLess(len(text), 64 * 1024)
        # and so is every listing that carries it
        listing = self.d.call("link.list", {})
        self.assertLess(len(json.dumps(listing)), 1024 * 1024, "link.list answered a bloated record")

    def test_rule_can_turn_consent_hiding_off(self):
        match = "http://127.0.0.1:%d/consent/generic_en.html" % self.site.port
        self.d.call("site.set", {"match": match, "hide_consent": False})
        try:
            snap = capture(self.d, self.site.url("/consent/generic_en.html"))
        finally:
            self.d.call("site.delete", {"match": match})
        self.assertEqual(snap["state"], "ok", snap["error"])
        self.assertGreater(count(pngread.read(snap["path"]), is_magenta), 0,
                           "with hide_consent off the notice must show")
        self.assertEqual(snap["fidelity"]["rule"], match)
        self.assertIsNone(snap["fidelity"]["consent"])

    def test_bot_walls_blocked_plain_errors_captured(self):
        expect = {
            "cloudflare_managed_challenge_header": "Cloudflare",
            "datadome_captcha": "DataDome",
            "perimeterx_press_and_hold": "PerimeterX",
            "akamai_access_denied": "Akamai",
            "hcaptcha_interstitial": "hCaptcha",
            "recaptcha_unusual_traffic": "reCAPTCHA",
            "rate_limited_delta": "429",
        }
        for name, says in expect.items():
            snap = capture(self.d, self.site.url("/wall/" + name))
            self.assertEqual(snap["state"], "blocked", (name, snap["error"]))
            self.assertIn(says, snap["error"], name)
            self.assertTrue(snap["path"] and os.path.exists(snap["path"]), "%s: the picture is kept" % name)
            self.assertEqual(snap["fidelity"]["wall"], self.walls[name]["expect"], name)
        for name, status in (("plain_403", 403), ("plain_404", 404), ("cloudflare_site_that_loaded", 200)):
            snap = capture(self.d, self.site.url("/wall/" + name))
            self.assertEqual(snap["state"], "ok", (name, snap["error"]))
            self.assertEqual(snap["http_status"], status, name)
            self.assertIsNone(snap["fidelity"]["wall"], name)
        r = self.d.cli("jobs", "failed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("blocked", r.stdout)

    def test_members_page_through_a_cookie_rule(self):
        # without a rule: the login page the members page redirects to
        snap = capture(self.d, self.other.url("/members"))
        self.assertEqual(snap["state"], "ok", snap["error"])
        self.assertEqual(snap["title"], "Log in")
        self.assertTrue(snap["final_url"].endswith("/login"), snap["final_url"])
        match = "127.0.0.1:%d" % self.site.port
        self.d.call("site.set", {"match": match, "cookies": [{"name": "session", "value": "letmein"}]})
        try:
            snap = capture(self.d, self.site.url("/members"))
        finally:
            self.d.call("site.delete", {"match": match})
        self.assertEqual(snap["state"], "ok", snap["error"])
        self.assertEqual(snap["title"], "Members area")
        self.assertEqual(snap["fidelity"]["rule"], match)
        # the cookie lived in that capture's context only: the other host never saw it
        self.assertFalse(any("letmein" in h.get("cookie", "") for h in self.other.headers_of("/")))

    def test_rule_cookies_stay_on_the_rules_host_and_port(self):
        # members.example:SITE is the rule; evil.example:OTHER and members.example:OTHER
        # are outside it (the same 127.0.0.1, another name or another port)
        match = "members.example:%d" % self.site.port
        jar = ("members.example\tFALSE\t/\tFALSE\t0\tsession\tletmein\n"
               ".evil.example\tTRUE\t/\tFALSE\t0\tstolen\tcrossdomain\n")
        r = self.d.call("site.import_cookies", {"match": match, "text": jar})
        self.assertEqual(r["imported"], 1)
        self.assertEqual(r["skipped"], {"count": 1, "domains": ["evil.example"]})
        def arrived(since):
            with self.other.lock:
                return [(h.get("host", "").split(":")[0], h.get("cookie", "")) for _, h in self.other.seen[since:]]
        try:
            # the rule works: its own host and port get the cookie
            snap = capture(self.d, "http://members.example:%d/members" % self.site.port)
            self.assertEqual(snap["state"], "ok", snap["error"])
            self.assertEqual(snap["title"], "Members area")
            # a redirect to another host: neither the rule's cookie nor the imported one
            start = len(self.other.headers_of("/"))
            evil = "http://evil.example:%d/landing" % self.other.port
            snap = capture(self.d, "http://members.example:%d/to?%s" % (self.site.port, evil))
            self.assertEqual(snap["state"], "ok", snap["error"])
            self.assertEqual(snap["title"], "landed")
            got = arrived(start)
            self.assertIn("evil.example", [h for h, _ in got], "the redirect did not arrive")
            for host, cookie in got:
                self.assertNotIn("crossdomain", cookie, "evil.example got the cookie the import skipped")
                self.assertNotIn("letmein", cookie, "evil.example got the rule's cookie")
            # a redirect to the same host on another port, over http
            start = len(self.other.headers_of("/"))
            snap = capture(self.d, "http://members.example:%d/to?http://members.example:%d/members"
                           % (self.site.port, self.other.port))
            self.assertEqual(snap["state"], "ok", snap["error"])
            got = arrived(start)
            self.assertIn("members.example", [h for h, _ in got], "the redirect did not arrive")
            self.assertFalse(any("letmein" in c for _, c in got), "the rule's cookie reached another port")
            self.assertEqual(snap["title"], "Log in")
        finally:
            self.d.call("site.delete", {"match": match})

    def test_rule_headers_agent_viewport_hide_only_where_it_applies(self):
        match = "127.0.0.1:%d" % self.site.port
        self.d.call("site.set", {"match": match, "headers": {"X-Linksnap-Test": "t0ken"},
                                 "user_agent": "LinksnapTest/1.0", "viewport": {"width": 800, "height": 600},
                                 "hide": [".ad"]})
        try:
            snap = capture(self.d, self.site.url("/echo?" + self.other.url("")))
        finally:
            self.d.call("site.delete", {"match": match})
        self.assertEqual(snap["state"], "ok", snap["error"])
        self.assertEqual(snap["title"], "hdr=t0ken;ua=LinksnapTest/1.0")
        self.assertEqual(snap["width"], 800)
        img = pngread.read(snap["path"])
        self.assertEqual(count(img, is_magenta, 2), 0, "the rule's hidden selector shows")
        self.assertGreater(count(img, is_green, 2), 0)
        self.assertEqual(snap["fidelity"]["hidden_by_rule"], [".ad"])
        r = self.d.cli("show", str(snap["link_id"]))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("shaped by:   site rule %s" % match, r.stdout)
        self.assertIn("hidden by the rule: .ad", r.stdout)
        pixel = self.other.headers_of("/pixel.png")
        self.assertTrue(pixel, "the page's second host was never asked")
        self.assertTrue(all("x-linksnap-test" not in h for h in pixel),
                        "the rule's header leaked to another host")
        echo = self.site.headers_of("/echo")
        self.assertEqual(echo[-1].get("x-linksnap-test"), "t0ken")

    def test_wait_for_found_and_cut_scroll_off(self):
        match = "http://127.0.0.1:%d/late-element" % self.site.port
        self.d.call("site.set", {"match": match, "wait_for": "#ready"})
        try:
            snap = capture(self.d, self.site.url("/late-element"))
            self.assertEqual(snap["state"], "ok", snap["error"])
            self.assertEqual(snap["title"], "ready")
            self.assertEqual(snap["fidelity"]["wait_for"], "found")
            # a selector that never appears is waited for until the lazy pass's share of the
            # deadline: with job_timeout = 10 (not the class's 20) that is about 5 s, and the
            # shot keeps its reserve (a third, 3.3 s, and as much again in grace)
            self.d.call("site.set", {"match": match, "wait_for": "#never"})
            self.d.reload(self.config.replace("job_timeout = 20\n", "job_timeout = 10\n"))
            try:
                snap = capture(self.d, self.site.url("/late-element"))
            finally:
                self.d.reload(self.config)
            self.assertEqual(snap["state"], "partial", snap["error"])
            self.assertIn("wait_for", snap["error"])
            self.assertEqual(snap["fidelity"]["wait_for"], "cut")
        finally:
            self.d.call("site.delete", {"match": match})
        # scroll = false: the lazy pass does not scroll this site's pages
        snap = capture(self.d, self.site.url("/tall-lazy"))
        self.assertGreaterEqual(snap["timings"]["lazy_steps"], 1)
        match = "http://127.0.0.1:%d/tall-lazy" % self.site.port
        self.d.call("site.set", {"match": match, "scroll": False})
        try:
            snap = capture(self.d, self.site.url("/tall-lazy"))
        finally:
            self.d.call("site.delete", {"match": match})
        self.assertEqual(snap["timings"]["lazy_steps"], -1)


    def test_page_hidden_by_an_anti_flicker_snippet_is_shown(self):
        snap = capture(self.d, self.site.url("/antiflicker"))
        self.assertEqual(snap["state"], "ok", snap["error"])
        self.assertFalse(snap["blank"], "the shot is one flat colour: the page stayed hidden")
        self.assertGreater(count(pngread.read(snap["path"]), is_green), 0)
        self.assertTrue(snap["fidelity"]["revealed"])

    def test_wall_retried_later_then_blocked_with_picture(self):
        """blocked_retries = 1 (set live by SIGHUP on the class's daemon): a 429 is tried once
        more after its back-off, then ends blocked with its picture. The back-off (30 s) is
        brought forward in the store while linksnapd runs: the engine looks for due jobs in
        the store every second (its tick)."""
        self.reload_with("blocked_retries = 1\n")
        d = self.d
        with d.client(timeout=150) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            url = self.site.url("/wall/rate_limited_without_retry_after")
            link = c.call("link.add", {"url": url, "capture": True})["link"]
            retry = c.wait_event(lambda e: e.get("topic") == "job.retry" and e["link_id"] == link["id"], 90)
            self.assertIn("429", retry["error"])
            self.assertIn("attempt 1 of 2", retry["error"])
            # back-off: at least 30 s after the first attempt
            self.assertGreaterEqual(retry["not_before"] - int(time.time() * 1000), 20000)
            job = d.call("job.get", {"id": retry["job_id"]})["job"]
            self.assertEqual(job["state"], "queued")
            # bring the retry forward rather than wait out the back-off
            db = sqlite3.connect(d.db_path, timeout=30)
            with db:
                db.execute("UPDATE jobs SET not_before = 0 WHERE id = ?", (retry["job_id"],))
            db.close()
            c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] == link["id"], 90)
        snap = d.call("link.get", {"id": link["id"]})["link"]["last_snapshot"]
        self.assertEqual(snap["state"], "blocked", snap["error"])
        self.assertEqual(snap["attempt"], 2)
        self.assertTrue(os.path.exists(snap["path"]))
        self.assertEqual(snap["fidelity"]["wall"], "rate_limited")


if __name__ == "__main__":
    main()

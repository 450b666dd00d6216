"""test_consent -- the consent-banner layers (capture/consent.{c,css,js}) in a real Chromium,
applied exactly as the C module hands them out (consent-dump prints them): the preload
script through Page.addScriptToEvaluateOnNewDocument, the generic pass through
Runtime.evaluate just before a full-page shot. For every fixture page under consent/ (one
per known manager, generic notices in 13 languages, some locking scroll, a page with its
own fixed header): without the layers the notice shows (magenta pixels) so the check can
fail; with them the shot holds no magenta pixel, the article's green end block is in it,
the page scrolls, the report names what acted, and the page's blue header stays."""
import collections
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import cdp_pipe
import pngread
from linksnap_test import BUILD, SRC, TestCase, main

HERE = os.path.join(SRC, "tests", "capture", "consent")
DUMP = os.path.join(BUILD, "capture", "consent-dump")
# the browser linksnapd runs by default (browser.path = auto): Debian's headless shell
CHROMIUM = os.environ.get("LINKSNAP_CHROMIUM", "/usr/lib/chromium/chromium-headless-shell")
W, H = 1000, 700
SCALE = 0.25      # shots are decoded in pure Python: a quarter scale keeps that quick

MANAGERS = ["onetrust", "cookiebot", "didomi", "quantcast", "trustarc", "usercentrics",
            "sourcepoint", "osano", "termly", "complianz", "cookieyes", "iubenda"]
GENERIC = ["generic_en", "generic_de_locked", "generic_fr_top", "generic_es", "generic_it",
           "generic_pt", "generic_nl", "generic_ru_locked", "generic_pl", "generic_tr",
           "generic_ja_locked", "generic_ko", "generic_zh"]
# Locked means a person cannot scroll: overflow hidden/clip on html or body, or a body fixed
# in place (programmatic scrolling would still move an overflow:hidden box, so it is no test)
LOCKED_JS = ("(function(){var h=getComputedStyle(document.documentElement),b=getComputedStyle(document.body);"
             "function o(s){return s.overflowY==='hidden'||s.overflowY==='clip';}"
             "return o(h)||o(b)||b.position==='fixed';})()")
LOCKED = {"didomi", "sourcepoint", "generic_de_locked", "generic_ru_locked", "generic_ja_locked"}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        name = self.path.lstrip("/").split("?")[0]
        path = os.path.join(HERE, name)
        if not re.fullmatch(r"[a-z_]+\.html", name) or not os.path.exists(path):
            self.send_error(404)
            return
        with open(path, encoding="utf-8") as f:
            page = f.read()
        with open(os.path.join(HERE, "article.inc"), encoding="utf-8") as f:
            page = page.replace("<!--ARTICLE-->", f.read())
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def dump(*args):
    r = subprocess.run([DUMP] + list(args), capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("consent-dump %s: rc %d: %s" % (args, r.returncode, r.stderr))
    return r.stdout


def is_magenta(p):
    r, g, b = p
    return r >= 180 and b >= 180 and g <= 175 and r - g >= 60


def is_blue(p):
    r, g, b = p
    return b >= 200 and r <= 60 and g <= 60


def is_green(p):
    r, g, b = p
    return g >= 130 and r <= 60 and b <= 60


def count(img, pred, y0=0, y1=None):
    """Pixels of rows y0..y1 for which pred((r, g, b)) holds. Each distinct colour is asked
    once: the rows' (r, g, b) are tallied in C (zip of the channel slices, Counter), identical
    rows once (a shot is mostly the same few colours; pixel by pixel this took seconds)."""
    w, h, rows, bpp = img
    tally = collections.Counter()
    for row, k in collections.Counter(rows[y0:min(h, y1 if y1 is not None else h)]).items():
        for px, m in collections.Counter(zip(row[0::bpp], row[1::bpp], row[2::bpp])).items():
            tally[px] += m * k
    return sum(m for px, m in tally.items() if pred(px))


class Page:
    """One page target, on its own session of the browser's DevTools pipe."""

    def __init__(self, browser):
        self.browser = browser
        self.session = browser.new_page()
        self.cmd("Page.enable")
        self.cmd("Emulation.setDeviceMetricsOverride",
                 {"width": W, "height": H, "deviceScaleFactor": 1, "mobile": False})

    def cmd(self, method, params=None):
        m = self.browser.call(method, params, session=self.session)
        if "error" in m:
            raise AssertionError("%s: %s" % (method, m["error"]))
        return m["result"]

    def eval(self, expr):
        r = self.cmd("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise AssertionError("page script failed: %s" % json.dumps(r["exceptionDetails"])[:2000])
        return r["result"].get("value")

    def load(self, url):
        self.cmd("Page.navigate", {"url": url})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.eval("document.readyState === 'complete' && window.__fixtureReady === true"):
                # one more frame so the inserted markup is laid out
                self.eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                return
            time.sleep(0.05)
        raise AssertionError("%s did not become ready" % url)

    def shot(self, path, full):
        # two tabs share the browser: a tab in the background may get no new frame, and a
        # screenshot waits for one
        self.cmd("Page.bringToFront")
        if full:
            m = self.cmd("Page.getLayoutMetrics")
            size = m.get("cssContentSize") or m["contentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": SCALE}
        else:
            clip = {"x": 0, "y": 0, "width": W, "height": H, "scale": SCALE}
        # optimizeForSpeed: Chromium's fast zlib setting, as capture/shot.c asks for
        r = self.cmd("Page.captureScreenshot", {"format": "png", "clip": clip, "optimizeForSpeed": True,
                                                "captureBeyondViewport": bool(full)})
        import base64
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))
        return pngread.read(path)


class ConsentTests(TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(CHROMIUM):
            raise AssertionError("chromium is not installed: scripts/install-deps.sh installs it")
        cls.tmp = tempfile.mkdtemp(prefix="linksnap-consent-")
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.base = "http://127.0.0.1:%d/" % cls.server.server_address[1]
        cls.script = dump("script")
        cls.preload = dump("preload")
        profile = os.path.join(cls.tmp, "profile")
        args = [CHROMIUM, "--headless", "--user-data-dir=" + profile,
                "--no-first-run", "--no-default-browser-check", "--disable-gpu",
                "--disable-extensions", "--disable-background-networking", "--hide-scrollbars",
                "--mute-audio", "--no-proxy-server"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        cls.browser = cdp_pipe.Browser(args + ["about:blank"],
                                       stderr=open(os.path.join(cls.tmp, "chromium.log"), "w"))
        cls.plain = Page(cls.browser)        # no consent layers: the notice must show
        cls.treated = Page(cls.browser)      # the layers exactly as capture/consent.c gives them
        cls.treated.cmd("Page.addScriptToEvaluateOnNewDocument", {"source": cls.preload})

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "browser", None):
            cls.browser.close()
        if getattr(cls, "server", None):
            cls.server.shutdown()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_page(self, name):
        url = self.base + name + ".html"
        self.plain.load(url)
        before = self.plain.shot(os.path.join(self.tmp, name + "-plain.png"), full=False)
        self.assertGreater(count(before, is_magenta), 200, "%s: the fixture shows no notice" % name)
        if name in LOCKED:
            self.assertTrue(self.plain.eval(LOCKED_JS), "%s: the fixture does not lock scrolling" % name)
        self.treated.load(url)
        report = json.loads(self.treated.eval(self.script))
        img = self.treated.shot(os.path.join(self.tmp, name + ".png"), full=True)
        left = count(img, is_magenta)
        self.assertEqual(left, 0, "%s: %d notice pixels remain; report %s" % (name, left, report))
        end_bottom = self.treated.eval(
            "(function(){var r=document.getElementById('article-end').getBoundingClientRect();"
            "return r.bottom + window.scrollY;})()")
        self.assertGreaterEqual(img[1], int(end_bottom * SCALE) - 1, "%s: the shot is cut short" % name)
        self.assertGreater(count(img, is_green), 20, "%s: the article's end is not in the shot" % name)
        self.assertTrue(self.treated.eval("!!document.getElementById('last-paragraph').offsetParent"))
        self.assertFalse(self.treated.eval(LOCKED_JS), "%s: scrolling is still locked; report %s" % (name, report))
        scrolled = self.treated.eval("window.scrollTo(0, 100000); var y = window.scrollY; window.scrollTo(0, 0); y")
        self.assertGreater(scrolled, 0, "%s: the page does not scroll; report %s" % (name, report))
        return report, img

    def test_known_managers(self):
        for name in MANAGERS:
            with self.subTest(manager=name):
                report, _ = self.run_page(name)
                self.assertIn(name, report["managers"], report)
                self.assertIn("css", report["layers"], report)
                if name in LOCKED:
                    self.assertIn("scroll", report["layers"], report)

    def test_generic_notices(self):
        for name in GENERIC:
            with self.subTest(page=name):
                report, _ = self.run_page(name)
                self.assertEqual(report["managers"], [], report)
                self.assertIn("generic", report["layers"], report)
                self.assertTrue(any(h["what"].startswith("div#notice") for h in report["hidden"]), report)
                if name in LOCKED:
                    self.assertIn("scroll", report["layers"], report)
                    self.assertTrue(report["scroll"], report)

    def test_fixed_header_stays(self):
        report, img = self.run_page("fixed_header")
        self.assertEqual([h["what"] for h in report["hidden"]], ["div#cookie-bar"], report)
        self.assertTrue(any(k["what"].startswith("header") for k in report["kept"]), report)
        # the header's blue fills the top 64 css px; the sticky nav and the button stay too
        self.assertGreater(count(img, is_blue, 0, int(64 * SCALE)), int(W * SCALE * 64 * SCALE * 0.5))
        for sel in ("header.site", "nav.sections", "#to-top"):
            self.assertNotEqual(self.treated.eval("getComputedStyle(document.querySelector('%s')).display" % sel),
                                "none", sel)

    def test_report_on_a_page_without_notice(self):
        self.treated.cmd("Page.navigate", {"url": "data:text/html,<p>plain</p>"})
        for _ in range(100):
            if self.treated.eval("document.readyState === 'complete'"):
                break
            time.sleep(0.05)
        report = json.loads(self.treated.eval(self.script))
        self.assertEqual(report, {"version": 1, "layers": [], "managers": [], "hidden": [],
                                  "kept": [], "scroll": [], "dropped": 0})


class ConsentTextTests(TestCase):
    def test_manager_selectors_are_in_the_sheet(self):
        css = dump("css")
        with open(os.path.join(SRC, "capture", "consent.js"), encoding="utf-8") as f:
            js = f.read()
        table = re.findall(r"\['([a-z]+)', '([^']+)'\]", js)
        self.assertEqual([t[0] for t in table], MANAGERS)
        for name, sels in table:
            for sel in sels.split(","):
                self.assertIn(sel.strip(), css, "%s: %s is not hidden by consent.css" % (name, sel))

    def test_hide_selectors_are_checked(self):
        out = dump("preload", ".promo", "#chat > iframe")
        self.assertIn('.promo,\\n#chat > iframe { display: none !important; }', out)
        self.assertIn("onetrust-consent-sdk", out)
        only = dump("preload-hide-only", ".promo")
        self.assertIn('.promo { display: none !important; }', only)
        self.assertNotIn("onetrust-consent-sdk", only)   # hide_consent off: the rule's sheet alone
        for bad in ("a{}", "x; y", "", "a</style>", "/* c */ a"):
            r = subprocess.run([DUMP, "preload", bad], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 1, bad)
            self.assertIn("hide selector", r.stderr)


if __name__ == "__main__":
    main()

"""test_capture -- the capture engine end to end: the real linksnapd starts a real Chromium
and captures pages served by the fixture site on 127.0.0.1: what only a browser shows.
Asserted on pixels and on the store: a 20,000 px page is right band by band, lazy images are
loaded, Chinese text is drawn as glyphs (not boxes), redirects are recorded, the never-quiet
page, the endless lazy pass and fonts that never load come out partial with a picture, a page
blank after a partial load is retried and kept; the address rules refuse link-local/metadata
redirects, file: redirects, and with deny_private loopback; a killed renderer is retried; a
kill -9 of the daemon mid-batch leaves no browser behind and every job ends after the
restart; nothing in the browser's process group listens on TCP (CDP goes over the pipe; tabs
are seen through daemon.status); cancel closes the tab; a remote browser behind TLS and a
token. What the engine alone decides (status, net errors, flat pages, the height cap, idle
stop, recycling, kill -9 of the browser, bad input, history) is checked in seconds against
the scripted browser in test_engine_fake.py, and by ls-capture in capture_shot."""
import datetime
import hashlib
import json
import os
import signal
import time
import urllib.parse

import shutil
import socket
import ssl
import subprocess
import tempfile
import threading

import pngread
from debug_chromium import DebugChromium
from fixture_site import FixtureSite, band_color
from linksnap_test import Daemon, TestCase, capture_all, main, wait_until

SEQ = [0]
HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"


def fresh(site, path):
    """A URL the store has not seen (link.add queues a capture only for new links)."""
    SEQ[0] += 1
    sep = "&" if "?" in path else "?"
    return site.url("%s%sn=%d" % (path, sep, SEQ[0]))


def browser_procs(profile_dir):
    """Live (non-zombie) processes whose command line names the profile dir."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if profile_dir in cmd and state != "Z":
            out.append(int(pid))
    return out


def group_pids(pgid):
    """Live processes of a process group."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(pid))
    return out


def cmdline(pid):
    """The arguments; zygote children rewrite theirs into one space-separated string."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a for a in f.read().replace(b"\0", b" ").split(b" ") if a]
    except OSError:
        return []


def tcp_listeners(pid):
    """Inodes of TCP sockets in LISTEN state that process pid holds open, as seen in its
    own network namespace (/proc/PID/net/tcp and tcp6 against /proc/PID/fd). None when its
    fds cannot be read."""
    listening = set()
    for name in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, name)) as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    if len(cols) > 9 and cols[3] == "0A":
                        listening.add(cols[9])
        except OSError:
            pass
    held = set()
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return None
    for fd in fds:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(target[8:-1])
    return listening & held


def browser_tabs(d):
    """The browser's page targets as daemon.status reports them."""
    return d.call("daemon.status")["browser"].get("tabs", [])


class urllib_json:
    """GET a JSON document through the TLS front, with its token and certificate."""

    def __init__(self, url, front):
        import urllib.request
        ctx = ssl.create_default_context(cafile=front.cert)
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + front.token})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            self.doc = json.loads(r.read().decode())

    def __enter__(self):
        return self.doc

    def __exit__(self, *a):
        return False


class TlsTokenFront:
    """A remote browser as a hosted one looks: a Chromium with its DevTools port on
    127.0.0.1 (port 0; tests/lib/debug_chromium.py), behind a TLS front on 127.0.0.1 (port 0, a certificate made for the
    test) that lets a connection through only with `Authorization: Bearer <token>` and
    otherwise answers 401. Bytes are relayed both ways once the head passed."""

    def __init__(self, token):
        self.token = token
        self.dir = tempfile.mkdtemp(prefix="linksnap-tls-")
        self.cert = os.path.join(self.dir, "cert.pem")
        key = os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", self.cert], check=True, capture_output=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(self.cert, key)
        try:
            self.chrome = DebugChromium(name="linksnap-tls-chromium-")
        except AssertionError:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self.refused = 0
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                raw, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            lines = head.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
            auth = [l.split(b":", 1)[1].strip() for l in lines if l.lower().startswith(b"authorization:")]
            if auth != [b"Bearer " + self.token.encode()]:
                self.refused += 1
                conn.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                conn.close()
                return
            up = socket.create_connection(("127.0.0.1", self.chrome.port))
            up.sendall(head)

            def pump(a, b):
                try:
                    while True:
                        d = a.recv(65536)
                        if not d:
                            break
                        b.sendall(d)
                except OSError:
                    pass
                for x in (a, b):
                    try:
                        x.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            threading.Thread(target=pump, args=(up, conn), daemon=True).start()
            pump(conn, up)
        except (OSError, ssl.SSLError):
            pass

    def close(self):
        self.lsock.close()
        self.chrome.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_time(text):
    """RFC 3339 (as the wire writes it) to seconds since the epoch."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def glyph_cells(img, y0, y1, x0, x1, dark=100):
    """Column runs with ink between rows y0..y1: [(xa, xb)] of each glyph."""
    cols = []
    for x in range(x0, x1):
        ink = any(sum(pngread.pixel(img, x, y)[:3]) < dark * 3 for y in range(y0, y1))
        cols.append(ink)
    runs, start = [], None
    for i, ink in enumerate(cols + [False]):
        if ink and start is None:
            start = i
        elif not ink and start is not None:
            runs.append((x0 + start, x0 + i))
            start = None
    return runs


class JobEvents:
    """A subscriber of its own: a thread keeps every job.finished event by link id, and each
    job.retry event with the job as job.get showed it right then. The pages that wait out
    their share of the deadline are queued together at the start and checked by the tests
    that need them, so that their waits overlap instead of adding up."""

    def __init__(self, d):
        self.d = d
        self.finished, self.retries = {}, {}
        self.cond = threading.Condition()
        self.c = d.client()
        self.c.call("events.subscribe", {"topics": ["job"]})
        self.c.sock.settimeout(None)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                msg = self.c.read_msg()
            except (OSError, ValueError):
                return
            if msg is None:
                return
            ev = msg.get("params") if msg.get("method") == "event" else None
            if not ev:
                continue
            if ev.get("topic") == "job.retry":
                job = self.d.call("job.get", {"id": ev["job_id"]})["job"]
                with self.cond:
                    self.retries.setdefault(ev["link_id"], []).append((ev, job))
            elif ev.get("topic") == "job.finished":
                with self.cond:
                    self.finished[ev["link_id"]] = ev
                    self.cond.notify_all()

    def wait(self, link_id, timeout=120):
        """The job.finished event of link_id's capture."""
        with self.cond:
            if not self.cond.wait_for(lambda: link_id in self.finished, timeout):
                raise AssertionError("no job.finished for link %d within %d s" % (link_id, timeout))
            return self.finished[link_id]

    def close(self):
        try:
            self.c.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(10)
        self.c.close()


# Pages that wait out a share of the 20 s deadline (never quiet, a lazy pass that never
# ends, fonts that never load, blank then retried): queued at once, one slot left free.
SLOW_PAGES = {"busy": "/busy", "slow_scroll": "/slow-scroll?h=8000", "fonts": "/fonts-never",
              "blank_once": "/blank-once"}


class CaptureTests(TestCase):
    """One daemon with a browser for the page tests."""

    @classmethod
    def setUpClass(cls):
        cls.site = FixtureSite().start()
        # retries (a crashed renderer, a blank page after a partial load) come back after
        # 0.2 s, not 2 s: the tests check that they are retried, not the back-off
        cls.d = Daemon(capture=True, args=["--jobs", str(len(SLOW_PAGES) + 1),
                                           "--set", "job_timeout=20",
                                           "--set", "retry_backoff_ms=200"]).start()
        cls.events = JobEvents(cls.d)
        cls.slow = {}
        for name, path in SLOW_PAGES.items():
            u = fresh(cls.site, path + ("?k=%d" % time.time_ns() if name == "blank_once" else ""))
            cls.slow[name] = cls.d.call("link.add", {"url": u})["link"]["id"]

    @classmethod
    def tearDownClass(cls):
        profile = os.path.join(cls.d.state_dir, "browser")
        cls.events.close()
        cls.d.close()
        cls.site.stop()
        # a clean stop leaves no browser process behind
        left = browser_procs(profile)
        if left:
            raise AssertionError("browser processes left after a clean stop: %r" % left)

    def snap(self, ev):
        self.assertIsNotNone(ev["snapshot"], ev)
        return ev["snapshot"]

    def test_tall_page_every_band_right_and_files_sound(self):
        url = fresh(self.site, "/tall?h=20000")
        ev, = capture_all(self.d, [url])
        self.assertEqual(ev["state"], "ok", ev)
        s = self.snap(ev)
        self.assertEqual((s["width"], s["height"], s["truncated"], s["blank"]), (1280, 20000, False, False))
        self.assertEqual(s["http_status"], 200)
        img = pngread.read(s["path"])
        self.assertEqual((img[0], img[1]), (1280, 20000))
        # each band's top, middle and bottom, at both edges and the middle: past the 16,384
        # px where other tools repeat or blank (capture_shot checked this with ls-capture)
        for y in [band * 2000 + dy for band in range(10) for dy in (10, 1000, 1990)]:
            for x in (5, 640, 1270):
                self.assertEqual(pngread.pixel(img, x, y)[:3], band_color(20000, y), "x=%d y=%d" % (x, y))
        with open(s["path"], "rb") as f:
            data = f.read()
        self.assertEqual(hashlib.sha256(data).hexdigest(), s["sha256"])
        self.assertEqual(len(data), s["bytes"])
        th = pngread.read(s["thumb_path"])
        self.assertEqual((th[0], th[1]), (320, 200))
        self.assertEqual(pngread.pixel(th, 160, 100)[:3], band_color(20000, 400))
        self.assertStepTimings(s, ("navigate_ms", "wait_ms", "capture_ms", "encode_ms"))
        link = self.d.call("link.get", {"id": ev["link_id"]})["link"]
        self.assertEqual(link["title"], "高 tall")            # filled from the page
        self.assertEqual(link["last_snapshot"]["id"], s["id"])

    def lazy_event(self):
        """The one capture of /lazy that two tests check (a 14,600 px page: its scroll pass
        and full-page shot are among the class's dearest)."""
        cls = type(self)
        if getattr(cls, "lazy_ev", None) is None:
            cls.lazy_ev, = capture_all(self.d, [fresh(self.site, "/lazy")])
        return cls.lazy_ev

    def test_lazy_content_is_loaded(self):
        ev = self.lazy_event()
        s = self.snap(ev)
        self.assertEqual(ev["state"], "ok", ev)
        img = pngread.read(s["path"])
        self.assertEqual(pngread.pixel(img, 200, 9000 + 150)[:3], (255, 0, 0))   # loading=lazy image
        self.assertEqual(pngread.pixel(img, 200, 12300 + 150)[:3], (0, 0, 255))  # IntersectionObserver
        self.assertEqual(pngread.pixel(img, 600, 100)[:3], (255, 255, 255))

    def test_cross_site_frame_is_drawn_and_does_not_hold_the_capture(self):
        """An iframe from another site (127.0.0.2 under a 127.0.0.1 page, as a video or a
        map is embedded) runs in a renderer of its own: Chromium reports its document's
        start to the page but its end to a target of its own. The capture must still see
        the network go quiet (before, it waited out its whole quiet share and ended
        partial, naming the frame's host as pending) and draw the frame."""
        other = FixtureSite(host="127.0.0.2").start()
        try:
            inner = other.url("/tall?h=800")
            ev, = capture_all(self.d, [fresh(self.site, "/frame?src=" + urllib.parse.quote(inner, safe=""))])
        finally:
            other.stop()
        s = self.snap(ev)
        self.assertEqual(ev["state"], "ok", s["error"])
        self.assertEqual(s["reasons"], [], s)
        img = pngread.read(s["path"])
        self.assertEqual(pngread.pixel(img, 300, 40)[:3], band_color(800, 40))     # the frame's page
        self.assertEqual(pngread.pixel(img, 300, 360)[:3], band_color(800, 360))
        self.assertEqual(pngread.pixel(img, 900, 200)[:3], (255, 255, 255))        # beside it

    def test_a_page_with_a_worker_runs_it_and_goes_quiet(self):
        # the page's session auto-attaches its targets paused at start (to follow frames);
        # a dedicated worker is one of them and must be let run, or its answer never
        # comes. Chromium reports the worker script's request to the page and its end to
        # the worker: before the capture followed workers, every page that started one
        # waited out its quiet share and was called partial, the script "still pending"
        # (a service worker, registered by the page, is the browser's, not the page's:
        # its script's request ends on the page's session, and the page goes quiet too)
        for ev in capture_all(self.d, [fresh(self.site, "/worker"), fresh(self.site, "/sw")]):
            s = self.snap(ev)
            self.assertEqual((ev["state"], s["reasons"]), ("ok", []), s["error"])
            self.assertLess(s["timings"]["wait_ms"], 5000, s["timings"])
            img = pngread.read(s["path"])
            self.assertEqual(pngread.pixel(img, 640, 400)[:3], (0x43, 0x63, 0xd8))

    def test_chinese_is_drawn_as_glyphs_not_boxes(self):
        status = self.d.call("daemon.status")
        self.assertTrue(status["browser"]["cjk_font"], "no CJK font: install fonts-noto-cjk")
        ev, = capture_all(self.d, [fresh(self.site, "/cjk")])
        s = self.snap(ev)
        self.assertEqual(s["title"], "中文标题")
        img = pngread.read(s["path"])
        # the 64 px headline 链接快照平台: find its rows, then its six glyphs
        rows = [y for y in range(0, 200) if any(sum(pngread.pixel(img, x, y)[:3]) < 300
                                                  for x in range(0, 600, 2))]
        self.assertTrue(rows, "no headline ink in the first 200 px")
        y0, y1 = rows[0], rows[0] + 70
        runs = glyph_cells(img, y0, y1, 0, 900)
        self.assertTrue(runs)
        # full-width glyphs advance by the font size (64 px): six cells from the first ink
        x0 = runs[0][0] - 4
        merged = [(x0 + 64 * i, x0 + 64 * (i + 1)) for i in range(6)]
        self.assertLess(runs[-1][1], x0 + 64 * 6 + 8, "more ink than six glyphs: %r" % runs)
        bitmaps = set()
        for a, b in merged:
            # a missing glyph is drawn as an empty box: its middle is blank; real glyphs have ink
            mid_x0, mid_x1 = a + (b - a) // 4, b - (b - a) // 4
            mid = [sum(pngread.pixel(img, x, y)[:3]) < 300 for x in range(mid_x0, mid_x1)
                   for y in range(y0 + 16, y1 - 24)]
            self.assertTrue(any(mid), "glyph at x=%d..%d has an empty middle (a box?)" % (a, b))
            bitmaps.add(tuple(tuple(sum(pngread.pixel(img, x, y)[:3]) < 300 for x in range(a, b))
                              for y in range(y0, y1)))
        self.assertEqual(len(bitmaps), 6, "the six characters do not all look different")

    def test_redirect_chain_recorded(self):
        ev, = capture_all(self.d, [fresh(self.site, "/redirect-chain?n=2")])
        s = self.snap(ev)
        self.assertEqual(ev["state"], "ok", ev)
        self.assertTrue(s["final_url"].endswith("/ok"), s["final_url"])
        self.assertEqual([r["status"] for r in s["redirects"]], [302, 302, 302])
        self.assertIn("/redirect-chain?n=2", s["redirects"][0]["url"])

    def test_link_local_and_metadata_refused_inside_the_browser(self):
        evs = capture_all(self.d, [
            fresh(self.site, "/redirect?to=http://169.254.169.254/latest/meta-data/"),
            fresh(self.site, "/redirect?to=http://metadata.google.internal/computeMetadata/v1/"),
            fresh(self.site, "/redirect?to=http://[fe80::1]/"),
        ])
        for ev in evs:
            self.assertEqual(ev["state"], "failed", ev)
            self.assertIn("refused", ev["snapshot"]["error"])
        self.assertIn("link-local", evs[0]["snapshot"]["error"])
        self.assertIn("metadata", evs[1]["snapshot"]["error"])

    def test_redirect_to_file_fails(self):
        ev, = capture_all(self.d, [fresh(self.site, "/redirect-file")])
        self.assertEqual(ev["state"], "failed", ev)
        self.assertIn("net::ERR_", ev["snapshot"]["error"])

    def assertStepTimings(self, s, keys):
        """Each step was measured (an unmeasured one reads -1, a missing one is absent), and the
        steps, which run one after another, fit in the snapshot's life from queued to
        finished (consistency, not speed)."""
        t = s["timings"]
        for k in keys:
            self.assertIsInstance(t.get(k), int, (k, t))
            self.assertGreaterEqual(t[k], 0, (k, t))
        life_ms = (parse_time(s["finished_at"]) - parse_time(s["created_at"])) * 1000
        self.assertLessEqual(sum(t[k] for k in keys), life_ms + 1000, (t, s["created_at"], s["finished_at"]))

    def assertPartialShot(self, ev, reason, width, height):
        """A page cut short is still a picture: partial, the reason, the right size."""
        s = self.snap(ev)
        self.assertEqual(ev["state"], "partial", ev)
        self.assertIn(reason, s["error"])
        self.assertEqual((s["width"], s["height"]), (width, height), s)
        img = pngread.read(s["path"])
        self.assertEqual(img[:2], (width, height))
        self.assertFalse(s["blank"], s)
        return s, img

    def test_never_quiet_page_is_partial_with_the_reason(self):
        ev = self.events.wait(self.slow["busy"])
        s, img = self.assertPartialShot(ev, "network was not quiet", 1280, 800)
        self.assertEqual(pngread.pixel(img, 10, 10)[:3], (0xf5, 0x82, 0x31))
        self.assertStepTimings(s, ("queue_ms", "setup_ms", "navigate_ms", "wait_ms", "lazy_ms",
                                   "capture_ms", "post_ms", "encode_ms"))
        # the wait was cut at its share of the 20 s deadline, well before it
        self.assertLess(s["timings"]["wait_ms"], 20000, s["timings"])

    def test_lazy_pass_that_never_ends_is_cut_and_shot(self):
        # nine scroll steps of 2 s each cannot fit in the lazy pass's share of 20 s
        ev = self.events.wait(self.slow["slow_scroll"])
        s, img = self.assertPartialShot(ev, "lazy-content pass was cut", 1280, 8000)
        # the scroll pass ran (-1 = skipped) and was cut before its nine steps
        self.assertIn(s["timings"]["lazy_steps"], range(0, 9), s["timings"])
        for y in (10, 4000, 7990):
            self.assertEqual(pngread.pixel(img, 640, y)[:3], band_color(8000, y), y)

    def test_fonts_that_never_load_are_cut_and_shot(self):
        ev = self.events.wait(self.slow["fonts"])
        s, img = self.assertPartialShot(ev, "web fonts were still loading", 1280, 800)
        self.assertEqual(pngread.pixel(img, 1270, 790)[:3], (0x3c, 0xb4, 0x4b))

    def test_pages_without_lazy_loaders_skip_the_scroll_pass(self):
        ev_tall, = capture_all(self.d, [fresh(self.site, "/tall?h=3000")])
        ev_lazy = self.lazy_event()
        self.assertEqual((ev_tall["state"], ev_lazy["state"]), ("ok", "ok"), (ev_tall, ev_lazy))
        self.assertEqual(self.snap(ev_tall)["timings"]["lazy_steps"], -1, ev_tall)
        self.assertGreater(self.snap(ev_lazy)["timings"]["lazy_steps"], 0, ev_lazy)

    def test_blank_after_partial_load_is_tried_again_as_the_next_attempt(self):
        ev = self.events.wait(self.slow["blank_once"])
        with self.events.cond:
            (retry, job), = self.events.retries.get(self.slow["blank_once"], [(None, None)])
        self.assertIsNotNone(retry, "no job.retry event")
        self.assertIn("flat colour after a partial load", retry["error"])
        # queued meanwhile, not running in a slot
        self.assertIn(job["state"], ("queued", "running"))
        if job["state"] == "queued":
            self.assertEqual(job["attempt"], 1)
        self.assertEqual(ev["state"], "ok", ev)
        self.assertEqual(ev["attempt"], 2)
        s = self.snap(ev)
        self.assertFalse(s["blank"])
        self.assertEqual(pngread.pixel(pngread.read(s["path"]), 5, 5)[:3], (0x3c, 0xb4, 0x4b))

    def test_renderer_killed_mid_wait_is_retried(self):
        # every renderer in the group is killed: first let the slow pages end
        for link in self.slow.values():
            self.events.wait(link)
        # a page that never goes quiet stays in the wait for seconds: time enough to crash
        # it however slow the machine; the retry gets a quiet page (busy only the first time)
        url = fresh(self.site, "/busy-once?k=%d" % time.time_ns())
        with self.d.client(timeout=90) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            link = c.call("link.add", {"url": url})["link"]["id"]
            # the tab shows the page's URL once its navigation committed in a renderer
            wait_until(lambda: [t for t in browser_tabs(self.d) if t["url"] == url], 60,
                       "the page's tab in daemon.status")
            pgid = self.d.call("daemon.status")["browser"]["pid"]
            renderers = [p for p in group_pids(pgid) if b"--type=renderer" in cmdline(p)
                         and b"--top-chrome-webui" not in cmdline(p)]
            self.assertTrue(renderers, "no renderer process in the browser's group")
            for p in renderers:
                os.kill(p, signal.SIGKILL)
            ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] == link, 90)
        self.assertEqual((ev["state"], ev["attempt"]), ("ok", 2), ev)
        self.assertIn("renderer crashed", self.d.read_log())
        s = self.snap(ev)
        self.assertEqual(pngread.pixel(pngread.read(s["path"]), 5, 5)[:3], (0x3c, 0xb4, 0x4b))

    def test_the_default_browser_is_the_headless_shell(self):
        # browser.path's default, auto: Debian's headless shell, which the test command
        # installs (scripts/install-deps.sh), run without its shell wrapper
        b = self.d.call("daemon.status")["browser"]
        self.assertEqual(b["binary"], HEADLESS_SHELL)
        self.assertEqual(os.readlink("/proc/%d/exe" % b["pid"]), HEADLESS_SHELL)

    def test_cancel_a_running_job_closes_its_tab(self):
        url = fresh(self.site, "/hang")
        with self.d.client(timeout=60) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            link = c.call("link.add", {"url": url})["link"]["id"]
            started = c.wait_event(lambda e: e.get("topic") == "job.started" and e["link_id"] == link, 30)
            self.assertEqual(started["display_url"], started["url"])   # ASCII: shown as stored
            tab, = wait_until(lambda: [t for t in browser_tabs(self.d)
                                       if t.get("job_id") == started["job_id"]], 30, "the job's tab in daemon.status")
            r = c.call("job.cancel", {"id": started["job_id"]})
            self.assertTrue(r["was_running"])
            ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] == link, 30)
            self.assertEqual(ev["state"], "canceled")
        wait_until(lambda: tab["id"] not in [t["id"] for t in browser_tabs(self.d)], 10,
                   "the canceled job's tab to close")
        job = self.d.call("job.get", {"id": started["job_id"]})["job"]
        self.assertEqual(job["state"], "canceled")
        # canceling it again is a conflict, not a crash
        self.assertRpcError(-32002, self.d.call, "job.cancel", {"id": started["job_id"]})

    def test_nothing_in_the_browser_group_listens_on_tcp(self):
        # the check itself can see a listener: our own
        own = socket.socket()
        own.bind(("127.0.0.1", 0))
        own.listen(1)
        try:
            self.assertTrue(tcp_listeners(os.getpid()), "the TCP listener check sees nothing")
        finally:
            own.close()
        ev, = capture_all(self.d, [fresh(self.site, "/ok")])
        self.assertEqual(ev["state"], "ok", ev)
        pgid = self.d.call("daemon.status")["browser"]["pid"]
        pids = group_pids(pgid)
        self.assertIn(pgid, pids)
        self.assertGreater(len(pids), 2, "the browser's helpers are not in its group")
        self.assertFalse([a for a in cmdline(pgid) if a.startswith(b"--remote-debugging-port")])
        self.assertIn(b"--remote-debugging-pipe", cmdline(pgid))
        # the browser process itself must be readable; sandboxed helpers may not be
        self.assertIsNotNone(tcp_listeners(pgid), "cannot read the browser's fds")
        found = {p: tcp_listeners(p) for p in pids}
        self.assertEqual({p: l for p, l in found.items() if l}, {}, "TCP listeners in the browser's group")

class ConfigTests(TestCase):
    """Daemons with settings of their own."""

    @classmethod
    def setUpClass(cls):
        cls.site = FixtureSite().start()

    @classmethod
    def tearDownClass(cls):
        cls.site.stop()

    def test_deny_private_refuses_loopback(self):
        # one daemon (one browser start) for the three settings: on from the command line,
        # off by a reload (the file's value replaces --set's), on again by a reload
        with Daemon(capture=True, args=["--set", "deny_private=true"], config="") as d:
            ev, = capture_all(d, [fresh(self.site, "/ok")])
            self.assertEqual(ev["state"], "failed")
            self.assertIn("deny_private", ev["snapshot"]["error"])
            d.reload("deny_private = false\n")
            ev, = capture_all(d, [fresh(self.site, "/ok")])
            self.assertEqual(ev["state"], "ok", ev)
            # turned on by a reload: the next capture is refused too, not only the one after
            # the context made ahead with the old setting (a reload drops those)
            wait_until(lambda: d.call("daemon.status")["browser"].get("warm"), 30,
                       "a context made ahead")
            d.reload("deny_private = true\n")
            ev, = capture_all(d, [fresh(self.site, "/ok")])
            self.assertEqual(ev["state"], "failed", ev)
            self.assertIn("deny_private", ev["snapshot"]["error"])

    def test_full_chromium_and_its_out_of_process_frames(self):
        """The full browser (its new headless mode) still works when named. It isolates
        sites, so a cross-site frame runs in a renderer of its own (the headless shell keeps
        it in the page's): Chromium reports the frame's document start to the page and its
        end, and everything the frame loads after, to the frame's own target. A frame that
        paints itself after a late fetch is waited for, one whose fetch never ends is named
        with its host (and ends with the frame when the page removes it), and a plain one
        does not hold the capture (each failed before the
        capture followed frames: 5a24e08 and issue 22's notes)."""
        other = FixtureSite(host="127.0.0.2").start()
        other_host = "%s:%d" % (other.host, other.port)
        n = time.time_ns()
        framed = lambda path, extra="": fresh(self.site, "/frame?src=" + urllib.parse.quote(
            other.url(path), safe="") + extra)
        urls = [fresh(self.site, "/tall?h=5000"), framed("/tall?h=800&n=%d" % n),
                framed("/late?n=%d" % n), framed("/hold-fetch?n=%d" % n),
                framed("/hold-fetch?n=%d&gone" % n, "&remove_ms=300"), fresh(self.site, "/worker")]
        try:
            with Daemon(capture=True, args=["--jobs", "6", "--set", "job_timeout=15",
                                            "--set", "browser.path=/usr/bin/chromium"], config="") as d:
                evs = capture_all(d, urls)
                b = d.call("daemon.status")["browser"]
                self.assertEqual(b["binary"], "/usr/lib/chromium/chromium")
                self.assertEqual(os.readlink("/proc/%d/exe" % b["pid"]), "/usr/lib/chromium/chromium")
                self.check_full_chromium_frames(evs, other_host)
        finally:
            other.stop()

    def check_full_chromium_frames(self, evs, other_host):
        tall, plain, late, held, removed, worker = evs
        # a tall page, every band drawn
        self.assertEqual(tall["state"], "ok", tall)
        img = pngread.read(tall["snapshot"]["path"])
        self.assertEqual((img[0], img[1]), (1280, 5000))
        for y in (10, 2400, 4990):
            self.assertEqual(pngread.pixel(img, 640, y)[:3], band_color(5000, y), "y=%d" % y)
        # a plain cross-site frame: drawn, and quiet once its document ended
        self.assertEqual((plain["state"], plain["snapshot"]["reasons"]), ("ok", []), plain)
        img = pngread.read(plain["snapshot"]["path"])
        self.assertEqual(pngread.pixel(img, 300, 360)[:3], band_color(800, 360))
        self.assertLess(plain["snapshot"]["timings"]["wait_ms"], 5000, plain["snapshot"]["timings"])
        # the frame's fetch after its load: waited for, the frame drawn blue, not green
        self.assertEqual((late["state"], late["snapshot"]["reasons"]), ("ok", []), late)
        img = pngread.read(late["snapshot"]["path"])
        self.assertEqual(pngread.pixel(img, 300, 300)[:3], (0x43, 0x63, 0xd8))
        # the frame's fetch held open: partial, the frame's host named, not the page's
        self.assertEqual(held["state"], "partial", held)
        pending = [r for r in held["snapshot"]["reasons"] if r["code"] == "requests_pending"]
        self.assertEqual(len(pending), 1, held["snapshot"]["reasons"])
        self.assertEqual(pending[0]["params"]["hosts"], [other_host], pending)
        # the same frame removed by the page 300 ms after its load: its held fetch ends
        # with it (the frame's target detaches), and the page goes quiet
        self.assertEqual((removed["state"], removed["snapshot"]["reasons"]), ("ok", []), removed)
        img = pngread.read(removed["snapshot"]["path"])
        self.assertEqual(pngread.pixel(img, 300, 200)[:3], (255, 255, 255))   # no frame left
        # a page's dedicated worker: let run, its script's end seen on its own session
        self.assertEqual((worker["state"], worker["snapshot"]["reasons"]), ("ok", []), worker)
        img = pngread.read(worker["snapshot"]["path"])
        self.assertEqual(pngread.pixel(img, 640, 400)[:3], (0x43, 0x63, 0xd8))

    def test_remote_endpoint_over_tls_with_a_token(self):
        front = TlsTokenFront("s3cret-token")
        try:
            endpoint = "https://127.0.0.1:%d" % front.port
            # the remote browser reaches the captures' egress proxies on 127.0.0.1 too
            common = ["--browser-endpoint", endpoint, "--set", "browser.ca_file=" + front.cert,
                      "--set", "browser.proxy_listen=127.0.0.1"]
            with Daemon(capture=True, args=common + ["--set", "browser.token=s3cret-token"]) as d:
                ev, = capture_all(d, [fresh(self.site, "/ok")])
                self.assertEqual(ev["state"], "ok", ev)
                self.assertEqual(d.call("daemon.status")["browser"]["mode"], "endpoint")
                self.assertEqual(front.refused, 0)
            # a wrong token: refused at discovery, said so, the job kept queued
            with Daemon(capture=True, args=common + ["--set", "browser.token=wrong"]) as d:
                with d.client() as c:
                    c.call("link.add", {"url": fresh(self.site, "/ok")})
                st = wait_until(lambda: (lambda b: b if b.get("last_error") else None)(d.call("daemon.status")["browser"]),
                                30, "the endpoint's error")
                self.assertIn("HTTP 401", st["last_error"])
                self.assertIn("browser.token", st["last_error"])
                self.assertEqual(d.call("daemon.status")["queue"]["queued"], 1)
            self.assertGreater(front.refused, 0)
            # a certificate we were not told to trust: refused too
            with Daemon(capture=True, args=["--browser-endpoint", endpoint, "--set", "browser.token=s3cret-token",
                                            "--set", "browser.proxy_listen=127.0.0.1"]) as d:
                with d.client() as c:
                    c.call("link.add", {"url": fresh(self.site, "/ok")})
                st = wait_until(lambda: (lambda b: b if b.get("last_error") else None)(d.call("daemon.status")["browser"]),
                                30, "the certificate error")
                self.assertRegex(st["last_error"], "(?i)certificate|SSL")
            # the websocket itself carries the token too: a ws(s) endpoint is used as given
            with urllib_json("https://127.0.0.1:%d/json/version" % front.port, front) as v:
                path = "/" + v["webSocketDebuggerUrl"].split("/", 3)[3]
            with Daemon(capture=True, args=["--browser-endpoint", "wss://127.0.0.1:%d%s" % (front.port, path),
                                            "--set", "browser.ca_file=" + front.cert,
                                            "--set", "browser.token=s3cret-token",
                                            "--set", "browser.proxy_listen=127.0.0.1"]) as d:
                ev, = capture_all(d, [fresh(self.site, "/ok")])
                self.assertEqual(ev["state"], "ok", ev)
        finally:
            front.close()

    def test_kill9_daemon_mid_batch_no_browser_left_jobs_end_after_restart(self):
        d = Daemon(capture=True, args=["--jobs", "2"]).start()
        profile = os.path.join(d.state_dir, "browser")
        urls = [fresh(self.site, "/late") for _ in range(4)]
        with d.client(timeout=60) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            for u in urls:
                c.call("link.add", {"url": u})
            c.wait_event(lambda e: e.get("topic") == "job.started", 60)
        wait_until(lambda: browser_procs(profile), 30, "the browser")
        d.kill9()
        # the lifeline pipe takes Chromium down with the daemon
        wait_until(lambda: not browser_procs(profile), 10, "Chromium to exit after the daemon's kill -9")
        # four slots after the restart: the four jobs end side by side
        d2 = Daemon(state_dir=d.state_dir, capture=True, args=["--jobs", "4"])
        d2.root, d2.socket, d2.log_path = d.root, d.socket, d.log_path
        d2.start()
        try:
            def all_ended():
                rows = d2.sql("SELECT state FROM jobs")
                return len(rows) == 4 and all(r[0] in ("done", "failed") for r in rows) and rows
            rows = wait_until(all_ended, 120, "every job to end after the restart")
            self.assertEqual([r[0] for r in rows], ["done"] * 4)
            self.assertIn("queued again", d2.read_log())
        finally:
            d2.close()
        self.assertFalse(browser_procs(profile), "a browser outlived the daemon")


if __name__ == "__main__":
    main()

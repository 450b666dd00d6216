"""test_reasons -- a partial capture's reasons are true (issue 23, item 9): the real
linksnapd and a real Chromium capture pages of the fixture site on 127.0.0.1 with a short
deadline (job_timeout=15), and each snapshot's `reasons` ({code, params, text}) names what
was still pending at the cut: a request held open (requests_pending with its host), a page
with no web font whose load event never came (load_event, and no fonts reason), a web font
whose file is held (fonts_loading with its family), a wait_for selector that never
appears (wait_for_missing naming the selector), a request held open inside a cross-site
frame (requests_pending with the frame's host). `error` keeps the joined
sentences."""
import time
import urllib.parse

from fixture_site import FixtureSite
from linksnap_test import Daemon, TestCase, main


def codes(snap):
    return [r["code"] for r in snap["reasons"]]


def reason(snap, code):
    for r in snap["reasons"]:
        if r["code"] == code:
            return r
    raise AssertionError("no %s reason in %r" % (code, snap["reasons"]))


class ReasonTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.site = FixtureSite().start()
        cls.host = "%s:%d" % (cls.site.host, cls.site.port)
        cls.other = FixtureSite(host="127.0.0.2").start()   # the cross-site frame's
        cls.other_host = "%s:%d" % (cls.other.host, cls.other.port)
        cls.d = Daemon(capture=True, args=["--jobs", "5", "--set", "job_timeout=15"]).start()
        # wait_for on the /ok pages of this site only
        cls.d.call("site.set", {"match": cls.site.url("/ok"), "wait_for": "#never-there > p"})
        n = time.time_ns()
        urls = {"held": "/hold-fetch?n=%d" % n, "noload": "/hold-image?n=%d" % n,
                "fonts": "/fonts-never?n=%d" % n, "wait_for": "/ok?n=%d" % n,
                "frame_held": "/frame?src=" + urllib.parse.quote(cls.other.url("/hold-fetch?n=%d" % n), safe="")}
        with cls.d.client(timeout=120) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            # one capture first: the browser's start is not taken from the deadlines below
            warm = c.call("link.add", {"url": cls.site.url("/title?t=warm&n=%d" % n)})["link"]["id"]
            c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] == warm, 120)
            ids = {c.call("link.add", {"url": cls.site.url(p)})["link"]["id"]: k
                   for k, p in urls.items()}
            cls.snaps = {}
            while len(cls.snaps) < len(ids):
                ev = c.wait_event(lambda e: e.get("topic") == "job.finished"
                                  and e["link_id"] in ids, 120)
                cls.snaps[ids[ev["link_id"]]] = ev["snapshot"]

    @classmethod
    def tearDownClass(cls):
        cls.d.close()
        cls.site.stop()
        cls.other.stop()

    def partial(self, name):
        s = self.snaps[name]
        self.assertEqual(s["state"], "partial", s)
        self.assertTrue(s["reasons"], s)
        # every reason has a code, params and its sentence, which error joins
        for r in s["reasons"]:
            self.assertEqual(set(r), {"code", "params", "text"}, r)
            self.assertIsInstance(r["params"], dict)
            self.assertIn(r["text"], s["error"])
        return s

    def test_a_request_held_open_is_named_with_its_host(self):
        s = self.partial("held")
        r = reason(s, "requests_pending")
        self.assertGreaterEqual(r["params"]["count"], 1, r)
        self.assertIn(self.host, r["params"]["hosts"], r)
        self.assertIn("still pending (%s" % self.host, r["text"])
        # after the load event it is the network that was not quiet (on a machine slow
        # enough to cut the load event first, that is said too)
        if "load_event" not in codes(s):
            self.assertIn("network was not quiet", s["error"])
        self.assertNotIn("fonts_loading", codes(s))

    def test_a_request_held_inside_a_cross_site_frame_is_waited_for_and_named(self):
        # the frame's request is named with the frame's host, not the page's (in the
        # headless shell the frame shares the page's renderer; test_capture's
        # test_full_chromium_and_its_out_of_process_frames has it in a renderer of its own)
        s = self.partial("frame_held")
        r = reason(s, "requests_pending")
        self.assertEqual(r["params"]["hosts"], [self.other_host], r)
        self.assertNotIn(self.host, r["params"]["hosts"], r)

    def test_a_slow_page_without_web_fonts_is_not_said_to_load_fonts(self):
        s = self.partial("noload")
        self.assertIn("load_event", codes(s))
        self.assertIsInstance(reason(s, "load_event")["params"]["seconds"], int)
        self.assertIn(self.host, reason(s, "requests_pending")["params"]["hosts"])
        self.assertNotIn("fonts_loading", codes(s), s["reasons"])
        self.assertNotIn("web fonts", s["error"])

    def test_a_held_web_font_is_the_fonts_reason(self):
        s = self.partial("fonts")
        r = reason(s, "fonts_loading")
        self.assertEqual(r["params"]["families"], ["never"], r)
        self.assertIn("web fonts were still loading (never)", s["error"])

    def test_wait_for_that_never_appears_names_its_selector(self):
        s = self.partial("wait_for")
        r = reason(s, "wait_for_missing")
        self.assertEqual(r["params"], {"selector": "#never-there > p"})
        self.assertIn("#never-there > p", r["text"])
        self.assertNotIn("fonts_loading", codes(s))

    def test_reasons_are_listed_with_the_snapshot(self):
        # snapshot.list / link.get give the same objects as the event did
        s = self.snaps["wait_for"]
        got = self.d.call("link.get", {"id": s["link_id"]})["link"]["last_snapshot"]
        self.assertEqual(got["reasons"], s["reasons"])


if __name__ == "__main__":
    main()

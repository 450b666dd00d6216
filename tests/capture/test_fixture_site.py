"""test_fixture_site -- the shared fixture site (tests/lib/fixture_site.py) answers what its
docstring promises, without a browser: redirects and chains, statuses, delays, a /hang
released when the server stops, escaped titles, the bogus DevTools endpoint, and benchmark
pages whose blocks add up to their stated height."""
import http.client
import re
import threading
import time

from fixture_site import BENCH_PAGES, FixtureSite, band_color, bench_html, bench_page, COLORS
from linksnap_test import TestCase, main


class SiteTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.site = FixtureSite().start()

    @classmethod
    def tearDownClass(cls):
        cls.site.stop()

    def get(self, path, timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def test_ok_and_unknown(self):
        st, h, body = self.get("/ok")
        self.assertEqual(st, 200)
        self.assertIn(b"<title>ok</title>", body)
        self.assertEqual(int(h["Content-Length"]), len(body))
        self.assertEqual(self.get("/nope")[0], 404)

    def test_url(self):
        self.assertEqual(self.site.url("/a?b=1"), "http://127.0.0.1:%d/a?b=1" % self.site.port)
        self.assertEqual(self.site.url("a"), self.site.base + "/a")

    def test_redirects(self):
        st, h, _ = self.get("/redirect?to=http%3A%2F%2F127.0.0.1%3A1%2Fx")
        self.assertEqual((st, h["Location"]), (302, "http://127.0.0.1:1/x"))
        path, hops = "/redirect-chain?n=3", 0
        while True:
            st, h, body = self.get(path)
            if st != 302:
                break
            path, hops = h["Location"], hops + 1
        self.assertEqual((st, path, hops), (200, "/ok", 4))
        st, h, _ = self.get("/redirect-file")
        self.assertEqual((st, h["Location"]), (302, "file:///etc/passwd"))

    def test_statuses(self):
        for code in (404, 500, 503):
            st, _, body = self.get("/status/%d" % code)
            self.assertEqual(st, code)
            self.assertIn(("<title>%d</title>" % code).encode(), body)

    def test_delay(self):
        t0 = time.time()
        st, _, _ = self.get("/delay?ms=400")
        self.assertEqual(st, 200)
        self.assertGreaterEqual(time.time() - t0, 0.39)

    def test_title_is_escaped(self):
        st, _, body = self.get("/title?t=%3Cb%3E%20%26%20%E4%B8%AD")
        self.assertIn("<title>&lt;b&gt; &amp; 中</title>".encode(), body)

    def test_cjk(self):
        st, h, body = self.get("/cjk")
        text = body.decode()
        self.assertIn('lang="zh-CN"', text)
        self.assertIn("<title>中文标题</title>", text)
        self.assertIn("链接快照平台", text)

    def test_tall_bands(self):
        st, _, body = self.get("/tall?h=5000")
        heights = [int(x) for x in re.findall(rb"height:(\d+)px", body)]
        self.assertEqual((len(heights), sum(heights)), (10, 5000))
        self.assertEqual(band_color(5000, 0), COLORS[0])
        self.assertEqual(band_color(5000, 4999), COLORS[9])
        self.assertEqual(band_color(20000, 2000), COLORS[1])
        self.assertEqual(sum(int(x) for x in re.findall(rb"height:(\d+)px", self.get("/tall")[2])), 20000)

    def test_bogus_devtools_endpoint(self):
        for path in ("/not-chromium", "/not-chromium/json/version", "/json/version", "/json/version/"):
            st, h, body = self.get(path)
            self.assertEqual(st, 200)
            self.assertRaises(ValueError, lambda: __import__("json").loads(body))

    def test_images(self):
        st, h, body = self.get("/img/20/10/ff0000.png")
        self.assertEqual((st, h["Content-Type"], body[:8]), (200, "image/png", b"\x89PNG\r\n\x1a\n"))
        self.assertEqual(self.get("/img/0/10/ff0000.png")[0], 404)
        t0 = time.time()
        self.assertEqual(self.get("/img/20/10/00ff00.png?delay=300")[0], 200)
        self.assertGreaterEqual(time.time() - t0, 0.29)

    def test_bench_pages(self):
        heights = []
        for n in range(BENCH_PAGES):
            p = bench_page(n)
            self.assertEqual(sum(b[1] for b in p["blocks"]), p["height"], n)
            self.assertTrue(800 <= p["height"] <= 12000)
            self.assertGreaterEqual(p["images"], 2, n)
            html = bench_html(n)
            self.assertEqual(html, bench_html(n))   # deterministic
            self.assertEqual(("delay=" in html), p["delayed"])
            heights.append(p["height"])
        self.assertEqual((min(heights), max(heights)), (800, 12000))
        self.assertEqual(sum(bench_page(n)["delayed"] for n in range(BENCH_PAGES)), BENCH_PAGES // 4)
        self.assertEqual(self.get("/bench/%d" % BENCH_PAGES)[0], 404)

    def test_hang_is_released_by_stop(self):
        site = FixtureSite().start()
        result = []

        def hang():
            c = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
            try:
                c.request("GET", "/hang")
                result.append(c.getresponse().status)
            except (http.client.HTTPException, OSError) as e:
                result.append(type(e).__name__)
        t = threading.Thread(target=hang)
        t.start()
        time.sleep(0.5)
        self.assertEqual(result, [])   # still waiting
        t0 = time.time()
        site.stop()
        t.join(10)
        self.assertLess(time.time() - t0, 5)
        self.assertEqual(result, ["RemoteDisconnected"])


if __name__ == "__main__":
    main()

"""test_corpus -- a handful of the real saved pages of bench/corpus/ (copied into
tests/daemon/corpus/, see its README) captured by the real linksnapd and a real Chromium,
inside a network namespace of their own (tests/lib/corpus_site.py): each page is served on
127.0.0.1:80 under its own host name, found through a test resolver on 127.0.0.53 that
/etc/resolv.conf is bind-mounted to name; third-party names fail at once, two ad hosts take
5 s to fail and one name leads to a listener that never answers, as in the benchmark.

Per page: the job ends ok (or partial, with the page there), the image is not blank, the
page's title is the one Playwright read from the same page (corpus.json), the height is
within -10%/+30% of the height Playwright's full-page screenshot had, and the box where the
page's headline is drawn (measured in Playwright) has ink. Pages: Chinese, Japanese and
Arabic (right to left) news, an English wiki article and a long English news page. Then
each page is found by words of its body (WORDS: in neither its title nor its address) with
link.list's q, as a match in its text; no further captures.

Needs root (or unprivileged user namespaces) for `unshare -n -m`; no timing thresholds."""
import gzip
import http.client
import json
import os
import socket
import struct

import corpus_site
import pngread
from linksnap_test import SRC, Daemon, TestCase, main

HERE = os.path.join(SRC, "tests", "daemon", "corpus")


def load():
    with open(os.path.join(HERE, "corpus.json"), encoding="utf-8") as f:
        return json.load(f)["pages"]


# Words of each page's article, in neither its title nor its address: a Latin word (the
# Japanese page has none outside its title) and, for Chinese and Japanese, two characters.
WORDS = {
    "075-xinhuanet.com": ["CPnCoV", "口罩"],
    "077-www3.nhk.or.jp": ["虐待"],
    "117-arabic.cnn.com": ["GMT", "المرصد"],
    "079-en.wikipedia.org": ["Kullback", "perplexity"],
    "090-nature.com": ["Guizhou", "Arecibo"],
}


def ink_fraction(img, box):
    """Share of the box's pixels that differ clearly from the box's most common colour."""
    x0, y0, w, h = box
    counts, pixels = {}, []
    for y in range(max(0, y0), min(img[1], y0 + h), 2):
        for x in range(max(0, x0), min(img[0], x0 + w), 2):
            p = pngread.pixel(img, x, y)[:3]
            pixels.append(p)
            counts[p] = counts.get(p, 0) + 1
    if not pixels:
        return 0.0
    bg = max(counts, key=counts.get)
    ink = sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, bg)) > 120)
    return ink / float(len(pixels))


class CorpusTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pages = load()
        cls.site = corpus_site.CorpusSite(HERE, cls.pages).start()
        # a generous deadline: a loaded machine must not fail the test (no timing is asserted)
        cls.d = Daemon(capture=True, args=["--jobs", "4", "--set", "job_timeout=240"]).start()
        cls.results = {}
        with cls.d.client(timeout=600) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            ids = {}
            for p in cls.pages:
                r = c.call("link.add", {"url": p["serve"], "capture": True})
                ids[r["link"]["id"]] = p["id"]
            while len(cls.results) < len(ids):
                ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e.get("link_id") in ids
                                  and ids[e["link_id"]] not in cls.results, timeout=600)
                cls.results[ids[ev["link_id"]]] = ev
        cls.link_of = {pid: lid for lid, pid in ids.items()}

    @classmethod
    def tearDownClass(cls):
        cls.d.close()
        cls.site.stop()

    def check(self, pid):
        page = next(p for p in self.pages if p["id"] == pid)
        ev = self.results[pid]
        self.assertIn(ev["state"], ("ok", "partial"), ev)
        s = ev["snapshot"]
        self.assertFalse(s["blank"], s)
        self.assertEqual(" ".join((s["title"] or "").split()), " ".join(page["title"].split()))
        img = pngread.read(s["path"])
        self.assertEqual(img[1], s["height"])
        lo, hi = int(page["height"] * 0.9), int(page["height"] * 1.3)
        self.assertTrue(lo <= s["height"] <= hi, "height %d, Playwright's %d (range %d..%d)"
                        % (s["height"], page["height"], lo, hi))
        ink = ink_fraction(img, page["ink_box"])
        self.assertGreater(ink, 0.02, "no ink where the headline is (box %r): %.3f" % (page["ink_box"], ink))
        return s

    def test_each_page_found_by_words_of_its_text(self):
        missed = []
        self.assertEqual(sorted(WORDS), sorted(q["id"] for q in self.pages))   # never empty
        for p in self.pages:
            for word in WORDS[p["id"]]:
                self.assertNotIn(word.lower(), (p["title"] + p["serve"]).lower())
                found = {l["id"]: l for l in self.d.call("link.list", {"q": word})["links"]}
                link = found.get(self.link_of[p["id"]])
                if not link or link.get("match", {}).get("in") != "text":
                    missed.append((p["id"], word, link and link.get("match")))
                    continue
                hits = "".join(s["text"] for s in link["match"]["snippet"] if s["hit"])
                self.assertIn(word.lower(), hits.lower(), (p["id"], word, link["match"]))
        self.assertEqual(missed, [])


def query(name, qtype=1, qid=0x1234, flags=0x0100, qdcount=1):
    q = struct.pack(">HHHHHH", qid, flags, qdcount, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


class CorpusSiteTests(TestCase):
    """The test resolver and the page server themselves, bad input included."""

    def setUp(self):
        self.r = corpus_site.TestResolver({"www.example.com": "127.0.0.1"})

    def reply(self, q):
        rep, delay = self.r.answer(q)
        self.assertIsNotNone(rep)
        qid, flags, qd, an = struct.unpack(">HHHH", rep[:8])
        return qid, flags & 0xF, an, rep, delay

    def test_known_host_is_loopback_at_once(self):
        qid, rcode, an, rep, delay = self.reply(query("WWW.Example.COM"))
        self.assertEqual((qid, rcode, an, delay), (0x1234, 0, 1, 0))
        self.assertEqual(socket.inet_ntoa(rep[-4:]), "127.0.0.1")

    def test_known_host_other_types_are_empty(self):
        _, rcode, an, _, delay = self.reply(query("www.example.com", qtype=28))
        self.assertEqual((rcode, an, delay), (0, 0, 0))

    def test_unknown_name_is_nxdomain_at_once(self):
        _, rcode, an, _, delay = self.reply(query("cdn.example.net"))
        self.assertEqual((rcode, an, delay), (3, 0, 0))

    def test_slow_name_fails_after_five_seconds(self):
        _, rcode, an, _, delay = self.reply(query(corpus_site.SLOW_NAMES[0]))
        self.assertEqual((rcode, an, delay), (3, 0, 5.0))

    def test_blackhole_name_leads_to_the_silent_listener(self):
        _, rcode, an, rep, _ = self.reply(query(corpus_site.BLACKHOLE_NAMES[0]))
        self.assertEqual((rcode, an), (0, 1))
        self.assertEqual(socket.inet_ntoa(rep[-4:]), corpus_site.BLACKHOLE_ADDR)

    def test_bad_queries_are_dropped(self):
        good = query("www.example.com")
        for bad in (b"", good[:11], query("www.example.com", flags=0x8100), query("a.b", qdcount=2),
                    good[:14], good[:12] + b"\xc0\x0c" + good[-4:], good[:-2]):
            self.assertEqual(self.r.answer(bad), (None, 0), bad)

    def test_page_server_answers_by_host_and_path(self):
        body = b"<title>t</title>" * 10
        srv = corpus_site.PageServer([("http://www.example.com/a?b=1", gzip.compress(body))], port=0).start()
        try:
            def get(host, path, gz=True):
                c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
                c.request("GET", path, headers={"Host": host, "Accept-Encoding": "gzip" if gz else "identity"})
                r = c.getresponse()
                data = r.read()
                c.close()
                return r.status, r.getheader("Content-Encoding"), data
            st, enc, data = get("www.example.com", "/a?b=1")
            self.assertEqual((st, enc, gzip.decompress(data)), (200, "gzip", body))
            self.assertEqual(get("WWW.EXAMPLE.COM:80", "/a?b=1", gz=False), (200, None, body))
            self.assertEqual(get("www.example.com", "/a")[0], 404)
            self.assertEqual(get("other.example.com", "/a?b=1")[0], 404)
        finally:
            srv.stop()


def _add(pid):
    def t(self):
        self.check(pid)
    t.__doc__ = "the saved page %s" % pid
    return t


for _p in load():
    setattr(CorpusTests, "test_" + _p["id"].replace("-", "_").replace(".", "_"), _add(_p["id"]))


if __name__ == "__main__":
    corpus_site.enter_namespace()   # re-runs this file in its namespace; sets it up there
    main()

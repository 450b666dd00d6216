"""test_http -- linksnapd's web server without a browser: headers and caching, POST /rpc
(single, batch, notification), refusals as 4xx JSON (unknown routes, methods, oversize and
malformed bodies, path traversal), the Host/Origin rules, the token on a non-loopback
listener, the /events websocket, snapshot files and tiles, downloads (PNG, MHTML, PDF and
the page's text as attachments), import uploads, and the same answers after the quiet
housekeeping has given memory back."""
import gzip
import json
import os
import re
import sqlite3
import sys
import time
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(__file__))
from linksnap_test import Daemon, TestCase, main, wait_until  # noqa: E402
from webtest import WebSocket, fake_kept, fake_snapshot, http, login, png_size, rpc  # noqa: E402

TOKEN = "s3cret-token-for-the-tests"


class Http(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().start()
        cls.url = cls.d.web_url
        login(cls.d)

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def error_of(self, status, headers, body):
        self.assertEqual(headers.get("content-type"), "application/json", (status, body))
        doc = json.loads(body)
        self.assertEqual(doc["error"]["code"], status, doc)
        self.assertTrue(doc["error"]["message"])
        return doc["error"]["message"]

    def assertServing(self):
        st, doc = rpc(self.url, "daemon.ping")
        self.assertEqual((st, doc["result"]), (200, {"pong": True}))

    def test_page_and_security_headers(self):
        for path in ("/", "/links", "/links/12", "/tags", "/stats", "/import", "/read/12"):
            st, h, body = http(self.url, path=path)
            self.assertEqual(st, 200, path)
            self.assertIn(b"<main id=\"main\"", body)
            self.assertIn("script-src 'self'", h["content-security-policy"])
            self.assertIn("frame-ancestors 'none'", h["content-security-policy"])
            self.assertNotIn("unsafe-inline", h["content-security-policy"])
            self.assertEqual(h["x-content-type-options"], "nosniff")
            self.assertEqual(h["x-frame-options"], "DENY")
        st, h, _ = http(self.url, path="/", headers={"If-None-Match": h["etag"]})
        self.assertEqual(st, 304)
        st, h, body = http(self.url, path="/app.css", headers={"Accept-Encoding": "gzip"})
        self.assertEqual((st, h.get("content-encoding")), (200, "gzip"))
        self.assertIn(b"prefers-color-scheme", gzip.decompress(body))
        st, h, _ = http(self.url, path="/js/app.js")
        self.assertEqual((st, h["content-type"]), (200, "text/javascript; charset=utf-8"))

    def test_rpc_single_batch_notification(self):
        st, doc = rpc(self.url, "link.add", {"url": "https://example.com/http-rpc", "tags": ["网页"], "capture": False})
        self.assertEqual(st, 200)
        self.assertTrue(doc["result"]["created"])
        batch = [{"jsonrpc": "2.0", "id": "a", "method": "link.get", "params": {"url": "https://example.com/http-rpc"}},
                 {"jsonrpc": "2.0", "method": "daemon.ping"},
                 {"jsonrpc": "2.0", "id": "b", "method": "no.such"}]
        st, h, body = http(self.url, "POST", "/rpc", json.dumps(batch),
                           {"Origin": self.url, "Content-Type": "application/json"})
        replies = json.loads(body)
        self.assertEqual([r["id"] for r in replies], ["a", "b"])
        self.assertEqual(replies[0]["result"]["link"]["tags"], ["网页"])
        self.assertEqual(replies[1]["error"]["code"], -32601)
        st, h, body = http(self.url, "POST", "/rpc", '{"jsonrpc":"2.0","method":"daemon.ping"}',
                           {"Origin": self.url, "Content-Type": "application/json"})
        self.assertEqual((st, body), (204, b""))
        st, h, body = http(self.url, "POST", "/rpc", "{nope", {"Origin": self.url, "Content-Type": "application/json"})
        self.assertEqual(json.loads(body)["error"]["code"], -32700)
        st, doc = rpc(self.url, "events.subscribe")
        self.assertEqual(doc["error"]["code"], -32601)   # the page uses /events instead

    def test_bad_requests_are_4xx_json(self):
        j = {"Origin": self.url, "Content-Type": "application/json"}
        cases = [
            (404, "GET", "/nothing/here", None, {}),
            (404, "GET", "/snapshots/abc/full.png", None, {}),
            (404, "GET", "/snapshots/999999/full.png", None, {}),
            (404, "GET", "/snapshots/1/other.png", None, {}),
            (404, "POST", "/nowhere", "{}", j),
            (405, "PUT", "/rpc", "{}", j),
            (405, "DELETE", "/links/1", None, {}),
            (415, "POST", "/rpc", "{}", {"Origin": self.url, "Content-Type": "text/plain"}),
            (411, "POST", "/rpc", None, j),
            (426, "GET", "/events", None, {}),
            (414, "GET", "/" + "a" * 1000, None, {}),
        ]
        for status, method, path, body, headers in cases:
            st, h, resp = http(self.url, method, path, body, headers)
            self.assertEqual(st, status, (method, path, resp))
            self.error_of(st, h, resp)
        self.assertServing()

    def test_oversize_body_refused(self):
        big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "link.add", "params": {"url": "https://x.example/" + "a" * (2 << 20)}})
        st, h, body = http(self.url, "POST", "/rpc", big, {"Origin": self.url, "Content-Type": "application/json"})
        self.assertEqual(st, 413)
        self.error_of(st, h, body)
        # a lying Content-Length is refused before a byte of the body is read
        st, h, body = http(self.url, "POST", "/rpc", "{}", {"Origin": self.url, "Content-Type": "application/json",
                                                         "Content-Length": str(10 << 30)})
        self.assertEqual(st, 413)
        self.assertServing()

    def test_path_traversal_refused(self):
        for path in ("/../../etc/passwd", "/snapshots/1/../../../etc/passwd", "/snapshots/%2e%2e/%2e%2e/etc/passwd",
                     "/js/../../etc/passwd", "/snapshots/1/tile/..%2f..%2fx.png", "/snapshots//etc/passwd"):
            st, h, body = http(self.url, path=path)
            self.assertIn(st, (400, 403, 404), path)
            self.assertNotIn(b"root:", body)
        # a snapshot row pointing outside the snapshot directory is never served
        link = rpc(self.url, "link.add", {"url": "https://example.com/traversal", "capture": False})[1]["result"]["link"]
        sid = fake_snapshot(self.d, link["id"])
        db = sqlite3.connect(self.d.db_path, timeout=30)
        with db:
            db.execute("UPDATE snapshots SET path = '/etc/passwd', thumb_path = ? WHERE id = ?",
                       (os.path.join(self.d.state_dir, "snapshots", "..", "linksnap.db"), sid))
        db.close()
        for what in ("full.png", "thumb.png", "tiles.json"):
            st, h, body = http(self.url, path="/snapshots/%d/%s" % (sid, what))
            self.assertEqual(st, 404, what)
            self.assertNotIn(b"root:", body)
            self.assertNotIn(b"SQLite", body)
        self.assertServing()

    def test_host_and_origin_rules(self):
        st, h, body = http(self.url, path="/", headers={"Host": "evil.example:%s" % self.url.rsplit(":", 1)[1]})
        self.assertEqual(st, 421)   # DNS rebinding: a foreign host name
        msg = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "link.add", "params": {"url": "https://example.com/csrf"}})
        for origin in (None, "http://evil.example", "null", self.url.replace("127.0.0.1", "localhost") + "1",
                       "https://" + self.url[7:]):
            st, h, body = http(self.url, "POST", "/rpc", msg, {"Origin": origin, "Content-Type": "application/json"})
            self.assertEqual(st, 403, origin)
            self.error_of(st, h, body)
        with self.assertRaises(ConnectionError):
            WebSocket(self.url, origin="http://evil.example")
        with self.assertRaises(ConnectionError):
            WebSocket(self.url, path="/other")
        # localhost names the same listener
        port = self.url.rsplit(":", 1)[1]
        st, doc = rpc(self.url, "daemon.ping", headers={"Host": "localhost:" + port, "Origin": "http://localhost:" + port})
        self.assertEqual(st, 200)
        self.assertEqual(self.d.sql("SELECT count(*) FROM links WHERE url LIKE '%csrf%'"), [(0,)])

    def test_events_websocket(self):
        ws = WebSocket(self.url, path="/events?topics=link")
        try:
            rpc(self.url, "link.add", {"url": "https://example.com/ws-event", "tags": ["事件"], "capture": False})
            ev = ws.wait(lambda e: e["topic"] == "link.added" and "ws-event" in e["link"]["url"])
            self.assertEqual(ev["link"]["tags"], ["事件"])
            rpc(self.url, "tag.rename", {"from": "事件", "to": "events-renamed"})
            # the subscription was for "link" only: the next thing seen is a link event
            rpc(self.url, "link.add", {"url": "https://example.com/ws-event-2", "capture": False})
            ev = ws.recv()
            self.assertTrue(ev["topic"].startswith("link."), ev)
        finally:
            ws.close()

    def test_snapshot_files_and_tiles(self):
        link = rpc(self.url, "link.add", {"url": "https://example.com/tall", "capture": False})[1]["result"]["link"]
        sid = fake_snapshot(self.d, link["id"], width=300, height=2500, colour=lambda y: (y % 256, 0, 0))
        st, h, body = http(self.url, path="/snapshots/%d/full.png" % sid)
        self.assertEqual((st, h["content-type"]), (200, "image/png"))
        path = self.d.sql("SELECT path FROM snapshots WHERE id = ?", (sid,))[0][0]
        with open(path, "rb") as f:
            self.assertEqual(body, f.read())
        st, h, body = http(self.url, path="/snapshots/%d/thumb.png" % sid)
        self.assertEqual(png_size(body), (320, 200))
        st, h, body = http(self.url, path="/snapshots/%d/tiles.json" % sid)
        meta = json.loads(body)
        self.assertEqual((meta["width"], meta["height"], meta["tile_height"], meta["count"]), (300, 2500, 1024, 3))
        sizes = [png_size(http(self.url, path="/snapshots/%d/tile/%d.png" % (sid, i))[2]) for i in range(3)]
        self.assertEqual(sizes, [(300, 1024), (300, 1024), (300, 452)])
        st, h, body = http(self.url, path="/snapshots/%d/tile/3.png" % sid)
        self.assertEqual(st, 404)
        self.error_of(st, h, body)

    def test_downloads_are_attachments(self):
        link = rpc(self.url, "link.add", {"url": "https://example.com/downloads", "capture": False})[1]["result"]["link"]
        # a title with a path in it, a bidi override that would show "exe.png" as "gnp.exe"
        title = "Größe 数据/..\\evil \u202egnp.exe"
        sid = fake_snapshot(self.d, link["id"], title=title)
        mhtml = b"From: <Saved by Blink>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\r\n"
        pdf = b"%PDF-1.4\n% fake\n%%EOF\n"
        blocks = [{"kind": "h1", "text": "Größe 数据"}, {"kind": "p", "text": "First <b>paragraph</b>."},
                  {"kind": "li", "text": "one"}, {"kind": "li", "text": "two"},
                  {"kind": "quote", "text": "quoted"}, {"kind": "pre", "text": "  x = 1"}]
        fake_kept(self.d, sid, text={"title": title, "byline": "Ada", "lang": "de", "blocks": blocks,
                                     "text": "nav\nFirst paragraph.", "cut": True}, mhtml=mhtml, pdf=pdf)
        for what, ctype, ext, want in (("full.png?download=1", "image/png", "png", None),
                                       ("page.mhtml", "multipart/related", "mhtml", mhtml),
                                       ("page.pdf", "application/pdf", "pdf", pdf),
                                       ("text.txt", "text/plain; charset=utf-8", "txt", None)):
            st, h, body = http(self.url, path="/snapshots/%d/%s" % (sid, what))
            self.assertEqual((st, h["content-type"]), (200, ctype), what)
            self.assertEqual(h["x-content-type-options"], "nosniff", what)
            if want is not None:
                self.assertEqual(body, want, what)
            cd = h["content-disposition"]
            m = re.fullmatch(r'attachment; filename="([A-Za-z0-9.-]+)"; filename\*=UTF-8\'\'([A-Za-z0-9%!#$&+.^_`|~-]+)', cd)
            self.assertTrue(m, cd)
            self.assertEqual(m.group(1), "linksnap-%d-Gr-e-evil-gnp-exe.%s" % (sid, ext))
            name = unquote(m.group(2), errors="strict")
            self.assertEqual(name, "Größe 数据_.._evil gnp.exe.%s" % ext)   # no separator, no U+202E
            st, h, _ = http(self.url, "HEAD", "/snapshots/%d/%s" % (sid, what))
            self.assertEqual((st, h["content-disposition"]), (200, cd), what)
        # the picture shown in the page stays inline
        st, h, _ = http(self.url, path="/snapshots/%d/full.png" % sid)
        self.assertEqual(st, 200)
        self.assertNotIn("content-disposition", h)
        # the text: title, byline, the blocks as plain text, the cut said
        text = http(self.url, path="/snapshots/%d/text.txt" % sid)[2].decode()
        self.assertEqual(text.split("\n\n")[:6], [title + "\nAda", "Größe 数据", "First <b>paragraph</b>.",
                                                  "- one", "- two", "> quoted"])
        self.assertIn("\n  x = 1\n", text)
        self.assertIn("text_max_kb", text.splitlines()[-1])
        self.assertNotIn("nav", text)
        # an ASCII title gives one plain filename; no title, the id alone
        fake_kept(self.d, sid, text={"title": "Plain title", "text": "just text"})
        with sqlite3.connect(self.d.db_path, timeout=30) as db:
            db.execute("UPDATE snapshots SET title = NULL WHERE id = ?", (sid,))
        st, h, body = http(self.url, path="/snapshots/%d/text.txt" % sid)
        self.assertEqual(h["content-disposition"], 'attachment; filename="linksnap-%d-Plain-title.txt"' % sid)
        self.assertEqual(body, b"Plain title\n\njust text\n")   # no article: the visible text
        st, h, _ = http(self.url, path="/snapshots/%d/full.png?download=1" % sid)
        self.assertEqual(h["content-disposition"], 'attachment; filename="linksnap-%d.png"' % sid)

    def test_download_errors(self):
        link = rpc(self.url, "link.add", {"url": "https://example.com/no-downloads", "capture": False})[1]["result"]["link"]
        sid = fake_snapshot(self.d, link["id"])   # a picture only: no MHTML, PDF or text
        for what in ("page.mhtml", "page.pdf", "text.txt"):
            st, h, body = http(self.url, path="/snapshots/%d/%s" % (sid, what))
            self.assertEqual(st, 404, what)
            self.error_of(st, h, body)
            self.assertNotIn("content-disposition", h)
            for bad in ("0", "abc", "-1", "99999999999999999999", "999999"):
                st, h, body = http(self.url, path="/snapshots/%s/%s" % (bad, what))
                self.assertEqual(st, 404, (bad, what))
                self.error_of(st, h, body)
        for path in ("/snapshots/%d/page.mhtml/../../../etc/passwd" % sid, "/snapshots/%d/text.txt/x" % sid,
                     "/snapshots/%d/../%d/page.pdf" % (sid, sid)):
            st, h, body = http(self.url, path=path)
            self.assertIn(st, (400, 403, 404), path)
        with self.assertRaises(ConnectionError):   # libwebsockets hangs up on a NUL in the path
            http(self.url, path="/snapshots/%d/page.pdf%%00.png" % sid)
        # records pointing outside the snapshot directory are never served (the same
        # snapshot's own files are, first)
        fake_kept(self.d, sid, text={"text": "words"}, mhtml=b"MIME-Version: 1.0\r\n", pdf=b"%PDF-1.4\n")
        for what in ("page.mhtml", "page.pdf", "text.txt"):
            self.assertEqual(http(self.url, path="/snapshots/%d/%s" % (sid, what))[0], 200, what)
        sdb = os.path.join(self.d.state_dir, "snapshots", "..", "linksnap.db")
        with sqlite3.connect(self.d.db_path, timeout=30) as db:
            db.execute("UPDATE snapshots SET files = ? WHERE id = ?",
                       (json.dumps({"mhtml": {"path": "/etc/passwd", "bytes": 1}, "pdf": {"path": sdb, "bytes": 1}}), sid))
        for what in ("page.mhtml", "page.pdf"):
            st, h, body = http(self.url, path="/snapshots/%d/%s" % (sid, what))
            self.assertEqual(st, 404, what)
            self.assertNotIn(b"root:", body)
            self.assertNotIn(b"SQLite", body)
        # a record that is not what the store writes is no file
        with sqlite3.connect(self.d.db_path, timeout=30) as db:
            db.execute("UPDATE snapshots SET files = '{\"mhtml\": 5, \"pdf\": {\"path\": 7}}' WHERE id = ?", (sid,))
        for what in ("page.mhtml", "page.pdf"):
            self.assertEqual(http(self.url, path="/snapshots/%d/%s" % (sid, what))[0], 404, what)
        st, h, _ = http(self.url, path="/snapshots/%d/text.txt" % sid, headers={"Cookie": None})
        self.assertEqual(st, 401)   # the token, as for every snapshot file
        self.assertServing()

    def test_import_upload(self):
        text = "https://example.com/up/1\nhttps://example.com/up/2\njavascript:alert(1)\nhttps://example.com/up/1\n"
        st, h, body = http(self.url, "POST", "/import?tags=uploaded,%E5%AF%BC%E5%85%A5&capture=0&format=text", text,
                           {"Origin": self.url, "Content-Type": "application/octet-stream"})
        self.assertEqual(st, 200, body)
        iid = json.loads(body)["import_id"]
        deadline = time.time() + 30
        while True:
            imp = rpc(self.url, "import.get", {"id": iid})[1]["result"]
            if imp["state"] != "running" or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual((imp["state"], imp["added"], imp["invalid"]), ("done", 2, 1), imp)
        self.assertEqual(imp["errors"][0]["line"], 3)
        link = rpc(self.url, "link.get", {"url": "https://example.com/up/2"})[1]["result"]["link"]
        self.assertEqual(sorted(link["tags"]), ["uploaded", "导入"])
        spool = os.path.join(self.d.state_dir, "import-spool")
        for _ in range(50):
            if not os.listdir(spool):
                break
            time.sleep(0.1)
        self.assertEqual(os.listdir(spool), [])   # the uploaded copy goes once the import finished
        st, h, body = http(self.url, "POST", "/import", text, {"Content-Type": "text/plain"})
        self.assertEqual(st, 403)   # no Origin

    def test_import_upload_keeps_every_tag_or_says_why(self):
        # 40 tags of 20 characters: 839 bytes of argument, where the upload path once cut
        # the list at 255 bytes and dropped the rest without a word
        from urllib.parse import quote
        tags = ["long-tag-number-%04d" % i for i in range(40)]
        origin = {"Origin": self.url, "Content-Type": "application/octet-stream"}
        st, h, body = http(self.url, "POST", "/import?format=text&capture=0&tags=" + quote(",".join(tags)),
                           "https://example.com/many-tags\n", origin)
        self.assertEqual(st, 200, body)
        iid = json.loads(body)["import_id"]
        deadline = time.time() + 30
        while rpc(self.url, "import.get", {"id": iid})[1]["result"]["state"] == "running" and time.time() < deadline:
            time.sleep(0.1)
        link = rpc(self.url, "link.get", {"url": "https://example.com/many-tags"})[1]["result"]["link"]
        self.assertEqual(sorted(link["tags"]), tags)
        # what cannot be kept is refused with the reason, before any import starts
        for query, why in (("capture=maybe", "capture: 1, 0, true or false"),
                           ("tags=" + ",".join("t%d" % i for i in range(65)), "more than 64 tags"),
                           ("tags=ok,%FF%FE", "not valid UTF-8")):
            st, h, body = http(self.url, "POST", "/import?format=text&" + query,
                               "https://example.com/refused\n", origin)
            self.assertEqual(st, 400, (query, body))
            self.assertIn(why, body.decode(), query)
        # an argument too long to keep, or too many of them: refused, never skipped
        for query, why in (("tags=" + "x" * 5000, "a query argument over 4351 bytes"),
                           ("&".join("a%d=1" % i for i in range(17)), "more than 16 query arguments")):
            st, h, body = http(self.url, "POST", "/import?" + query, "https://example.com/refused\n", origin)
            self.assertEqual(st, 414, (query[:40], body))
            self.assertIn(why, body.decode())

    def test_charts(self):
        st, h, body = http(self.url, path="/chart/tags.svg?top=5")
        if st == 404:
            self.assertIn("not available", json.loads(body)["error"]["message"])
            st, doc = rpc(self.url, "chart.render", {"kind": "tags"})
            self.assertEqual(doc["error"]["code"], -32601, "chart.render exists but /chart/ said 404")
            return
        self.assertEqual((st, h["content-type"]), (200, "image/svg+xml"), body[:300])
        self.assertIn(b"<svg", body)
        self.assertNotIn("script-src 'self'", h["content-security-policy"])
        self.assertIn("default-src 'none'", h["content-security-policy"])
        # The page's own size, a fractional devicePixelRatio and its language.
        st, h, body = http(self.url, path="/chart/outcomes.png?width=358&height=260&scale=1.5&lang=zh")
        self.assertEqual((st, h["content-type"]), (200, "image/png"), body[:300])
        self.assertEqual(body[16:24], (537).to_bytes(4, "big") + (390).to_bytes(4, "big"))
        st, h, body = http(self.url, path="/chart/timeline.svg?lang=zh&days=7")
        self.assertEqual(st, 200)
        self.assertIn("每日新增链接".encode(), body)
        # the page's theme: a dark background in the SVG, an unknown theme refused
        st, h, body = http(self.url, path="/chart/tags.svg?theme=dark")
        self.assertEqual(st, 200)
        self.assertIn(b'fill="#111418"', body)
        for q, word in (("scale=abc", "scale"), ("scale=1e400", "scale"), ("lang=fr", "lang"),
                        ("width=12x", "width"), ("theme=dim", "theme")):
            st, h, body = http(self.url, path="/chart/tags.svg?" + q)
            self.assertEqual(st, 400, q)
            self.assertIn(word, json.loads(body)["error"]["message"], q)


class Quiet(TestCase):
    def test_serves_the_same_after_memory_is_given_back(self):
        """The quiet housekeeping drops the tile cache, each pool thread's chart buffers, idle
        pool connections, page caches and every thread's free heap (arena tops included);
        all of them come back on the next use, with the same answers."""
        with Daemon() as d:
            url = d.web_url
            login(d)
            link = rpc(url, "link.add", {"url": "https://example.com/quiet", "capture": False})[1]["result"]["link"]
            sid = fake_snapshot(d, link["id"], width=300, height=2500, colour=lambda y: (y % 256, 40, 0))

            def look():
                tiles = [http(url, path="/snapshots/%d/tile/%d.png" % (sid, i)) for i in range(3)]
                chart = http(url, path="/chart/outcomes.png?width=358&height=260")
                listed = rpc(url, "link.list", {"limit": 10})[1]["result"]["links"]
                return [(t[0], t[2]) for t in tiles], (chart[0], chart[2]), [l["id"] for l in listed]

            before = look()
            self.assertEqual([st for st, _ in before[0]], [200, 200, 200])
            wait_until(lambda: "memory given back" in d.read_log(), 40, "the quiet housekeeping")
            after = look()
            self.assertEqual(after, before)
            # and the writer still writes (its part ran on its thread)
            other = rpc(url, "link.add", {"url": "https://example.com/quiet2", "capture": False})[1]["result"]["link"]
            self.assertNotEqual(other["id"], link["id"])


class Token(TestCase):
    def test_non_loopback_needs_tls_or_allow_plain(self):
        # 127.0.0.2 is on this machine but is not "the" loopback address; linksnapd treats
        # it like any other address (docs/web.md) and refuses to serve it in clear text
        d = Daemon(http="127.0.0.2:0", config="http.token = %s\n" % TOKEN)
        with self.assertRaises(RuntimeError) as cm:
            d.start()
        self.assertIn("http.tls_cert", str(cm.exception))
        self.assertIn("http.allow_plain", str(cm.exception))
        d.proc = None
        d.log.close()

    def test_token_session_cookie(self):
        with Daemon(http="127.0.0.2:0", config="http.token = %s\nhttp.allow_plain = true\n" % TOKEN) as d:
            url = d.web_url
            self.assertTrue(url.startswith("http://127.0.0.2:"), url)
            st, h, body = http(url, path="/")
            self.assertEqual(st, 200)   # the page itself holds no data
            self.assertEqual(json.loads(http(url, path="/auth")[2]), {"required": True, "ok": False})
            st, doc = rpc(url, "link.list")
            self.assertEqual(st, 401)
            self.assertEqual(http(url, path="/snapshots/1/full.png")[0], 401)
            with self.assertRaises(ConnectionError):
                WebSocket(url)
            st, doc = rpc(url, "daemon.ping", headers={"Authorization": "Bearer " + TOKEN})
            self.assertEqual(st, 200)
            j = {"Origin": url, "Content-Type": "application/json"}
            st, h, body = http(url, "POST", "/login", json.dumps({"token": "wrong-token"}), j)
            self.assertEqual(st, 403)
            st, h, body = http(url, "POST", "/login", json.dumps({"token": TOKEN}), {"Content-Type": "application/json"})
            self.assertEqual(st, 403)   # login needs the page's Origin too
            st, h, body = http(url, "POST", "/login", json.dumps({"token": TOKEN}), j)
            self.assertEqual(st, 200)
            cookie = h["set-cookie"]
            for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
                self.assertIn(attr, cookie)
            session = cookie.split(";")[0]
            st, doc = rpc(url, "link.list", headers={"Cookie": session})
            self.assertEqual(st, 200)
            self.assertEqual(json.loads(http(url, path="/auth", headers={"Cookie": session})[2])["ok"], True)
            ws = WebSocket(url, headers={"Cookie": session})
            ws.close()
            http(url, "POST", "/logout", "", {"Origin": url, "Cookie": session})
            self.assertEqual(rpc(url, "link.list", headers={"Cookie": session})[0], 401)

    def test_http_off(self):
        with Daemon(http="off") as d:
            d.call("daemon.ping")
            self.assertNotIn("web page at", d.read_log())

    def test_bad_listen_refused(self):
        for bad in ("nope", "127.0.0.1:99999", "127.0.0.1:", ":8750"):
            d = Daemon(http=bad)
            with self.assertRaises(RuntimeError, msg=bad) as cm:
                d.start()
            self.assertIn("http.listen", str(cm.exception))
            d.proc = None
            d.log.close()


if __name__ == "__main__":
    main()

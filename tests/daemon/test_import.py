"""test_import -- import.start/import.get through the real daemon: the real Firefox
exports with their expected counts and folder tags, every format, invalid lines reported
by number, re-import idempotence, a 20,000-line import (10 batches, 8 read chunks) while
another client keeps being answered, bad params and unreadable files; a merged tag staying
merged when the same bookmarks come again (tag aliases), and export (CLI and GET /export)
read back by the import of a fresh daemon."""
import csv
import io
import json
import os
import re
import threading
import time
import urllib.request

from linksnap_test import SRC, Daemon, RpcError, TestCase, main

BOOKMARKS = os.path.join(SRC, "tests", "import", "data", "firefox")


def wait_import(d, iid, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = d.call("import.get", {"id": iid})
        if r["state"] != "running":
            return r
        time.sleep(0.05)
    raise AssertionError("import %d still running" % iid)


class ImportTests(TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(BOOKMARKS):
            raise AssertionError("test data missing: %s" % BOOKMARKS)
        cls.d = Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def run_import(self, **params):
        params.setdefault("capture", False)
        iid = self.d.call("import.start", params)["import_id"]
        return wait_import(self.d, iid)

    def test_firefox_exports_expected_counts(self):
        expected = {"firefox-preplaces.html": (8, 0), "firefox-corrupt.html": (9, 1),
                    "firefox-singleframe.html": (1, 0), "firefox-sync.html": (2, 0),
                    "firefox-localized.html": (1, 0)}
        for name, (links, invalid) in expected.items():
            r = self.run_import(path=os.path.join(BOOKMARKS, name), tags=["ff-" + name[:-5]])
            self.assertEqual(r["state"], "done", r)
            self.assertEqual(r["added"] + r["existing"], links, (name, r))
            self.assertEqual(r["invalid"], invalid, (name, r))
            self.assertEqual(len(r["errors"]), invalid, r)
            listed = self.d.call("link.list", {"tags_all": ["ff-" + name[:-5]], "limit": 500})["links"]
            self.assertEqual(len(listed), links, name)
        # preplaces: the link in folder "test" carries the folder tag, its date and description
        link = self.d.call("link.get", {"url": "http://test/post"})["link"]
        self.assertIn("test", link["tags"])
        self.assertEqual(link["description"], "item description")
        self.assertTrue(link["created_at"].startswith("2007-04-24"), link)
        # sync: TAGS="browser" inside the toolbar folder
        tagged = [l for l in self.d.call("link.list", {"tags_all": ["ff-firefox-sync", "browser"]})["links"]]
        self.assertEqual(len(tagged), 1)
        self.assertTrue(tagged[0]["created_at"].startswith("2016-08-16"), tagged[0])
        # the corrupt file's invalid entry is reported with its line
        r = self.run_import(path=os.path.join(BOOKMARKS, "firefox-corrupt.html"))
        self.assertEqual(r["added"], 0)
        self.assertEqual(r["existing"], 9)
        self.assertGreater(r["errors"][0]["line"], 0)

    def test_formats_inline(self):
        csv = 'url,title,tags\nhttps://csv.example/1,"A, title","x,y"\n"https://csv.example/2","multi\nline",z\nnot a url,t,\n'
        r = self.run_import(content=csv, format="csv")
        self.assertEqual((r["added"], r["invalid"]), (2, 1), r)
        self.assertEqual(r["errors"][0]["line"], 5)
        link = self.d.call("link.get", {"url": "https://csv.example/1"})["link"]
        self.assertEqual(link["title"], "A, title")
        self.assertEqual(sorted(link["tags"]), ["x", "y"])
        jsonl = '{"url":"https://jl.example/1","tags":["数据库"]}\n{"href":"https://jl.example/2","tags":"a b"}\n{broken\n'
        r = self.run_import(content=jsonl)
        self.assertEqual((r["added"], r["invalid"]), (2, 1), r)
        arr = json.dumps([{"url": "https://arr.example/%d" % i, "title": "t%d" % i} for i in range(50)])
        r = self.run_import(content=arr)
        self.assertEqual(r["added"], 50, r)
        self.assertEqual(r["format"], "auto")

    def test_reimport_adds_nothing_but_merges_tags(self):
        text = "".join("https://re.example/%d\n" % i for i in range(20))
        r1 = self.run_import(content=text, tags=["first"])
        self.assertEqual((r1["added"], r1["existing"]), (20, 0))
        r2 = self.run_import(content=text, tags=["second"])
        self.assertEqual((r2["added"], r2["existing"]), (0, 20))
        link = self.d.call("link.get", {"url": "https://re.example/7"})["link"]
        self.assertEqual(sorted(link["tags"]), ["first", "second"])

    def test_import_object_byte_for_byte(self):
        """import.get's object as it has always been written: keys in this order, errors
        and tags as arrays, capture a boolean, times RFC 3339 (finished_at null while not
        finished), text as UTF-8."""
        r = self.run_import(content="https://bytes.import.test/1\nnot a url\nftp://x/\n",
                            format="text", tags=["Rust", "später"])
        with self.d.client() as c:
            c.send_raw((json.dumps(c.request("import.get", {"id": r["id"]}, id=7)) + "\n").encode())
            line = c.read_line().decode()
        stamp = r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"'
        want = ('{"jsonrpc":"2.0","id":7,"result":{"id":%d,"source":"(content)","format":"text",'
                '"state":"done","lines":3,"added":1,"existing":0,"invalid":2,"errors":['
                '{"line":2,"reason":"not a URL: not a url (expected http:// or https://)",'
                '"code":"url_not_a_url","params":{"text":"not a url"}},'
                '{"line":3,"reason":"unsupported URL scheme \'ftp\' (only http and https)",'
                '"code":"url_bad_scheme","params":{"scheme":"ftp"}}],'
                '"error":null,"tags":["Rust","später"],"capture":false,"created_at":STAMP,'
                '"finished_at":STAMP,"error_data":null}}' % r["id"])
        self.assertRegex(line, "^" + re.escape(want).replace("STAMP", stamp) + "$")

    def test_reasons_carry_codes(self):
        """Each invalid line's reason and a failed import's error get their stable code and
        params (docs/protocol.md, "Error codes"); a reason no code names keeps only its text."""
        r = self.run_import(content='{"url":"https://codes.example/1"}\n{"title":"no url"}\n'
                                    '"javascript:alert(1)"\n[1\n', format="jsonl")
        got = [(e["line"], e.get("code"), e.get("params")) for e in r["errors"]]
        self.assertIn((2, "import_json_no_url", {}), got, r)
        self.assertIn((3, "url_bad_scheme", {"scheme": "javascript"}), got, r)
        self.assertIn(4, [g[0] for g in got], r)
        self.assertEqual(r["error_data"], None)
        r = self.run_import(content="title,tags\nx,y\n", format="csv")
        self.assertEqual(r["state"], "failed", r)
        self.assertEqual(r["error_data"], {"code": "import_csv_no_url_column", "params": {}}, r)

    def test_bad_params(self):
        self.assertRpcError(-32602, self.d.call, "import.start", {})
        self.assertRpcError(-32602, self.d.call, "import.start", {"path": "/x", "content": "y"})
        self.assertRpcError(-32602, self.d.call, "import.start", {"path": "relative.txt"})
        self.assertRpcError(-32602, self.d.call, "import.start", {"content": "x", "format": "docx"})
        self.assertRpcError(-32602, self.d.call, "import.start", {"content": "x", "tags": ["a,b"]})
        e = self.assertRpcError(-32007, self.d.call, "import.start", {"path": "/nonexistent/file.txt"})
        self.assertIn("cannot read", e.message)
        self.assertRpcError(-32001, self.d.call, "import.get", {"id": 999999})

    def test_big_import_while_another_client_is_answered(self):
        """20,000 lines: ten batches of 2,000 entries (daemon/importer.c's BATCH_ENTRIES),
        each its own write transaction, read from the file in eight 64 KiB chunks (CHUNK), so
        reading waits on committing batches again and again while the other client is
        answered between them; every line counted and added. Till session 12 this was
        100,000 lines (50 batches of the same, ~60 s under ASan); TSan already ran 20,000."""
        n = 20_000
        path = os.path.join(self.d.root, "big.txt")
        with open(path, "w") as f:
            for i in range(n):
                f.write("https://big.example/%d\n" % i)
        self.assertGreater(os.path.getsize(path), 7 * 65536)   # spans several read chunks
        iid = self.d.call("import.start", {"path": path, "capture": False})["import_id"]
        answered, stop = [], threading.Event()

        def other():
            with self.d.client() as c:
                while not stop.is_set():
                    c.call("daemon.status")
                    answered.append(1)

        t = threading.Thread(target=other)
        t.start()
        r = wait_import(self.d, iid)
        stop.set()
        t.join()
        self.assertEqual(r["state"], "done", r)
        self.assertEqual(r["added"], n)
        self.assertEqual(r["lines"], n)
        self.assertGreater(len(answered), 10)   # the other client kept being served
        self.assertGreaterEqual(self.d.call("daemon.status")["links"], n)

    def test_merged_tag_stays_merged_on_reimport(self):
        """Issue 23: bookmarks with `kernel`, kernel merged into linux, the same file
        imported again: no `kernel` tag comes back, the links carry linux."""
        html = ('<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n'
                '<DT><A HREF="https://alias.example/1" TAGS="kernel,drivers">one</A>\n'
                '<DT><A HREF="https://alias.example/2" TAGS="kernel">two</A>\n</DL><p>\n')
        more = html.replace("alias.example/2", "alias.example/3")
        self.assertEqual(self.run_import(content=html)["added"], 2)
        self.d.call("link.add", {"url": "https://alias.example/0", "tags": ["linux"], "capture": False})
        out = self.d.cli("tag-merge", "kernel", "--into", "linux")
        self.assertEqual(out.returncode, 0, out.stderr)
        r = self.run_import(content=more)
        self.assertEqual((r["added"], r["existing"]), (1, 1), r)
        names = [t["name"] for t in self.d.call("tag.list")["tags"]]
        self.assertNotIn("kernel", names)
        for i in (1, 2, 3):
            link = self.d.call("link.get", {"url": "https://alias.example/%d" % i})["link"]
            self.assertIn("linux", link["tags"], link)
            self.assertNotIn("kernel", link["tags"], link)
        # the old name filters, in the CLI too, and is listed as an alias
        out = self.d.cli("--json", "ls", "-t", "kernel")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual({l["url"] for l in json.loads(out.stdout)["links"]},
                         {"https://alias.example/%d" % i for i in range(4)})
        self.assertEqual(self.d.call("tag.aliases")["aliases"], [{"alias": "kernel", "tag": "linux"}])
        out = self.d.cli("tag-aliases")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"kernel\s+linux")
        # unalias: kernel is free again and becomes a tag of its own
        out = self.d.cli("tag-unalias", "kernel")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("kernel no longer names linux", out.stdout)
        out = self.d.cli("tag-unalias", "kernel")
        self.assertEqual(out.returncode, 1)
        self.assertIn("'kernel' is not an alias", out.stderr)
        self.run_import(content=html)
        link = self.d.call("link.get", {"url": "https://alias.example/2"})["link"]
        self.assertEqual(sorted(link["tags"]), ["kernel", "linux"])

    def test_export_reads_back_into_a_fresh_daemon(self):
        """linksnap export --format netscape, imported by another linksnapd: the same links,
        titles, descriptions, tags and dates (to the second). GET /export streams the same
        links as JSON Lines and CSV (RFC 4180, formula cells guarded) as a download."""
        links = [
            {"url": "https://exp.example/a", "title": "Fish & <chips> \"quoted\"",
             "description": "a note, with a comma", "tags": ["exp", "数据库", "two words"]},
            {"url": "https://exp.example/b?q=1&r=2", "title": "=HYPERLINK(\"x\")",
             "tags": ["exp", "-minus"]},
            {"url": "https://exp.example/c", "tags": ["exp"]},
        ]
        for l in links:
            self.d.call("link.add", dict(l, capture=False))
        self.d.call("link.add", {"url": "https://exp.example/not-exported", "tags": ["other"],
                                 "capture": False})
        mine = {l["url"]: l for l in self.d.call("link.list", {"tags_all": ["exp"]})["links"]}
        self.assertEqual(len(mine), 3)
        path = os.path.join(self.d.root, "export.html")
        out = self.d.cli("export", "--format", "netscape", "-o", path, "-t", "exp")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("exported 3 links", out.stderr)
        with Daemon() as fresh:
            iid = fresh.call("import.start", {"path": path, "capture": False})["import_id"]
            r = wait_import(fresh, iid)
            self.assertEqual((r["added"], r["invalid"]), (3, 0), r)
            back = {l["url"]: l for l in fresh.call("link.list", {})["links"]}
        self.assertEqual(set(back), set(mine))
        for url, l in mine.items():
            b = back[url]
            self.assertEqual(b["title"], l["title"], url)
            self.assertEqual(b["description"], l["description"], url)
            self.assertEqual(sorted(b["tags"]), sorted(l["tags"]), url)
            self.assertEqual(b["created_at"][:19], l["created_at"][:19], url)
        # over HTTP, with a filter: JSON Lines and CSV, as attachments
        def get(query):
            req = urllib.request.Request(self.d.web_url + "/export?" + query,
                                         headers={"Authorization": "Bearer " + self.d.token})
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.headers, resp.read().decode()
        hdrs, body = get("format=jsonl&tags_all=exp&sort=title")
        self.assertIn("attachment", hdrs["Content-Disposition"])
        self.assertIn(".jsonl", hdrs["Content-Disposition"])
        rows = [json.loads(line) for line in body.splitlines()]
        self.assertEqual({r["url"] for r in rows}, set(mine))
        self.assertEqual([r["title"] for r in rows],
                         sorted((l["title"] for l in mine.values()), key=lambda t: (t is None, (t or "").lower())))
        hdrs, body = get("format=csv&tags_all=exp")
        self.assertTrue(hdrs["Content-Type"].startswith("text/csv"), hdrs)
        self.assertIn("\r\n", body)
        cells = list(csv.DictReader(io.StringIO(body, newline="")))
        self.assertEqual(len(cells), 3)
        byurl = {c["url"]: c for c in cells}
        self.assertEqual(byurl["https://exp.example/b?q=1&r=2"]["title"], "'=HYPERLINK(\"x\")")
        self.assertIn("'-minus", byurl["https://exp.example/b?q=1&r=2"]["tags"])
        self.assertEqual(byurl["https://exp.example/a"]["title"], links[0]["title"])
        # no token, no export; a format it does not write is refused
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(self.d.web_url + "/export?format=csv", timeout=30)
        self.assertEqual(e.exception.code, 401)
        with self.assertRaises(urllib.error.HTTPError) as e:
            get("format=xlsx")
        self.assertEqual(e.exception.code, 400)
        # a filter link.list refuses: its message, as JSON, not a download
        with self.assertRaises(urllib.error.HTTPError) as e:
            get("format=csv&sort=size")
        self.assertEqual(e.exception.code, 400)
        self.assertNotIn("Content-Disposition", e.exception.headers)
        self.assertIn("param 'sort' must be", json.loads(e.exception.read())["error"]["message"])

    def test_events(self):
        with self.d.client() as c:
            c.call("events.subscribe", {"topics": ["import"]})
            iid = c.call("import.start", {"content": "https://ev.example/1\n", "capture": False})["import_id"]
            ev = c.wait_event(lambda e: e["topic"] == "import.finished" and e["id"] == iid, timeout=60)
            self.assertEqual(ev["added"], 1)


if __name__ == "__main__":
    main()

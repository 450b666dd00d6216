"""test_import -- import.start/import.get through the real daemon: the real Firefox
exports with their expected counts and folder tags, every format, invalid lines reported
by number, re-import idempotence, a 100k-line import while another client keeps being
answered, bad params and unreadable files."""
import json
import os
import re
import threading
import time

from linksnap_test import Daemon, RpcError, TestCase, main, SRC

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
                '{"line":2,"reason":"not a URL: not a url (expected http:// or https://)"},'
                '{"line":3,"reason":"unsupported URL scheme \'ftp\' (only http and https)"}],'
                '"error":null,"tags":["Rust","später"],"capture":false,"created_at":STAMP,'
                '"finished_at":STAMP}}' % r["id"])
        self.assertRegex(line, "^" + re.escape(want).replace("STAMP", stamp) + "$")

    def test_bad_params(self):
        self.assertRpcError(-32602, self.d.call, "import.start", {})
        self.assertRpcError(-32602, self.d.call, "import.start", {"path": "/x", "content": "y"})
        self.assertRpcError(-32602, self.d.call, "import.start", {"path": "relative.txt"})
        self.assertRpcError(-32602, self.d.call, "import.start", {"content": "x", "format": "docx"})
        self.assertRpcError(-32602, self.d.call, "import.start", {"content": "x", "tags": ["a,b"]})
        e = self.assertRpcError(-32007, self.d.call, "import.start", {"path": "/nonexistent/file.txt"})
        self.assertIn("cannot read", e.message)
        self.assertRpcError(-32001, self.d.call, "import.get", {"id": 999999})

    def test_100k_import_while_another_client_is_answered(self):
        path = os.path.join(self.d.root, "big.txt")
        with open(path, "w") as f:
            for i in range(100_000):
                f.write("https://big.example/%d\n" % i)
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
        self.assertEqual(r["added"], 100_000)
        self.assertEqual(r["lines"], 100_000)
        self.assertGreater(len(answered), 10)   # the other client kept being served
        self.assertGreaterEqual(self.d.call("daemon.status")["links"], 100_000)

    def test_events(self):
        with self.d.client() as c:
            c.call("events.subscribe", {"topics": ["import"]})
            iid = c.call("import.start", {"content": "https://ev.example/1\n", "capture": False})["import_id"]
            ev = c.wait_event(lambda e: e["topic"] == "import.finished" and e["id"] == iid, timeout=60)
            self.assertEqual(ev["added"], 1)


if __name__ == "__main__":
    main()

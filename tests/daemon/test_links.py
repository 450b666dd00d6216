"""test_links -- links and tags end to end through the real daemon: every link.* and tag.*
method, their errors, link.count against link.list, snapshot.request by filter, Chinese tags, filters and pagination, wrong types in every param,
and durability (500 pipelined acknowledged link.add survive kill -9)."""
import json
import os

from linksnap_test import Daemon, RpcError, TestCase, main


class LinkTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()   # also runs integrity_check on the store

    def add(self, url, **kw):
        p = {"url": url, "capture": False}
        p.update(kw)
        return self.d.call("link.add", p)

    def test_add_normalises_and_dedupes(self):
        r = self.add("HTTP://Example.COM:80/a?utm_source=x&b=2#frag", tags=["Reading"])
        self.assertTrue(r["created"])
        link = r["link"]
        self.assertEqual(link["url"], "http://example.com/a?b=2")
        self.assertEqual(link["tags"], ["Reading"])
        for key in ("id", "url", "title", "description", "tags", "created_at", "updated_at", "last_snapshot"):
            self.assertIn(key, link)
        self.assertRegex(link["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        r2 = self.add("http://example.com/a?b=2&utm_medium=y", tags=["later", "READING"])
        self.assertFalse(r2["created"])
        self.assertEqual(r2["link"]["id"], link["id"])
        self.assertEqual(sorted(r2["link"]["tags"]), ["Reading", "later"])

    def test_bad_urls(self):
        for url, word in [("ftp://example.com/", "ftp"), ("file:///etc/passwd", "file"),
                          ("javascript:alert(1)", "javascript"), ("data:text/html,x", "data"),
                          ("not a url", ""), ("http://" + "a" * 9000 + ".com/", "")]:
            e = self.assertRpcError(-32602, self.add, url)
            if word:
                self.assertIn(word, e.message)

    def test_chinese_tags_end_to_end(self):
        link = self.add("https://例子.测试/页面", tags=["数据库", "  网络   编程 "],
                        title="中文标题")["link"]
        self.assertTrue(link["url"].startswith("https://xn--"), link["url"])
        self.assertEqual(sorted(link["tags"]), sorted(["数据库", "网络 编程"]))
        got = self.d.call("link.get", {"id": link["id"]})["link"]
        self.assertEqual(got["title"], "中文标题")
        listed = self.d.call("link.list", {"tags_all": ["数据库"]})["links"]
        self.assertIn(link["id"], [l["id"] for l in listed])
        names = [t["name"] for t in self.d.call("tag.list")["tags"]]
        self.assertIn("数据库", names)
        self.assertIn("网络 编程", names)

    def test_get_by_url_and_not_found(self):
        link = self.add("https://get.example/x")["link"]
        self.assertEqual(self.d.call("link.get", {"url": "HTTPS://GET.example/x"})["link"]["id"], link["id"])
        self.assertRpcError(-32001, self.d.call, "link.get", {"id": 99999999})
        self.assertRpcError(-32001, self.d.call, "link.get", {"url": "https://nowhere.example/"})
        self.assertRpcError(-32602, self.d.call, "link.get", {})

    def test_update_tag_untag_delete(self):
        link = self.add("https://edit.example/")["link"]
        u = self.d.call("link.update", {"id": link["id"], "title": "T", "description": "D"})["link"]
        self.assertEqual((u["title"], u["description"]), ("T", "D"))
        t = self.d.call("link.tag", {"id": link["id"], "add": ["x1", "x2"], "remove": []})["link"]
        self.assertEqual(sorted(t["tags"]), ["x1", "x2"])
        t = self.d.call("link.tag", {"id": link["id"], "remove": ["X1"]})["link"]
        self.assertEqual(t["tags"], ["x2"])
        self.assertEqual(self.d.call("link.delete", {"id": link["id"]}), {"deleted": True, "id": link["id"]})
        self.assertRpcError(-32001, self.d.call, "link.get", {"id": link["id"]})
        self.assertRpcError(-32001, self.d.call, "link.delete", {"id": link["id"]})
        self.assertRpcError(-32001, self.d.call, "link.update", {"id": link["id"], "title": "x"})

    def test_filters_and_pagination(self):
        ids = {}
        for i in range(30):
            tags = ["pg"] + (["even"] if i % 2 == 0 else ["odd"]) + (["three"] if i % 3 == 0 else [])
            ids[i] = self.add("https://page.example/%d" % i, tags=tags)["link"]["id"]
        seen = self.list_ids({"tags_all": ["pg"]}, limit=7)
        self.assertEqual(seen, sorted(ids.values(), reverse=True))  # newest first, no gaps, no repeats
        both = self.d.call("link.list", {"tags_all": ["even", "three"], "limit": 100})["links"]
        self.assertEqual(sorted(l["id"] for l in both), sorted(ids[i] for i in range(30) if i % 6 == 0))
        anyof = self.d.call("link.list", {"tags_any": ["odd", "three"], "tags_all": ["pg"], "limit": 100})["links"]
        self.assertEqual(len(anyof), len([i for i in range(30) if i % 2 or i % 3 == 0]))
        none = self.d.call("link.list", {"tags_all": ["pg"], "tags_none": ["even"], "limit": 100})["links"]
        self.assertEqual(len(none), 15)
        q = self.d.call("link.list", {"q": "page.example/2", "limit": 100})["links"]
        self.assertEqual(sorted(l["url"] for l in q), sorted("https://page.example/%d" % i for i in range(30) if str(i).startswith("2")))
        untagged = self.add("https://untagged.example/")["link"]
        u = self.d.call("link.list", {"untagged": True, "limit": 500})["links"]
        self.assertIn(untagged["id"], [l["id"] for l in u])
        self.assertTrue(all(l["tags"] == [] for l in u))

    def test_tag_list_rename_merge_delete(self):
        for i in range(3):
            self.add("https://tags.example/%d" % i, tags=["Alpha", "beta"])
        self.add("https://tags.example/9", tags=["gamma"])
        tags = {t["name"]: t["count"] for t in self.d.call("tag.list")["tags"]}
        self.assertEqual((tags["Alpha"], tags["beta"], tags["gamma"]), (3, 3, 1))
        lst = self.d.call("tag.list")["tags"]
        self.assertEqual(lst, sorted(lst, key=lambda t: (-t["count"], t["name"])))
        r = self.d.call("tag.rename", {"from": "gamma", "to": "Γάμμα"})
        self.assertEqual(r["tag"], {"name": "Γάμμα", "key": "γάμμα", "count": 1})
        r = self.d.call("tag.rename", {"from": "Γάμμα", "to": "alpha"})   # onto an existing tag: merge
        self.assertEqual(r["tag"]["count"], 4)
        r = self.d.call("tag.merge", {"from": ["beta"], "into": "Alpha"})
        self.assertEqual(r["tag"]["count"], 4)
        tags = {t["name"]: t["count"] for t in self.d.call("tag.list")["tags"]}
        self.assertNotIn("beta", tags)
        r = self.d.call("tag.delete", {"name": "ALPHA"})
        self.assertTrue(r["deleted"])
        self.assertEqual(r["links"], 4)
        self.assertRpcError(-32001, self.d.call, "tag.delete", {"name": "alpha"})
        self.assertRpcError(-32001, self.d.call, "tag.rename", {"from": "no-such-tag", "to": "x"})
        link = self.d.call("link.get", {"url": "https://tags.example/0"})["link"]
        self.assertEqual(link["tags"], [])

    def test_tag_apply(self):
        for i in range(5):
            self.add("https://apply.example/%d" % i, tags=["apply-src"])
        r = self.d.call("tag.apply", {"filter": {"tags_all": ["apply-src"]}, "add": ["applied"], "remove": ["apply-src"]})
        self.assertEqual(r["changed"], 5)
        self.assertEqual(len(self.d.call("link.list", {"tags_all": ["applied"]})["links"]), 5)
        self.assertEqual(self.d.call("link.list", {"tags_all": ["apply-src"]})["links"], [])

    def list_ids(self, f, limit=500):
        """Every id link.list gives for the filter f, through all its pages."""
        ids, cursor = [], None
        while True:
            p = dict(f, limit=limit)
            if cursor:
                p["cursor"] = cursor
            r = self.d.call("link.list", p)
            ids += [l["id"] for l in r["links"]]
            cursor = r["next_cursor"]
            if not cursor:
                return ids

    def test_link_count_is_what_the_list_pages_through(self):
        for i in range(7):
            tags = ["cnt-all", "cnt-even" if i % 2 == 0 else "cnt-odd"] + (["cnt-three"] if i < 3 else [])
            self.add("https://cnt.example/%d" % i, tags=tags, title="计数 %d" % i)
        self.add("https://cnt.example/untagged")
        filters = [{}, {"tags_all": ["cnt-even"]}, {"tags_any": ["cnt-odd", "cnt-three"]},
                   {"tags_all": ["cnt-all"], "tags_none": ["cnt-even"]}, {"q": "cnt.example"},
                   {"q": "计数", "tags_all": ["cnt-three"]}, {"untagged": True}, {"broken": True},
                   {"tags_all": ["cnt-no-such-tag"]}, {"tags_any": ["cnt-no-such-tag"]}]
        for f in filters:
            self.assertEqual(self.d.call("link.count", f)["count"], len(self.list_ids(f)), f)
        self.assertEqual(self.d.call("link.count", {"tags_all": ["cnt-even"]})["count"], 4)
        self.assertEqual(self.d.call("link.count", {"q": "cnt.example"})["count"], 8)
        self.assertEqual(self.d.call("link.count", {"tags_all": ["cnt-no-such-tag"]})["count"], 0)
        # linksnap ls: a page of more says how many there are in all (stderr)
        out = self.d.cli("ls", "-t", "cnt-all", "--limit", "2")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("(7 links in all: --all lists every page", out.stderr)
        self.assertEqual(len([l for l in out.stdout.splitlines() if "计数" in l]), 2, out.stdout)
        out = self.d.cli("ls", "-t", "cnt-all")
        self.assertEqual(out.stderr, "")
        for bad in ({"limit": 5}, {"cursor": "x"}, {"q": 1}, {"tags_all": 3}, {"broken": "yes"},
                    {"q": "x" * 1001}):
            e = self.assertRpcError(-32602, self.d.call, "link.count", bad)
            self.assertIn(next(iter(bad)), e.message)

    def test_snapshot_request_by_filter(self):
        ids = [self.add("https://recap.example/%d" % i, tags=["recap"])["link"]["id"] for i in range(3)]
        self.add("https://recap.example/other", tags=["recap-not"])
        with self.d.client() as c:
            c.call("events.subscribe", {"topics": ["job"]})
            r = self.d.call("snapshot.request", {"filter": {"tags_all": ["recap"]}, "formats": ["png", "pdf"]})
            self.assertEqual(r, {"matched": 3, "queued": 3, "already_queued": 0})
            seen = set()
            while len(seen) < 3:
                seen.add(c.wait_event(lambda e: e["topic"] == "job.queued", timeout=30)["link_id"])
            self.assertEqual(seen, set(ids))
        jobs = {j["link_id"]: j for j in self.d.call("job.list", {"state": "queued", "limit": 1000})["jobs"]}
        self.assertTrue(set(ids) <= set(jobs))
        # asked again: the same jobs, none new
        r = self.d.call("snapshot.request", {"filter": {"tags_all": ["recap"]}})
        self.assertEqual(r, {"matched": 3, "queued": 0, "already_queued": 3})
        self.assertEqual(self.d.call("snapshot.request", {"filter": {"tags_all": ["recap-none"]}}),
                         {"matched": 0, "queued": 0, "already_queued": 0})
        for bad, word in [({"filter": {"tags_all": ["recap"]}, "link_id": ids[0]}, "filter"),
                          ({"filter": {"tags_all": ["recap"]}, "url": "https://recap.example/0"}, "filter"),
                          ({"filter": []}, "filter"), ({"filter": {"limit": 5}}, "limit"),
                          ({"filter": {"tags_all": 3}}, "tags_all"),
                          ({"filter": {}, "formats": ["gif"]}, "formats")]:
            e = self.assertRpcError(-32602, self.d.call, "snapshot.request", bad)
            self.assertIn(word, e.message)
        # bounded: over 1000 matches is refused whole, nothing queued
        with self.d.client() as c:
            replies = c.pipeline([("link.add", {"url": "https://recap-many.example/%d" % i, "tags": ["recap-many"],
                                                "capture": False}) for i in range(1001)])
        self.assertTrue(all("result" in x for x in replies))
        e = self.assertRpcError(-32602, self.d.call, "snapshot.request", {"filter": {"tags_all": ["recap-many"]}})
        self.assertIn("1000", e.message)
        some = replies[0]["result"]["link"]["id"]
        self.assertIsNone(self.d.call("link.get", {"id": some})["link"]["last_snapshot"])
        # tag.apply takes the same filter keys, broken among them
        self.assertEqual(self.d.call("tag.apply", {"filter": {"broken": True, "tags_all": ["recap"]},
                                                   "add": ["recap-broken"]})["changed"], 0)

    def test_bad_tags(self):
        for tag in ["", "   ", "a,b", "x" * 65, "bad\x01tag"]:
            self.assertRpcError(-32602, self.add, "https://badtag.example/", tags=[tag])
        self.add("https://badtag.example/ok", tags=["字" * 64])   # 64 characters, 192 bytes: fine

    def test_wrong_types_in_every_param(self):
        link = self.add("https://types.example/")["link"]
        cases = {
            "link.add": {"url": 5, "tags": 5, "title": [], "description": {}, "capture": "yes"},
            "link.get": {"id": "x", "url": 7},
            "link.list": {"tags_all": 1, "tags_any": {}, "tags_none": 2, "untagged": "no", "q": 1,
                          "limit": "10", "cursor": 5},
            "link.update": {"id": "1", "title": 1, "description": 2},
            "link.delete": {"id": []},
            "link.tag": {"id": {}, "add": 1, "remove": 2},
            "tag.apply": {"filter": [], "add": 1, "remove": 2},
            "tag.rename": {"from": 1, "to": 2},
            "tag.merge": {"from": "x", "into": 3},
            "tag.delete": {"name": 1},
        }
        valid = {
            "link.add": {"url": "https://types.example/2", "capture": False},
            "link.get": {"id": link["id"]},
            "link.list": {},
            "link.update": {"id": link["id"]},
            "link.delete": {"id": link["id"]},
            "link.tag": {"id": link["id"]},
            "tag.apply": {"filter": {}},
            "tag.rename": {"from": "a", "to": "b"},
            "tag.merge": {"from": ["a"], "into": "b"},
            "tag.delete": {"name": "a"},
        }
        for method, params in cases.items():
            for name, bad in params.items():
                if method == "tag.merge" and name == "from":
                    continue  # a single string is accepted as a one-element list
                p = dict(valid[method])
                p[name] = bad
                e = self.assertRpcError(-32602, self.d.call, method, p)
                self.assertIn(name, e.message, (method, name, e.message))
            p = dict(valid[method])
            p["no_such_param"] = 1
            e = self.assertRpcError(-32602, self.d.call, method, p)
            self.assertIn("no_such_param", e.message)
        for bad_limit in (0, 501, -1):
            self.assertRpcError(-32602, self.d.call, "link.list", {"limit": bad_limit})
        self.assertRpcError(-32602, self.d.call, "link.list", {"cursor": "garbage!"})

    def test_events_for_writes(self):
        with self.d.client() as c:
            c.call("events.subscribe", {"topics": ["link", "tag"]})
            self.add("https://events.example/", tags=["evt"])
            ev = c.wait_event(lambda e: e["topic"] == "link.added", timeout=30)
            self.assertEqual(ev["link"]["url"], "https://events.example/")
            self.d.call("tag.rename", {"from": "evt", "to": "evt2"})
            ev = c.wait_event(lambda e: e["topic"].startswith("tag."), timeout=30)
            self.assertEqual(ev["topic"], "tag.renamed")

    def test_pipelined_writes_then_read_sees_them(self):
        with self.d.client() as c:
            calls = [("link.add", {"url": "https://ryw.example/%d" % i, "capture": False}) for i in range(100)]
            calls.append(("link.list", {"q": "ryw.example", "limit": 500}))
            replies = c.pipeline(calls)
            self.assertTrue(all("result" in r for r in replies[:-1]))
            self.assertEqual(len(replies[-1]["result"]["links"]), 100)

    def test_capture_true_enqueues_a_job(self):
        link = self.d.call("link.add", {"url": "https://queued.example/"})["link"]
        st = self.d.call("daemon.status")
        self.assertGreaterEqual(st["queue"]["queued"] + st["queue"]["running"], 1)
        self.assertIsNotNone(link["last_snapshot"])
        self.assertIn(link["last_snapshot"]["state"], ("queued", "running", "ok", "partial", "failed"))


class BusyTests(TestCase):
    def test_locked_database_gives_store_busy_and_nothing_half_written(self):
        import sqlite3
        with Daemon() as d:
            d.call("link.add", {"url": "https://busy.example/0", "capture": False})
            other = sqlite3.connect(d.db_path, timeout=1, isolation_level=None)
            other.execute("BEGIN EXCLUSIVE")      # another process holds the write lock
            try:
                e = self.assertRpcError(-32003, d.call, "link.add",
                                        {"url": "https://busy.example/1", "capture": False})
                self.assertIn("locked", e.message)
            finally:
                other.execute("ROLLBACK")
                other.close()
            # the daemon recovers by itself once the lock is gone
            r = d.call("link.add", {"url": "https://busy.example/1", "capture": False})
            self.assertTrue(r["created"])
            self.assertEqual(d.call("daemon.status")["links"], 2)


class DurabilityTests(TestCase):
    def test_500_pipelined_adds_survive_kill9(self):
        d = Daemon().start()
        with d.client() as c:
            replies = c.pipeline([("link.add", {"url": "https://durable.example/%d" % i, "tags": ["耐久"],
                                                "capture": False}) for i in range(500)])
        self.assertTrue(all("result" in r and r["result"]["created"] for r in replies))
        d.kill9()
        self.assertTrue(d.integrity_check())
        d.start()
        got = set()
        cursor = None
        while True:
            p = {"tags_all": ["耐久"], "limit": 500}
            if cursor:
                p["cursor"] = cursor
            r = d.call("link.list", p)
            got |= {l["url"] for l in r["links"]}
            cursor = r["next_cursor"]
            if not cursor:
                break
        self.assertEqual(got, {"https://durable.example/%d" % i for i in range(500)})
        self.assertEqual({t["name"]: t["count"] for t in d.call("tag.list")["tags"]}["耐久"], 500)
        self.assertTrue(d.integrity_check())
        d.close()


if __name__ == "__main__":
    main()

"""test_names -- names people read through the real daemon and CLI: the RPC gives
both url and display_url, `ls`, `show` and `jobs` print the Unicode form, `ls -q` finds a
link by it, homographs stay punycode, one tag for full-width/case/ß variants (add, filter,
rename, merge), and a schema-4 database (tests/store/data/v4_tags.sql) migrated at start
with every merge in the log."""
import json
import os
import sqlite3
import tempfile

from linksnap_test import Daemon, TestCase, main

SRC = os.environ.get("LINKSNAP_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))


class DisplayTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def add(self, url, **kw):
        p = {"url": url, "capture": False}
        p.update(kw)
        return self.d.call("link.add", p)["link"]

    def test_rpc_gives_both_forms(self):
        link = self.add("https://例子.测试/路径?q=中文")
        self.assertEqual(link["url"], "https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84?q=%E4%B8%AD%E6%96%87")
        self.assertEqual(link["display_url"], "https://例子.测试/路径?q=中文")
        got = self.d.call("link.get", {"id": link["id"]})["link"]
        self.assertEqual(got["display_url"], link["display_url"])
        listed = self.d.call("link.list", {"q": "例子"})["links"]
        self.assertEqual([l["id"] for l in listed], [link["id"]])
        self.assertEqual(listed[0]["display_url"], link["display_url"])

    def test_homograph_stays_punycode(self):
        link = self.add("https://pаypal.com/")   # Cyrillic а
        self.assertEqual(link["url"], "https://xn--pypal-4ve.com/")
        self.assertEqual(link["display_url"], "https://xn--pypal-4ve.com/")
        link = self.add("https://example.com/a%E2%80%AEb")   # right-to-left override
        self.assertEqual(link["display_url"], "https://example.com/a%E2%80%AEb")

    def test_cli_prints_unicode(self):
        link = self.add("https://bücher.example/straße")
        out = self.d.cli("ls", "-q", "bücher")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("bücher.example/straße", out.stdout)
        self.assertNotIn("xn--", out.stdout)
        out = self.d.cli("show", str(link["id"]))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("url:         https://bücher.example/straße\n", out.stdout)
        self.assertIn("stored as:   https://xn--bcher-kva.example/stra%C3%9Fe\n", out.stdout)
        out = self.d.cli("--json", "show", str(link["id"]))
        self.assertEqual(out.returncode, 0, out.stderr)
        got = json.loads(out.stdout)["link"]
        self.assertEqual(got["url"], "https://xn--bcher-kva.example/stra%C3%9Fe")
        self.assertEqual(got["display_url"], "https://bücher.example/straße")
        self.d.call("snapshot.request", {"link_id": link["id"]})
        out = self.d.cli("jobs")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("https://bücher.example/straße", out.stdout)
        jobs = self.d.call("job.list", {})["jobs"]
        self.assertIn("https://bücher.example/straße", [j["display_url"] for j in jobs])

    def test_one_tag_for_full_width_case_and_sharp_s(self):
        a = self.add("https://tags.example/a", tags=["Ｄａｔａｂａｓｅ", "Straße"])
        b = self.add("https://tags.example/b", tags=["database", "STRASSE", "数据库"])
        c = self.add("https://tags.example/c", tags=["DATABASE", "數據庫"])
        self.assertEqual(b["tags"], ["Ｄａｔａｂａｓｅ", "Straße", "数据库"])
        self.assertEqual(c["tags"], ["Ｄａｔａｂａｓｅ", "數據庫"])
        tags = {t["name"]: t for t in self.d.call("tag.list")["tags"]}
        self.assertEqual(tags["Ｄａｔａｂａｓｅ"]["count"], 3)
        self.assertEqual(tags["Ｄａｔａｂａｓｅ"]["key"], "database")
        self.assertEqual(tags["Straße"]["key"], "strasse")
        self.assertNotIn("database", tags)
        ids = {l["id"] for l in self.d.call("link.list", {"tags_all": ["ＤＡＴＡＢＡＳＥ"]})["links"]}
        self.assertEqual(ids, {a["id"], b["id"], c["id"]})
        out = self.d.cli("ls", "-t", "strasse")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.count("tags.example/"), 2, out.stdout)
        r = self.d.call("tag.rename", {"from": "DATABASE", "to": "database"})
        self.assertEqual(r["tag"]["name"], "database")
        self.assertEqual(r["tag"]["count"], 3)
        r = self.d.call("tag.merge", {"from": ["數據庫"], "into": "数据库"})
        self.assertEqual(r["tag"]["count"], 2)   # different words, merged only when asked


class MigrationTests(TestCase):
    def test_v4_database_merges_and_logs(self):
        root = tempfile.mkdtemp(prefix="linksnap-test-")
        state = os.path.join(root, "state")
        os.mkdir(state, 0o700)
        with open(os.path.join(SRC, "tests", "store", "data", "v4_tags.sql"), encoding="utf-8") as f:
            script = f.read()
        db = sqlite3.connect(os.path.join(state, "linksnap.db"))
        db.executescript(script)
        db.close()
        d = Daemon(state_dir=state).start()
        try:
            log = d.read_log()
            self.assertIn("tags: 'database' merged into 'Ｄａｔａｂａｓｅ' (3 links)", log)
            self.assertIn("tags: 'STRASSE' merged into 'Straße' (1 links)", log)
            self.assertIn("merged 6 tags", log)
            self.assertGreaterEqual(d.sql("PRAGMA user_version")[0][0], 5)   # 6 follows
            names = {t["name"]: t["count"] for t in d.call("tag.list")["tags"]}
            self.assertEqual(names["Ｄａｔａｂａｓｅ"], 4)
            self.assertIn("数据库", names)
            self.assertIn("數據庫", names)
            link = d.call("link.get", {"url": "https://例子.测试/路径"})["link"]
            self.assertEqual(link["display_url"], "https://例子.测试/路径")
        finally:
            d.close()
        # a second start has nothing to merge
        d = Daemon(state_dir=state).start()
        try:
            self.assertEqual(d.read_log().count("merged into"), 6)
        finally:
            d.close()


if __name__ == "__main__":
    main()

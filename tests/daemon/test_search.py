"""test_search -- full-text search through the real daemon: link.list's q over page texts
(seeded through the store API by tests/store/search_tool, as the capture side brings no
text yet) with match snippets, sorts and cursors over the socket, q's limits, query syntax
inert, tag.apply's filter by text, and linksnapd killed with SIGKILL at several points:
while search.reindex / `linksnap reindex` rebuilds the index, and while captures (made by
the scripted browser, tests/lib/fakecdp.c) write texts and their index rows. Each time the
index is never out of step with the stored text: FTS5 integrity-check through the store
(search_tool check: Python's sqlite3 has no linksnap tokenizer), the indexed rowids (the
FTS table's docsize rows) are exactly the links' newest texts, and every capture the
daemon reported finished has its text and is found by its words; a rerun completes."""
import json
import os
import random
import shutil
import sqlite3
import subprocess
import tempfile

from linksnap_test import BUILD, Daemon, RpcError, TestCase, main

TOOL = os.path.join(BUILD, "tests", "store", "search_tool")
N = 1500


def tool(*args):
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=300)


def index_rows(db_path):
    """What the full-text index holds against what it should: (indexed, fts, newest), dicts
    and a set read with plain sqlite3 -- text_indexed {link: snapshot}, the FTS rowids (its
    docsize shadow rows, one per indexed document) and each link's newest stored text
    {link: snapshot}. Every capture in these tests is good (ok, 200, not blank), so the
    newest text is the one that must be indexed."""
    db = sqlite3.connect(db_path, timeout=30)
    try:
        bad = db.execute("SELECT count(*) FROM page_texts p JOIN snapshots n ON n.id = p.snapshot_id"
                         " WHERE n.state <> 'ok' OR n.http_status >= 400 OR n.blank").fetchone()[0]
        assert bad == 0, "%d texts of captures that are not good" % bad
        indexed = dict(db.execute("SELECT link_id, snapshot_id FROM text_indexed"))
        fts = {r[0] for r in db.execute("SELECT id FROM text_fts_docsize")}
        newest = dict(db.execute("SELECT link_id, max(snapshot_id) FROM page_texts GROUP BY link_id"))
        return indexed, fts, newest
    finally:
        db.close()


class SearchTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon()
        os.makedirs(cls.d.state_dir, mode=0o700)
        r = tool("seed", cls.d.db_path, str(N))
        assert r.returncode == 0, r.stderr
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def check(self, q="common"):
        r = tool("check", self.d.db_path, q)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return dict(kv.split("=") for kv in r.stdout.split())

    def test_1_q_matches_text_with_snippets(self):
        r = self.d.call("link.list", {"q": "网络", "limit": 5})
        self.assertEqual(len(r["links"]), 5)
        for link in r["links"]:
            m = link["match"]
            self.assertEqual(m["in"], "text")
            hits = [s["text"] for s in m["snippet"] if s["hit"]]
            self.assertTrue(hits)
            self.assertEqual(set(hits), {"网络"})
            self.assertTrue(all(set(s) == {"text", "hit"} for s in m["snippet"]))
        # the address still matches by substring, without a match object
        r = self.d.call("link.list", {"q": "seed.test/12", "sort": "added", "limit": 500})
        self.assertTrue(r["links"])
        self.assertTrue(all("match" not in l for l in r["links"]))
        # one character of CJK, a Greek word without its accent, every word in any order
        self.assertEqual(len(self.d.call("link.list", {"q": "marker15 猫", "limit": 500})["links"]), 1)
        self.assertTrue(self.d.call("link.list", {"q": "ελληνικα"})["links"])
        self.assertEqual([l["url"] for l in self.d.call("link.list", {"q": "marker7 page"})["links"]][:1],
                         ["https://seed.test/7"])

    def test_2_sorts_page_stably_over_the_socket(self):
        for sort in ("relevance", "added", "title", "captured", "host"):
            seen, cursor = [], None
            while True:
                p = {"q": "alpha", "sort": sort, "limit": 37}
                if cursor:
                    p["cursor"] = cursor
                r = self.d.call("link.list", p)
                seen += [l["id"] for l in r["links"]]
                cursor = r["next_cursor"]
                if not cursor:
                    break
            self.assertEqual(len(seen), len(set(seen)), sort)
            self.assertEqual(len(seen), 2 * N // 10 - N // 100, sort)   # alpha as first or second word
        self.assertRpcError(-32602, self.d.call, "link.list", {"sort": "title", "cursor": "12"})
        self.assertRpcError(-32602, self.d.call, "link.list", {"sort": "newest"})

    def test_3_q_limits_and_inert_syntax(self):
        self.assertRpcError(-32602, self.d.call, "link.list", {"q": "猫" * 1001})
        self.d.call("link.list", {"q": "猫" * 1000})
        for q in ['"common', "NEAR(common", "common OR x", "-common", "*", "common*", "\x01common\x7f",
                  "common AND", "text: common", "^common"]:
            self.d.call("link.list", {"q": q})
        self.assertEqual(len(self.d.call("link.list", {"q": "-marker5 page", "limit": 500})["links"]), 1)

    def test_4_tag_apply_filter_by_text(self):
        r = self.d.call("tag.apply", {"filter": {"q": "marker9"}, "add": ["nine"]})
        self.assertEqual(r["changed"], 1 + 10 + 100)   # marker9, marker9X, marker9XX
        r = self.d.call("link.list", {"q": "marker9", "tags_all": ["nine"], "limit": 500})
        self.assertEqual(len(r["links"]), 111)

    def test_5_reindex_killed_never_out_of_step(self):
        d = self.d
        self.assertEqual(self.check(), {"indexed": str(N), "found": str(N)})
        for attempt in range(3):
            with d.client() as c:
                c.call("events.subscribe", {"topics": ["search.reindex"]})
                r = c.call("search.reindex")
                self.assertEqual(r["total"], N)
                # after 1, 2 and 3 chunks
                for _ in range(attempt + 1):
                    c.wait_event(lambda e: e.get("topic") == "search.reindex" and e["done"] > 0, 60)
            d.kill9()
            got = self.check()   # integrity-check passes and every indexed text is found
            self.assertEqual(got["indexed"], got["found"])
            self.assertInStep(d.db_path, complete=False)   # the rebuild was cut: part indexed
            d.start()
        r = d.cli("reindex")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("reindexed the text of %d links" % N, r.stdout)
        d.stop()
        self.assertEqual(self.check(), {"indexed": str(N), "found": str(N)})
        self.assertEqual(self.check("神经"), {"indexed": str(N), "found": str(2 * N // 10 - N // 100)})
        self.assertInStep(d.db_path)
        d.start()

    def assertInStep(self, db_path, complete=True):
        """The FTS rows are exactly the indexed texts, each a link's newest; with complete,
        every link's newest text is indexed."""
        indexed, fts, newest = index_rows(db_path)
        self.assertEqual(fts, set(indexed), "FTS rows without their text, or texts without FTS rows")
        self.assertEqual(indexed, {l: newest[l] for l in indexed if l in newest},
                         "an index entry that is not its link's newest text")
        if complete:
            self.assertEqual(set(indexed), set(newest), "texts left out of the index")
        return indexed

    def test_6_captures_killed_while_writing_texts_lose_nothing(self):
        """kill -9 while captures write texts (the text, text_indexed and FTS rows in the
        snapshot's writer transaction): nothing half-written, nothing acknowledged lost."""
        seed = random.randrange(1 << 30)
        rnd = random.Random(seed)
        rounds, batch = 3, 12
        fake_dir = tempfile.mkdtemp(prefix="linksnap-fakecdp-")
        scenario = os.path.join(fake_dir, "scenario.json")
        pages = [{"match": "/k%d-%d-end" % (r, i), "title": "Kill test page",
                  "text": "common words\nkillword%dx%dz " % (r, i) + "filler " * rnd.randrange(50, 2000)}
                 for r in range(rounds) for i in range(batch)]
        with open(scenario, "w") as f:
            json.dump({"pages": pages}, f)
        d = Daemon(capture=True, env={"FAKECDP_SCENARIO": scenario, "FAKECDP_STATE": fake_dir},
                   config="capture = on\nquiet_ms = 50\njobs = 4\nper_host_jobs = 0\njob_timeout = 10\nbrowser.path = %s\n"
                          "formats = png,text\n" % os.path.join(BUILD, "tests", "fakecdp"))
        acked = {}   # link id -> (snapshot id, its word)
        try:
            d.start()
            for r in range(rounds):
                with d.client() as c:
                    c.call("events.subscribe", {"topics": ["job"]})
                    words = {}
                    for i in range(batch):
                        lid = c.call("link.add", {"url": "http://127.0.0.1:9/k%d-%d-end" % (r, i)})["link"]["id"]
                        words[lid] = "killword%dx%dz" % (r, i)
                    stop = rnd.randrange(1, batch - 3)   # the kill lands while later captures write
                    for _ in range(stop):
                        ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] in words)
                        self.assertEqual(ev["state"], "ok", ev)
                        acked[ev["link_id"]] = (ev["snapshot"]["id"], words[ev["link_id"]])
                    d.kill9()
                got = tool("check", d.db_path, "common")
                self.assertEqual(got.returncode, 0, "seed %d: %s" % (seed, got.stdout + got.stderr))
                counts = dict(kv.split("=") for kv in got.stdout.split())
                self.assertEqual(counts["indexed"], counts["found"], "seed %d" % seed)
                indexed = self.assertInStep(d.db_path)
                for lid, (sid, word) in acked.items():   # every acknowledged text is there, indexed
                    self.assertEqual(indexed.get(lid), sid, "seed %d: link %d" % (seed, lid))
                    text = sqlite3.connect(d.db_path).execute(
                        "SELECT text FROM page_texts WHERE snapshot_id = ?", (sid,)).fetchone()
                    self.assertIn(word, text[0], "seed %d" % seed)
                d.start()   # the jobs cut short are queued again
            for lid, (sid, word) in acked.items():   # found by its words, in its text
                found = d.call("link.list", {"q": word})["links"]
                self.assertEqual([(l["id"], l["match"]["in"]) for l in found], [(lid, "text")], word)
            self.assertEqual(d.stop(), 0)   # with captures still running
            self.assertGreaterEqual(len(self.assertInStep(d.db_path)), len(acked))
        finally:
            d.close()
            shutil.rmtree(fake_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

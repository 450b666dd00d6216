"""test_search -- full-text search through the real daemon: link.list's q over page texts
(seeded through the store API by tests/store/search_tool, as the capture side brings no
text yet) with match snippets, sorts and cursors over the socket, q's limits, query syntax
inert, tag.apply's filter by text, and search.reindex / `linksnap reindex` killed with
SIGKILL at several points: the index never out of step with the stored text (FTS5
integrity-check through the store), and a rerun complete."""
import os
import subprocess

from linksnap_test import BUILD, Daemon, RpcError, TestCase, main

TOOL = os.path.join(BUILD, "tests", "store", "search_tool")
N = 1500


def tool(*args):
    return subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=300)


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
            d.start()
        r = d.cli("reindex")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("reindexed the text of %d links" % N, r.stdout)
        d.stop()
        self.assertEqual(self.check(), {"indexed": str(N), "found": str(N)})
        self.assertEqual(self.check("神经"), {"indexed": str(N), "found": str(2 * N // 10 - N // 100)})
        d.start()


if __name__ == "__main__":
    main()

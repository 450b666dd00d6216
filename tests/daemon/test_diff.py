"""test_diff -- snapshot.diff and `linksnap diff` against the real linksnapd, its store and
files, with captures made by the scripted browser (tests/lib/fakecdp.c). The fake draws
the same picture for every capture of a page (or random pixels, "noise", so that two
captures differ by sha256); the test then puts fixture screenshots of its own in those
captures' files (the diff reads the files; only the sha256 shortcut reads the store), so
the pictures are known: a page of text lines, the same with a paragraph inserted near the
top, a changed word lower down, another width, and two 30,000 px shots that keep a diff
busy while the loop must go on answering."""
import json
import os
import select

import pngread
from linepng import page_rows, write_png
from linksnap_test import BUILD, Daemon, RpcError, TestCase, main

FAKE = os.path.join(BUILD, "tests", "fakecdp")
PAGES = [
    {"match": "/noisy", "noise": True, "height": 300, "width": 400, "text": "alpha words"},
    {"match": "/other", "noise": True, "height": 300, "width": 400, "text": "beta words"},
    {"match": "/same", "height": 300, "width": 400},
    {"match": "/refused", "net_error": "net::ERR_CONNECTION_REFUSED"},
]
# the viewport the pages' own size: the scripted shots are 400 x 300, not 1280 x 800 (noise
# that size took seconds a capture under ASan to encode, decode and compare)
CONFIG = "capture = on\nquiet_ms = 50\njobs = 1\njob_timeout = 10\nviewport = 400x300\nbrowser.path = %s\n" % FAKE
SEQ = [0]


def url(path):
    SEQ[0] += 1
    return "http://127.0.0.1:9/%s?n=%d" % (path, SEQ[0])


class Diff(TestCase):
    @classmethod
    def setUpClass(cls):
        from test_engine_fake import FakeBrowser
        cls.fake = FakeBrowser({"pages": PAGES})
        cls.d = Daemon(config=CONFIG, env=cls.fake.env, capture=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def capture(self, link_url, times):
        """Captures link_url `times` times, one after the other; (link id, snapshot ids)."""
        snaps, link_id = [], None
        with self.d.client(timeout=60) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            for _ in range(times):
                r = c.call("snapshot.request", {"url": link_url})
                link_id = r["link_id"]
                ev = c.wait_event(lambda e: e.get("topic") == "job.finished"
                                  and e["job_id"] == r["job_id"], 60)
                snaps.append(ev["snapshot"]["id"])
        return link_id, snaps

    def path(self, sid):
        return self.d.call("snapshot.get", {"id": sid})["snapshot"]["path"]

    def test_inserted_paragraph_and_changed_word(self):
        link, (s1, s2, s3) = self.capture(url("noisy"), 3)
        ids = list(range(30))
        write_png(self.path(s1), 400, page_rows(400, ids, 700))
        # a paragraph (4 lines) inserted near the top
        write_png(self.path(s2), 400, page_rows(400, ids[:3] + [900, 901, 902, 903] + ids[3:], 780))
        # then a word changed lower down: line 25 gets a longer word at x 150..186
        rows = page_rows(400, ids[:3] + [900, 901, 902, 903] + ids[3:], 780)
        top = 10 + (4 + 25) * 20
        for y in range(top, top + 12):
            rows[y] = rows[y][:150 * 3] + b"\x1e" * (36 * 3) + rows[y][186 * 3:]
        write_png(self.path(s3), 400, rows)

        r = self.d.call("snapshot.diff", {"from": s1, "to": s2})
        self.assertEqual((r["from"], r["to"], r["link_id"]), (s1, s2, link))
        self.assertTrue(r["changed"])
        self.assertEqual([g["kind"] for g in r["regions"]], ["added"], r["regions"])
        g = r["regions"][0]
        self.assertEqual(g["h"], 80)
        self.assertLessEqual(abs(g["y"] - (10 + 3 * 20)), 8)
        self.assertAlmostEqual(r["changed_fraction"], 80 / 780, places=6)
        self.assertNotIn("common_width", r)
        self.assertEqual(r["text"], {"added": [], "removed": []})
        # the overlay: the new shot's size, kept as a file and not drawn again
        img = r["image"]["path"]
        self.assertTrue(img.startswith(self.d.state_dir), img)
        w, h, rows, _ = pngread.read(img)
        self.assertEqual((w, h), (400, 780))
        self.assertNotEqual(rows[g["y"] + 10], page_rows(400, [], 780)[0])
        mtime = os.stat(img).st_mtime_ns
        again = self.d.call("snapshot.diff", {"from": s1, "to": s2})
        self.assertEqual(again["regions"], r["regions"])
        self.assertEqual(os.stat(img).st_mtime_ns, mtime)

        # a link's default: its last two good captures (s2 -> s3), one modified region
        r = self.d.call("snapshot.diff", {"link_id": link})
        self.assertEqual((r["from"], r["to"]), (s2, s3))
        self.assertEqual([g["kind"] for g in r["regions"]], ["modified"], r["regions"])
        g = r["regions"][0]
        self.assertEqual((g["y"], g["h"]), (top, 12))
        self.assertTrue(150 <= g["x"] and g["x"] + g["w"] <= 186, g)
        self.assertLess(r["changed_fraction"], 0.002)

        # the CLI says the same
        p = self.d.cli("diff", str(link))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("snapshot #%d -> #%d: changed" % (s2, s3), p.stdout)
        self.assertIn("modified", p.stdout)
        self.assertIn("overlay: " + r["image"]["path"], p.stdout)
        p = self.d.cli("diff", str(link), str(s1), str(s2))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("added", p.stdout)

    def test_other_links_widths_and_text(self):
        a, (sa,) = self.capture(url("noisy"), 1)
        b, (sb,) = self.capture(url("other"), 1)
        ids = list(range(12))
        write_png(self.path(sa), 400, page_rows(400, ids, 300))
        write_png(self.path(sb), 360, page_rows(360, ids, 300))
        with self.assertRaises(RpcError) as e:
            self.d.call("snapshot.diff", {"from": sa, "to": sb})
        self.assertEqual(e.exception.code, -32602)
        self.assertIn("different links", str(e.exception))
        self.assertIn("allow_cross", str(e.exception))
        p = self.d.cli("diff", str(a), str(sa), str(sb))
        self.assertEqual(p.returncode, 1)
        self.assertIn("allow_cross", p.stderr)
        r = self.d.call("snapshot.diff", {"from": sa, "to": sb, "allow_cross": True})
        # compared on the common width, and said so; the lines fit both widths alike
        self.assertEqual(r["common_width"], 360)
        self.assertEqual(r["widths"], [400, 360])
        # the pages' texts differ: one block went, one came, and that is a change
        self.assertEqual(r["text"], {"added": ["beta words"], "removed": ["alpha words"]})
        self.assertTrue(r["changed"])

    def test_equal_pictures_are_unchanged_at_once(self):
        link, (s1, s2) = self.capture(url("same"), 2)
        r = self.d.call("snapshot.diff", {"link_id": link})
        self.assertEqual((r["changed"], r["changed_fraction"], r["regions"], r["image"]),
                         (False, 0, [], None))
        p = self.d.cli("diff", str(link))
        self.assertIn("unchanged", p.stdout)

    def test_history_change_object(self):
        # two captures of different pictures: the second changed against the first, by the
        # figure snapshot.diff gives for the pair
        link, (n1, n2) = self.capture(url("noisy"), 2)
        ch = self.d.wait_change(n2)
        self.assertIsNotNone(ch)
        self.assertEqual((ch["against"], ch["changed"]), (n1, True))
        r = self.d.call("snapshot.diff", {"from": n1, "to": n2})
        self.assertAlmostEqual(ch["changed_fraction"], r["changed_fraction"], places=6)
        self.assertGreater(ch["changed_fraction"], 0.001)
        # equal pictures: unchanged (sha256 equal), fraction 0
        same, (e1, e2) = self.capture(url("same"), 2)
        self.assertEqual(self.d.wait_change(e2),
                         {"against": e1, "changed": False, "changed_fraction": 0})
        # the first good capture and a failed one are never compared
        self.assertIsNone(self.d.call("snapshot.get", {"id": e1})["snapshot"]["change"])
        bad, (f1,) = self.capture(url("refused"), 1)
        self.assertIsNone(self.d.call("snapshot.get", {"id": f1})["snapshot"]["change"])
        # snapshot.list pages the history newest first; linksnap history shows the change
        page = self.d.call("snapshot.list", {"link_id": link, "limit": 1})
        self.assertEqual([x["id"] for x in page["snapshots"]], [n2])
        self.assertEqual(page["next_before"], n2)
        page = self.d.call("snapshot.list", {"link_id": link, "limit": 1, "before": n2})
        self.assertEqual([x["id"] for x in page["snapshots"]], [n1])
        p = self.d.cli("history", str(same))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("unchanged vs #%d" % e1, p.stdout)
        p = self.d.cli("history", str(link))
        self.assertIn("changed %.2f%% vs #%d" % (ch["changed_fraction"] * 100, n1), p.stdout)

    def test_watch_threshold_decides_changed(self):
        # noise pictures differ all over: changed under the default threshold (0.1%), not
        # under a watch whose threshold is the whole page; the watch gone, changed again
        link, (n1,) = self.capture(url("noisy"), 1)
        self.d.call("watch.set", {"link_id": link, "every": "1d", "threshold": 1})
        _, (n2,) = self.capture(self.d.call("link.get", {"id": link})["link"]["url"], 1)
        ch = self.d.wait_change(n2)
        self.assertEqual((ch["against"], ch["changed"]), (n1, False), ch)
        self.assertGreater(ch["changed_fraction"], 0.5)
        self.d.call("watch.delete", {"link_id": link})
        _, (n3,) = self.capture(self.d.call("link.get", {"id": link})["link"]["url"], 1)
        self.assertEqual(self.d.wait_change(n3)["changed"], True)

    def test_bad_input(self):
        link, (ok,) = self.capture(url("noisy"), 1)
        bad_link, (failed,) = self.capture(url("refused"), 1)
        for params, code, words in [
                ({}, -32602, "missing param 'from'"),
                ({"from": ok}, -32602, "missing param 'to'"),
                ({"from": ok, "to": ok, "link_id": link}, -32602, "not both"),
                ({"from": ok, "to": 999999}, -32001, ""),
                ({"from": ok, "to": ok, "colour": 1}, -32602, "colour"),
                ({"link_id": link}, -32602, "1 good capture"),
                ({"link_id": bad_link}, -32602, "0 good captures"),
                ({"from": failed, "to": failed}, -32602, "no screenshot")]:
            with self.assertRaises(RpcError, msg=params) as e:
                self.d.call("snapshot.diff", params)
            self.assertEqual(e.exception.code, code, (params, e.exception))
            self.assertIn(words, str(e.exception))
        link2, (s1, s2) = self.capture(url("noisy"), 2)
        # changes scattered all over: 40 x 100 dots 20 px apart are 4,000 boxes; the reply
        # carries 2,000 and says how many there were
        white = b"\xff" * (800 * 3)
        dotted = bytearray(white)
        for x in range(5, 800, 20):
            dotted[x * 3:x * 3 + 9] = b"\x00" * 9
        write_png(self.path(s1), 800, [white] * 2000)
        write_png(self.path(s2), 800, [bytes(dotted) if y % 20 in (5, 6, 7) else white
                                       for y in range(2000)])
        r = self.d.call("snapshot.diff", {"from": s1, "to": s2})
        self.assertEqual((len(r["regions"]), r["regions_total"]), (2000, 4000))
        self.assertEqual(r["regions"][0], {"x": 5, "y": 5, "w": 3, "h": 3, "kind": "modified"})
        # a screenshot file that is not a PNG: a clear error, and the daemon goes on
        with open(self.path(s2), "wb") as f:
            f.write(b"not a png")
        with self.assertRaises(RpcError) as e:
            self.d.call("snapshot.diff", {"from": s1, "to": s2})
        self.assertEqual(e.exception.code, -32007)
        self.assertIn("not a valid PNG", str(e.exception))
        self.assertEqual(self.d.call("daemon.ping")["pong"], True)

    def test_loop_answers_during_a_diff_of_two_tall_shots(self):
        link, (s1, s2) = self.capture(url("noisy"), 2)
        w, h = 1280, 30000
        ids = list(range(h // 20 - 2))
        write_png(self.path(s1), w, page_rows(w, ids, h))
        write_png(self.path(s2), w, page_rows(w, ids[:100] + [5000, 5001] + ids[100:-2], h))
        with self.d.client(timeout=300) as busy, self.d.client(timeout=60) as c:
            req = busy.request("snapshot.diff", {"from": s1, "to": s2})
            busy.send_raw((json.dumps(req) + "\n").encode())
            # the loop answers while the diff runs on the pool: a status reply arrives
            # while the diff's reply has not
            c.call("daemon.status")
            pending, _, _ = select.select([busy.sock], [], [], 0)
            self.assertEqual(pending, [], "the diff answered before the status call")
            reply = busy.read_reply()
        r = reply["result"]
        # two lines in near the top; the two last lines pushed out at the bottom
        self.assertEqual([(g["kind"], g["h"]) for g in r["regions"]], [("added", 40), ("removed", 40)],
                         r["regions"])
        self.assertGreater(r["regions"][1]["y"], h - 100)
        self.assertEqual(self.d.sanitizer_report(), "")


if __name__ == "__main__":
    main()

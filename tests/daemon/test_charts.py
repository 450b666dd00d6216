"""test_charts -- chart.render end to end through the real daemon: every kind as PNG and
SVG from real store data (links spread over days, Chinese tags, snapshots in every final
state written into the database), the params and their errors, and `linksnap chart`."""
import base64
import os
import sqlite3
import struct
import tempfile
import time

from linksnap_test import Daemon, TestCase, main

DAY_MS = 86400000


def png_size(data):
    """(width, height) from a PNG's IHDR, after checking the signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    return struct.unpack(">II", data[16:24])


class ChartTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().start()
        tags = [["rust"], ["rust", "编程"], ["编程"], ["linux"], ["rust"], ["机器学习", "rust"]]
        ids = []
        for i, t in enumerate(tags):
            r = cls.d.call("link.add", {"url": f"https://charts.example/{i}", "tags": t,
                                        "capture": False})
            ids.append(r["link"]["id"])
        # Spread the links over the last days and give some of them snapshots, straight in
        # the database (no browser in this test).
        today = int(time.time() * 1000) // DAY_MS * DAY_MS
        db = sqlite3.connect(cls.d.db_path, timeout=30)
        with db:
            for i, lid in enumerate(ids):
                db.execute("UPDATE links SET created_at = ? WHERE id = ?",
                           (today - (i % 3) * DAY_MS + 3600000, lid))
            for i, state in enumerate(["ok", "ok", "partial", "failed", "running"]):
                db.execute("INSERT INTO snapshots(link_id, state, created_at, finished_at)"
                           " VALUES (?, ?, ?, ?)",
                           (ids[i], state, today - DAY_MS,
                            None if state == "running" else today - (i % 2) * DAY_MS + 60000))
        db.close()
        cls.today = today

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def render(self, **params):
        params.setdefault("inline", True)
        r = self.d.call("chart.render", params)
        data = base64.b64decode(r["data"]) if "data" in r else None
        if data is not None:
            self.assertEqual(len(data), r["bytes"])
        return r, data

    def test_tags_png_and_svg(self):
        r, png = self.render(kind="tags")
        self.assertEqual(r["mime"], "image/png")
        self.assertEqual(png_size(png), (1200, 440))
        r, svg = self.render(kind="tags", format="svg")
        self.assertEqual(r["mime"], "image/svg+xml")
        text = svg.decode("utf-8")
        self.assertIn(">rust</text>", text)
        self.assertIn(">编程</text>", text)
        self.assertIn(">机器学习</text>", text)
        self.assertIn(">4</text>", text)   # rust's count at its bar's end
        self.assertIn("4 tags", text)

    def test_sizes_scale_top(self):
        r, png = self.render(kind="tags", width=480, height=300, scale=2, top=2)
        self.assertEqual(png_size(png), (960, 600))
        _, svg = self.render(kind="tags", format="svg", top=2)
        self.assertIn("Top 2 tags", svg.decode())

    def test_timeline_all_and_one_tag(self):
        _, svg = self.render(kind="timeline", format="svg", days=7)
        text = svg.decode()
        self.assertIn("6 links", text)
        self.assertIn("Links added per day", text)
        _, svg = self.render(kind="timeline", format="svg", days=30, tag="编程")
        text = svg.decode()
        self.assertIn("tag: 编程", text)
        self.assertIn("2 links", text)
        # An unknown tag is an empty chart that says so, not an error.
        _, svg = self.render(kind="timeline", format="svg", tag="no-such-tag")
        self.assertIn("No links added in these 90 days", svg.decode())
        r, png = self.render(kind="timeline", days=365, style="area")
        self.assertEqual(png_size(png), (1200, 440))
        self.assertEqual(r["days"], 365)

    def test_outcomes(self):
        _, svg = self.render(kind="outcomes", format="svg", days=14)
        text = svg.decode()
        self.assertIn("4 captures", text)          # the running one is not finished
        self.assertIn(">ok 2</text>", text)
        self.assertIn(">partial 1</text>", text)
        self.assertIn(">failed 1</text>", text)

    def test_without_inline_the_chart_is_a_file_in_the_state_dir(self):
        r, data = self.render(kind="tags", inline=False)
        self.assertIsNone(data)
        self.assertGreater(r["bytes"], 1000)
        self.assertTrue(r["path"].startswith(os.path.join(self.d.state_dir, "charts") + "/"), r["path"])
        with open(r["path"], "rb") as f:
            png = f.read()
        self.assertEqual(len(png), r["bytes"])
        self.assertEqual(png_size(png), (1200, 440))
        _, inline = self.render(kind="tags")
        self.assertEqual(png, inline)                     # the same drawing, the same bytes
        r2 = self.d.call("chart.render", {"kind": "tags", "format": "svg"})
        self.assertTrue(r2["path"].endswith(".svg"))
        self.assertNotEqual(r2["path"], r["path"])
        # distinct requests do not fill the disk: at most 256 files stay, the newest among them
        with self.d.client() as c:
            for w in range(300, 600):
                last = c.call("chart.render", {"kind": "tags", "format": "svg", "width": w})
        files = os.listdir(os.path.dirname(r["path"]))
        self.assertLessEqual(len(files), 256)
        self.assertGreater(len(files), 200)
        self.assertIn(os.path.basename(last["path"]), files)

    def test_languages_and_table(self):
        _, svg = self.render(kind="timeline", format="svg", days=7, lang="zh")
        text = svg.decode()
        self.assertIn(">每日新增链接</text>", text)
        self.assertIn("6 条链接", text)
        self.assertNotIn("links", text)
        r, svg = self.render(kind="outcomes", format="svg", days=14, lang="zh", width=358, height=260)
        text = svg.decode()
        self.assertEqual(r["lang"], "zh")
        self.assertIn(">成功 2</text>", text)
        self.assertIn(">部分 1</text>", text)
        self.assertIn(">失败 1</text>", text)
        # Every day carries its exact numbers for a hover, and the table has the same rows.
        self.assertEqual(text.count("<title>"), 1 + 14)
        r, _ = self.render(kind="outcomes", format="svg", days=14, table=True)
        rows = r["table"]
        self.assertEqual(len(rows), 14)
        self.assertEqual(sum(x[1] for x in rows), 2)
        self.assertEqual(sum(x[2] for x in rows), 1)
        self.assertEqual(sum(x[3] for x in rows), 1)
        self.assertEqual(sum(x[4] for x in rows), 0)          # blocked: none here
        self.assertEqual(sum(x[5] for x in rows), 0)          # http_error: none here
        self.assertEqual(r["table_version"], 2)
        self.assertEqual(r["table_columns"],
                         ["day", "ok", "partial", "failed", "blocked", "http_error"])
        self.assertNotIn("http error", svg_en := self.render(kind="outcomes", format="svg")[1].decode())
        self.assertIn(">ok 2</text>", svg_en)
        self.assertEqual(rows[-1][0], time.strftime("%Y-%m-%d", time.gmtime(self.today / 1000)))
        r, _ = self.render(kind="tags", format="svg", table=True, top=2)
        self.assertEqual(r["table"], [["rust", 4], ["编程", 2]])
        self.assertIn("<title>rust: 4 links</title>", _.decode())
        r, _ = self.render(kind="timeline", days=3, table=True)
        self.assertEqual([x[1] for x in r["table"]], [2, 2, 2])
        self.assertEqual(self.render(kind="tags", lang="en")[0]["lang"], "en")
        self.assertNotIn("table", self.render(kind="tags")[0])

    def test_tables_are_versioned(self):
        r, _ = self.render(kind="tags", format="svg", table=True)
        self.assertEqual((r["table_version"], r["table_columns"]), (2, ["tag", "links"]))
        r, _ = self.render(kind="timeline", format="svg", table=True, days=2)
        self.assertEqual((r["table_version"], r["table_columns"]), (2, ["day", "links"]))

    def test_bad_params(self):
        cases = [({"kind": "pie"}, "kind"), ({}, "kind"), ({"kind": "tags", "width": 50}, "width"),
                 ({"kind": "tags", "height": 99999}, "height"),
                 ({"kind": "tags", "scale": 7}, "scale"), ({"kind": "tags", "scale": "2"}, "scale"),
                 ({"kind": "tags", "top": 1000}, "top"), ({"kind": "timeline", "days": 0}, "days"),
                 ({"kind": "timeline", "days": 99999}, "days"),
                 ({"kind": "tags", "tag": "rust"}, "timeline only"),
                 ({"kind": "tags", "format": "gif"}, "format"),
                 ({"kind": "timeline", "style": "pie"}, "style"),
                 ({"kind": "tags", "colour": "red"}, "colour"),
                 ({"kind": "tags", "lang": "fr"}, "lang"), ({"kind": "tags", "lang": 1}, "lang"),
                 ({"kind": "tags", "table": "yes"}, "table"),
                 ({"kind": "tags", "width": 4000, "height": 4000, "scale": 3}, "device pixels")]
        for params, word in cases:
            e = self.assertRpcError(-32602, self.d.call, "chart.render", params)
            self.assertIn(word, e.message, params)

    def test_cli_chart(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "tags.png")
            r = self.d.cli("chart", "tags", "-o", out, "--size", "600x300", "--top", "3")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, "rb") as f:
                self.assertEqual(png_size(f.read()), (600, 300))
            en = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}
            r = self.d.cli("chart", "timeline", "--svg", "--days", "7", "--tag", "rust", env=en)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("tag: rust", r.stdout)
            # The locale picks the language; --lang overrides it; LC_ALL wins over LANG.
            zh = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}
            r = self.d.cli("chart", "timeline", "--svg", "--days", "7", env=zh)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(">每日新增链接</text>", r.stdout)
            r = self.d.cli("chart", "timeline", "--svg", "--days", "7", "--lang", "en", env=zh)
            self.assertIn(">Links added per day</text>", r.stdout)
            r = self.d.cli("chart", "tags", "--svg", env={"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"})
            self.assertIn("个标签", r.stdout)
            r = self.d.cli("chart", "tags", "--svg", env={"LC_ALL": "", "LC_MESSAGES": "", "LANG": "zhx"})
            self.assertIn("tags", r.stdout)
            r = self.d.cli("chart", "tags", "--svg", "--lang", "fr")
            self.assertEqual(r.returncode, 2)
            self.assertIn("--lang", r.stderr)
            r = self.d.cli("chart", "outcomes", "-o", os.path.join(tmp, "o.png"), "--scale", "9")
            self.assertEqual(r.returncode, 1)
            self.assertIn("scale", r.stderr)
            r = self.d.cli("chart")
            self.assertEqual(r.returncode, 2)
            r = self.d.cli("chart", "tags", "--days", "x")
            self.assertEqual(r.returncode, 2)


class HttpErrorChartTests(TestCase):
    """A capture taken (ok, partial) of a page that answered 4xx/5xx is drawn as what it
    is: the http_error series, never counted in ok (issue 23)."""

    def test_a_404_capture_lands_in_http_error_not_ok(self):
        with Daemon() as d:
            ids = [d.call("link.add", {"url": f"https://errpage.example/{i}", "capture": False})
                   ["link"]["id"] for i in range(4)]
            today = int(time.time() * 1000) // DAY_MS * DAY_MS
            db = sqlite3.connect(d.db_path, timeout=30)
            with db:
                for lid, state, status in zip(ids, ["ok", "ok", "partial", "failed"],
                                              [200, 404, 503, 500]):
                    db.execute("INSERT INTO snapshots(link_id, state, http_status, created_at,"
                               " finished_at) VALUES (?, ?, ?, ?, ?)",
                               (lid, state, status, today, today + 60000))
            db.close()
            r = d.call("chart.render", {"kind": "outcomes", "format": "svg", "inline": True,
                                        "days": 3, "table": True})
            self.assertEqual(r["table"][-1][1:], [1, 0, 1, 0, 2])   # ok, partial, failed, blocked, http
            svg = base64.b64decode(r["data"]).decode()
            self.assertIn(">http error 2</text>", svg)
            self.assertIn(">ok 1</text>", svg)
            r = d.call("chart.render", {"kind": "outcomes", "format": "svg", "inline": True,
                                        "days": 3, "lang": "zh"})
            self.assertIn(">HTTP 错误 2</text>", base64.b64decode(r["data"]).decode())


if __name__ == "__main__":
    main()

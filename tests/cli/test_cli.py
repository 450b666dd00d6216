"""test_cli -- every linksnap command end to end against the real daemon: output, --json,
exit codes 0/1/2/3, Chinese tags aligned, NO_COLOR, import summaries."""
import json
import os
import subprocess

from linksnap_test import Daemon, TestCase, main, LINKSNAP, SHARED


def width(s):
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)


class CliTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def ok(self, *args, **kw):
        r = self.d.cli(*args, **kw)
        self.assertEqual(r.returncode, 0, "linksnap %s: %s %s" % (args, r.stdout, r.stderr))
        return r.stdout

    def test_add_ls_show_and_alignment(self):
        out = self.ok("add", "https://cli.example/a", "-t", "数据库", "-t", "reading", "--title", "中文标题", "--no-capture")
        self.assertRegex(out, r"^added #\d+ https://cli.example/a")
        self.ok("add", "https://cli.example/b", "-t", "reading", "--no-capture")
        out = self.ok("ls", "-t", "reading")
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("ID"))
        self.assertEqual(len(lines), 3)
        # the TAGS column starts at the same display column on every line
        cols = set()
        for l in lines:
            head = l.split("  ")
            idx = l.find("TAGS") if l.startswith("ID") else None
            if idx is None:
                # position of the tags cell: after ID and TITLE cells
                parts = [p for p in l.split("  ") if p.strip()]
                idx = l.find(parts[2].strip())
            cols.add(width(l[:idx]))
        self.assertEqual(len(cols), 1, out)
        out = self.ok("ls", "-t", "数据库")
        self.assertIn("中文标题", out)
        self.assertNotIn("cli.example/b", out)
        j = json.loads(self.ok("--json", "ls", "-t", "reading"))["links"]
        self.assertEqual(len(j), 2)
        link_id = [l["id"] for l in j if l["url"].endswith("/a")][0]
        out = self.ok("show", str(link_id))
        self.assertIn("中文标题", out)
        self.assertIn("数据库", out)
        out = self.ok("show", "https://cli.example/a")
        self.assertIn("#%d" % link_id, out)

    def test_exit_codes(self):
        r = self.d.cli("show", "999999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not found", r.stderr)
        r = self.d.cli("nonsense")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command", r.stderr)
        self.assertIn("usage:", r.stderr)
        r = self.d.cli("ls", "--bogus")
        self.assertEqual(r.returncode, 2)
        r = self.d.cli("rm", "abc")
        self.assertEqual(r.returncode, 2)
        r = self.d.cli("add")
        self.assertEqual(r.returncode, 2)
        r = subprocess.run([LINKSNAP, "--socket", self.d.socket + ".none", "ls"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 3)
        self.assertIn("no linksnapd listening", r.stderr)
        r = self.d.cli("add", "ftp://example.com/")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ftp", r.stderr)
        self.assertEqual(self.d.cli("--version").returncode, 0)
        self.assertEqual(self.d.cli("ls", "--help").returncode, 0)

    def test_tags_commands(self):
        self.ok("add", "https://cli.example/t1", "-t", "one", "-t", "two", "--no-capture")
        self.ok("add", "https://cli.example/t2", "-t", "two", "--no-capture")
        out = self.ok("tags")
        self.assertRegex(out, r"two\s+2")
        self.assertIn("renamed two to 二", self.ok("tag-rename", "two", "二"))
        self.assertIn("merged one into 二", self.ok("tag-merge", "one", "--into", "二"))
        tags = {t["name"]: t["count"] for t in json.loads(self.ok("--json", "tags"))["tags"]}
        self.assertEqual(tags.get("二"), 2)
        self.assertNotIn("one", tags)
        self.assertIn("deleted tag 二", self.ok("tag-delete", "二"))
        r = self.d.cli("tag-delete", "二")
        self.assertEqual(r.returncode, 1)

    def test_tag_untag_edit_rm(self):
        out = self.ok("--json", "add", "https://cli.example/e", "--no-capture")
        lid = json.loads(out)[0]["link"]["id"]
        self.assertIn("x, y", self.ok("tag", str(lid), "x", "y"))
        self.assertIn("y", self.ok("untag", str(lid), "x"))
        self.ok("edit", str(lid), "--title", "New title")
        self.assertIn("New title", self.ok("show", str(lid)))
        self.ok("rm", str(lid))
        self.assertEqual(self.d.cli("show", str(lid)).returncode, 1)

    def test_status_and_call(self):
        out = self.ok("status")
        self.assertIn("links:", out)
        self.assertIn("queue:", out)
        j = json.loads(self.ok("call", "tag.list"))
        self.assertIn("tags", j)
        j = json.loads(self.ok("call", "link.list", '{"limit": 1}'))
        self.assertIn("links", j)
        j = json.loads(self.ok("call", "link.list", "-", input='{"limit": 2}'))
        self.assertLessEqual(len(j["links"]), 2)
        r = self.d.cli("call", "link.list", "{not json")
        self.assertEqual(r.returncode, 2)

    def test_no_color_and_pipes_have_no_escapes(self):
        self.ok("add", "https://cli.example/c", "-t", "color", "--no-capture")
        for env in ({"NO_COLOR": "1"}, {}):
            out = self.ok("ls", "-t", "color", env=env)
            self.assertNotIn("\033[", out)   # not a TTY here: never colour

    def test_import_summary_and_exit_codes(self):
        path = os.path.join(self.d.root, "list.txt")
        with open(path, "w") as f:
            f.write("https://imp.example/1\n# comment\n\njavascript:alert(1)\nhttps://imp.example/2\n")
        out = self.ok("import", path, "-t", "imported", "--no-capture")
        self.assertRegex(out, r"done: 5 lines, 2 added, 0 existing, 1 invalid")
        self.assertIn("line 4: unsupported URL scheme 'javascript'", out)
        out = self.ok("import", path, "--no-capture")
        self.assertRegex(out, r"0 added, 2 existing, 1 invalid")
        r = self.d.cli("import", os.path.join(self.d.root, "missing.txt"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read", r.stderr)

    def test_capture_commands_report_clearly(self):
        out = self.ok("--json", "add", "https://cli.example/snap", "--no-capture")
        lid = json.loads(out)[0]["link"]["id"]
        r = self.d.cli("snap", str(lid))
        # until the capture engine runs, the daemon says so and the CLI exits 1, not 0
        if r.returncode != 0:
            self.assertEqual(r.returncode, 1)
            self.assertTrue(r.stderr.strip())
        r = self.d.cli("cancel", "x")
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    main()

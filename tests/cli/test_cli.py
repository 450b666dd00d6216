"""test_cli -- every linksnap command end to end against the real daemon: output, --json,
exit codes 0/1/2/3, Chinese tags aligned, NO_COLOR, import summaries, site set's values
asked for on a terminal without echo. CaptureCliTests: what a capture kept (ls -q's text
passages, `linksnap text`, `linksnap get`) from a second daemon whose captures the scripted
browser (tests/lib/fakecdp.c) makes in seconds, with real files, text and index rows."""
import fcntl
import json
import os
import pty
import select
import shutil
import sqlite3
import struct
import subprocess
import tempfile
import termios

from linksnap_test import BUILD, Daemon, TestCase, main, LINKSNAP, wait_until


def width(s):
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in s)


def run_on_tty(daemon, args, cols=60, env=None):
    """Runs linksnap with stdout and stderr on a pseudo-terminal `cols` wide; returns
    (exit code, text written)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    p = subprocess.Popen([LINKSNAP, "--socket", daemon.socket] + list(args), stdin=subprocess.DEVNULL,
                         stdout=slave, stderr=slave, env=e)
    os.close(slave)
    chunks = []
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            data = os.read(master, 65536)
        except OSError:   # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return p.wait(60), b"".join(chunks).decode().replace("\r\n", "\n")


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
        # a tag the link does not have is named, and the exit is 1; a spelling with the
        # same key (Y for y) is the same tag, as linksnapd matches it
        r = self.d.cli("untag", str(lid), "nosuchtag", "Y")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr, "linksnap: #%d has no tag 'nosuchtag'\n" % lid)
        self.assertIn("tags: (none)", r.stdout)
        self.ok("tag", str(lid), "kept")
        # ls -t of an unknown tag names it (1); of a known one in another spelling, lists
        r = self.d.cli("ls", "-t", "KEPT", "-t", "nosuchtag")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("no link has the tag 'nosuchtag'", r.stderr)
        self.assertNotIn("KEPT", r.stderr)
        self.assertIn("cli.example/e", self.ok("ls", "-t", "KEPT"))
        # a bare domain is refused with the address it most likely meant
        r = self.d.cli("add", "example.com", "--no-capture")
        self.assertEqual(r.returncode, 1)
        self.assertIn("did you mean https://example.com?", r.stderr)
        self.assertNotIn("(-32602)", r.stderr)
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

    def test_terminal_colour_width_and_no_color(self):
        self.ok("add", "https://tty.example/long", "-t", "终端", "--no-capture",
                "--title", "一个非常非常非常非常非常非常非常非常长的中文标题 with more words after it")
        rc, out = run_on_tty(self.d, ["ls", "-t", "终端"], cols=60)
        self.assertEqual(rc, 0, out)
        self.assertIn("\033[1mID", out)
        self.assertIn("…", out)
        for line in out.splitlines():
            plain = line.replace("\033[1m", "").replace("\033[0m", "").replace("\033[2m", "")
            self.assertLessEqual(width(plain), 60, line)
        for value in ("1", ""):   # NO_COLOR set to anything, even empty
            rc, out = run_on_tty(self.d, ["ls", "-t", "终端"], cols=60, env={"NO_COLOR": value})
            self.assertEqual(rc, 0, out)
            self.assertNotIn("\033[", out)
        # a pipe gets the whole title, uncut
        self.assertIn("with more words after it", self.ok("ls", "-t", "终端"))

    def test_tags_align_chinese_and_emoji(self):
        for tag in ("数据库", "📸", "reading", "日本語のタグ"):
            self.ok("add", "https://align.example/" + str(len(tag)) + tag.encode().hex(), "-t", tag, "--no-capture")
        lines = self.ok("tags").splitlines()
        self.assertTrue(lines[0].startswith("TAG"))
        # the LINKS column starts at the same display column on every line
        starts = {width(l[:l.rstrip().rindex(" ") + 1]) for l in lines}
        self.assertEqual(len(starts), 1, "\n".join(lines))
        self.assertTrue(any("📸" in l for l in lines))

    def test_wait_without_browser_exits_1(self):
        # the test daemon runs with --no-capture: its status says the browser is disabled
        status = json.loads(self.ok("--json", "status"))
        self.assertEqual(status["browser"]["state"], "disabled")
        self.assertIs(status["browser"]["available"], False)
        r = self.d.cli("add", "https://wait.example/", "--wait", timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no browser running", r.stderr)
        # nothing was added: the check comes first
        self.assertEqual(self.d.cli("show", "https://wait.example/").returncode, 1)

    def test_pagination_and_filters(self):
        for i in range(7):
            self.ok("add", "https://page.example/%d" % i, "-t", "page", "--no-capture",
                    *(["-t", "odd"] if i % 2 else []))
        self.ok("add", "https://page.example/bare", "--no-capture")
        r = self.d.cli("ls", "-t", "page", "--limit", "3")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(len(r.stdout.splitlines()), 4)
        self.assertIn("--all", r.stderr)
        out = self.ok("ls", "-t", "page", "--limit", "3", "--all")
        self.assertEqual(len(out.splitlines()), 8)
        j = json.loads(self.ok("--json", "ls", "-t", "page", "--limit", "3", "--all"))
        self.assertEqual(len(j["links"]), 7)
        self.assertIsNone(j["next_cursor"])
        j = json.loads(self.ok("--json", "ls", "-t", "page", "--not", "odd"))
        self.assertEqual(len(j["links"]), 4)
        j = json.loads(self.ok("--json", "ls", "--any", "odd", "--any", "nothing-such"))
        self.assertEqual(len(j["links"]), 3)
        urls = [l["url"] for l in json.loads(self.ok("--json", "ls", "--untagged", "--all"))["links"]]
        self.assertIn("https://page.example/bare", urls)
        self.assertIn("no links match", self.ok("ls", "-q", "no-such-text-anywhere"))

    def test_rm_several_and_missing(self):
        ids = [json.loads(self.ok("--json", "add", "https://rm.example/%d" % i, "--no-capture"))[0]["link"]["id"]
               for i in range(2)]
        r = self.d.cli("rm", str(ids[0]), str(ids[1]), "999999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("deleted #%d" % ids[0], r.stdout)
        self.assertIn("deleted #%d" % ids[1], r.stdout)
        self.assertIn("#999999", r.stderr)
        # the sentence for a person; the JSON-RPC code only when asked for
        self.assertNotIn("(-32001)", r.stderr)
        self.assertIn("(-32001)", self.d.cli("-v", "show", "999999").stderr)

    def test_capture_commands_say_what_is_missing(self):
        for args in (["snap", "1"], ["jobs"], ["cancel", "1"]):
            r = self.d.cli(*args)
            self.assertIn(r.returncode, (0, 1), r.stderr)
            if r.returncode == 1 and "not found" in r.stderr and "method" in r.stderr:
                self.assertIn("does not offer", r.stderr)
        # `call` names any method: the server's message is all there is to say
        r = self.d.cli("call", "no.such")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "linksnap: method 'no.such' not found\n")

    def test_watch_watches_unwatch_and_what_jobs_and_status_say(self):
        out = self.ok("--json", "add", "https://cli.example/watched", "-t", "看着", "--no-capture")
        lid = json.loads(out)[0]["link"]["id"]
        out = self.ok("watch", str(lid), "--every", "6h", "--jitter", "10m")
        self.assertRegex(out, r"^watching link #%d every 6h \(jitter 10m\): 1 link, next run "
                              r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\n$" % lid)
        out = self.ok("watch", "-t", "看着", "--every", "1d")
        self.assertIn("watching tag 看着 every 1d (jitter 2h24m): 0 links", out)   # the link's own wins
        out = self.ok("watches")
        self.assertRegex(out, r"link #%d\s+6h\s+10m\s+1\s+\d{4}-" % lid)
        self.assertRegex(out, r"tag 看着\s+1d\s+2h24m\s+0\s+-")
        self.assertEqual(out, self.ok("watch", "ls"))
        # made due (as after a long wait), then changed: the change wakes the scheduler, which
        # queues the run; `jobs` marks it
        db = sqlite3.connect(self.d.db_path, timeout=30)
        with db:
            db.execute("UPDATE watch_runs SET next_run = 1000 WHERE link_id = ?", (lid,))
        db.close()
        self.assertRegex(self.ok("status"), r"\nscheduled: 2 watches over 1 link, 1 due now, next run "
                                            r"1970-01-01 00:00 UTC\n")
        self.assertIn("changed the watch of link #%d every 2h" % lid, self.ok("watch", str(lid), "--every", "7200"))
        out = wait_until(lambda: (lambda o: "queued (watch)" in o and o)(self.ok("jobs", "queued")), 10,
                         "the scheduled job in `linksnap jobs`")
        self.assertRegex(out, r"\nscheduled: 2 watches over 1 link, 0 due now, next run ")
        r = self.d.cli("watch", str(lid), "--every", "0")
        self.assertEqual(r.returncode, 1)
        self.assertIn("every must be from 300 s to a year", r.stderr)
        self.assertEqual(self.d.cli("watch", str(lid)).returncode, 2)
        self.assertIn("stopped watching link #%d" % lid, self.ok("unwatch", str(lid)))
        self.assertIn("had no watch of its own", self.ok("unwatch", str(lid)))
        self.assertIn("stopped watching tag 看着", self.ok("unwatch", "-t", "看着"))
        self.assertIn("no watches", self.ok("watches"))
        self.assertNotIn("scheduled:", self.ok("status"))

    def test_help_version_usage(self):
        r = self.d.cli("--help")
        self.assertEqual(r.returncode, 0)
        for cmd in ("add", "ls", "show", "rm", "edit", "tag", "untag", "tags", "tag-rename",
                    "tag-merge", "tag-delete", "snap", "jobs", "cancel", "import", "backup",
                    "watch", "watches", "unwatch", "status", "call"):
            self.assertIn("  %s " % cmd, r.stdout)
            h = self.d.cli(cmd, "--help")
            self.assertEqual(h.returncode, 0, cmd)
            self.assertIn("usage: linksnap " + cmd, h.stdout)
        r = self.d.cli("--version")
        self.assertRegex(r.stdout, r"^linksnap \d+\.\d+\.\d+")
        r = self.d.cli("tag", "-5", "x")
        self.assertEqual(r.returncode, 2)

    def test_site_set_asks_for_values_without_echo_on_a_terminal(self):
        # stdin, stdout and stderr on a pseudo-terminal, as a person at a shell has them
        secret, hsecret = "tty-cookie-SECRET-4711", "Bearer tty-header-SECRET-0815"
        master, slave = pty.openpty()
        p = subprocess.Popen([LINKSNAP, "--socket", self.d.socket, "site", "set", "tty.example",
                              "--cookie", "sess", "--header", "Authorization"],
                             stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        seen = b""

        def read_until(text):
            nonlocal seen
            while text not in seen:
                r, _, _ = select.select([master], [], [], 60)
                self.assertTrue(r, "no %r from linksnap; got %r" % (text, seen))
                try:
                    data = os.read(master, 4096)
                except OSError:
                    data = b""
                self.assertTrue(data, "linksnap ended before %r; got %r" % (text, seen))
                seen += data

        # each line is typed only once its prompt is shown: echo is off by then
        read_until(b"value of cookie sess (not shown): ")
        os.write(master, secret.encode() + b"\n")
        read_until(b"value of header Authorization (not shown): ")
        os.write(master, hsecret.encode() + b"\n")
        read_until(b"site rule for tty.example")
        self.assertEqual(p.wait(60), 0, seen)
        os.close(master)
        self.assertNotIn(secret.encode(), seen)    # the terminal never showed what was typed
        self.assertNotIn(b"tty-header-SECRET", seen)
        self.assertNotIn(b"warning", seen)
        stored = self.d.sql("SELECT rule FROM site_rules WHERE match = 'tty.example'")[0][0]
        self.assertIn(secret, stored)
        self.assertIn(hsecret, stored)


FAKE = os.path.join(BUILD, "tests", "fakecdp")
# the page's words, with what a hostile page would send a terminal: set the title (OSC 0)
# and clear the screen (CSI 2J), as C1 controls, which the store keeps (it drops C0 ones)
HOSTILE = "The striped quagga grazed\u009d0;owned\u009c near the river\u009b2J at dawn.\nSecond line."
C1 = ("\u009b", "\u009c", "\u009d", "\x1b")


class CaptureCliTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake_dir = tempfile.mkdtemp(prefix="linksnap-fakecdp-")
        scenario = os.path.join(cls.fake_dir, "scenario.json")
        with open(scenario, "w") as f:
            json.dump({"pages": [{"match": "/article", "title": "Field notes", "text": HOSTILE},
                                 {"match": "/gone", "status": 404, "title": "Not here"}]}, f)
        cls.d = Daemon(capture=True, env={"FAKECDP_SCENARIO": scenario, "FAKECDP_STATE": cls.fake_dir},
                       config="capture = on\nquiet_ms = 50\njobs = 1\njob_timeout = 10\nbrowser.path = %s\n"
                              "formats = png,text,mhtml,pdf\n" % FAKE).start()
        with cls.d.client() as c:
            c.call("events.subscribe", {"topics": ["job"]})
            # the article with every format, then a later capture of another page with the PNG only
            r = c.call("snapshot.request", {"url": "http://127.0.0.1:9/article"})
            cls.ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["job_id"] == r["job_id"])
            r = c.call("snapshot.request", {"url": "http://127.0.0.1:9/plain", "formats": ["png"]})
            cls.plain = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["job_id"] == r["job_id"])
        cls.link = cls.ev["link_id"]
        cls.files = cls.ev["snapshot"]["files"]

    @classmethod
    def tearDownClass(cls):
        cls.d.close()
        shutil.rmtree(cls.fake_dir, ignore_errors=True)

    def run_cli(self, *args):
        """linksnap with bytes out (files, not text)."""
        return subprocess.run([LINKSNAP, "--socket", self.d.socket] + list(args), capture_output=True,
                              timeout=120)

    def test_captures_as_expected(self):
        self.assertEqual(self.ev["state"], "ok", self.ev)
        self.assertEqual(sorted(self.files), ["mhtml", "pdf", "png", "text", "thumb"])
        self.assertEqual(sorted(self.plain["snapshot"]["files"]), ["png", "thumb"])

    def test_wait_says_how_each_capture_ended(self):
        # a good capture: its line and exit 0
        r = self.d.cli("add", "http://127.0.0.1:9/fine", "--wait")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"#\d+ ok, HTTP 200\n")
        # the site answered 404: captured (ok) but said, and exit 4
        r = self.d.cli("add", "http://127.0.0.1:9/gone", "--wait")
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"#\d+ ok, HTTP 404 Not Found")
        r = self.d.cli("snap", "http://127.0.0.1:9/gone", "--wait")
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertIn("HTTP 404 Not Found", r.stdout)
        # what the badges read: the link object says broken with the answer, and so does
        # job.finished, without the snapshot object
        gone = json.loads(self.d.cli("--json", "show", "http://127.0.0.1:9/gone").stdout)["link"]
        fine = json.loads(self.d.cli("--json", "show", "http://127.0.0.1:9/fine").stdout)["link"]
        self.assertEqual((gone["broken"], gone["http_status"]), (True, 404))
        self.assertEqual((fine["broken"], fine["http_status"]), (False, 200))
        with self.d.client() as c:
            c.call("events.subscribe", {"topics": ["job"]})
            r = c.call("snapshot.request", {"link_id": gone["id"]})
            ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["job_id"] == r["job_id"])
        self.assertEqual((ev["state"], ev["http_status"]), ("ok", 404))

    def test_ls_q_passage_under_the_row_scrubbed_and_bold_on_a_terminal(self):
        r = self.d.cli("ls", "-q", "quagga")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertTrue(lines[1].startswith("%d " % self.link), r.stdout)
        self.assertTrue(lines[2].startswith("    "), r.stdout)
        self.assertIn("quagga grazed\ufffd0;owned\ufffd near the river\ufffd2J at dawn. Second", lines[2])
        self.assertFalse([c for c in C1 if c in r.stdout], r.stdout)
        rc, out = run_on_tty(self.d, ["ls", "-q", "quagga"], cols=80)
        self.assertEqual(rc, 0, out)
        self.assertIn("\033[1mquagga\033[22m grazed\ufffd0;owned\ufffd", out)
        self.assertFalse([c for c in C1[:3] if c in out], out)
        rc, out = run_on_tty(self.d, ["ls", "-q", "quagga"], cols=80, env={"NO_COLOR": "1"})
        self.assertEqual(rc, 0, out)
        self.assertNotIn("\033", out)
        self.assertIn("quagga", out)
        # --json as it was: the match object as linksnapd sent it
        j = json.loads(self.d.cli("--json", "ls", "-q", "quagga").stdout)
        self.assertEqual(j["links"][0]["match"]["in"], "text")

    def test_text_prints_the_words_scrubbed(self):
        r = self.d.cli("text", str(self.link))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "Field notes\n\nThe striped quagga grazed\ufffd0;owned\ufffd near the "
                                   "river\ufffd2J at dawn.\nSecond line.\n")
        self.assertEqual(r.stdout, self.d.cli("text", "http://127.0.0.1:9/article").stdout)
        self.assertEqual(r.stdout, self.d.cli("text", "--snapshot", str(self.ev["snapshot"]["id"])).stdout)
        r = self.d.cli("--json", "text", str(self.link))
        self.assertFalse([c for c in C1 if c in r.stdout], r.stdout)   # escaped: \u009b
        j = json.loads(r.stdout)
        self.assertEqual(j["text"], HOSTILE)
        self.assertEqual(j["snapshot_id"], self.ev["snapshot"]["id"])
        rc, out = run_on_tty(self.d, ["text", str(self.link)])
        self.assertEqual(rc, 0, out)
        self.assertIn("\033[1mField notes\033[22m", out)
        self.assertFalse([c for c in C1[:3] if c in out], out)

    def test_text_bad_input(self):
        r = self.d.cli("text", "999999")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not found", r.stderr)
        r = self.d.cli("text", str(self.plain["link_id"]))   # captured without text
        self.assertEqual(r.returncode, 1)
        self.assertIn("has no snapshot with text", r.stderr)
        r = self.d.cli("text", "--snapshot", str(self.plain["snapshot"]["id"]))
        self.assertEqual(r.returncode, 1)
        self.assertIn("has no text", r.stderr)
        for args in (["text"], ["text", "abc"], ["text", str(self.link), "--bogus"]):
            self.assertEqual(self.d.cli(*args).returncode, 2, args)

    def test_get_saves_each_file(self):
        out = os.path.join(self.d.root, "get")
        os.makedirs(out, exist_ok=True)
        for kind in ("png", "mhtml", "pdf"):
            path = os.path.join(out, "page." + kind)
            r = self.run_cli("get", str(self.link), "--" + kind, "-o", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(self.files[kind]["path"], "rb") as a, open(path, "rb") as b:
                want = a.read()
                self.assertEqual(b.read(), want, kind)
            self.assertEqual(len(want), self.files[kind]["bytes"], kind)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o666 & ~current_umask())
            r = self.run_cli("get", str(self.link), "--" + kind, "-o", "-")   # a pipe, not a terminal
            self.assertEqual((r.returncode, r.stdout), (0, want), kind)
        with open(os.path.join(out, "page.pdf"), "rb") as f:
            self.assertTrue(f.read().startswith(b"%PDF-"))
        text = os.path.join(out, "page.txt")
        r = self.run_cli("get", "--snapshot", str(self.ev["snapshot"]["id"]), "--text", "-o", text)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(text, encoding="utf-8") as f:
            self.assertEqual(f.read(), self.d.cli("text", str(self.link)).stdout)
        j = json.loads(self.run_cli("--json", "get", str(self.link), "--png", "-o", os.path.join(out, "j.png")).stdout)
        self.assertEqual((j["format"], j["bytes"]), ("png", self.files["png"]["bytes"]))
        self.assertEqual(sorted(os.listdir(out)), ["j.png", "page.mhtml", "page.pdf", "page.png", "page.txt"])

    def test_get_never_overwrites_without_force(self):
        path = os.path.join(self.d.root, "kept.mhtml")
        with open(path, "w") as f:
            f.write("mine")
        r = self.run_cli("get", str(self.link), "--mhtml", "-o", path)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"exists: give --force", r.stderr)
        with open(path) as f:
            self.assertEqual(f.read(), "mine")
        r = self.run_cli("get", str(self.link), "--mhtml", "-o", path, "--force")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(path, "rb") as a, open(self.files["mhtml"]["path"], "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.assertEqual(os.listdir(self.d.root).count("kept.mhtml"), 1)
        self.assertFalse([n for n in os.listdir(self.d.root) if ".tmp-" in n])

    def test_get_bad_input(self):
        out = os.path.join(self.d.root, "nothing.bin")
        r = self.run_cli("get", str(self.plain["link_id"]), "--pdf", "-o", out)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"has no snapshot with a PDF file", r.stderr)
        r = self.run_cli("get", "--snapshot", str(self.plain["snapshot"]["id"]), "--mhtml", "-o", out)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"has no MHTML file", r.stderr)
        r = self.run_cli("get", "999999", "--png", "-o", out)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"not found", r.stderr)
        for args in (["--jpeg"], ["--png"], ["--png", "--pdf", "-o", out], ["-o", out]):
            r = self.run_cli("get", str(self.link), *args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
        self.assertFalse(os.path.exists(out))
        rc, text = run_on_tty(self.d, ["get", str(self.link), "--png", "-o", "-"])
        self.assertEqual(rc, 2)
        self.assertIn("a PNG is not for the terminal", text)
        self.assertNotIn("PNG\r\n", text)


def current_umask():
    m = os.umask(0)
    os.umask(m)
    return m


if __name__ == "__main__":
    main()

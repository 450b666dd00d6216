"""test_trust -- the trust boundaries, against the real linksnapd run as root, with
requests made as another local user (`runuser -u nobody`): the web page's token on
loopback, no server path over HTTP, backups only into backup_dir, import.start on FIFOs,
devices, symlinks and huge files, uploads past 1 MiB, the per-uid cap and idle timeouts,
site-rule secrets kept off linksnap's command line,
the fallback directory in /tmp (a non-root daemon in a private /tmp), stored broken
UTF-8, control characters in CLI output and TLS off loopback.

The daemon's state dir and socket live in a 0700 temp dir of root's, so nobody can reach
them unless a test opens the way on purpose."""
import errno
import json
import os
import shutil
import socket
import sqlite3
import ssl
import stat
import subprocess
import sys
import tempfile
import time
import unittest
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "web"))
from linksnap_test import LINKSNAP, LINKSNAPD, Client, Daemon, RpcError, TestCase, main  # noqa: E402
from webtest import http, rpc  # noqa: E402

NOBODY = "nobody"
# the system's Python: another user may not be able to run the one this test runs under
PY = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable

# A tiny HTTP client run as nobody: argv[1] is a JSON list of requests
# [method, url, path, body-or-null, headers]; prints a JSON list of [status, body-text].
CLIENT = r"""
import http.client, json, sys
from urllib.parse import urlsplit
out = []
for method, url, path, body, headers in json.loads(sys.argv[1]):
    u = urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    out.append([r.status, r.read().decode("utf-8", "replace")])
    c.close()
print(json.dumps(out))
"""


def can_runuser():
    return os.geteuid() == 0 and shutil.which("runuser") is not None


def as_nobody(requests):
    p = subprocess.run(["runuser", "-u", NOBODY, "--", PY, "-c", CLIENT, json.dumps(requests)],
                       capture_output=True, text=True, timeout=120, cwd="/")
    if p.returncode != 0:
        raise AssertionError("client as nobody failed: %s" % p.stderr)
    return json.loads(p.stdout)


def rpc_body(method, params=None):
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}})


def login_cookie(d):
    u = urlsplit(d.login_url)
    st, h, _ = http(d.web_url, path=u.path + "?" + u.query)
    assert st == 303, st
    return h["set-cookie"].split(";")[0], h


@unittest.skipUnless(can_runuser(), "needs root and runuser")
class WebToken(TestCase):
    """Item 1: a token always, on loopback too."""

    def test_loopback_page_needs_the_token_for_another_user(self):
        with Daemon() as d:
            url = d.web_url
            secret = os.path.join(d.root, "root-only.txt")
            with open(secret, "w") as f:
                f.write("ROOT-SECRET-LINE\n")
            os.chmod(secret, 0o600)
            j = {"Origin": url, "Content-Type": "application/json"}
            out = as_nobody([
                ["POST", url, "/rpc", rpc_body("link.list"), j],
                ["POST", url, "/rpc", rpc_body("import.start", {"path": secret}), j],
                ["POST", url, "/rpc", rpc_body("daemon.backup", {"path": secret, "overwrite": True}), j],
                ["GET", url, "/?token=not-the-token", None, {}],
                ["GET", url, "/snapshots/1/full.png", None, {}],
            ])
            self.assertEqual([o[0] for o in out], [401, 401, 401, 403, 401], out)
            self.assertNotIn("ROOT-SECRET", json.dumps(out))
            with open(secret) as f:
                self.assertEqual(f.read(), "ROOT-SECRET-LINE\n")
            # the token linksnapd made at its first start
            tok = os.path.join(d.state_dir, "http.token")
            st = os.lstat(tok)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
            with open(tok) as f:
                token = f.read().strip()
            self.assertEqual(len(token), 64)
            # the socket hands out the login address; the CLI prints it
            login = d.login_url
            self.assertEqual(parse_qs(urlsplit(login).query)["token"], [token])
            self.assertTrue(login.startswith(url + "/?token="), login)
            r = d.cli("web")
            self.assertEqual((r.returncode, r.stdout.strip()), (0, login), r.stderr)
            # opening it: a session cookie, and the token leaves the address
            u = urlsplit(login)
            st_, h, _ = http(url, path="/links?token=%s&all=a%%20b" % token)
            self.assertEqual(st_, 303)
            self.assertEqual(h["location"], "/links?all=a%20b")
            self.assertIn("HttpOnly", h["set-cookie"])
            cookie = h["set-cookie"].split(";")[0]
            self.assertEqual(rpc(url, "link.list", headers={"Cookie": cookie})[0], 200)
            # a cookie POST still needs the page's Origin; Bearer needs none
            st_, _, _ = http(url, "POST", "/rpc", rpc_body("link.list"),
                             {"Content-Type": "application/json", "Cookie": cookie})
            self.assertEqual(st_, 403)
            st_, _, body = http(url, "POST", "/rpc", rpc_body("daemon.ping"),
                                {"Content-Type": "application/json", "Authorization": "Bearer " + token})
            self.assertEqual((st_, json.loads(body)["result"]), (200, {"pong": True}))
            # the address is the socket's only: over HTTP, even logged in, no
            st_, doc = rpc(url, "web.login_url", headers={"Cookie": cookie})
            self.assertIn("error", doc)
            self.assertNotIn(token, json.dumps(doc))
            del u

    def test_logins_are_rate_limited(self):
        with Daemon() as d:
            url = d.web_url
            token = d.token
            j = {"Origin": url, "Content-Type": "application/json"}
            codes = [http(url, "POST", "/login", json.dumps({"token": "wrong-%02d-token" % i}), j)[0]
                     for i in range(10)]
            self.assertEqual(codes, [403] * 10)
            # now this client's wrong tokens wait: guessing cannot go on at full speed ...
            self.assertEqual(http(url, "POST", "/login", json.dumps({"token": "wrong-10-token"}), j)[0], 429)
            self.assertEqual(http(url, path="/?token=wrong-11-token")[0], 429)
            self.assertEqual(rpc(url, "daemon.ping", headers={"Authorization": "Bearer nope-nope-nope"})[0], 429)
            # ... and the right token is never refused for it
            self.assertEqual(http(url, "POST", "/login", json.dumps({"token": token}), j)[0], 200)
            self.assertEqual(http(url, path="/?token=" + token)[0], 303)
            self.assertEqual(rpc(url, "daemon.ping", headers={"Authorization": "Bearer " + token})[0], 200)
            d.call("daemon.ping")   # the socket is not affected
            self.assertIn("10 wrong tokens in a minute from uid 0", d.read_log())

    def test_another_user_cannot_lock_the_owner_out(self):
        # Issue 24, finding 8: wrong tokens from nobody, and the request an
        # <img src="http://127.0.0.1:PORT/?token=x"> on any web page makes, once throttled
        # everyone; now they count against nobody alone
        with Daemon() as d:
            url = d.web_url
            token = d.token
            j = {"Origin": url, "Content-Type": "application/json"}
            img = {"Accept": "image/avif,image/webp,image/*,*/*;q=0.8", "Sec-Fetch-Dest": "image",
                   "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "cross-site",
                   "Referer": "https://pages.example/"}
            wrong = [["POST", url, "/login", json.dumps({"token": "guess-%02d-guess" % i}), j] for i in range(9)]
            out = as_nobody(wrong + [
                ["GET", url, "/?token=x", None, img],                              # the 10th
                ["GET", url, "/?token=y", None, img],
                ["POST", url, "/login", json.dumps({"token": "guess-11-guess"}), j],
                ["POST", url, "/rpc", rpc_body("daemon.ping"),
                 {"Content-Type": "application/json", "Authorization": "Bearer guess-12-guess"}],
            ])
            self.assertEqual([o[0] for o in out], [403] * 10 + [429, 429, 429], out)
            # the owner (root here) is not throttled: the right token, and a wrong one counted
            # for root alone
            st, _, body = http(url, "POST", "/rpc", rpc_body("daemon.ping"),
                               {"Content-Type": "application/json", "Authorization": "Bearer " + token})
            self.assertEqual(st, 200, body)
            self.assertEqual(json.loads(body)["result"], {"pong": True})
            self.assertEqual(http(url, "POST", "/login", json.dumps({"token": token}), j)[0], 200)
            self.assertEqual(http(url, path="/?token=" + token)[0], 303)
            self.assertEqual(http(url, "POST", "/login", json.dumps({"token": "owner-typo-1"}), j)[0], 403)
            # nobody stays throttled for wrong tokens, but a right token is never refused, so
            # a page in the owner's own browser (the owner's uid) cannot lock the owner out
            out = as_nobody([
                ["GET", url, "/?token=z", None, img],
                ["POST", url, "/rpc", rpc_body("daemon.ping"),
                 {"Content-Type": "application/json", "Authorization": "Bearer " + token}],
            ])
            self.assertEqual([o[0] for o in out], [429, 200], out)
            log = d.read_log()
            nobody_uid = int(subprocess.run(["id", "-u", NOBODY], capture_output=True, text=True).stdout)
            self.assertIn("10 wrong tokens in a minute from uid %d" % nobody_uid, log)
            self.assertNotIn("from uid 0", log)


@unittest.skipUnless(can_runuser(), "needs root and runuser")
class ServerPaths(TestCase):
    """Item 2: no server path over HTTP; backups only into backup_dir; import.start opens
    safely off the writer."""

    def test_no_server_path_over_http_even_with_the_token(self):
        with Daemon() as d:
            url, token = d.web_url, d.token
            secret = os.path.join(d.root, "root-only.txt")
            with open(secret, "w") as f:
                f.write("ROOT-SECRET-LINE\n")
            os.chmod(secret, 0o600)
            b = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
            out = as_nobody([
                ["POST", url, "/rpc", rpc_body("import.start", {"path": secret}), b],
                ["POST", url, "/rpc", rpc_body("daemon.backup", {"path": secret, "overwrite": True}), b],
                ["POST", url, "/rpc", rpc_body("daemon.backup", {}), b],
                ["POST", url, "/rpc", rpc_body("import.start", {"content": "https://example.com/ok\n",
                                                                 "capture": False}), b],
            ])
            docs = [json.loads(o[1]) for o in out]
            for doc in docs[:3]:
                self.assertEqual(doc["error"]["code"], -32602, doc)
                self.assertIn("HTTP", doc["error"]["message"])
            self.assertIn("import_id", docs[3]["result"])   # content is fine
            self.assertNotIn("ROOT-SECRET", json.dumps(docs))
            with open(secret) as f:
                self.assertEqual(f.read(), "ROOT-SECRET-LINE\n")
            self.assertFalse(os.path.exists(os.path.join(d.state_dir, "backups")))

    def test_backup_only_into_backup_dir(self):
        with Daemon() as d:
            d.call("link.add", {"url": "https://example.com/backed-up", "capture": False})
            r = d.call("daemon.backup", {"name": "one.db"})
            bdir = os.path.join(d.state_dir, "backups")
            self.assertEqual(r["path"], os.path.join(bdir, "one.db"))
            self.assertEqual(stat.S_IMODE(os.stat(r["path"]).st_mode), 0o600)
            self.assertEqual(stat.S_IMODE(os.stat(bdir).st_mode), 0o700)
            db = sqlite3.connect(r["path"])
            self.assertEqual(db.execute("select count(*) from links").fetchone()[0], 1)
            db.close()
            e = self.assertRpcError(-32002, d.call, "daemon.backup", {"name": "one.db"})
            self.assertIn("exists", e.message)
            for bad in ("../escape.db", "a/b.db", ".hidden", "", "x" * 200):
                self.assertRpcError(-32602, d.call, "daemon.backup", {"name": bad})
            target = os.path.join(d.root, "not-to-touch")
            with open(target, "w") as f:
                f.write("keep")
            self.assertRpcError(-32602, d.call, "daemon.backup", {"path": target, "overwrite": True})
            os.symlink(target, os.path.join(bdir, "link.db"))
            self.assertRpcError(-32002, d.call, "daemon.backup", {"name": "link.db"})
            with open(target) as f:
                self.assertEqual(f.read(), "keep")
            # the CLI names a file there and prints its path
            p = d.cli("backup", "two.db")
            self.assertEqual((p.returncode, p.stdout.strip()), (0, os.path.join(bdir, "two.db")), p.stderr)
            p = d.cli("backup")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(p.stdout.strip().startswith(os.path.join(bdir, "linksnap-")), p.stdout)
            self.assertEqual(d.cli("backup", "/etc/passwd").returncode, 2)
            self.assertEqual(sorted(n for n in os.listdir(bdir) if not n.startswith("linksnap-")),
                             ["link.db", "one.db", "two.db"])

    def test_import_path_fifo_device_symlink_and_size(self):
        with Daemon() as d:
            fifo = os.path.join(d.root, "fifo")
            os.mkfifo(fifo)
            with d.client(timeout=60) as c:
                e = self.assertRpcError(-32602, c.call, "import.start", {"path": fifo})
                self.assertIn("FIFO", e.message)
                e = self.assertRpcError(-32602, c.call, "import.start", {"path": "/dev/urandom"})
                self.assertIn("character device", e.message)
                real = os.path.join(d.root, "real.txt")
                with open(real, "w") as f:
                    f.write("https://example.com/via-link\n")
                link = os.path.join(d.root, "link.txt")
                os.symlink(real, link)
                e = self.assertRpcError(-32007, c.call, "import.start", {"path": link})
                self.assertIn("symbolic link", e.message)
                big = os.path.join(d.root, "big.txt")
                with open(big, "wb") as f:
                    f.truncate((1 << 30) + 1)   # sparse: costs no disk
                e = self.assertRpcError(-32602, c.call, "import.start", {"path": big})
                self.assertIn("at most", e.message)
                self.assertRpcError(-32602, c.call, "import.start", {"path": d.root})
                # the writer was never wedged: writes go on, and a real file imports
                c.call("link.add", {"url": "https://example.com/after-fifo", "capture": False})
                iid = c.call("import.start", {"path": real, "capture": False})["import_id"]
                for _ in range(300):
                    imp = c.call("import.get", {"id": iid})
                    if imp["state"] != "running":
                        break
                    time.sleep(0.05)
                self.assertEqual((imp["state"], imp["added"]), ("done", 1), imp)


class Upload(TestCase):
    """Item 3: POST /import past 1 MiB streams into the spool file."""

    def test_upload_of_several_mib(self):
        with Daemon() as d:
            url, token = d.web_url, d.token
            # 4 MiB and more in 5,000 long lines: the body's size is what streams into the
            # spool file (120,000 short ones spent a minute of the suite importing links)
            pad = "p" * 860
            lines = "".join("https://example.com/upload/%s/%07d\n" % (pad, i) for i in range(5000))
            self.assertGreater(len(lines), 4 << 20)
            st, h, body = http(url, "POST", "/import?format=text&capture=0", lines,
                               {"Authorization": "Bearer " + token, "Content-Type": "text/plain"})
            self.assertEqual(st, 200, body[:300])
            iid = json.loads(body)["import_id"]
            # no deadline on the whole (a loaded machine with ASan is slow), only on progress:
            # an import that stops moving for a minute has stalled
            moved, last = time.monotonic(), None
            while True:
                imp = d.call("import.get", {"id": iid})
                if imp["state"] != "running":
                    break
                if imp["added"] != last:
                    moved, last = time.monotonic(), imp["added"]
                self.assertLess(time.monotonic() - moved, 60, "the import stalled: %s" % imp)
                time.sleep(0.2)
            self.assertEqual((imp["state"], imp["added"], imp["invalid"]), ("done", 5000, 0), imp)


@unittest.skipUnless(can_runuser(), "needs root and runuser")
class Crowding(TestCase):
    """Item 4: one user cannot lock everyone out with idle connections."""

    def open_socket_to(self, d, group="nogroup"):
        # let nobody reach the socket on purpose: its dir traversable, the socket its group's
        os.chmod(d.root, 0o711)
        shutil.chown(d.socket, group=group)

    def test_per_uid_cap_on_the_socket(self):
        with Daemon(config="max_clients_per_uid = 4\n") as d:
            self.open_socket_to(d)
            code = r"""
import json, socket, sys
socks, out = [], []
for i in range(7):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sys.argv[1])
    try:
        s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"daemon.ping"}\n')
    except (BrokenPipeError, ConnectionResetError):
        pass   # over the cap the daemon answers at once and closes: its line is still there
    line = b""
    while not line.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        line += chunk
    out.append(json.loads(line) if line else None)
    socks.append(s)
print(json.dumps(out))
"""
            p = subprocess.run(["runuser", "-u", NOBODY, "--", PY, "-c", code, d.socket],
                               capture_output=True, text=True, timeout=120, cwd="/")
            self.assertEqual(p.returncode, 0, p.stderr)
            out = json.loads(p.stdout)
            self.assertEqual([o.get("result") for o in out[:4]], [{"pong": True}] * 4, out)
            for o in out[4:]:
                self.assertEqual(o["error"]["code"], -32009, o)
            # root, another uid, is still served while nobody holds its four
            self.assertEqual(d.call("daemon.ping"), {"pong": True})

    def test_idle_clients_closed_subscribers_pinged(self):
        with Daemon(config="idle_timeout = 2\n") as d:
            idle = d.client(timeout=60)
            sub = d.client(timeout=60)
            sub.call("events.subscribe", {"topics": ["link"]})
            # the silent client is closed (EOF), the subscriber gets pings and stays
            self.assertEqual(idle.sock.recv(10), b"")
            pings = 0
            while pings < 2:
                msg = sub.read_msg()
                self.assertIsNotNone(msg, "the subscriber was closed")
                if msg.get("method") == "ping":
                    pings += 1
            d.call("link.add", {"url": "https://example.com/still-subscribed", "capture": False})
            ev = sub.wait_event(lambda e: e.get("topic") == "link.added")
            self.assertEqual(ev["link"]["url"], "https://example.com/still-subscribed")
            idle.close()
            sub.close()
            self.assertIn("idle_timeout", d.read_log())

    def test_idle_http_connections_of_another_user_are_closed(self):
        with Daemon(config="idle_timeout = 2\n") as d:
            u = urlsplit(d.web_url)
            code = r"""
import json, socket, sys
socks = [socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60) for _ in range(200)]
for s in socks:
    s.sendall(b"GET / HTTP/1.1\r\n")   # a request that never ends
closed = sum(1 for s in socks if s.recv(10) == b"")
print(closed)
"""
            p = subprocess.run(["runuser", "-u", NOBODY, "--", PY, "-c", code, u.hostname, str(u.port)],
                               capture_output=True, text=True, timeout=300, cwd="/")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout.strip(), "200")
            self.assertEqual(rpc(d.web_url, "daemon.ping", headers={"Authorization": "Bearer " + d.token})[0], 200)

    def test_unit_limits_descriptors(self):
        with open(os.path.join(os.path.dirname(__file__), "..", "..", "systemd", "linksnapd.service")) as f:
            self.assertRegex(f.read(), r"(?m)^LimitNOFILE=\d+")


@unittest.skipUnless(can_runuser(), "needs root and runuser")
class CliSecrets(TestCase):
    """Issue 24, finding 10: site-rule secrets never on linksnap's command line, where
    every local user reads them in /proc/PID/cmdline."""

    def cmdline_as_nobody(self, pid):
        code = "import sys; sys.stdout.write(open('/proc/%s/cmdline' % sys.argv[1], 'rb').read()" \
               ".replace(b'\\0', b' ').decode('utf-8', 'replace'))"
        r = subprocess.run(["runuser", "-u", NOBODY, "--", PY, "-c", code, str(pid)],
                           capture_output=True, text=True, timeout=60, cwd="/")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def feed_fifo(self, p, fifo, text):
        """Writes text into fifo once linksnap (p) opens it; fails if p ends first (an
        open for writing would otherwise wait for a reader for ever)."""
        while True:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as e:
                if e.errno != errno.ENXIO:   # ENXIO: no reader yet
                    raise
            if p.poll() is not None:
                self.fail("linksnap ended before reading %s: %s" % (fifo, p.stderr.read()))
            time.sleep(0.05)
        os.set_blocking(fd, True)
        os.write(fd, text.encode())
        os.close(fd)

    def site_set(self, d, *args, stdin=subprocess.DEVNULL):
        return subprocess.Popen([LINKSNAP, "--socket", d.socket, "site", "set"] + list(args),
                                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_values_from_a_file_or_stdin_are_not_in_cmdline(self):
        with Daemon() as d:
            fifo = os.path.join(d.root, "values")
            os.mkfifo(fifo, 0o600)
            stored = lambda m: d.sql("SELECT rule FROM site_rules WHERE match = ?", (m,))[0][0]
            # --cookie-file: linksnap waits on the FIFO while nobody looks at its command line
            p = self.site_set(d, "file.example", "--cookie-file", fifo)
            cmd = self.cmdline_as_nobody(p.pid)
            self.assertIn("--cookie-file " + fifo, cmd)   # it is linksnap's, and it is running
            self.assertIsNone(p.poll())
            self.assertNotIn("FILE-SECRET", cmd)
            self.feed_fifo(p, fifo, "session=FILE-SECRET-1\n")
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
            self.assertNotIn("warning", err)
            self.assertIn("FILE-SECRET-1", stored("file.example"))
            # --cookie NAME / --header NAME: the values are read from standard input
            p = self.site_set(d, "stdin.example", "--cookie", "session", "--header", "Authorization",
                              stdin=subprocess.PIPE)
            cmd = self.cmdline_as_nobody(p.pid)
            self.assertIn("--cookie session --header Authorization", cmd)
            self.assertIsNone(p.poll())
            out, err = p.communicate("STDIN-SECRET-2\nBearer STDIN-SECRET-3\n", timeout=60)
            self.assertEqual(p.returncode, 0, err)
            self.assertNotIn("warning", err)
            self.assertNotIn("STDIN-SECRET", cmd)
            self.assertIn("STDIN-SECRET-2", stored("stdin.example"))
            self.assertIn("Bearer STDIN-SECRET-3", stored("stdin.example"))
            # the old way still works, and shows why not to: nobody reads the value
            p = self.site_set(d, "argv.example", "--cookie", "session=ARGV-SECRET-4", "--header-file", fifo)
            cmd = self.cmdline_as_nobody(p.pid)
            self.assertIn("session=ARGV-SECRET-4", cmd)
            self.assertIsNone(p.poll())
            self.feed_fifo(p, fifo, "X-Other: 1\n")
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
            self.assertIn("warning: the value of --cookie session is on the command line", err)
            self.assertIn("/proc/PID/cmdline", err)
            self.assertNotIn("ARGV-SECRET", err)


@unittest.skipUnless(can_runuser() and shutil.which("unshare"), "needs root, runuser and unshare")
class FallbackDir(TestCase):
    """Item 5: /tmp/linksnap-UID made first by another user is refused. A non-root daemon
    (nobody, without HOME or XDG dirs) in a private /tmp of its own (a mount namespace)."""

    SCRIPT = r"""
set -u
# the binaries may live under /tmp themselves (a clone in a temp dir): keep them open across
# the mount that hides the old /tmp, and copy them into the new one
exec 3<"$LINKSNAPD" 4<"$LINKSNAP"
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -m 0755 /tmp/bin
cat <&3 >/tmp/bin/linksnapd; cat <&4 >/tmp/bin/linksnap; exec 3<&- 4<&-
chmod 0755 /tmp/bin/linksnapd /tmp/bin/linksnap
LINKSNAPD=/tmp/bin/linksnapd LINKSNAP=/tmp/bin/linksnap
uid=$(id -u nobody)
mkdir -m 0777 /tmp/linksnap-$uid          # root made it first, open to all
run() { runuser -u nobody -- env -u HOME -u XDG_RUNTIME_DIR -u XDG_STATE_HOME \
        ASAN_OPTIONS=detect_leaks=0 "$@"; }
run "$LINKSNAPD" --no-capture --http-listen off >/tmp/d1.log 2>&1; echo "daemon1=$?"
/usr/bin/python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" \
    /tmp/linksnap-$uid/linksnap.sock                       # a trap socket of root's in it
run "$LINKSNAP" status >/tmp/c1.log 2>&1; echo "cli1=$?"
rm /tmp/linksnap-$uid/linksnap.sock; rmdir /tmp/linksnap-$uid
runuser -u nobody -- env -u HOME -u XDG_RUNTIME_DIR -u XDG_STATE_HOME ASAN_OPTIONS=detect_leaks=0 \
    "$LINKSNAPD" --no-capture --http-listen off >/tmp/d2.log 2>&1 &
pid=$!                                    # runuser's; linksnapd is its child
for i in $(seq 1 300); do [ -S /tmp/linksnap-$uid/linksnap.sock ] && break; sleep 0.1; done
run "$LINKSNAP" status >/tmp/c2.log 2>&1; echo "cli2=$?"
echo "mode=$(stat -c %a:%U /tmp/linksnap-$uid)"
kill -TERM $(ps -o pid= --ppid $pid); wait $pid; echo "daemon2=$?"
echo ---; cat /tmp/d1.log; echo ---; cat /tmp/c1.log
"""

    def test_fallback_dir_of_another_owner_refused(self):
        env = dict(os.environ, LINKSNAPD=os.path.abspath(LINKSNAPD), LINKSNAP=os.path.abspath(LINKSNAP))
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", self.SCRIPT],
                           capture_output=True, text=True, timeout=300, env=env, cwd="/")
        out = p.stdout
        self.assertIn("daemon1=1", out, out + p.stderr)
        self.assertIn("belongs to uid 0", out)
        self.assertIn("cli1=1", out)
        self.assertIn("refusing /tmp/linksnap-", out)
        self.assertIn("cli2=0", out, out + p.stderr)
        self.assertIn("mode=700:nobody", out)
        self.assertIn("daemon2=0", out)


class Text(TestCase):
    """Items 6 and 7: stored broken UTF-8 is repaired on read; control characters never
    reach the terminal."""

    def test_broken_title_repaired_not_dropped(self):
        with Daemon() as d:
            for i in range(3):
                d.call("link.add", {"url": "https://example.com/t%d" % i, "capture": False})
            d.stop()
            # what an earlier linksnapd stored: a 200 x 中 title cut inside a character
            cut = ("中" * 200).encode()[:511]
            db = sqlite3.connect(d.db_path)
            db.execute("update links set title = cast(? as text) where url like '%t1'", (cut,))
            db.commit()
            db.close()
            d.start()
            links = d.call("link.list")["links"]
            self.assertEqual(len(links), 3)
            t = [l for l in links if l["url"].endswith("t1")][0]["title"]
            self.assertTrue(t.startswith("中" * 170) and t.endswith("\ufffd"), t[-5:])
            self.assertIn("not valid UTF-8", d.read_log())
            r = d.cli("ls")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(len(r.stdout.splitlines()), 4, r.stdout)   # a header and three rows
            self.assertIn("中中中", r.stdout)

    def test_control_characters_replaced_in_cli_output(self):
        with Daemon() as d:
            evil = "evil\x1b]0;owned\x07title\x1b[2J\x9b31m"
            d.call("link.add", {"url": "https://example.com/escape", "title": evil, "capture": False})
            for args in (("ls",), ("show", "https://example.com/escape")):
                r = d.cli(*args)
                self.assertEqual(r.returncode, 0, r.stderr)
                for ch in ("\x1b", "\x07", "\x9b"):
                    self.assertNotIn(ch, r.stdout, args)
                self.assertIn("evil", r.stdout)
            r = d.cli("--json", "show", "https://example.com/escape")
            self.assertIn(json.dumps(evil)[1:-1].lower(), r.stdout.lower())   # --json: the data, escaped
            self.assertNotIn("\x1b", r.stdout)


@unittest.skipUnless(shutil.which("openssl"), "needs openssl")
class Tls(TestCase):
    """Item 8: TLS off loopback; plain text there only when allowed."""

    def test_tls_listener(self):
        tmp = tempfile.mkdtemp(prefix="linksnap-tls-")
        try:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.2", "-keyout", key, "-out", cert],
                           check=True, capture_output=True, timeout=120)
            cfg = "http.tls_cert = %s\nhttp.tls_key = %s\n" % (cert, key)
            with Daemon(http="127.0.0.2:0", config=cfg) as d:
                url = d.web_url
                self.assertTrue(url.startswith("https://127.0.0.2:"), url)
                self.assertTrue(d.login_url.startswith("https://127.0.0.2:"), d.login_url)
                ctx = ssl.create_default_context(cafile=cert)
                ctx.check_hostname = False
                u = urlsplit(url)
                import http.client
                c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
                c.request("POST", "/rpc", body=rpc_body("daemon.ping"),
                          headers={"Content-Type": "application/json", "Authorization": "Bearer " + d.token})
                r = c.getresponse()
                self.assertEqual((r.status, json.loads(r.read())["result"]), (200, {"pong": True}))
                c.close()
                # the login cookie is Secure there
                u2 = urlsplit(d.login_url)
                c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
                c.request("GET", u2.path + "?" + u2.query)
                r = c.getresponse()
                r.read()
                self.assertEqual(r.status, 303)
                self.assertIn("Secure", r.getheader("set-cookie"))
                c.close()
                # plain HTTP on the TLS port gets no page
                with self.assertRaises(Exception):
                    st, _, _ = http("http://%s:%d" % (u.hostname, u.port), path="/")
                    if st == 200:
                        raise AssertionError("unreachable")
                    raise ConnectionError(st)
            d = Daemon(http="127.0.0.2:0", config="http.tls_cert = %s\n" % cert)
            with self.assertRaises(RuntimeError) as cm:
                d.start()
            self.assertIn("go together", str(cm.exception))
            d.proc = None
            d.log.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

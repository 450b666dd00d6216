"""test_lifecycle -- linksnapd at start and stop: the web page's address busy (at its
default: a warning, daemon.status says why, the socket still serves; set explicitly: a
refusal naming the key), http.listen with a host name, browser.token never over a plain
scheme off loopback, log levels (-v, -vv), and SIGTERM in the middle of a big import
(exit 0, nothing acknowledged lost)."""
import errno
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

from linksnap_test import Client, Daemon, LINKSNAPD, TestCase, main

DEFAULT_WEB_PORT = 8750   # linksnapd's built-in http.listen is 127.0.0.1:8750


def hold_port(port):
    """A listening socket on 127.0.0.1:port, or None when another program holds it already
    (then it is busy all the same)."""
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        s.listen(1)
        return s
    except OSError as e:
        s.close()
        if e.errno != errno.EADDRINUSE:
            raise
        return None


class WebListenTests(TestCase):
    def test_default_address_busy_socket_activated_runs_without_page(self):
        # the quick start's linksnapd keeps the default address; a second, socket-activated
        # linksnapd once aborted at its first client
        held = hold_port(DEFAULT_WEB_PORT)
        root = tempfile.mkdtemp(prefix="linksnap-busy-")
        sock = os.path.join(root, "a.sock")
        logp = os.path.join(root, "log")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        with open(logp, "wb") as log:
            p = subprocess.Popen(["systemd-socket-activate", "-l", sock, LINKSNAPD, "--state-dir",
                                  os.path.join(root, "state"), "--no-capture", "-v"],
                                 stdout=log, stderr=subprocess.STDOUT, env=env)
            try:
                for _ in range(200):
                    if os.path.exists(sock):
                        break
                    time.sleep(0.05)
                with Client(sock, timeout=60) as c:
                    st = c.call("daemon.status")
                    c.call("link.add", {"url": "https://busy.example/", "capture": False})
                    self.assertEqual(c.call("daemon.status")["links"], 1)
            finally:
                p.send_signal(signal.SIGTERM)
                rc = p.wait(60)
                if held:
                    held.close()
        text = open(logp, errors="replace").read()
        self.assertEqual(rc, 0, text)
        self.assertFalse(st["http"]["listening"], st)
        self.assertEqual(st["http"]["listen"], "127.0.0.1:%d" % DEFAULT_WEB_PORT)
        self.assertIn("in use", st["http"]["error"])
        self.assertIn("no web page", text)
        self.assertNotIn("web page at", text)
        self.assertNotIn("AddressSanitizer", text)
        shutil.rmtree(root, ignore_errors=True)

    def test_explicit_address_busy_refuses_to_start(self):
        held = socket.socket()
        held.bind(("127.0.0.1", 0))
        held.listen(1)
        port = held.getsockname()[1]
        d = Daemon(http="127.0.0.1:%d" % port)
        try:
            with self.assertRaises(RuntimeError):
                d.start()
            self.assertEqual(d.proc.wait(30), 1)
            log = d.read_log()
            self.assertIn("http.listen = 127.0.0.1:%d" % port, log)
            self.assertIn("in use", log)
            self.assertNotIn("web page at", log)
            self.assertNotIn("AddressSanitizer", log)
        finally:
            held.close()
            d.proc = None
            d.close()

    def test_explicit_address_not_of_this_machine_refuses(self):
        # 192.0.2.1 (TEST-NET-1) is on no interface here: bind fails, nothing is sent
        d = Daemon(http="192.0.2.1:0", config="http.allow_plain = true\n")
        with self.assertRaises(RuntimeError):
            d.start()
        self.assertEqual(d.proc.wait(30), 1)
        self.assertIn("not an address of this machine", d.read_log())
        d.proc = None
        d.close()

    def test_localhost_is_resolved_and_really_listens(self):
        with Daemon(http="localhost:0") as d:
            url = d.web_url
            self.assertTrue(url.startswith("http://localhost:"), url)
            port = int(url.rsplit(":", 1)[1])
            self.assertGreater(port, 0)
            st = d.call("daemon.status")["http"]
            self.assertTrue(st["listening"], st)
            self.assertEqual(st["url"], url)
            # the log's address answers, by its name and by its address
            for base in (url, "http://127.0.0.1:%d" % port):
                req = urllib.request.Request(base + "/", headers={"Host": "localhost:%d" % port})
                with urllib.request.urlopen(req, timeout=30) as r:
                    self.assertEqual(r.status, 200)

    def test_unresolvable_name_refuses(self):
        # inside an empty network namespace: the lookup fails at once and leaves no machine
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare for a namespace without a network")
        root = tempfile.mkdtemp(prefix="linksnap-name-")
        r = subprocess.run(["unshare", "-n", LINKSNAPD, "--state-dir", os.path.join(root, "s"),
                            "--socket", os.path.join(root, "s.sock"), "--no-capture",
                            "--http-listen", "no-such-host.invalid:0", "--set", "http.allow_plain=true"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("http.listen: cannot resolve 'no-such-host.invalid'", r.stderr)
        shutil.rmtree(root, ignore_errors=True)

    def test_off_has_no_page(self):
        with Daemon(http="off") as d:
            st = d.call("daemon.status")["http"]
            self.assertEqual(st, {"listen": "off", "listening": False})
            self.assertNotIn("web page", d.read_log())


class BrowserTokenTests(TestCase):
    """browser.token goes as a Bearer header: over http:// or ws:// only to loopback."""

    def run_linksnapd(self, *args):
        root = tempfile.mkdtemp(prefix="linksnap-btok-")
        try:
            return subprocess.run([LINKSNAPD, "--state-dir", os.path.join(root, "s"), "--socket",
                                   os.path.join(root, "s.sock"), "--no-capture", "--http-listen", "off"]
                                  + list(args), capture_output=True, text=True, timeout=60)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def test_plain_scheme_off_loopback_refused(self):
        # refused before anything starts: nothing is ever sent to these addresses
        for endpoint in ("http://192.0.2.1:9222", "ws://192.0.2.1:9222/devtools/browser/x",
                         "HTTP://192.0.2.1:9222", "http://browser.example:9222",
                         "http://127.0.0.1.nip.io:9222", "http://[::ffff:192.0.2.1]:9222",
                         "ws://[2001:db8::1]:9222/devtools/browser/x"):
            # the endpoint first, then the token, and the other way round
            for args in (["--browser-endpoint", endpoint, "--set", "browser.token=s3cret-token"],
                         ["--set", "browser.token=s3cret-token", "--set", "browser.endpoint=" + endpoint]):
                r = self.run_linksnapd(*args)
                self.assertEqual(r.returncode, 2, (endpoint, r.stderr))
                self.assertIn("browser.token cannot go to browser.endpoint", r.stderr)
                self.assertIn("in clear", r.stderr)
                self.assertNotIn("s3cret-token", r.stderr)
        # in a config file: the line that completes the pair is named
        root = tempfile.mkdtemp(prefix="linksnap-btok-")
        cfg = os.path.join(root, "c.conf")
        with open(cfg, "w") as f:
            f.write("browser.token = s3cret-token\nbrowser.endpoint = http://192.0.2.1:9222\n")
        r = self.run_linksnapd("--config", cfg)
        shutil.rmtree(root, ignore_errors=True)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("c.conf:2: browser.token cannot go to browser.endpoint 'http://192.0.2.1:9222'",
                      r.stderr)

    def test_tls_or_loopback_accepted(self):
        # --no-capture: the daemon starts and never connects to the endpoint
        for endpoint in ("https://192.0.2.1:9222", "wss://192.0.2.1:9222/devtools/browser/x",
                         "http://127.0.0.1:9", "http://127.3.4.5:9", "ws://[::1]:9/devtools/browser/x",
                         "http://localhost:9"):
            with Daemon(http="off", args=["--browser-endpoint", endpoint,
                                          "--set", "browser.token=s3cret-token"]) as d:
                self.assertEqual(d.call("daemon.status")["browser"]["mode"], "endpoint", endpoint)
        # a plain endpoint without a token sends no secret: still allowed
        with Daemon(http="off", args=["--browser-endpoint", "http://192.0.2.1:9222"]) as d:
            d.call("daemon.ping")


class LogLevelTests(TestCase):
    def levels(self, *flags):
        """The log of a start and stop with these flags (and without the harness's -v)."""
        root = tempfile.mkdtemp(prefix="linksnap-log-")
        sock = os.path.join(root, "s.sock")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        p = subprocess.Popen([LINKSNAPD, "--state-dir", os.path.join(root, "s"), "--socket", sock,
                              "--no-capture", "--http-listen", "off"] + list(flags),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        for _ in range(600):
            try:
                with Client(sock, timeout=10) as c:
                    c.call("daemon.ping")
                    break
            except OSError:
                time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=60)
        shutil.rmtree(root, ignore_errors=True)
        self.assertEqual(p.returncode, 0, out)
        return out.decode(errors="replace")

    def test_default_is_notice(self):
        out = self.levels()
        self.assertIn("<5>linksnapd", out)          # notice: ready
        self.assertNotIn("<6>", out)                # no info
        self.assertNotIn("<7>", out)                # no debug

    def test_v_is_info(self):
        out = self.levels("-v")
        self.assertIn("<6>", out)
        self.assertNotIn("<7>", out)

    def test_vv_is_debug(self):
        out = self.levels("-vv")
        self.assertIn("<6>", out)
        self.assertIn("<7>settings: ", out)

    def test_quiet_is_warning(self):
        out = self.levels("-q")
        self.assertNotIn("<5>", out)
        self.assertNotIn("<6>", out)

    def test_config_log_level(self):
        root = tempfile.mkdtemp(prefix="linksnap-cfg-")
        cfg = os.path.join(root, "c.conf")
        with open(cfg, "w") as f:
            f.write("log_level = debug\n")
        out = self.levels("--config", cfg)
        self.assertIn("<7>settings: ", out)
        shutil.rmtree(root, ignore_errors=True)


class StopDuringWorkTests(TestCase):
    def test_sigterm_during_big_import(self):
        # a 12 MB list: SIGTERM one second in once aborted the daemon (a double uv_close)
        d = Daemon().start()
        path = os.path.join(d.root, "big.txt")
        with open(path, "w") as f:
            for i in range(300_000):
                f.write("https://stop-during-import.example/some/long/path/segment/%07d\n" % i)
        self.assertGreater(os.path.getsize(path), 12 << 20)
        acked = d.call("link.add", {"url": "https://acked-before-stop.example/", "capture": False})
        iid = d.call("import.start", {"path": path, "capture": False})["import_id"]
        time.sleep(1.0)
        self.assertEqual(d.stop(60), 0, d.read_log()[-3000:])
        # restart on the same data: the acknowledged link is there, the import is marked
        # interrupted with exactly the links it had committed, and the store is sound
        with Daemon(state_dir=d.state_dir) as d2:   # same socket and log beside it
            self.assertEqual(d2.call("link.get", {"id": acked["link"]["id"]})["link"]["url"],
                             "https://acked-before-stop.example/")
            imp = d2.call("import.get", {"id": iid})
            self.assertIn(imp["state"], ("interrupted", "done"), imp)
            links = d2.call("daemon.status")["links"]
            self.assertEqual(links, 1 + imp["added"], imp)
        d.close()


if __name__ == "__main__":
    main()

"""linksnap_test -- the integration-test harness: starts the real linksnapd on a private
state dir and socket, speaks JSON-RPC to it over the Unix socket, runs the real CLI, and
checks the store with SQLite's own integrity_check. Standard library only.

    from linksnap_test import Daemon, RpcError, main, TestCase
    class T(TestCase):
        def test_x(self):
            with Daemon() as d:
                link = d.call("link.add", {"url": "http://127.0.0.1/"})["link"]
    if __name__ == "__main__": main()

Every test file ends with main(), which prints "N passed, N failed" last.
"""
import json
import os
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BUILD = os.environ.get("LINKSNAP_BUILD") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build")
SRC = os.environ.get("LINKSNAP_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
# the build's sanitizer as ctest says it ('', address or thread): a few tests run less
# volume under TSan, which makes the daemon 5-15 times slower and finds a race in the first
# rounds anyway (tests/charts/test_charts_threads.c does the same)
SANITIZE = os.environ.get("LINKSNAP_SANITIZE", "")
LINKSNAPD = os.path.join(BUILD, "daemon", "linksnapd")
LINKSNAP = os.path.join(BUILD, "cli", "linksnap")


def wait_until(pred, timeout, what, every=0.05):
    """pred()'s first true value within timeout seconds; AssertionError naming what, else."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(every)
    raise AssertionError("timed out waiting for " + what)



def dns_server(names):
    """A UDP DNS server on 127.0.0.1 (a free port) for linksnapd's dns_servers: A 127.0.0.1
    for each of names (lower case), an empty answer for their other record types, NXDOMAIN
    for any other name. Returns its socket (its port: getsockname()[1]; close it to stop)."""
    names = set(names)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))

    def answer(q):
        (qid,) = struct.unpack("!H", q[:2])
        pos, labels = 12, []
        while q[pos]:
            labels.append(q[pos + 1:pos + 1 + q[pos]].decode().lower())
            pos += 1 + q[pos]
        qtype = struct.unpack("!H", q[pos + 1:pos + 3])[0]
        question = q[12:pos + 5]
        if ".".join(labels) not in names:
            return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
        ans = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("127.0.0.1") if qtype == 1 else b""
        return struct.pack("!HHHHHH", qid, 0x8180, 1, 1 if ans else 0, 0, 0) + question + ans

    def run():
        while True:
            try:
                q, peer = s.recvfrom(512)
            except OSError:
                return      # closed
            try:
                s.sendto(answer(q), peer)
            except (IndexError, struct.error, UnicodeDecodeError, OSError):
                pass        # a malformed query: no answer
    threading.Thread(target=run, daemon=True).start()
    return s

class LoadSampler:
    """The 1-minute load average every 5 s while a benchmark's run lasts (a context
    manager; summary() gives min, max and mean)."""

    def __init__(self):
        self.samples = []
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while True:
            self.samples.append(round(os.getloadavg()[0], 2))
            if self.stop_ev.wait(5):
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.stop_ev.set()
        self.thread.join()

    def summary(self):
        s = self.samples or [0]
        return {"min": min(s), "max": max(s), "mean": round(sum(s) / len(s), 2)}


class RpcError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__("%d: %s" % (code, message))
        self.code, self.message, self.data = code, message, data


class Client:
    """A blocking JSON-RPC client on one connection."""

    def __init__(self, path, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1
        self.events = []

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_line(self):
        """One line (bytes, without '\\n'); None at EOF."""
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def read_msg(self):
        line = self.read_line()
        return None if line is None else json.loads(line)

    def request(self, method, params=None, id=None):
        if id is None:
            id = self.next_id
            self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            msg["params"] = params
        return msg

    def read_reply(self):
        """The next reply, keeping notifications aside in self.events."""
        while True:
            msg = self.read_msg()
            if msg is None:
                raise ConnectionError("daemon closed the connection")
            if isinstance(msg, dict) and msg.get("method") == "event" and "id" not in msg:
                self.events.append(msg["params"])
                continue
            if isinstance(msg, dict) and msg.get("method") == "ping" and "id" not in msg:
                continue   # keeps an idle subscriber's connection alive
            return msg

    def call(self, method, params=None):
        req = self.request(method, params)
        self.send_raw((json.dumps(req) + "\n").encode())
        reply = self.read_reply()
        if reply.get("id") != req["id"]:
            raise AssertionError("reply id %r for request id %r" % (reply.get("id"), req["id"]))
        if "error" in reply:
            e = reply["error"]
            raise RpcError(e["code"], e["message"], e.get("data"))
        return reply["result"]

    def pipeline(self, calls):
        """Sends every (method, params) before reading; returns the replies in order."""
        reqs = [self.request(m, p) for m, p in calls]
        self.send_raw("".join(json.dumps(r) + "\n" for r in reqs).encode())
        return [self.read_reply() for _ in reqs]

    def wait_event(self, pred, timeout=60):
        deadline = time.time() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if pred(ev):
                    return self.events.pop(i)
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no matching event within %ss" % timeout)
            self.sock.settimeout(left)
            msg = self.read_msg()
            if msg is None:
                raise ConnectionError("daemon closed the connection")
            if msg.get("method") == "event":
                self.events.append(msg["params"])


def ping_until_ready(proc, sock, timeout=30):
    """Polls daemon.ping on sock every 50 ms until linksnapd (the Popen proc) answers:
    True; False when it exited first or timeout seconds passed (the caller says which)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with Client(sock, timeout=5) as c:
                c.call("daemon.ping")
            return True
        except (OSError, ConnectionError):
            time.sleep(0.05)
    return False


def capture_all(d, urls, timeout=120, params=None):
    """Adds the URLs (link.add with params) and waits for a job.finished event for each;
    returns the events in the URLs' order."""
    with d.client(timeout=timeout) as c:
        c.call("events.subscribe", {"topics": ["job"]})
        ids = [c.call("link.add", dict({"url": u}, **(params or {})))["link"]["id"] for u in urls]
        done = {}
        while len(done) < len(ids):
            ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] in ids
                              and e["link_id"] not in done, timeout)
            done[ev["link_id"]] = ev
        return [done[i] for i in ids]


class Daemon:
    """A real linksnapd on its own temp state dir and socket."""

    log = None

    def __init__(self, state_dir=None, args=(), config=None, env=None, keep=False, capture=False,
                 http="127.0.0.1:0"):
        self.own_dir = state_dir is None
        self.root = tempfile.mkdtemp(prefix="linksnap-test-") if state_dir is None else None
        self.state_dir = state_dir or os.path.join(self.root, "state")
        self.socket = os.path.join(self.root or os.path.dirname(self.state_dir), "linksnap.sock")
        # tests that add arbitrary URLs must never reach beyond loopback: no browser unless
        # a test asks for one (and then serves its pages on 127.0.0.1)
        self.args = list(args) + ([] if capture else ["--no-capture"])
        self.config = config
        self.env = env
        self.keep = keep
        self.http = http          # --http-listen; port 0 picks a free one (see web_url)
        self.proc = None
        self.log_path = os.path.join(self.root or os.path.dirname(self.state_dir), "linksnapd.log")

    @property
    def db_path(self):
        return os.path.join(self.state_dir, "linksnap.db")

    def start(self, wait=True):
        if not os.path.exists(LINKSNAPD):
            raise RuntimeError("linksnapd not built at %s" % LINKSNAPD)
        argv = [LINKSNAPD, "--state-dir", self.state_dir, "--socket", self.socket, "-v"]
        if self.http is not None:
            argv += ["--http-listen", self.http]
        if self.config is not None:
            cfg = os.path.join(os.path.dirname(self.socket), "linksnapd.conf")
            with open(cfg, "w") as f:
                f.write(self.config)
            argv += ["--config", cfg]
        argv += self.args
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        if self.env:
            env.update(self.env)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        if wait:
            self.wait_ready()
        return self

    def reload(self, text):
        """Rewrites the config file with text and sends SIGHUP; returns once linksnapd logged
        the reload (the settings that change live: job_timeout, blocked_retries, ...)."""
        with open(os.path.join(os.path.dirname(self.socket), "linksnapd.conf"), "w") as f:
            f.write(text)
        n = self.read_log().count("reloaded ")
        self.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: self.read_log().count("reloaded ") > n, 30, "the reload")

    def wait_ready(self, timeout=30):
        if ping_until_ready(self.proc, self.socket, timeout):
            return
        if self.proc.poll() is not None:
            raise RuntimeError("linksnapd exited with %s:\n%s" % (self.proc.returncode, self.read_log()))
        raise RuntimeError("linksnapd not ready after %ss:\n%s" % (timeout, self.read_log()))

    @property
    def web_url(self):
        """The web page's base URL as linksnapd logged it ("http://127.0.0.1:PORT")."""
        for line in self.read_log().splitlines():
            i = line.find("web page at ")
            if i >= 0:
                return line[i + len("web page at "):].strip()
        raise AssertionError("linksnapd logged no web page address:\n" + self.read_log()[-2000:])

    @property
    def login_url(self):
        """The web page's login address (web.login_url over the socket)."""
        return self.call("web.login_url")["url"]

    @property
    def token(self):
        """The web page's access token, from the login address."""
        from urllib.parse import parse_qs, urlsplit
        return parse_qs(urlsplit(self.login_url).query)["token"][0]

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def client(self, timeout=60):
        return Client(self.socket, timeout=timeout)

    def call(self, method, params=None):
        with self.client() as c:
            return c.call(method, params)

    def stop(self, timeout=30):
        """SIGTERM and wait; returns the exit code."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("linksnapd did not stop within %ss:\n%s" % (timeout, self.read_log()))
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        return rc

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cli(self, *args, input=None, env=None, timeout=120):
        """Runs the real CLI against this daemon; returns CompletedProcess (text)."""
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        if env:
            e.update(env)
        return subprocess.run([LINKSNAP, "--socket", self.socket] + list(args), input=input,
                              capture_output=True, text=True, env=e, timeout=timeout)

    def integrity_check(self):
        db = sqlite3.connect(self.db_path, timeout=30)
        try:
            rows = db.execute("PRAGMA integrity_check").fetchall()
            fk = db.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            db.close()
        return rows == [("ok",)] and fk == []

    def sql(self, query, args=()):
        db = sqlite3.connect(self.db_path, timeout=30)
        try:
            return db.execute(query, args).fetchall()
        finally:
            db.close()

    def wait_change(self, sid, timeout=60):
        """Snapshot sid's `change` once linksnapd compared it (off the loop, after
        job.finished); None when it has none after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            snap = self.call("snapshot.get", {"id": sid})["snapshot"]
            if snap["change"] is not None or time.monotonic() > deadline:
                return snap["change"]
            time.sleep(0.05)

    def sanitizer_report(self):
        """Text of any ASan/UBSan/TSan report in the daemon's log ('' when clean)."""
        log = self.read_log()
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "WARNING: ThreadSanitizer",
                       "ERROR: LeakSanitizer"):
            i = log.find(marker)
            if i >= 0:
                return log[max(0, i - 200):i + 4000]
        return ""

    def close(self):
        try:
            rc = self.stop()
        finally:
            if self.log:
                self.log.close()
        # every test's store must come out sound, whatever the test threw at the daemon
        if os.path.exists(self.db_path) and not self.integrity_check():
            self.keep = True
            raise AssertionError("integrity_check failed on %s" % self.db_path)
        report = self.sanitizer_report()
        if self.root and not self.keep and not report and rc == 0:
            shutil.rmtree(self.root, ignore_errors=True)
        if report:
            raise AssertionError("sanitizer report in linksnapd's log:\n" + report)
        if rc != 0:
            raise AssertionError("linksnapd exited with %d:\n%s" % (rc, self.read_log()[-4000:]))

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, *a):
        if exc_type is None:
            self.close()
        else:
            try:
                self.close()
            except AssertionError as e:
                sys.stderr.write(str(e) + "\n")


class TestCase(unittest.TestCase):
    def assertRpcError(self, code, fn, *args, **kw):
        with self.assertRaises(RpcError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.code, code, cm.exception.message)
        return cm.exception


def main():
    """Runs the module's tests and ends with the 'N passed, N failed' line. Arguments pick
    tests by their id ("__main__.Class.test_name"): those containing any argument, less
    those containing an argument's text after a "~" (so that a file can be cut into ctest
    entries that leave no test out: ".Class." and "~.Class.")."""
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromModule(sys.modules["__main__"])
    if len(sys.argv) > 1:
        want = [a for a in sys.argv[1:] if not a.startswith("~")]
        drop = [a[1:] for a in sys.argv[1:] if a.startswith("~")]
        suite = unittest.TestSuite(t for t in _flatten(suite)
                                   if (not want or any(a in t.id() for a in want))
                                   and not any(a in t.id() for a in drop))
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout, resultclass=_TimedResult).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or result.testsRun == 0 or result.skipped else 0)


class _TimedResult(unittest.TextTestResult):
    """verbosity 2's lines with each test's seconds: "test_x (T.test_x) ... ok (1.2 s)", so a
    slow case shows in ctest's output (the suite's time, docs/benchmarks.md)."""

    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        if self.showAll:
            self.stream.write("    (%.1f s)\n" % (time.monotonic() - self._t0))
            self.stream.flush()
        super().stopTest(test)


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t

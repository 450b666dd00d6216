"""test_fleet_chromium -- the fleet (issue 21) with real Chromiums as its endpoints, pages
from the fixture site on 127.0.0.1. test_fleet.py shows the scheduling against fake
endpoints in seconds; this file shows that real browsers behave the same way.

1. Two Chromiums this test starts with a DevTools port on 127.0.0.1 are the named
   endpoints `one` and `two` (2 slots each): a batch of ten pages is all ok, spread over
   both (job.started's endpoint), and every snapshot saw its requests (they went through
   linksnapd's proxy: a loopback endpoint gets loopback listeners). A second batch: once
   `one` has captures running, its process group is killed (-9): every job ends ok on
   `two`, counted as retried on `one` (daemon.status browser.endpoints), attempt 1, none
   finished twice, and `one` is down or quarantined with a last_error.
2. (root, `ip netns`) One Chromium in a network namespace of its own whose only link is a
   veth pair to this host: 10.213.0.1/30 here, 10.213.0.2/30 there, no default route. It
   is endpoint `ns` = http://10.213.0.2:9222 with .proxy_listen = 10.213.0.1. Chromium
   156 binds its DevTools port to 127.0.0.1 whatever --remote-debugging-address says
   (0.0.0.0 and 10.213.0.2 alike), so a small relay of this test's, in the namespace,
   carries 10.213.0.2:9222 to the namespace's 127.0.0.1 port. The fixture site is on this
   host's 127.0.0.1, which the namespace cannot reach: a capture is ok with requests >= 1
   only because the pages came through the proxy. A page that fetches and embeds from a
   trap listener on 10.213.0.1 (a port that is not the proxy) gets nothing into the
   trap from the namespace. A connection to the capture's proxy listener from this host
   (10.213.0.1, not the browser's 10.213.0.2) is closed unread, and the log says so. The
   namespace and the veth are removed whatever happens."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from debug_chromium import DebugChromium, listen_ports
from fixture_site import FixtureSite
from linksnap_test import Daemon, TestCase, main, wait_until
from test_fleet import Batch, endpoints

NS = "lsfleet%d" % os.getpid()                 # names carry our pid: a run killed before its
VETH_HOST, VETH_NS = "lsfa%d" % os.getpid(), "lsfb%d" % os.getpid()   # clean-up is found later
HOST_IP, NS_IP = "10.213.0.1", "10.213.0.2"
NS_PORT = 9222


def capture(d, url, timeout=120):
    with d.client(timeout=timeout) as c:
        c.call("events.subscribe", {"topics": ["job"]})
        lid = c.call("link.add", {"url": url})["link"]["id"]
        return c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] == lid, timeout)


def snapshot_of(d, ev):
    sid = ev.get("snapshot_id") or (ev.get("snapshot") or {}).get("id")
    if ev.get("snapshot") and "network" in ev["snapshot"]:
        return ev["snapshot"]
    return d.call("snapshot.get", {"id": sid})["snapshot"]


class Counting:
    """Installs itself as the fixture site's handler class: every request path it answers
    is kept (the site itself keeps none)."""

    def __init__(self, site):
        self.lock = threading.Lock()
        self.paths = []
        base = site.srv.RequestHandlerClass
        counter = self

        class Handler(base):
            def do_GET(self):
                with counter.lock:
                    counter.paths.append(self.path)
                return base.do_GET(self)
        site.srv.RequestHandlerClass = Handler

    def seen(self, part):
        with self.lock:
            return [p for p in self.paths if part in p]


class TwoChromiums(TestCase):
    """Part 1: two loopback Chromiums as named endpoints."""

    @classmethod
    def setUpClass(cls):
        cls.site = FixtureSite().start()
        cls.hits = Counting(cls.site)
        # the browser killed below drops its connections: not worth a traceback
        cls.site.srv.handle_error = lambda request, address: None
        cls.one = DebugChromium(name="linksnap-fleet-")
        cls.two = DebugChromium(name="linksnap-fleet-")

    @classmethod
    def tearDownClass(cls):
        cls.one.close()
        cls.two.close()
        cls.site.stop()

    def config(self):
        return ("capture = on\njob_timeout = 60\nper_host_jobs = 0\nbrowser.quarantine_s = 600\n"
                "browser.endpoint.one = http://127.0.0.1:%d\nbrowser.endpoint.one.slots = 2\n"
                "browser.endpoint.two = http://127.0.0.1:%d\nbrowser.endpoint.two.slots = 2\n"
                % (self.one.port, self.two.port))

    def test_a_batch_over_two_chromiums_then_kill9_of_one(self):
        with Daemon(config=self.config(), capture=True) as d:
            batch = Batch(d, timeout=240)
            urls = [self.site.url("/bench/%d?fleet=1" % i) for i in range(10)]
            batch.add(urls)
            evs = batch.wait_all()
            self.assertEqual([e["state"] for e in evs], ["ok"] * 10,
                             [(e["state"], e.get("error")) for e in evs])
            self.assertEqual(len(batch.finishes), 10, "a job finished twice")
            used = {ep for _, ep in batch.started}
            self.assertEqual(used, {"one", "two"}, batch.started)
            for ev in evs:
                net = snapshot_of(d, ev)["network"]
                self.assertGreaterEqual(net["requests"], 1, net)
                self.assertGreater(net["bytes"], 0, net)
            for i in range(10):   # each page came from the site (through the proxy)
                self.assertTrue(self.hits.seen("/bench/%d?fleet=1" % i), i)
            eps = endpoints(d)
            self.assertEqual(eps["one"]["done"] + eps["two"]["done"], 10, eps)
            self.assertEqual((eps["one"]["state"], eps["two"]["state"]), ("ready", "ready"), eps)
            self.assertEqual((eps["one"]["retried"], eps["two"]["retried"]), (0, 0), eps)

            # the second batch: pages that take 4 s to answer, so captures are running on
            # both when one's browser dies
            second = batch.add([self.site.url("/delay?ms=4000&fleet=2&n=%d" % i) for i in range(8)])
            mark = len(batch.started)

            def running_on(name):
                done = set(batch.finished)
                return [l for l, ep in batch.started[mark:] if ep == name and l not in done]
            batch.pump_until(lambda: len(running_on("one")) >= 1 and len(running_on("two")) >= 1,
                             "captures running on both endpoints")
            killed = running_on("one")
            self.one.kill9()
            evs = batch.wait_all()
            mine = [batch.finished[l] for l in second]
            self.assertEqual([e["state"] for e in mine], ["ok"] * 8,
                             [(e["state"], e.get("error")) for e in mine])
            self.assertEqual(len(batch.finishes), 18, "a job finished twice")
            self.assertEqual([e["attempt"] for e in mine], [1] * 8, mine)
            for lid in killed:   # each capture running on one ended on two
                self.assertEqual(batch.endpoint_of(lid)[-1], "two", batch.started)
            for ev in mine:
                self.assertGreaterEqual(snapshot_of(d, ev)["network"]["requests"], 1)
            eps = endpoints(d)
            self.assertGreaterEqual(eps["one"]["retried"], len(killed), eps)
            self.assertIn(eps["one"]["state"], ("down", "quarantined"), eps)
            self.assertTrue(eps["one"]["last_error"], eps)
            self.assertEqual(eps["two"]["state"], "ready", eps)
            self.assertEqual(eps["two"]["retried"], 0, eps)
            batch.close()


# ---- part 2: a Chromium whose only way out is the proxy ----------------------------------

def have_netns():
    if os.geteuid() != 0 or not shutil.which("ip"):
        return False
    return subprocess.run(["ip", "netns", "list"], capture_output=True).returncode == 0


# Run in the namespace: relays NS_IP:NS_PORT to the namespace's 127.0.0.1:argv[1]
# (Chromium's DevTools port). Prints "ready" once listening.
RELAY = r"""
import socket, sys, threading
lis = socket.socket()
lis.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lis.bind((sys.argv[2], int(sys.argv[3])))
lis.listen(16)
print("ready", flush=True)
def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = lis.accept()
    try:
        u = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        c.close()
        continue
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
"""

# Run in the namespace: tries TCP to each host:port of argv; prints one word per target.
PROBE = r"""
import socket, sys
for t in sys.argv[1:]:
    h, p = t.rsplit(":", 1)
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((h, int(p)))
        print("connected")
    except OSError as e:
        print(type(e).__name__)
    s.close()
"""


def sh(*args):
    subprocess.run(args, check=True, capture_output=True)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def remove_netns(name):
    """Kills what still runs in the namespace, then deletes it (and so its veth end)."""
    pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout
    for p in pids.split():
        try:
            os.kill(int(p), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    subprocess.run(["ip", "netns", "del", name], capture_output=True)


def remove_stale():
    """What a run of this test killed before its clean-up left: namespaces and veth ends
    named after a pid that is gone."""
    for line in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith("lsfleet") and name[7:].isdigit() and not pid_alive(int(name[7:])):
            remove_netns(name)
    for line in subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith("lsfa") and name[4:].isdigit() and not pid_alive(int(name[4:])):
            subprocess.run(["ip", "link", "del", name], capture_output=True)


class Trap:
    """A listener on HOST_IP (not the proxy) that keeps the address of every connection."""

    def __init__(self):
        self.peers = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST_IP, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, peer = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.peers.append(peer[0])
            c.close()

    def close(self):
        self.sock.close()


@unittest.skipUnless(have_netns(), "needs root and `ip netns`")
class ChromiumBehindTheProxy(TestCase):
    """Part 2: a Chromium in a network namespace whose only link leads to the proxy."""

    def setUp(self):
        remove_stale()
        taken = subprocess.run(["ip", "-o", "addr", "show", "to", HOST_IP + "/30"],
                               capture_output=True, text=True).stdout
        if taken.strip():
            self.fail("%s/30 is already in use here (another run of this test?): %s" % (HOST_IP, taken))
        self.addCleanup(self.teardown_net)
        sh("ip", "netns", "add", NS)
        sh("ip", "link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS)
        sh("ip", "link", "set", VETH_NS, "netns", NS)
        sh("ip", "addr", "add", HOST_IP + "/30", "dev", VETH_HOST)
        sh("ip", "link", "set", VETH_HOST, "up")
        for cmd in (["ip", "addr", "add", NS_IP + "/30", "dev", VETH_NS],
                    ["ip", "link", "set", VETH_NS, "up"], ["ip", "link", "set", "lo", "up"]):
            sh("ip", "netns", "exec", NS, *cmd)
        routes = subprocess.run(["ip", "netns", "exec", NS, "ip", "route", "show", "default"],
                                capture_output=True, text=True, check=True).stdout
        self.assertEqual(routes.strip(), "", "the namespace has a default route")
        self.site = FixtureSite().start()
        self.addCleanup(self.site.stop)
        self.hits = Counting(self.site)
        self.trap = Trap()
        self.addCleanup(self.trap.close)
        self.page = self.attack_server()
        self.chrome = DebugChromium(name="linksnap-fleet-", prefix=["ip", "netns", "exec", NS],
                               port_args=["--remote-debugging-port=0"])
        self.addCleanup(self.chrome.close)
        relay = subprocess.Popen(["ip", "netns", "exec", NS, sys.executable, "-c", RELAY,
                                  str(self.chrome.port), NS_IP, str(NS_PORT)],
                                 stdout=subprocess.PIPE, text=True, start_new_session=True)

        def stop_relay():
            try:
                os.killpg(relay.pid, signal.SIGKILL)
            except OSError:
                pass
            relay.wait()
            relay.stdout.close()
        self.addCleanup(stop_relay)
        self.assertEqual(relay.stdout.readline().strip(), "ready")

    def teardown_net(self):
        # deleting the host's end deletes the pair; then the namespace, with what runs there
        subprocess.run(["ip", "link", "del", VETH_HOST], capture_output=True)
        remove_netns(NS)
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        if NS in left.split():
            raise AssertionError("the namespace %s was left behind" % NS)

    def attack_server(self):
        """A page on this host's 127.0.0.1 that reaches for the trap directly: fetch, img,
        a form-less beacon; and reports what it got in its title."""
        trap = "http://%s:%d/" % (HOST_IP, self.trap.port)
        html = ("<!doctype html><meta charset=utf-8><title>attack</title><body>attack"
                "<img src='%simg.png'><script>"
                "fetch('%sfetch', {mode: 'no-cors'}).then(function () { document.title = 'got'; },"
                " function () { document.title = 'nothing'; });"
                "navigator.sendBeacon('%sbeacon', 'x');"
                "</script></body>" % (trap, trap, trap)).encode()

        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(html)))
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *a):
                pass
        srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()

        def stop():
            srv.shutdown()
            srv.server_close()
        self.addCleanup(stop)
        return "http://127.0.0.1:%d/attack.html" % srv.server_address[1]

    def config(self):
        return ("capture = on\njob_timeout = 60\n"
                "browser.endpoint.ns = http://%s:%d\nbrowser.endpoint.ns.slots = 1\n"
                "browser.endpoint.ns.proxy_listen = %s\n" % (NS_IP, NS_PORT, HOST_IP))

    def test_the_namespace_reaches_nothing_but_the_proxy(self):
        probe = subprocess.run(["ip", "netns", "exec", NS, sys.executable, "-c", PROBE,
                                "127.0.0.1:%d" % self.site.port, "%s:%d" % (HOST_IP, self.site.port),
                                "192.0.2.1:80"], capture_output=True, text=True, timeout=60)
        words = probe.stdout.split()
        # the site is on this host's loopback: not the namespace's, nor on the veth address;
        # and there is no route anywhere else
        self.assertEqual(words, ["ConnectionRefusedError", "ConnectionRefusedError", "OSError"],
                         probe.stdout + probe.stderr)
        self.assertEqual(self.hits.paths, [])

    def test_captures_go_through_the_proxy_and_nowhere_else(self):
        with Daemon(config=self.config(), capture=True) as d:
            ev = capture(d, self.site.url("/bench/3?ns=1"))
            self.assertEqual(ev["state"], "ok", ev)
            net = snapshot_of(d, ev)["network"]
            self.assertGreaterEqual(net["requests"], 1, net)
            self.assertGreater(net["bytes"], 0, net)
            self.assertTrue(self.hits.seen("/bench/3?ns=1"))
            eps = endpoints(d)
            self.assertEqual(eps["ns"]["state"], "ready", eps)
            self.assertEqual(eps["ns"]["done"], 1, eps)

            # a page that reaches for a port on the host side that is not the proxy
            ev = capture(d, self.page)
            self.assertIn(ev["state"], ("ok", "partial"), ev)
            time.sleep(1)   # anything still in flight from the closed context has arrived
            with self.trap.lock:
                direct = [p for p in self.trap.peers if p == NS_IP]
                peers = list(self.trap.peers)
            self.assertEqual(direct, [], "the namespace reached the trap directly")
            # whatever reached it came from linksnapd's side of the veth: the proxy (a page
            # on loopback may load from private addresses, docs/capture.md), counted there
            self.assertEqual([p for p in peers if p != HOST_IP], [], peers)
            net = snapshot_of(d, ev)["network"]
            self.assertGreaterEqual(net["requests"], 1 + len(peers), (net, peers))

            # a proxy connection from this host (10.213.0.1), not the browser's address
            with d.client(timeout=120) as c:
                c.call("events.subscribe", {"topics": ["job"]})
                lid = c.call("link.add", {"url": self.site.url("/delay?ms=5000&ns=2")})["link"]["id"]
                c.wait_event(lambda e: e.get("topic") == "job.started" and e["link_id"] == lid, 60)
                ports = wait_until(lambda: listen_ports(d.proc.pid, HOST_IP), 30,
                                   "linksnapd's proxy listener on %s" % HOST_IP)
                for port in ports:
                    s = socket.create_connection((HOST_IP, port), timeout=20)
                    self.assertEqual(s.getsockname()[0], HOST_IP)   # the wrong address
                    try:
                        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
                                   % (self.site.url("/ok?wrong-peer=1"), self.site.port)).encode())
                        got = s.recv(4096)
                    except ConnectionResetError:
                        got = b""
                    s.close()
                    self.assertEqual(got, b"", "a connection from the wrong address got an answer")
                ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] == lid, 120)
            self.assertEqual(ev["state"], "ok", ev)
            self.assertEqual(self.hits.seen("wrong-peer"), [])
            log = d.read_log()
            self.assertIn("a connection from an address other than the browser's was closed unread",
                          log)
            self.assertIn("egress job %d: a connection from an address other than" % ev["job_id"], log)
            eps = endpoints(d)
            self.assertEqual(eps["ns"]["failed"], 0, eps)
            # and counted: daemon.status says how many were refused unread, per endpoint
            self.assertGreaterEqual(eps["ns"]["proxy_refused"]["other_peer"], 1, eps)


if __name__ == "__main__":
    main()

"""test_egress_netns -- the egress proxy against a hostile page, with a real linksnapd and a
real Chromium, inside a network namespace of the test's own (unshare -n; needs root).

In the namespace lo carries stand-ins: 203.0.113.10 and 198.51.100.20 for public web
servers, 169.254.169.254 for a cloud metadata service, 10.0.0.5 for a private host, and
a counting listener on 127.0.0.1. The test's own DNS server (UDP on 127.0.0.1) answers
page.test, other.test and third.test with the public stand-ins, meta.test and priv.test
with the forbidden ones, and rebind.test first with a public address, then (TTL 0) with
the metadata address. linksnapd is pointed at it with dns_servers.

The page on page.test tries every kind of request at the metadata, private and loopback
stand-ins: fetch, img, a worker's fetch and WebSocket, EventSource, sendBeacon,
WebSocket (ws and wss), WebRTC with STUN and TURN servers there, from the top page, from
a cross-site iframe, from a cross-site frame nested in it, and through DNS rebinding of
a frame's own origin. The forbidden stand-ins must see no TCP connection and no UDP
packet at all; the snapshot's network counters and the log show the refusals by job.
Then: a link on the private stand-in may load from it (private network access), a top
document on the metadata address or a name that does not resolve fails naming why, and
nothing in the browser's process group listens on a TCP port (/proc/net/tcp* of the
namespace against the group's socket inodes). Nothing leaves the namespace."""
import json
import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PUB1, PUB2, META, PRIV = "203.0.113.10", "198.51.100.20", "169.254.169.254", "10.0.0.5"

if os.environ.get("LINKSNAP_NETNS") != "1":
    if os.geteuid() != 0:
        sys.stderr.write("test_egress_netns needs root: it runs in a network namespace of its own "
                         "(unshare -n) with stand-in addresses on lo\n")
        print("0 passed, 1 failed")
        sys.exit(1)
    env = dict(os.environ, LINKSNAP_NETNS="1")
    os.execvpe("unshare", ["unshare", "-n", "--", sys.executable, "-u", os.path.abspath(__file__)]
               + sys.argv[1:], env)

from linksnap_test import Daemon, TestCase, main  # noqa: E402  (after the re-exec)


def sh(*args):
    subprocess.run(args, check=True)


def netns_setup():
    # a namespace of our own: make sure before touching anything
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    names = [l.split(":")[1].strip() for l in links]
    if names != ["lo"]:
        raise AssertionError("not in a fresh network namespace: %r" % names)
    sh("ip", "link", "set", "lo", "up")
    for a in (PUB1, PUB2, META, PRIV):
        sh("ip", "addr", "add", a + "/32", "dev", "lo")
    # an interface that is not loopback, so that WebRTC has a network to gather candidates
    # on (with lo alone it sends nothing, and the STUN check would prove nothing); both
    # ends stay in this namespace
    sh("ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    sh("ip", "addr", "add", "192.0.2.1/24", "dev", "v0")
    sh("ip", "addr", "add", "192.0.2.2/24", "dev", "v1")
    sh("ip", "link", "set", "v0", "up")
    sh("ip", "link", "set", "v1", "up")


# ---- counting listeners: the forbidden stand-ins ----------------------------------------

class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.hits = []

    def add(self, what):
        with self.lock:
            self.hits.append(what)


forbidden = Counter()


def tcp_counter(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(64)

    def run():
        while True:
            try:
                c, peer = s.accept()
            except OSError:
                return
            forbidden.add("tcp %s:%d from %s" % (ip, port, peer[0]))
            c.close()
    threading.Thread(target=run, daemon=True).start()
    return s.getsockname()[1]


def udp_counter(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))

    def run():
        while True:
            try:
                _, peer = s.recvfrom(4096)
            except OSError:
                return
            forbidden.add("udp %s:%d from %s" % (ip, port, peer[0]))
    threading.Thread(target=run, daemon=True).start()


# ---- DNS ----------------------------------------------------------------------------------

dns_log = Counter()
rebind_a = [0]


def dns_answer(q):
    (qid,) = struct.unpack("!H", q[:2])
    pos, labels = 12, []
    while q[pos]:
        n = q[pos]
        labels.append(q[pos + 1:pos + 1 + n].decode().lower())
        pos += 1 + n
    qtype = struct.unpack("!H", q[pos + 1:pos + 3])[0]
    question = q[12:pos + 5]
    name = ".".join(labels)
    dns_log.add((name, qtype))
    table = {"page.test": PUB1, "other.test": PUB2, "third.test": PUB2, "meta.test": META,
             "priv.test": PRIV}
    ip, ttl = table.get(name), 60
    if name == "rebind.test":
        ttl = 0
        if qtype == 1:
            ip = PUB2 if rebind_a[0] == 0 else META
            rebind_a[0] += 1
        else:
            ip = PUB2
    if ip is None:
        return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
    answers = b""
    if qtype == 1:
        answers = struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + socket.inet_aton(ip)
    return struct.pack("!HHHHHH", qid, 0x8180, 1, 1 if answers else 0, 0, 0) + question + answers


def dns_server():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))

    def run():
        while True:
            q, peer = s.recvfrom(512)
            try:
                s.sendto(dns_answer(q), peer)
            except Exception as e:   # a malformed query: no answer
                sys.stderr.write("dns: %r\n" % e)
    threading.Thread(target=run, daemon=True).start()
    return s.getsockname()[1]


# ---- the web servers ------------------------------------------------------------------------

served = Counter()
LOOP_PORT = [0]

ATTACK_JS = r"""
(function () {
  const bad = ['http://169.254.169.254/', 'http://10.0.0.5/', 'http://meta.test/',
               'http://priv.test/', 'http://127.0.0.1:LOOP/', 'http://[::ffff:169.254.169.254]/',
               'http://[64:ff9b::a9fe:a9fe]/', 'https://169.254.169.254/', 'https://meta.test/'];
  for (const u of bad) {
    fetch(u + 'latest/meta-data/', {mode: 'no-cors'}).catch(() => {});
    const i = new Image(); i.src = u + 'img.png'; document.body.appendChild(i);
    try { const es = new EventSource(u + 'es'); setTimeout(() => es.close(), 3000); } catch (e) {}
    try { navigator.sendBeacon(u + 'beacon', 'x'); } catch (e) {}
  }
  for (const h of ['169.254.169.254', '10.0.0.5', 'meta.test', '127.0.0.1:LOOP']) {
    try { new WebSocket('ws://' + h + '/ws'); } catch (e) {}
    try { new WebSocket('wss://' + h + '/ws'); } catch (e) {}
  }
  try { new Worker('/worker.js'); } catch (e) {}
  try {
    const pc = new RTCPeerConnection({iceServers: [
      {urls: 'stun:169.254.169.254:3478'}, {urls: 'stun:10.0.0.5:3478'},
      {urls: 'turn:169.254.169.254:3478?transport=udp', username: 'u', credential: 'p'},
      {urls: 'turn:10.0.0.5:3478?transport=tcp', username: 'u', credential: 'p'}]});
    pc.createDataChannel('x');
    pc.createOffer().then((o) => pc.setLocalDescription(o));
  } catch (e) {}
})();
"""

WORKER_JS = r"""
for (const u of ['http://169.254.169.254/w', 'http://10.0.0.5/w', 'http://meta.test/w']) {
  fetch(u).catch(() => {});
}
try { new WebSocket('ws://169.254.169.254/wsw'); } catch (e) {}
"""

PAGES = {
    "/attack.html": """<!doctype html><title>attack</title>
<body style="background:#fff"><h1>a public page</h1>
<script src="/attack.js"></script>
<iframe src="http://other.test/frame.html" width=600 height=300></iframe>
<script>setTimeout(() => { document.title = 'attack done'; }, 4000);
// the page's own slow request keeps the capture open (load + network quiet) while the
// cross-site frames run their delayed requests: their traffic is not the page's to count
fetch('/hold').catch(() => {});</script>""",
    "/frame.html": """<!doctype html><body><p>cross-site frame</p>
<script src="/attack.js"></script>
<iframe src="http://third.test/frame2.html" width=500 height=120></iframe>
<iframe src="http://rebind.test/rebind.html" width=500 height=120></iframe>""",
    "/frame2.html": """<!doctype html><body><p>nested cross-site frame</p>
<script src="/attack.js"></script>""",
    "/rebind.html": """<!doctype html><body><p>rebinding frame</p>
<script>
setTimeout(() => {
  fetch('/latest/meta-data/').then((r) => r.text()).then((t) => { document.body.innerText = t; })
    .catch(() => {});
  try { new WebSocket('ws://rebind.test/ws'); } catch (e) {}
  const i = new Image(); i.src = '/img.png?' + Date.now(); document.body.appendChild(i);
}, 0);
</script>""",
    "/private.html": """<!doctype html><title>private</title><body><p>a private page</p>
<img src="/dot.png"><script>fetch('http://169.254.169.254/p').catch(() => {});</script>""",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0]
        served.add((host, self.path.split("?")[0], self.server.server_address[0]))
        path = self.path.split("?")[0]
        if path == "/attack.js":
            body, ctype = ATTACK_JS.replace("LOOP", str(LOOP_PORT[0])).encode(), "text/javascript"
        elif path == "/worker.js":
            body, ctype = WORKER_JS.encode(), "text/javascript"
        elif path in PAGES:
            body, ctype = PAGES[path].encode(), "text/html; charset=utf-8"
        elif path == "/hold":
            time.sleep(3)
            body, ctype = b"held", "text/plain"
        elif path == "/dot.png":
            body, ctype = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08"
                           b"\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00"
                           b"\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"), "image/png"
        else:
            body, ctype = b"not here", "text/plain"
            self.send_response(404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        # a new connection for every request: each one is looked up and checked again
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET


def web_server(ip, port):
    srv = ThreadingHTTPServer((ip, port), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def capture(d, url, timeout=180):
    with d.client(timeout=timeout) as c:
        c.call("events.subscribe", {"topics": ["job"]})
        link = c.call("link.add", {"url": url})["link"]
        ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] == link["id"],
                          timeout)
    return ev


class EgressNetnsTests(TestCase):
    @classmethod
    def setUpClass(cls):
        netns_setup()
        for ip in (META, PRIV):
            tcp_counter(ip, 80)
            tcp_counter(ip, 443)
            tcp_counter(ip, 3478)
            udp_counter(ip, 3478)
        LOOP_PORT[0] = tcp_counter("127.0.0.1", 0)
        cls.dns_port = dns_server()
        cls.servers = [web_server(PUB1, 80), web_server(PUB2, 80), web_server(PRIV, 8080)]
        cls.d = Daemon(capture=True, args=[
            "--jobs", "2", "--set", "job_timeout=60",
            "--set", "dns_servers=127.0.0.1:%d" % cls.dns_port, "--set", "dns_timeout_ms=1000"]).start()

    @classmethod
    def tearDownClass(cls):
        kinds = {}
        for h in forbidden.hits:
            k = " ".join(h.split()[:2])
            kinds[k] = kinds.get(k, 0) + 1
        if kinds:
            sys.stderr.write("forbidden stand-ins reached: %r\n" % kinds)
        cls.d.close()
        for s in cls.servers:
            s.shutdown()

    def test_1_every_kind_of_request_from_a_public_page_is_refused(self):
        ev = capture(self.d, "http://page.test/attack.html")
        self.assertIn(ev["state"], ("ok", "partial"), ev)
        snap = ev["snapshot"]
        time.sleep(1)   # anything still in flight from the closed context has arrived by now
        self.assertEqual(forbidden.hits, [], "the forbidden stand-ins were reached")
        seen = {(h, p) for h, p, _ in served.hits}
        # the attacks ran: the page, both cross-site frame levels, the worker, the
        # rebinding frame (served from its first, public answer)
        for need in [("page.test", "/attack.html"), ("other.test", "/frame.html"),
                     ("third.test", "/frame2.html"), ("page.test", "/worker.js"),
                     ("rebind.test", "/rebind.html")]:
            self.assertIn(need, seen, "the test page did not run as planned: %r" % sorted(seen))
        for host in ("other.test", "third.test"):
            self.assertIn((host, "/attack.js"), seen)
        # rebinding: the second lookup answered the metadata address, and was refused
        self.assertGreaterEqual(rebind_a[0], 2, dns_log.hits)
        self.assertNotIn(("rebind.test", "/latest/meta-data/"), seen)
        net = snap["network"]
        self.assertIsNotNone(net, snap)
        self.assertGreaterEqual(net["refused"], 20, net)
        self.assertGreater(net["requests"], net["refused"])
        self.assertGreater(net["bytes"], 0)
        log = self.d.read_log()
        job = "egress job %d: refused" % ev["job_id"]
        for what in ("169.254.169.254:80", "10.0.0.5:80", "meta.test:", "rebind.test:80",
                     "127.0.0.1:%d" % LOOP_PORT[0], "169.254.169.254:443"):
            self.assertIn(job + " " + what, log)
        self.assertIn("private network access", log)

    def test_2_a_private_link_may_load_from_private_addresses(self):
        before = len([1 for h, p, ip in served.hits if ip == PRIV])
        ev = capture(self.d, "http://%s:8080/private.html" % PRIV)
        self.assertEqual(ev["state"], "ok", ev)
        paths = [p for h, p, ip in served.hits if ip == PRIV]
        self.assertIn("/dot.png", paths)
        self.assertGreater(len(paths), before)
        self.assertEqual(ev["snapshot"]["network"]["refused"], 1)   # the metadata fetch
        self.assertEqual(forbidden.hits, [])

    def test_3_refused_top_documents_fail_naming_the_rule(self):
        ev = capture(self.d, "http://meta.test/latest/meta-data/")
        self.assertEqual(ev["state"], "failed", ev)
        self.assertIn("169.254.169.254 is a link-local address", ev["snapshot"]["error"])
        ev = capture(self.d, "https://meta.test/")
        self.assertEqual(ev["state"], "failed", ev)
        self.assertIn("link-local", ev["snapshot"]["error"])
        ev = capture(self.d, "http://nowhere.test/")
        self.assertEqual(ev["state"], "failed", ev)
        self.assertIn("no such host", ev["snapshot"]["error"])
        # the failure is remembered: the same name again is answered from the cache
        ev = capture(self.d, "http://nowhere.test/again")
        self.assertEqual(ev["state"], "failed", ev)
        self.assertIn("no such host", ev["snapshot"]["error"])
        dns = self.d.call("daemon.status")["browser"]["dns"]
        self.assertGreaterEqual(dns["failures"], 1, dns)
        self.assertGreaterEqual(dns["negative_hits"], 1, dns)
        self.assertGreater(dns["queries"], 0, dns)
        self.assertEqual(forbidden.hits, [])

    def test_4_nothing_in_the_browsers_process_group_listens_on_tcp(self):
        capture(self.d, "http://page.test/frame2.html")   # a browser is up
        pid = self.d.call("daemon.status")["browser"].get("pid")
        self.assertTrue(pid, "no browser running")
        group = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % p) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pid:
                group.append(int(p))
        self.assertGreater(len(group), 2, "the browser's process group was not found")
        inodes = set()
        for p in group:
            try:
                for fd in os.listdir("/proc/%d/fd" % p):
                    try:
                        t = os.readlink("/proc/%d/fd/%s" % (p, fd))
                    except OSError:
                        continue
                    if t.startswith("socket:["):
                        inodes.add(t[8:-1])
            except OSError:
                continue
        listening = {}
        for name in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(name) as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    if cols[3] == "0A":   # LISTEN
                        listening[cols[9]] = cols[1]
        self.assertTrue(listening, "no listening socket at all: /proc/net/tcp was not read right")
        mine = {listening[i] for i in inodes if i in listening}
        self.assertEqual(mine, set(), "the browser's process group listens on TCP")


if __name__ == "__main__":
    main()

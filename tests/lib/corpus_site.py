"""corpus_site -- serves saved real pages as their own hosts, inside a network namespace.
Standard library only. Used by bench/corpus/run.py (the comparison with Playwright) and by
tests/daemon/test_corpus.py (a handful of the pages under ctest).

  enter_namespace()  re-runs the calling script inside `unshare -n -m` (as root) or
                     `unshare -r -n -m` (a user namespace otherwise) with loopback up, and
                     bind-mounts a resolv.conf naming 127.0.0.53 over /etc/resolv.conf, so
                     that every process of the run (Chromium, node, linksnapd) asks the
                     test resolver. Nothing leaves the namespace: it has no other interface.
  TestResolver       a DNS server on 127.0.0.53:53 (UDP and TCP). The pages' own hosts
                     resolve to 127.0.0.1; "slow" names answer NXDOMAIN after 5 s, as ad
                     hosts do behind some resolvers; the "blackhole" name resolves to
                     127.0.0.2, where a listener accepts every connection and never answers;
                     every other name is NXDOMAIN at once. AAAA and other types of the
                     known names get an empty NOERROR answer.
  PageServer         HTTP/1.1 on 127.0.0.1:80: answers by Host header and path (the query
                     string included) with the saved page, gzip-encoded as stored; anything
                     else is a quick 404.
  Blackhole          accepts on 127.0.0.2:80 and :443 and never sends a byte.
"""
import gzip
import http.server
import json
import os
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

RESOLVER = "127.0.0.53"
PAGE_ADDR = "127.0.0.1"
BLACKHOLE_ADDR = "127.0.0.2"
SLOW_NAMES = ("securepubads.g.doubleclick.net", "pagead2.googlesyndication.com")
SLOW_S = 5.0
BLACKHOLE_NAMES = ("s.skimresources.com",)
NS_MARK = "LINKSNAP_CORPUS_NS"


# ---- the namespace ----------------------------------------------------------------------

def enter_namespace():
    """Re-executes this script (same argv) inside a new network and mount namespace and
    returns only there; the outer process exits with the inner one's status. In the inner
    one, lo is up and /etc/resolv.conf names the test resolver."""
    if os.environ.get(NS_MARK) == "1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        fd, conf = tempfile.mkstemp(prefix="linksnap-corpus-resolv-")
        with os.fdopen(fd, "w") as f:
            f.write("# linksnap corpus run: the test resolver in this namespace\n"
                    "nameserver %s\noptions timeout:10 attempts:1\n" % RESOLVER)
        os.chmod(conf, 0o644)
        subprocess.run(["mount", "--bind", conf, "/etc/resolv.conf"], check=True)
        os.unlink(conf)   # the mount keeps the file; nothing is left behind after the run
        return
    env = dict(os.environ, **{NS_MARK: "1"})
    flags = ["-n", "-m"] if os.geteuid() == 0 else ["-r", "-n", "-m"]
    # --propagation private (unshare's default with -m): the bind mount stays inside
    r = subprocess.run(["unshare"] + flags + ["--propagation", "private", sys.executable] + sys.argv,
                       env=env)
    sys.exit(r.returncode)


def in_namespace():
    return os.environ.get(NS_MARK) == "1"


# ---- DNS ----------------------------------------------------------------------------------

def _qname(msg, off):
    labels = []
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the message")
        n = msg[off]
        if n == 0:
            return ".".join(labels), off + 1
        if n & 0xC0:
            raise ValueError("compressed name in a question")
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n


class TestResolver:
    """A small authoritative-for-everything DNS server. rules: {name: address}; names in
    slow fail after SLOW_S seconds; names in blackhole resolve to BLACKHOLE_ADDR."""

    def __init__(self, hosts, slow=SLOW_NAMES, blackhole=BLACKHOLE_NAMES, addr=RESOLVER, delay=SLOW_S):
        self.hosts = {h.lower().rstrip("."): a for h, a in hosts.items()}
        for b in blackhole:
            self.hosts[b] = BLACKHOLE_ADDR
        self.slow = set(n.lower() for n in slow)
        self.addr = addr
        self.delay = delay
        self.queries = {}
        self.lock = threading.Lock()
        self.stopping = False
        self.udp = self.tcp = None

    def answer(self, q):
        """(reply bytes, delay seconds) for one query, or (None, 0) to drop it."""
        if len(q) < 12:
            return None, 0
        qid, flags, qd = struct.unpack(">HHH", q[:6])
        if flags & 0x8000 or qd != 1:
            return None, 0
        try:
            name, off = _qname(q, 12)
        except ValueError:
            return None, 0
        if off + 4 > len(q):
            return None, 0
        qtype, qclass = struct.unpack(">HH", q[off:off + 4])
        question = q[12:off + 4]
        name = name.lower().rstrip(".")
        with self.lock:
            self.queries[name] = self.queries.get(name, 0) + 1
        rd = flags & 0x0100
        addr = self.hosts.get(name)
        delay = self.delay if name in self.slow else 0
        answers = b""
        if addr is not None:
            rcode = 0
            if qtype == 1 and qclass == 1:
                answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(addr)
        else:
            rcode = 3   # NXDOMAIN
        hdr = struct.pack(">HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080 | rcode, 1,
                          1 if answers else 0, 0, 0)
        return hdr + question + answers, delay

    def start(self):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((self.addr, 53))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((self.addr, 53))
        self.tcp.listen(64)
        threading.Thread(target=self._udp_loop, daemon=True).start()
        threading.Thread(target=self._tcp_loop, daemon=True).start()
        return self

    def _send_later(self, fn, delay):
        if delay:
            t = threading.Timer(delay, fn)
            t.daemon = True
            t.start()
        else:
            fn()

    def _udp_loop(self):
        while not self.stopping:
            try:
                q, peer = self.udp.recvfrom(4096)
            except OSError:
                return
            reply, delay = self.answer(q)
            if reply is not None:
                def send(reply=reply, peer=peer):
                    try:
                        self.udp.sendto(reply, peer)
                    except OSError:
                        pass
                self._send_later(send, delay)

    def _tcp_loop(self):
        while not self.stopping:
            try:
                c, _ = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(c,), daemon=True).start()

    def _tcp_conn(self, c):
        c.settimeout(30)
        try:
            while True:
                n = c.recv(2, socket.MSG_WAITALL)
                if len(n) < 2:
                    break
                q = c.recv(struct.unpack(">H", n)[0], socket.MSG_WAITALL)
                reply, delay = self.answer(q)
                if reply is None:
                    break
                if delay:
                    time.sleep(delay)
                c.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.stopping = True
        for s in (self.udp, self.tcp):
            if s:
                try:
                    s.close()
                except OSError:
                    pass


# ---- the pages --------------------------------------------------------------------------

def load_manifest(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "corpus"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        # as a web server routes: by the decoded path (%e6 and %E6 are the same byte)
        entry = self.server.pages.get((host, urllib.parse.unquote(self.path)))
        if entry is None:
            body = b"not in the corpus\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        gz = entry
        accept = self.headers.get("Accept-Encoding") or ""
        body = gz if "gzip" in accept else gzip.decompress(gz)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")   # the page's own meta names its charset
        if body is gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)   # a browser that hangs up is no news


class PageServer:
    """pages: [(serve URL, gzip bytes)]; listens on addr:port (80 in the namespace)."""

    def __init__(self, pages, addr=PAGE_ADDR, port=80):
        self.addr, self.port = addr, port
        self.pages = {}
        for url, gz in pages:
            u = urllib.parse.urlsplit(url)
            path = u.path + ("?" + u.query if u.query else "")
            self.pages[(u.hostname.lower(), urllib.parse.unquote(path))] = gz
        self.srv = None

    def start(self):
        self.srv = _Server((self.addr, self.port), _Handler)
        self.srv.pages = self.pages
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.srv:
            self.srv.shutdown()
            self.srv.server_close()


class Blackhole:
    """Accepts TCP connections and never answers (holds them open until stop)."""

    def __init__(self, addr=BLACKHOLE_ADDR, ports=(80, 443)):
        self.addr, self.ports = addr, ports
        self.socks, self.held = [], []
        self.accepted = 0
        self.stopping = False

    def start(self):
        for p in self.ports:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((self.addr, p))
            s.listen(128)
            self.socks.append(s)
            threading.Thread(target=self._loop, args=(s,), daemon=True).start()
        return self

    def _loop(self, s):
        while not self.stopping:
            try:
                c, _ = s.accept()
            except OSError:
                return
            self.accepted += 1
            self.held.append(c)

    def stop(self):
        self.stopping = True
        for s in self.socks + self.held:
            try:
                s.close()
            except OSError:
                pass


def read_pages(root, entries):
    """[(serve URL, gzip bytes)] of the manifest entries, files relative to root."""
    out = []
    for e in entries:
        with open(os.path.join(root, e["file"]), "rb") as f:
            out.append((e["serve"], f.read()))
    return out


class CorpusSite:
    """The resolver, the page server and the blackhole together, for manifest entries."""

    def __init__(self, root, entries, slow=SLOW_NAMES, blackhole=BLACKHOLE_NAMES):
        pages = read_pages(root, entries)
        hosts = {urllib.parse.urlsplit(u).hostname: PAGE_ADDR for u, _ in pages}
        self.resolver = TestResolver(hosts, slow=slow, blackhole=blackhole)
        self.server = PageServer(pages)
        self.blackhole = Blackhole()

    def start(self):
        self.resolver.start()
        self.server.start()
        self.blackhole.start()
        return self

    def stop(self):
        self.blackhole.stop()
        self.server.stop()
        self.resolver.stop()

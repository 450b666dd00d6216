"""test_fakews -- the scripted browser (tests/lib/fakecdp.c) as a remote endpoint:
`fakecdp --listen 127.0.0.1:0` serves /json/version and the DevTools websocket, so fleet
tests and benchmarks can run several remote browsers without Chromium (issues 21, 22).

First the fake itself, through a small websocket client written here (RFC 6455, standard
library only): the handshake's accept value, a 1 MB screenshot reply in one frame with a
64-bit length, client messages with 16- and 64-bit lengths, fragments joined with a ping
answered between them, an unmasked frame and a close answered as the RFC says, the token
(header and query: 401 on /json/version and on the upgrade), two connections each a browser
of its own, a scripted disconnect that closes one websocket while the fake keeps listening,
an "exit" fault that ends the process, msg_delay_ms and capture_ms (lower bounds only: the
answer cannot come sooner), and which connection each log line came from.

Then the real linksnapd with browser.endpoint = http://127.0.0.1:PORT
(discovery) and browser.proxy_listen = 127.0.0.1: links captured `ok` through the fake's
websocket; a wrong token leaves the job queued with daemon.status's browser.last_error
saying the endpoint refused us (HTTP 401) and to check browser.token at discovery, and
"lost the DevTools connection: ... ws upgrade unauthorized" at the upgrade of a ws://
endpoint; a websocket closed mid-capture is retried on a new
connection and ends ok."""
import base64
import hashlib
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pngread
from fake_endpoint import FAKE, FakeEndpoint
from linksnap_test import BUILD, Daemon, TestCase, capture_all, main, wait_until

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SEQ = [0]


def url(path):
    """A URL the store has not seen; the fake browser never connects anywhere."""
    SEQ[0] += 1
    return "http://127.0.0.1:9/%s?n=%d" % (path, SEQ[0])


class WsClient:
    """A client side of RFC 6455 over a plain socket: masked frames out, frames in."""

    def __init__(self, port, path, headers=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port, "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        lines += ["%s: %s" % kv for kv in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head.decode()
        self.status = int(self.head.split()[1]) if self.head else 0
        self.want_accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        self.next_id = 0

    def accept_header(self):
        for line in self.head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "sec-websocket-accept":
                return v.strip()
        return None

    def frame(self, op, payload, fin=True, mask=True):
        n = len(payload)
        b0 = (0x80 if fin else 0) | op
        m = 0x80 if mask else 0
        if n < 126:
            head = struct.pack("!BB", b0, m | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, m | 126, n)
        else:
            head = struct.pack("!BBQ", b0, m | 127, n)
        if not mask:
            return head + payload
        key = os.urandom(4)
        body = bytes(c ^ key[i % 4] for i, c in enumerate(payload)) if n < 4096 else \
            (int.from_bytes(payload, "big") ^ int.from_bytes((key * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
        return head + key + body

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.send_raw(self.frame(0x1, json.dumps(msg).encode()))
        return self.next_id

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("the fake closed the connection")
            self.buf += chunk

    def read_frame(self):
        """(fin, opcode, payload, header length) of the next frame; the server never masks."""
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        assert not b1 & 0x80, "a server frame must not be masked"
        n, hl = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, hl = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, hl = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(hl + n)
        payload, self.buf = self.buf[hl:hl + n], self.buf[hl + n:]
        return bool(b0 & 0x80), b0 & 0x0F, payload, hl

    def read_msg(self):
        fin, op, payload, _ = self.read_frame()
        assert fin and op == 0x1, (fin, op, payload[:200])
        return json.loads(payload)

    def wait_reply(self, id, events=None):
        while True:
            m = self.read_msg()
            if m.get("id") == id:
                return m
            if events is not None:
                events.append(m)

    def call(self, method, params=None, session=None):
        r = self.wait_reply(self.send(method, params, session))
        return r

    def open_tab(self):
        ctx = self.call("Target.createBrowserContext")["result"]["browserContextId"]
        target = self.call("Target.createTarget", {"url": "about:blank", "browserContextId": ctx})["result"]["targetId"]
        return self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["result"]["sessionId"]

    def eof(self, timeout=10):
        """True when the fake closed the TCP connection (what is left is read and dropped)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def http_status(base, path, headers=None):
    req = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


PAGES = [
    {"match": "/huge", "noise": True, "width": 600, "height": 600},
    {"match": "/hangup", "title": "hangup target"},
    {"match": "/ok", "title": "Fake ok", "height": 1200},
]


class FakeWebsocket(TestCase):
    """The fake's HTTP and websocket side, without linksnapd."""

    def test_version_names_the_websocket_and_the_upgrade_answers_its_key(self):
        with FakeEndpoint({"pages": PAGES}) as fk:
            status, v = fk.version()
            self.assertEqual(status, 200)
            self.assertIn("fakecdp", v["Browser"])
            self.assertTrue(v["webSocketDebuggerUrl"].startswith("ws://127.0.0.1:%d/devtools/browser/" % fk.port), v)
            ws = WsClient(fk.port, fk.ws_path())
            self.assertEqual(ws.status, 101, ws.head)
            self.assertEqual(ws.accept_header(), ws.want_accept)
            r = ws.call("Browser.getVersion")
            self.assertIn("fakecdp", r["result"]["product"])
            ws.close()
            self.assertEqual(http_status(fk.base, "/json/nothing"), 404)
            bad = WsClient(fk.port, "/devtools/browser/not-this-one")
            self.assertEqual(bad.status, 404, bad.head)
            bad.close()

    def test_a_megabyte_screenshot_reply_and_big_client_frames(self):
        with FakeEndpoint({"pages": PAGES}) as fk:
            ws = WsClient(fk.port, fk.ws_path())
            s = ws.open_tab()
            ws.call("Page.navigate", {"url": url("huge")}, s)
            id = ws.send("Page.captureScreenshot", {"format": "png", "clip": {"x": 0, "y": 0, "width": 600,
                                                                              "height": 600, "scale": 1}}, s)
            while True:
                fin, op, payload, hl = ws.read_frame()
                m = json.loads(payload)
                if m.get("id") == id:
                    break
            self.assertEqual(hl, 10)   # a 64-bit length
            self.assertGreater(len(payload), 1 << 20)
            png = base64.b64decode(m["result"]["data"])
            path = os.path.join(fk.dir, "shot.png")
            with open(path, "wb") as f:
                f.write(png)
            img = pngread.read(path)
            self.assertEqual((img[0], img[1]), (600, 600))
            # a reply of 126..65535 bytes has a 16-bit length, a short one a 7-bit length
            for method, want in [("Page.captureSnapshot", 4), ("Page.enable", 2)]:
                id = ws.send(method, {}, s)
                while True:
                    fin, op, payload, hl = ws.read_frame()
                    if json.loads(payload).get("id") == id:
                        break
                self.assertEqual(hl, want, (method, len(payload)))
            # client messages of 16-bit and 64-bit lengths arrive whole
            for size in (1000, 70000, 3 << 20):
                expr = "x" * size
                r = ws.call("Runtime.evaluate", {"expression": expr}, s)
                self.assertIn("result", r)
                logged = fk.commands("Runtime.evaluate")[-1]
                self.assertEqual(len(logged["params"]["expression"]), size)
            ws.close()

    def test_fragments_are_joined_and_a_ping_between_them_is_answered(self):
        with FakeEndpoint({"pages": PAGES}) as fk:
            ws = WsClient(fk.port, fk.ws_path())
            text = json.dumps({"id": 77, "method": "Browser.getVersion", "params": {"pad": "y" * 300}}).encode()
            ws.send_raw(ws.frame(0x1, text[:10], fin=False))
            ws.send_raw(ws.frame(0x9, b"are you there"))
            ws.send_raw(ws.frame(0x0, text[10:200], fin=False))
            ws.send_raw(ws.frame(0x0, text[200:]))
            fin, op, payload, _ = ws.read_frame()
            self.assertEqual((fin, op, payload), (True, 0xA, b"are you there"))
            self.assertEqual(ws.read_msg()["id"], 77)
            # a close is answered with its code, then the connection ends
            ws.send_raw(ws.frame(0x8, struct.pack("!H", 1000) + b"bye"))
            fin, op, payload, _ = ws.read_frame()
            self.assertEqual((op, payload[:2]), (0x8, struct.pack("!H", 1000)))
            self.assertTrue(ws.eof())
            ws.close()

    def test_bad_frames_close_the_connection_with_1002(self):
        with FakeEndpoint({"pages": PAGES}) as fk:
            over = struct.pack("!BBQ", 0x81, 0xFF, (64 << 20) + 1) + b"mask"   # 64 MB + 1, its head only
            for bad, code in [
                    (lambda w: w.frame(0x1, b'{"id":1,"method":"Browser.getVersion"}', mask=False), 1002),
                    (lambda w: w.frame(0x0, b"no message begun"), 1002),
                    (lambda w: w.frame(0x9, b"p" * 126), 1002),
                    (lambda w: w.frame(0x9, b"ping", fin=False), 1002),
                    (lambda w: w.frame(0x3, b"opcode 3"), 1002),
                    (lambda w: bytes([w.frame(0x1, b"{}")[0] | 0x40]) + w.frame(0x1, b"{}")[1:], 1002),
                    (lambda w: w.frame(0x1, b"{", fin=False) + w.frame(0x1, b"}"), 1002),
                    (lambda w: over, 1009)]:
                ws = WsClient(fk.port, fk.ws_path())
                ws.send_raw(bad(ws))
                fin, op, payload, _ = ws.read_frame()
                self.assertEqual((op, payload[:2]), (0x8, struct.pack("!H", code)), payload)
                self.assertTrue(ws.eof())
                ws.close()
            # the fake is still listening
            self.assertEqual(fk.version()[0], 200)

    def test_bad_requests_get_their_http_errors(self):
        def raw(request):
            with socket.create_connection(("127.0.0.1", fk.port), timeout=10) as sock:
                sock.sendall(request)
                data = b""
                while True:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return data.decode(errors="replace")
                    data += chunk
        with FakeEndpoint({"pages": PAGES}) as fk:
            path = fk.ws_path()
            up = "GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" % path
            for request, status in [
                    (b"POST /json/version HTTP/1.1\r\nHost: x\r\n\r\n", "405"),
                    (b"\x01\x02\r\n\r\n", "400"),
                    ((up + "Sec-WebSocket-Version: 13\r\n\r\n").encode(), "400"),   # no key
                    ((up + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n").encode(), "400"),
                    (b"GET /json/version HTTP/1.1\r\nX-Pad: " + b"p" * 20000 + b"\r\n\r\n", "431")]:
                answer = raw(request)
                self.assertTrue(answer.startswith("HTTP/1.1 " + status), (request[:80], answer[:200]))
            self.assertEqual(fk.version()[0], 200)   # still listening

    def test_token_in_header(self):
        with FakeEndpoint({"pages": PAGES}, ["--token", "s3cret"]) as fk:
            self.assertEqual(http_status(fk.base, "/json/version"), 401)
            self.assertEqual(http_status(fk.base, "/json/version", {"Authorization": "Bearer wrong"}), 401)
            self.assertEqual(http_status(fk.base, "/json/version?token=s3cret"), 401)
            self.assertEqual(http_status(fk.base, "/json/version", {"Authorization": "Bearer s3cret"}), 200)
            fk.auth_headers = {"Authorization": "Bearer s3cret"}
            path = fk.ws_path()
            for headers in [{}, {"Authorization": "Bearer wrong"}]:
                ws = WsClient(fk.port, path, headers)
                self.assertEqual(ws.status, 401, ws.head)
                ws.close()
            ws = WsClient(fk.port, path, {"Authorization": "Bearer s3cret"})
            self.assertEqual(ws.status, 101, ws.head)
            self.assertIn("result", ws.call("Browser.getVersion"))
            ws.close()

    def test_token_in_query(self):
        with FakeEndpoint({"pages": PAGES}, ["--token", "s3cret", "--token-in", "query"]) as fk:
            self.assertEqual(http_status(fk.base, "/json/version"), 401)
            self.assertEqual(http_status(fk.base, "/json/version", {"Authorization": "Bearer s3cret"}), 401)
            self.assertEqual(http_status(fk.base, "/json/version?token=s3cret2"), 401)
            self.assertEqual(http_status(fk.base, "/json/version?a=1&token=s3cret"), 200)
            _, v = fk.version(query="?token=s3cret")
            path = "/" + v["webSocketDebuggerUrl"].split("/", 3)[3]
            ws = WsClient(fk.port, path)
            self.assertEqual(ws.status, 401, ws.head)
            ws.close()
            ws = WsClient(fk.port, path + "?token=s3cret")
            self.assertEqual(ws.status, 101, ws.head)
            self.assertIn("result", ws.call("Browser.getVersion"))
            ws.close()

    def test_bad_arguments_are_refused(self):
        for args in [["--listen"], ["--listen", "nowhere"], ["--listen", "127.0.0.1:99999"],
                     ["--listen", "127.0.0.1:0", "--token-in", "cookie"],
                     ["--listen", "127.0.0.1:0", "--bogus"]]:
            r = subprocess.run([FAKE] + args, capture_output=True, text=True, timeout=10)
            self.assertEqual(r.returncode, 2, (args, r.stdout))
            self.assertTrue(r.stderr.strip(), args)

    def test_an_ipv6_listener_names_itself_in_brackets(self):
        try:
            with socket.socket(socket.AF_INET6) as probe:
                probe.bind(("::1", 0))
        except OSError:
            print("(no ::1 here: only the refusal of a bad address is checked)")
            return
        env = dict(os.environ, FAKECDP_LOG="")
        p = subprocess.Popen([FAKE, "--listen", "[::1]:0"], stdout=subprocess.PIPE, env=env)
        try:
            port = int(p.stdout.readline().split()[1])
            with urllib.request.urlopen("http://[::1]:%d/json/version" % port, timeout=10) as r:
                v = json.loads(r.read())
            self.assertTrue(v["webSocketDebuggerUrl"].startswith("ws://[::1]:%d/devtools/browser/" % port), v)
        finally:
            p.terminate()
            p.wait(10)
            p.stdout.close()

    def test_two_connections_are_two_browsers_and_the_log_says_which(self):
        with FakeEndpoint({"pages": PAGES}) as fk:
            path = fk.ws_path()
            a, b = WsClient(fk.port, path), WsClient(fk.port, path)
            sa = a.open_tab()
            target = a.call("Target.createTarget", {"url": "about:blank"})["result"]["targetId"]
            r = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})
            self.assertIn("No target", r["error"]["message"])   # b's browser has no such tab
            self.assertIn("result", a.call("Target.attachToTarget", {"targetId": target, "flatten": True}))
            a.call("Page.navigate", {"url": url("ok")}, sa)
            a.close()
            b.close()
            starts = [c for c in fk.commands() if "start" in c]
            self.assertEqual([(c["transport"], c["conn"], c["gen"], c["port"]) for c in starts],
                             [("ws", 1, 1, fk.port), ("ws", 2, 2, fk.port)])
            nav, = fk.commands("Page.navigate")
            self.assertEqual((nav["transport"], nav["conn"], nav["port"]), ("ws", 1, fk.port))
            att = fk.commands("Target.attachToTarget")
            self.assertEqual([c["conn"] for c in att], [1, 2, 1])   # open_tab, b, a

    def test_disconnect_closes_the_websocket_and_the_fake_keeps_listening(self):
        faults = [{"method": "Page.navigate", "url": "/hangup", "times": 1, "do": "disconnect"}]
        with FakeEndpoint({"pages": PAGES, "faults": faults}) as fk:
            path = fk.ws_path()
            ws = WsClient(fk.port, path)
            s = ws.open_tab()
            ws.send("Page.navigate", {"url": url("hangup")}, s)
            fin, op, payload, _ = ws.read_frame()
            self.assertEqual((op, payload[:2]), (0x8, struct.pack("!H", 1001)))
            self.assertTrue(ws.eof())
            ws.close()
            ws = WsClient(fk.port, path)   # a reconnect: a new browser, the fault spent
            s = ws.open_tab()
            self.assertIn("result", ws.call("Page.navigate", {"url": url("hangup")}, s))
            ws.close()
            self.assertEqual([c["gen"] for c in fk.commands("Page.navigate")], [1, 2])
            self.assertIsNone(fk.proc.poll())

    def test_exit_fault_ends_the_process_with_its_code(self):
        faults = [{"method": "Page.navigate", "do": "exit", "code": 7}]
        with FakeEndpoint({"pages": PAGES, "faults": faults}) as fk:
            ws = WsClient(fk.port, fk.ws_path())
            s = ws.open_tab()
            ws.send("Page.navigate", {"url": url("ok")}, s)
            self.assertTrue(ws.eof())
            ws.close()
            self.assertEqual(fk.proc.wait(10), 7)

    def test_msg_delay_and_capture_ms_hold_answers_back(self):
        # lower bounds only: an answer can never come sooner than the scenario says
        with FakeEndpoint({"pages": PAGES, "msg_delay_ms": 300, "capture_ms": 700}) as fk:
            ws = WsClient(fk.port, fk.ws_path())
            t0 = time.monotonic()
            ws.call("Browser.getVersion")
            self.assertGreaterEqual(time.monotonic() - t0, 0.3)
            s = ws.open_tab()
            events = []
            ws.wait_reply(ws.send("Page.navigate", {"url": url("ok")}, s), events)
            self.assertEqual(events, [])   # the reply first, its events after it, in order
            while not any(e.get("method") == "Page.loadEventFired" for e in events):
                events.append(ws.read_msg())
            self.assertEqual(events[0]["method"], "Network.requestWillBeSent")
            t0 = time.monotonic()
            r = ws.call("Page.captureScreenshot", {"clip": {"x": 0, "y": 0, "width": 100, "height": 100, "scale": 1}}, s)
            self.assertGreaterEqual(time.monotonic() - t0, 1.0)
            self.assertIn("data", r["result"])
            ws.close()


def config(endpoint, token=None):
    text = ("capture = on\nquiet_ms = 50\njobs = 2\nper_host_jobs = 0\njob_timeout = 10\nheight_cap = 3000\n"
            "browser.endpoint = %s\nbrowser.proxy_listen = 127.0.0.1\n" % endpoint)
    if token:
        text += "browser.token = %s\n" % token
    return text


class DaemonThroughFakeWebsocket(TestCase):
    """linksnapd, its browser.endpoint the fake's websocket."""

    FAULTS = [{"method": "Page.captureScreenshot", "url": "/hangup", "times": 1, "do": "disconnect"}]

    def test_links_are_captured_through_the_websocket(self):
        with FakeEndpoint({"pages": PAGES}, ["--token", "tok-1"]) as fk:
            with Daemon(config=config(fk.base, "tok-1"), capture=True) as d:
                evs = capture_all(d, [url("ok"), url("ok"), url("ok")])
                self.assertEqual([e["state"] for e in evs], ["ok"] * 3, evs)
                s = d.call("snapshot.get", {"id": evs[0]["snapshot"]["id"]})["snapshot"]
                self.assertEqual(s["title"], "Fake ok")
                img = pngread.read(s["path"])
                self.assertEqual((img[0], img[1]), (1280, 1200))
                shots = fk.commands("Page.captureScreenshot")
                self.assertEqual(len(shots), 3)
                self.assertEqual({(c["transport"], c["port"]) for c in shots}, {("ws", fk.port)})
                self.assertEqual(d.call("daemon.status")["browser"]["mode"], "endpoint")

    def last_error(self, d):
        return wait_until(lambda: d.call("daemon.status")["browser"].get("last_error"), 30,
                          "the browser's last_error")

    def test_a_wrong_token_fails_discovery_and_says_why(self):
        with FakeEndpoint({"pages": PAGES}, ["--token", "right"]) as fk:
            with Daemon(config=config(fk.base, "wrong"), capture=True) as d:
                with d.client() as c:
                    c.call("link.add", {"url": url("ok")})
                err = self.last_error(d)
                self.assertIn("refused us (HTTP 401)", err)
                self.assertIn("browser.token", err)
                self.assertEqual(d.call("daemon.status")["queue"]["queued"], 1)   # kept, not captured
                self.assertEqual(fk.commands(), [])   # no websocket was ever opened

    def test_a_wrong_token_at_the_upgrade_says_why(self):
        with FakeEndpoint({"pages": PAGES}, ["--token", "right"]) as fk:
            fk.auth_headers = {"Authorization": "Bearer right"}
            ws_url = "ws://127.0.0.1:%d%s" % (fk.port, fk.ws_path())
            with Daemon(config=config(ws_url, "wrong"), capture=True) as d:
                with d.client() as c:
                    c.call("link.add", {"url": url("ok")})
                err = self.last_error(d)
                # on main, libwebsockets' words for the 401 (no hint at browser.token yet)
                self.assertIn("lost the DevTools connection", err)
                self.assertIn("unauthorized", err)
                self.assertEqual(d.call("daemon.status")["queue"]["queued"], 1)
                self.assertEqual(fk.commands(), [])

    def test_a_websocket_closed_mid_capture_is_retried(self):
        with FakeEndpoint({"pages": PAGES, "faults": self.FAULTS}) as fk:
            with Daemon(config=config(fk.base), capture=True) as d:
                ev, = capture_all(d, [url("hangup")])
                self.assertEqual(ev["state"], "ok", ev)
                job = d.call("job.get", {"id": ev["job_id"]})["job"]
                # retried, and the endpoint's fault did not use one of the job's attempts
                self.assertEqual(job["attempt"], 1, job)
                self.assertEqual(d.call("daemon.status")["browser"]["retried"], 1)
                starts = [c for c in fk.commands() if "start" in c]
                self.assertGreaterEqual(len(starts), 2)   # a new connection after the hang-up
                shots = fk.commands("Page.captureScreenshot")
                self.assertEqual(len(shots), 2)
                self.assertLess(shots[0]["conn"], shots[1]["conn"])
                self.assertIn("lost the DevTools connection", d.call("daemon.status")["browser"]["last_error"])
                self.assertIsNone(fk.proc.poll())   # the fake lives on, listening


if __name__ == "__main__":
    main()

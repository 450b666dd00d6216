"""cdp_client -- just enough of a DevTools protocol client for tests, standard library only:
an HTTP GET for /json/list and a websocket (RFC 6455, client side, unmasked frames from the
server, masked frames from us) to send one command to a page target. The daemon has its own
client in C; this one lets a test reach into the browser the daemon started (to crash a
renderer with Page.crash, as chrome://crash cannot be navigated to)."""
import base64
import json
import os
import socket
import struct
import urllib.request


def targets(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=5) as r:
        return json.loads(r.read().decode())


def devtools_port(profile_dir):
    with open(os.path.join(profile_dir, "DevToolsActivePort")) as f:
        return int(f.readline())


class WebSocket:
    def __init__(self, url, timeout=10):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError("websocket handshake refused: %r" % head[:200])
        self.next_id = 1

    def send_text(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x81])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        self.sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("websocket closed")
            buf += chunk
        return buf

    def recv_text(self):
        msg = b""
        while True:
            b0, b1 = self._recv(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack(">H", self._recv(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv(8))[0]
            payload = self._recv(n)
            if b0 & 0x0f == 8:
                raise ConnectionError("websocket closed by the browser")
            msg += payload
            if b0 & 0x80:
                return msg.decode()

    def command(self, method, params=None, wait=True):
        i = self.next_id
        self.next_id += 1
        self.send_text(json.dumps({"id": i, "method": method, "params": params or {}}))
        while wait:
            m = json.loads(self.recv_text())
            if m.get("id") == i:
                return m
        return None

    def close(self):
        self.sock.close()

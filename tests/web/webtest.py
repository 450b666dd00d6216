"""webtest -- helpers for the web server's tests, standard library only: raw HTTP requests
(so a test can send what a browser never would), a minimal websocket client, PNGs to serve,
and a finished snapshot faked into the store (linksnapd in these tests captures nothing)."""
import base64
import json
import os
import select
import socket
import struct
import time
import zlib
from urllib.parse import urlsplit


# session cookies by "host:port", set by login(): http() sends them unless a test gives its
# own Cookie header (None sends none)
SESSIONS = {}


def login(daemon):
    """Logs in as a browser would with `linksnap web`'s address; later requests to this
    daemon carry the session cookie. Returns the cookie ("name=value")."""
    u = urlsplit(daemon.login_url)
    st, h, _ = http(daemon.web_url, path=u.path + "?" + u.query, headers={"Cookie": None})
    if st != 303 or "set-cookie" not in h:
        raise AssertionError("login address answered %d %r" % (st, h))
    cookie = h["set-cookie"].split(";")[0]
    SESSIONS[u.netloc] = cookie
    return cookie


def http(url, method="GET", path="/", body=None, headers=None, timeout=30):
    """One request on a fresh connection. Returns (status, headers dict lower-case, body)."""
    u = urlsplit(url)
    host, port = u.hostname, u.port
    hdrs = {"Host": "%s:%d" % (host, port), "Connection": "close"}
    if u.netloc in SESSIONS:
        hdrs["Cookie"] = SESSIONS[u.netloc]
    if body is not None:
        if isinstance(body, str):
            body = body.encode()
        hdrs["Content-Length"] = str(len(body))
    hdrs.update(headers or {})
    hdrs = {k: v for k, v in hdrs.items() if v is not None}
    req = "%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in hdrs.items()) + "\r\n"
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(req.encode())
        # the body in pieces, stopping when the server already answered (it refused the
        # body from its headers: an over-long Content-Length), as a careful client does
        body = body or b""
        for off in range(0, len(body), 65536):
            if select.select([s], [], [], 0)[0]:
                break
            try:
                s.sendall(body[off:off + 65536])
            except (BrokenPipeError, ConnectionResetError):
                break
        data = b""
        while True:
            try:
                chunk = s.recv(1 << 20)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            head, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(rest) >= int(cl[0].split(b":")[1]):
                    break
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        raise ConnectionError("no HTTP response: %r" % data[:200])
    status = int(lines[0].split()[1])
    h = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        h.setdefault(k.strip().lower(), v.strip())
    return status, h, rest


def rpc(url, method, params=None, headers=None, id=1):
    msg = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        msg["params"] = params
    hdrs = {"Origin": url, "Content-Type": "application/json"}
    hdrs.update(headers or {})
    st, h, body = http(url, "POST", "/rpc", json.dumps(msg), hdrs)
    return st, (json.loads(body) if body else None)


class WebSocket:
    """Client side of RFC 6455, text frames only."""

    def __init__(self, url, path="/events", origin=None, headers=None, timeout=30):
        u = urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        hdrs = {"Host": "%s:%d" % (u.hostname, u.port), "Upgrade": "websocket", "Connection": "Upgrade",
                "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13",
                "Origin": url if origin is None else origin}
        if u.netloc in SESSIONS:
            hdrs["Cookie"] = SESSIONS[u.netloc]
        hdrs.update(headers or {})
        req = "GET %s HTTP/1.1\r\n" % path + "".join("%s: %s\r\n" % kv for kv in hdrs.items() if kv[1]) + "\r\n"
        self.sock.sendall(req.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket refused (closed during the handshake)")
            data += chunk
        head, _, self.buf = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        if status != 101:
            raise ConnectionError("websocket refused with HTTP %d" % status)

    def recv(self, timeout=30):
        self.sock.settimeout(timeout)
        while True:
            frame = self._frame()
            if frame is not None:
                op, payload = frame
                if op == 1:
                    return json.loads(payload)
                if op == 8:
                    raise ConnectionError("websocket closed")

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buf += chunk

    def _frame(self):
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, off = struct.unpack(">H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, off = struct.unpack(">Q", self.buf[2:10])[0], 10
        self._need(off + n)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return b0 & 0x0F, payload

    def wait(self, pred, timeout=30):
        deadline = time.time() + timeout
        while True:
            ev = self.recv(max(0.1, deadline - time.time()))
            if pred(ev):
                return ev

    def close(self):
        self.sock.close()


def png(width, height, colour=lambda y: (255, 255, 255)):
    """An RGB PNG whose rows take colour(y)."""
    raw = bytearray()
    for y in range(height):
        raw += b"\x00" + bytes(colour(y)) * width

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + chunk(b"IEND", b""))


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    return struct.unpack(">II", data[16:24])


def fake_snapshot(d, link_id, width=320, height=200, title=None, colour=lambda y: (40, 90, 200), status=200):
    """A finished capture of link_id: PNG + thumbnail under <state>/snapshots and an ok row
    that becomes the link's last snapshot; status is the answer the site gave (set by an
    UPDATE, as the writer does, so the store's trigger keeps links.broken). Returns the
    snapshot id."""
    sdir = os.path.join(d.state_dir, "snapshots")
    os.makedirs(sdir, exist_ok=True)
    now = int(time.time() * 1000)
    full = os.path.join(sdir, "fake-%d-%d.png" % (link_id, now))
    thumb = full[:-4] + ".thumb.png"
    with open(full, "wb") as f:
        f.write(png(width, height, colour))
    with open(thumb, "wb") as f:
        f.write(png(320, 200, colour))
    import sqlite3
    db = sqlite3.connect(d.db_path, timeout=30)
    try:
        cur = db.execute(
            "INSERT INTO snapshots(link_id, state, http_status, final_url, title, width, height, path,"
            " thumb_path, bytes, attempt, created_at, finished_at, timings)"
            " VALUES (?, 'ok', 200, NULL, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            (link_id, title, width, height, full, thumb, os.path.getsize(full), now, now,
             json.dumps({"navigate_ms": 120, "wait_ms": 500, "capture_ms": 80, "encode_ms": 40})))
        sid = cur.lastrowid
        db.execute("UPDATE snapshots SET http_status = ? WHERE id = ?", (status, sid))
        db.execute("UPDATE links SET last_snapshot_id = ? WHERE id = ?", (sid, link_id))
        db.commit()
    finally:
        db.close()
    return sid


def fake_kept(d, sid, text=None, mhtml=None, pdf=None):
    """What a capture keeps besides its picture, faked for snapshot sid as the capture
    writes it: text (a dict with title, byline, lang, excerpt, blocks, text, cut) as the
    snapshot's page_texts row, mhtml and pdf (bytes) as files under <state>/snapshots, and
    the snapshot's `files` record naming them. The full-text index is linksnapd's (its
    tokenizer lives there): call search.reindex afterwards to search the text."""
    import sqlite3
    sdir = os.path.join(d.state_dir, "snapshots")
    files = {}
    for kind, data in (("mhtml", mhtml), ("pdf", pdf)):
        if data is None:
            continue
        p = os.path.join(sdir, "fake-%d.%s" % (sid, kind))
        with open(p, "wb") as f:
            f.write(data)
        files[kind] = {"path": p, "bytes": len(data)}
    db = sqlite3.connect(d.db_path, timeout=30)
    try:
        link_id = db.execute("SELECT link_id FROM snapshots WHERE id = ?", (sid,)).fetchone()[0]
        if text is not None:
            body = text.get("text", "")
            db.execute("INSERT OR REPLACE INTO page_texts(snapshot_id, link_id, cut, title, byline, lang, excerpt, text, blocks)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (sid, link_id, int(bool(text.get("cut"))), text.get("title"), text.get("byline"),
                        text.get("lang"), text.get("excerpt"), body, json.dumps(text.get("blocks", []))))
            files["text"] = {"path": None, "bytes": len(body.encode()), "cut": bool(text.get("cut"))}
        db.execute("UPDATE snapshots SET files = ? WHERE id = ?", (json.dumps(files) if files else None, sid))
        db.commit()
    finally:
        db.close()

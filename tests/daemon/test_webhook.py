"""test_webhook -- telling people (issue 20, section 6) against the real linksnapd, its store
file and a receiver of this file's own on 127.0.0.1. Captures are made by the scripted
browser (tests/lib/fakecdp.c) drawing random pixels ("noise"), so every capture after the
first is changed against the one before. Checked: snapshot.changed on the socket's event
stream with the link and the figures; the POST to notify_url and to the watch's notify with
the right body and headers, once each; a 500 retried and then delivered; a receiver that
hangs timed out (webhook_timeout_s lowered to 1 s) and retried; a refused address shown in
daemon.status and `linksnap status`; a delivery pending when linksnapd is killed with
SIGKILL delivered after the restart; notify_url taken on SIGHUP; bad addresses refused; and
the log never showing the addresses' tokens. One daemon state dir for all of it."""
import http.server
import json
import os
import shutil
import signal
import socket
import socketserver
import subprocess
import tempfile
import threading
import time

from linksnap_test import BUILD, LINKSNAPD, Daemon, TestCase, main, wait_until
from test_engine_fake import FakeBrowser

FAKE = os.path.join(BUILD, "tests", "fakecdp")
PAGES = [{"match": "/noisy", "noise": True, "height": 300, "width": 400, "text": "alpha words"}]
WSECRET = "wtok-3f9a7c"        # in the watch's address: query token and password
NSECRET = "ntok-81d2e0"        # in notify_url's path
USECRET = "upw-55aa19"


class Receiver:
    """Records every POST; answers each path by its script (popped per request): an HTTP
    status, or "hang" (holds the request for `hang_s`, longer than linksnapd waits).
    Paths without a script, or with an empty one, answer 200 -- unless `hold` names them:
    then they hang every time."""

    def __init__(self):
        self.posts = []
        self.script = {}
        self.hold = set()
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = self.path.split("?")[0]
                with rec.lock:
                    steps = rec.script.get(path) or []
                    act = steps.pop(0) if steps else ("hang" if path in rec.hold else 200)
                    rec.posts.append({"path": path, "query": self.path.partition("?")[2],
                                      "headers": dict(self.headers), "body": json.loads(body),
                                      "answer": act})
                if act == "hang":
                    time.sleep(3)   # linksnapd gave up after 1 s and closed
                    return
                self.send_response(act)
                self.send_header("Content-Length", "0")
                self.end_headers()

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.srv = Server(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def to(self, path, answer=None):
        with self.lock:
            return [p for p in self.posts if p["path"] == path
                    and (answer is None or p["answer"] == answer)]

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def closed_port():
    """A loopback port nobody listens on (connections are refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Webhook(TestCase):
    def test_webhooks(self):
        rec = Receiver()
        fake = FakeBrowser({"pages": PAGES})
        notify_url = rec.url("/all/" + NSECRET)
        conf = ("capture = on\nquiet_ms = 50\njobs = 1\njob_timeout = 10\nbrowser.path = %s\n"
                "viewport = 320x240\nwebhook_timeout_s = 1\nwebhook_backoff_s = 1\n" % FAKE)
        d = Daemon(config=conf + "notify_url = %s\n" % notify_url, env=fake.env, capture=True,
                   args=["-v"])   # -v twice: debug lines must not show the tokens either
        try:
            d.start()
            c = d.client(timeout=60)
            c.call("events.subscribe", {"topics": ["job", "snapshot"]})
            page = "http://127.0.0.1:9/noisy?n=1"
            link = c.call("link.add", {"url": page, "capture": False})["link"]["id"]
            watch_url = rec.url("/w1").replace("http://", "http://me:%s@" % USECRET) + "?token=" + WSECRET
            # bad addresses: refused, and the answer does not repeat the address
            e = self.assertRpcError(-32602, c.call, "watch.set",
                                    {"link_id": link, "every": "1d", "notify": "ftp://x/" + WSECRET})
            self.assertIn("http:// or https://", e.message)
            self.assertNotIn(WSECRET, e.message)
            c.call("watch.set", {"link_id": link, "every": "1d", "notify": watch_url})

            def capture():
                r = c.call("snapshot.request", {"url": page})
                ev = c.wait_event(lambda e: e.get("topic") == "job.finished"
                                  and e["job_id"] == r["job_id"], 60)
                self.assertEqual(ev["state"], "ok", ev)
                return ev["snapshot"]["id"]

            # the first capture has nothing to compare with: no event, no POST
            s1 = capture()
            s2 = capture()
            ev = c.wait_event(lambda e: e.get("topic") == "snapshot.changed"
                              and e["snapshot_id"] == s2, 30)
            snap = d.call("snapshot.get", {"id": s2})["snapshot"]
            lk = d.call("link.get", {"id": link})["link"]
            self.assertEqual((ev["link_id"], ev["against"], ev["url"]), (link, s1, page))
            self.assertEqual(ev["title"], lk["title"])
            self.assertAlmostEqual(ev["changed_fraction"], snap["change"]["changed_fraction"], places=6)
            self.assertTrue(snap["change"]["changed"])
            wait_until(lambda: rec.to("/w1") and rec.to("/all/" + NSECRET), 30, "both POSTs")
            (w1,), (al,) = rec.to("/w1"), rec.to("/all/" + NSECRET)
            self.assertEqual(w1["body"], al["body"])
            self.assertEqual(w1["query"], "token=" + WSECRET)
            self.assertEqual(w1["headers"]["Content-Type"], "application/json")
            self.assertEqual(w1["headers"]["X-Linksnap-Event"], "snapshot.changed")
            b = w1["body"]
            self.assertEqual(b["event"], "snapshot.changed")
            self.assertEqual(b["link"], {"id": link, "url": page, "title": lk["title"]})
            self.assertEqual((b["snapshot_id"], b["against"]), (s2, s1))
            self.assertAlmostEqual(b["changed_fraction"], ev["changed_fraction"], places=6)
            diff = d.call("snapshot.diff", {"from": s1, "to": s2})
            self.assertEqual(b["regions"], diff.get("regions_total", len(diff["regions"])))
            self.assertGreater(b["regions"], 0)
            self.assertEqual(b["text"], {"added": len(diff["text"]["added"]),
                                         "removed": len(diff["text"]["removed"])})
            self.assertEqual(b["diff_url"], "%s/changes/%d/%d" % (d.web_url, s1, s2))
            rows = d.sql("SELECT url, state, attempts, snapshot_id FROM deliveries ORDER BY url")
            self.assertEqual(sorted(r[0] for r in rows), sorted([notify_url, watch_url]))
            wait_until(lambda: d.sql("SELECT count(*) FROM deliveries WHERE state = 'done'")[0][0] == 2,
                       30, "both deliveries done")

            # a 500 is retried; a receiver that hangs is timed out and retried
            rec.script["/all/" + NSECRET] = [500]
            rec.script["/w1"] = ["hang"]
            s3 = capture()
            wait_until(lambda: d.sql("SELECT count(*) FROM deliveries WHERE snapshot_id = ? AND "
                                     "state = 'done'", (s3,))[0][0] == 2, 60, "the retries delivered")
            got = {u: (st, n, err) for u, st, n, err in d.sql(
                "SELECT url, state, attempts, last_error FROM deliveries WHERE snapshot_id = ?", (s3,))}
            self.assertEqual(got[notify_url], ("done", 2, "HTTP 500"))
            self.assertEqual(got[watch_url], ("done", 2, "no answer within 1 s"))
            self.assertEqual([p["answer"] for p in rec.to("/all/" + NSECRET)], [200, 500, 200])
            # a retry is the same delivery: the same id, the same body
            first, again = rec.to("/all/" + NSECRET)[1:]
            self.assertEqual(first["headers"]["X-Linksnap-Delivery"], again["headers"]["X-Linksnap-Delivery"])
            self.assertEqual((first["body"], again["body"]["snapshot_id"]), (again["body"], s3))
            self.assertEqual([p["answer"] for p in rec.to("/w1")], [200, "hang", 200])

            # an address that refuses: pending, and daemon.status says why
            refused = "http://127.0.0.1:%d/gone?token=%s" % (closed_port(), WSECRET)
            c.call("watch.set", {"link_id": link, "every": "1d", "notify": refused})
            capture()
            wait_until(lambda: (d.call("daemon.status")["webhooks"].get("last_error") or "")
                       .startswith("Couldn't connect"), 30, "the refusal in daemon.status")
            st = d.call("daemon.status")["webhooks"]
            self.assertGreaterEqual(st["pending"] + st["failed"], 1)
            self.assertRegex(st["last_error_at"], r"^\d{4}-\d\d-\d\dT")
            p = d.cli("status")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("webhooks:", p.stdout)
            self.assertIn("Couldn't connect", p.stdout)
            c.call("watch.set", {"link_id": link, "every": "1d", "notify": watch_url})

            # kill -9 while a delivery hangs: delivered after the restart
            rec.hold.add("/w1")
            s5 = capture()
            wait_until(lambda: any(p["body"]["snapshot_id"] == s5 for p in rec.to("/w1")), 30,
                       "the held POST")
            c.close()
            d.kill9()
            self.assertEqual(d.sql("SELECT state FROM deliveries WHERE snapshot_id = ? AND url = ?",
                                   (s5, watch_url)), [("pending",)])
            rec.hold.discard("/w1")
            d.start()
            wait_until(lambda: any(p["body"]["snapshot_id"] == s5 and p["answer"] == 200
                                   for p in rec.to("/w1")), 30, "the delivery after the restart")
            wait_until(lambda: d.sql("SELECT state FROM deliveries WHERE snapshot_id = ? AND url = ?",
                                     (s5, watch_url)) == [("done",)], 30, "its row done")

            # notify_url on SIGHUP
            with open(os.path.join(os.path.dirname(d.socket), "linksnapd.conf"), "w") as f:
                f.write(conf + "notify_url = %s\n" % rec.url("/reloaded"))
            d.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "notify_url changed" in d.read_log(), 10, "the reload")
            with d.client(timeout=60) as c:
                c.call("events.subscribe", {"topics": ["job"]})
                s6 = capture()
            wait_until(lambda: any(p["body"]["snapshot_id"] == s6 for p in rec.to("/reloaded")), 30,
                       "the POST to the new notify_url")
            self.assertFalse(any(p["body"]["snapshot_id"] == s6 for p in rec.to("/all/" + NSECRET)))

            # the refused address: given up after 5 attempts (1 + 2 + 4 + 8 s of back-off,
            # spent meanwhile), and said so in daemon.status
            wait_until(lambda: d.sql("SELECT attempts, state FROM deliveries WHERE url = ?",
                                     (refused,)) == [(5, "failed")], 60, "the refused one given up")
            self.assertGreaterEqual(d.call("daemon.status")["webhooks"]["failed"], 1)

            # the addresses' secrets never reach the log; their hosts do, masked
            log = d.read_log()
            for secret in (WSECRET, NSECRET, USECRET):
                self.assertNotIn(secret, log)
            self.assertIn("http://127.0.0.1:%d/********" % rec.port, log)
            self.assertIn("HTTP 500; attempt 1 of 5", log)
            self.assertEqual(d.sanitizer_report(), "")
        finally:
            d.close()
            rec.close()

    def test_bad_notify_url(self):
        tmp = tempfile.mkdtemp(prefix="linksnap-test-")
        try:
            p = subprocess.run([LINKSNAPD, "--state-dir", tmp + "/state", "--socket", tmp + "/s",
                                "--http-listen", "off", "--no-capture",
                                "--set", "notify_url=gopher://h/" + NSECRET],
                               capture_output=True, text=True, timeout=30)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("notify_url", p.stderr)
        self.assertNotIn(NSECRET, p.stderr)


if __name__ == "__main__":
    main()

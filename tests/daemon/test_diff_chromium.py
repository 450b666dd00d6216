"""test_diff_chromium -- issue 20's own diff test with the real Chromium: an article served on
127.0.0.1 by this file's server changes by version between three captures of one link
(a paragraph inserted near the top; then a word changed lower down), and snapshot.diff
must call the first one `added` region with the rest of the page unchanged, and the second
one `modified` region, with the text blocks that came and went. One daemon, three
captures (the suite is at its time budget)."""
import http.server
import socketserver
import threading

from linksnap_test import Daemon, TestCase, main

PARAS = [
    "The northern coast sees two high tides a day, and the fishermen of the harbour plan "
    "their week around them, as their grandparents did before them.",
    "Each spring the moon pulls the sea further up the beach than at any other time, and "
    "the old sea wall, built in 1887, is tested by waves that reach the road.",
    "Engineers measured the wall last autumn and found the mortar sound, though the lowest "
    "course of stones has worn by almost four centimetres in a century.",
    "The town council will decide next month whether to repair the wall in stone or to "
    "build a new barrier of concrete further out to sea, which costs twice as much.",
    "Fishermen say the new barrier would change the currents at the harbour mouth and "
    "silt up the channel their boats use at low water.",
    "A public meeting is planned in the school hall, where both designs will be shown on "
    "large boards and the engineers will answer questions.",
    "Whatever the council decides, the work cannot start before the autumn storms have "
    "passed, and it will take at least two summers to finish.",
    "Until then the road along the wall stays open, but it closes at spring tides when "
    "the waves come over the top.",
]
INSERTED = ("Breaking: the council has just published the cost of both designs, and the "
            "stone repair is now the cheaper of the two by a wide margin.")
VERSION = [1]


def article():
    paras = list(PARAS)
    if VERSION[0] >= 2:
        paras.insert(1, INSERTED)
    if VERSION[0] >= 3:
        paras[7] = paras[7].replace("two summers", "three summers")
    body = "".join("<p>%s</p>" % p for p in paras)
    return ("<!doctype html><html lang=en><meta charset=utf-8><title>Tides</title>"
            "<style>body{margin:40px auto;max-width:700px;font:18px/1.5 serif}</style>"
            "<article><h1>Tides of the northern coast</h1>%s</article>" % body).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        body = article()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class DiffChromium(TestCase):
    def test_versions_of_an_article(self):
        srv = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        url = "http://127.0.0.1:%d/tides" % srv.server_address[1]
        try:
            with Daemon(capture=True, config="job_timeout = 30\n") as d:
                snaps = []
                with d.client(timeout=120) as c:
                    c.call("events.subscribe", {"topics": ["job"]})
                    for v in (1, 2, 3):
                        VERSION[0] = v
                        r = c.call("snapshot.request", {"url": url})
                        ev = c.wait_event(lambda e: e.get("topic") == "job.finished"
                                          and e["job_id"] == r["job_id"], 120)
                        self.assertEqual(ev["state"], "ok", ev)
                        snaps.append(ev["snapshot"]["id"])
                link = r["link_id"]
                s1, s2, s3 = snaps

                # a paragraph inserted near the top: one added region, the rest unchanged
                r = d.call("snapshot.diff", {"from": s1, "to": s2})
                self.assertTrue(r["changed"])
                self.assertEqual([g["kind"] for g in r["regions"]], ["added"], r["regions"])
                self.assertEqual(r["text"]["added"], [INSERTED])
                self.assertEqual(r["text"]["removed"], [])
                self.assertLess(r["changed_fraction"], 0.25)

                # a word changed lower down: one modified region, below the first one
                r2 = d.call("snapshot.diff", {"link_id": link})
                self.assertEqual((r2["from"], r2["to"]), (s2, s3))
                self.assertEqual([g["kind"] for g in r2["regions"]], ["modified"], r2["regions"])
                self.assertGreater(r2["regions"][0]["y"], r["regions"][0]["y"] + r["regions"][0]["h"])
                self.assertEqual(len(r2["text"]["added"]), 1)
                self.assertIn("three summers", r2["text"]["added"][0])
                self.assertIn("two summers", r2["text"]["removed"][0])
                self.assertEqual(d.sanitizer_report(), "")
        finally:
            srv.shutdown()
            srv.server_close()


if __name__ == "__main__":
    main()

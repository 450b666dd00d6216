#!/usr/bin/env python3
"""bench/fidelity/run.py -- what hiding consent notices costs a capture: the consent
fixture pages (tests/capture/consent/, one per known manager, generic notices in 13
languages, a page with its own header) captured by linksnapd with hide_consent = true and
with hide_consent = false, each by its own daemon (release build, --jobs 2, its browser
already started by a warm-up capture). Rounds alternate the two (the order rotates), and
the summary gives, for each, the best wall time of the captures with the spread
((max - min) / best) and the mean `lazy_ms + capture_ms` of the snapshots (the two phases
the consent layers touch: the preload sheet costs nothing measurable, the pass runs just
before measuring), and the ratio of the bests. Every round also checks the outcome: with
hiding on, how many shots still hold notice (magenta) pixels -- the figure that matters.

Usage: bench/fidelity/run.py [--build build-rel] [--rounds 5]
Raw JSON goes to bench/results/fidelity-DATE.json."""
import argparse
import datetime
import http.server
import json
import os
import re
import socketserver
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
CONSENT = os.path.join(SRC, "tests", "capture", "consent")

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--build", default=os.path.join(SRC, "build-rel"))
ap.add_argument("--rounds", type=int, default=5)
args = ap.parse_args()
os.environ["LINKSNAP_BUILD"] = os.path.abspath(args.build)
import pngread  # noqa: E402
from linksnap_test import Daemon  # noqa: E402

PAGES = sorted(f for f in os.listdir(CONSENT) if f.endswith(".html"))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        name = self.path.lstrip("/").split("?")[0]
        path = os.path.join(CONSENT, name)
        if not re.fullmatch(r"[a-z_]+\.html", name) or not os.path.exists(path):
            body = b"<title>missing</title>"
            self.send_response(404)
        else:
            with open(path, encoding="utf-8") as f:
                page = f.read()
            with open(os.path.join(CONSENT, "article.inc"), encoding="utf-8") as f:
                page = page.replace("<!--ARTICLE-->", f.read())
            body = page.encode()
            self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def magenta_pixels(path):
    w, h, rows, bpp = pngread.read(path)
    n = 0
    for y in range(0, h, 4):
        row = rows[y]
        for x in range(0, w, 4):
            r, g, b = row[x * bpp:x * bpp + 3]
            n += r >= 180 and b >= 180 and g <= 175 and r - g >= 60
    return n


def run_round(d, base, rnd):
    """Captures every page once (new URLs each round); returns (wall s, snapshots)."""
    urls = ["%s/%s?r=%d" % (base, p, rnd) for p in PAGES]
    with d.client(timeout=300) as c:
        c.call("events.subscribe", {"topics": ["job"]})
        t0 = time.monotonic()
        jobs = [c.call("snapshot.request", {"url": u})["job_id"] for u in urls]
        left = set(jobs)
        while left:
            ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["job_id"] in left, 300)
            left.discard(ev["job_id"])
        wall = time.monotonic() - t0
    snaps = []
    for u in urls:
        link = d.call("link.get", {"url": u})["link"]
        snaps.append(link["last_snapshot"])
    return wall, snaps


def main():
    httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % httpd.server_address[1]
    peers = {"hide_consent=true": Daemon(capture=True, args=["--jobs", "2"], config="hide_consent = true\n"),
             "hide_consent=false": Daemon(capture=True, args=["--jobs", "2"], config="hide_consent = false\n")}
    results = {k: [] for k in peers}
    try:
        for d in peers.values():
            d.start()
            run_round(d, base, -1)   # starts the browser
        names = list(peers)
        for rnd in range(args.rounds):
            order = names[rnd % 2:] + names[:rnd % 2]
            for name in order:
                wall, snaps = run_round(peers[name], base, rnd)
                ok = sum(1 for s in snaps if s["state"] in ("ok", "partial"))
                phases = [s["timings"]["lazy_ms"] + s["timings"]["capture_ms"] for s in snaps if s.get("timings")]
                notice = sum(1 for s in snaps if s.get("path") and magenta_pixels(s["path"]) > 0)
                results[name].append({"wall_s": wall, "captured": ok, "lazy_capture_ms_mean":
                                      sum(phases) / max(1, len(phases)), "shots_with_notice": notice})
                print("round %d %-19s wall %.2f s, %d/%d captured, lazy+capture %.0f ms, %d shots show a notice"
                      % (rnd + 1, name, wall, ok, len(snaps), results[name][-1]["lazy_capture_ms_mean"], notice),
                      flush=True)
    finally:
        for d in peers.values():
            d.close()
        httpd.shutdown()
    print("\n| setting | best wall s (%d pages) | spread | mean lazy+capture ms | shots with a notice |" % len(PAGES))
    print("|---|---|---|---|---|")
    best = {}
    for name, rs in results.items():
        walls = [r["wall_s"] for r in rs]
        best[name] = min(walls)
        print("| %s | %.2f | %.0f%% | %.0f | %d of %d |" % (
            name, min(walls), 100 * (max(walls) - min(walls)) / min(walls),
            min(r["lazy_capture_ms_mean"] for r in rs), rs[-1]["shots_with_notice"], len(PAGES)))
    print("\nhiding on / off, best wall: %.2fx" % (best["hide_consent=true"] / best["hide_consent=false"]))
    out = os.path.join(SRC, "bench", "results", "fidelity-%s.json" % datetime.date.today().isoformat())
    with open(out, "w") as f:
        json.dump({"pages": PAGES, "rounds": args.rounds, "results": results,
                   "load": os.getloadavg()}, f, indent=1)
    print("raw: " + os.path.relpath(out, SRC))


if __name__ == "__main__":
    main()

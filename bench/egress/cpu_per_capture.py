"""cpu_per_capture -- linksnapd's own CPU time per capture (user + system of the daemon
process, not Chromium's), with every page's connections going through the egress proxy.

Pages: the fixture site's /bench/N pages (1,200-9,000 px, text, SVG, images, a slow image
on every fourth) on 127.0.0.1. Rounds alternate two daemons built from different trees
when PEER_BUILD is given (e.g. a build of the tree before the proxy, with Fetch
interception), so the figure is a ratio measured in one run; the best round of each is
reported with the spread.

    LINKSNAP_BUILD=build-rel [PEER_BUILD=/tmp/peer/build-rel] python3 bench/egress/cpu_per_capture.py [PAGES] [ROUNDS]
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))

import linksnap_test  # noqa: E402
from fixture_site import FixtureSite  # noqa: E402
from procstat import cpu_s  # noqa: E402


def one_round(build, site, pages, seq):
    linksnap_test.LINKSNAPD = os.path.join(build, "daemon", "linksnapd")
    d = linksnap_test.Daemon(capture=True, args=["--jobs", "2", "--set", "job_timeout=120"], http="off")
    d.start()
    try:
        # warm up: the browser starts (its start is not what is measured)
        with d.client(timeout=120) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            lid = c.call("link.add", {"url": site.url("/ok?warm=%d" % seq)})["link"]["id"]
            c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] == lid, 120)
        before = cpu_s(d.proc.pid)
        t0 = time.time()
        with d.client(timeout=300) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            ids = set()
            for i in range(pages):
                url = site.url("/bench/%d?r=%d" % (i % 40, seq))
                ids.add(c.call("link.add", {"url": url})["link"]["id"])
            states, done = {}, set()
            while len(done) < len(ids):
                ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] in ids
                                  and e["link_id"] not in done, 300)
                done.add(ev["link_id"])
                states[ev["state"]] = states.get(ev["state"], 0) + 1
        wall = time.time() - t0
        used = cpu_s(d.proc.pid) - before
        net = d.sql("SELECT timings FROM snapshots WHERE timings LIKE '%network%'")
        return used / pages * 1000, wall, states, len(net)
    finally:
        d.close()


def main():
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    ours = os.environ.get("LINKSNAP_BUILD") or os.path.join(HERE, "..", "..", "build-rel")
    peer = os.environ.get("PEER_BUILD")
    builds = [("ours", ours)] + ([("peer", peer)] if peer else [])
    res = {name: [] for name, _ in builds}
    with FixtureSite() as site:
        seq = 0
        for r in range(rounds):
            for name, b in builds:   # alternate
                seq += 1
                ms, wall, states, with_net = one_round(b, site, pages, seq)
                res[name].append(ms)
                print("round %d %-4s: %.1f ms CPU per capture, %.1f s wall, states %r, %d snapshots "
                      "with network counters" % (r + 1, name, ms, wall, states, with_net), flush=True)
    for name, v in res.items():
        print("%-4s best %.1f ms CPU per capture (spread %.1f) over %d rounds of %d pages"
              % (name, min(v), max(v) - min(v), rounds, pages))
    if peer:
        print("ratio ours/peer (best rounds): %.2f" % (min(res["ours"]) / min(res["peer"])))


if __name__ == "__main__":
    main()

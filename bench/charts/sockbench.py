#!/usr/bin/python3
"""bench/charts/sockbench.py -- chart.render through linksnapd against matplotlib, measured in
one run: a release linksnapd (--no-capture) whose store holds the 12 tags of the issue's
chart (two Chinese) with their link counts; `rpcbench` sends chart.render {kind: tags,
top: 12, format: png, inline: true} with 1 client and with 8 concurrent clients (no cache: the daemon
renders every request); matplotlib draws the same chart in this process (run.py's
mpl_render). Alternating, repeated; best of each with the spread. Per chart over the
socket = 1 / (requests per second) for 1 client, plus its p50 latency.

With --before BUILD, a second linksnapd from another build (the tree before a change,
e.g. `git archive` of the older commit built in build-before/) runs beside ours on its own
copy of the data, and the rounds rotate between before, ours and matplotlib.

    /usr/bin/python3 bench/charts/sockbench.py --build build-rel [--before DIR] [--rounds 5]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--requests", type=int, default=300)
ap.add_argument("--before", default=None)
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
BEFORE = os.path.abspath(args.before) if args.before else None
sys.argv = [sys.argv[0], "--build", BUILD]
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
import run as chartrun  # noqa: E402  (matplotlib's side of the comparison)
from linksnap_test import Client  # noqa: E402

RPCBENCH = os.path.join(BUILD, "bench", "rpcbench")
PARAMS = '{"kind":"tags","top":12,"format":"png","inline":true}'


def rpcbench(sock, clients, n):
    out = subprocess.run([RPCBENCH, "--socket", sock, "--method", "chart.render", "--params", PARAMS,
                          "--clients", str(clients), "--depth", "1", "--requests", str(n)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def start(build):
    """A linksnapd of build on a fresh state dir, filled with the chart's links."""
    root = tempfile.mkdtemp(prefix="linksnap-chartbench-")
    sock = os.path.join(root, "s.sock")
    log = open(os.path.join(root, "d.log"), "wb")
    d = subprocess.Popen([os.path.join(build, "daemon", "linksnapd"), "--state-dir", os.path.join(root, "state"),
                          "--socket", sock, "--no-capture", "--set", "http.listen=off", "-q"],
                         stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    with Client(sock) as c:
        n = 0
        for name, count in chartrun.TAGS:
            calls = [("link.add", {"url": "https://chart%d.example/" % (n + i), "tags": [name],
                                   "capture": False}) for i in range(count)]
            n += count
            for k in range(0, len(calls), 500):
                c.pipeline(calls[k:k + 500])
        r = c.call("chart.render", json.loads(PARAMS))
        print("%s: %d links, chart %dx%d, %d bytes" % (build, n, r["width"], r["height"], r["bytes"]),
              file=sys.stderr)
    return d, sock


def spread(v):
    return 100 * (v[-1] - v[0]) / v[0]


def main():
    daemons = {"ours": start(BUILD)}
    if BEFORE:
        daemons["before"] = start(BEFORE)
    who_all = list(daemons) + ["matplotlib"]
    rows = {w: [] for w in who_all}
    try:
        for rnd in range(args.rounds):
            order = who_all[rnd % len(who_all):] + who_all[:rnd % len(who_all)]
            for who in order:
                if who == "matplotlib":
                    t, _ = chartrun.theirs(20)
                    rows[who].append({"ms": t["total_best"]})
                    continue
                sock = daemons[who][1]
                one = rpcbench(sock, 1, args.requests)
                eight = rpcbench(sock, 8, args.requests // 4)
                rows[who].append({"ms": 1000.0 / one["rps"], "p50": one["p50_ms"], "rps8": eight["rps"]})
            print("round %d: " % (rnd + 1) + ", ".join(
                "%s %.2f ms" % (w, rows[w][-1]["ms"]) for w in who_all), file=sys.stderr)
    finally:
        for d, _ in daemons.values():
            d.terminate()
            d.wait()
    mp = sorted(r["ms"] for r in rows["matplotlib"])
    res = {"matplotlib_ms": mp}
    print("\n| per chart, cold (every request rendered) | best | p50 (best round) | spread |\n|---|---|---|---|")
    for w in daemons:
        s1 = sorted(r["ms"] for r in rows[w])
        p50 = sorted(r["p50"] for r in rows[w])
        s8 = sorted((r["rps8"] for r in rows[w]), reverse=True)
        res[w] = {"socket1_ms": s1, "socket1_p50_ms": p50, "socket8_rps": s8,
                  "ratio_socket1": mp[0] / s1[0]}
        print("| chart.render over the socket, %s, 1 client | %.2f ms (%.0f/s) | %.2f ms | %.0f%% |" %
              (w, s1[0], 1000 / s1[0], p50[0], spread(s1)))
        print("| chart.render over the socket, %s, 8 clients | %.0f charts/s | | %.0f%% |" %
              (w, s8[0], 100 * (s8[0] - s8[-1]) / s8[0]))
    print("| matplotlib (Figure API, Agg) | %.1f ms | | %.0f%% |" % (mp[0], spread(mp)))
    for w in daemons:
        print("ratio %s, 1 client: %.1fx matplotlib" % (w, res[w]["ratio_socket1"]))
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()

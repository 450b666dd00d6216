#!/usr/bin/python3
"""bench/charts/sockbench.py -- chart.render through linksnapd against matplotlib, measured in
one run: a release linksnapd (--no-capture) whose store holds the 12 tags of the issue's
chart (two Chinese) with their link counts; `rpcbench` sends chart.render {kind: tags,
top: 12, format: png, inline: true} with 1 client and with 8 concurrent clients (no cache: the daemon
renders every request); matplotlib draws the same chart in this process (run.py's
mpl_render). Alternating, repeated; best of each with the spread. Per chart over the
socket = 1 / (requests per second) for 1 client, plus its p50 latency.

    /usr/bin/python3 bench/charts/sockbench.py --build build-rel [--rounds 5]
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
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
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


def main():
    root = tempfile.mkdtemp(prefix="linksnap-chartbench-")
    sock = os.path.join(root, "s.sock")
    log = open(os.path.join(root, "d.log"), "wb")
    d = subprocess.Popen([os.path.join(BUILD, "daemon", "linksnapd"), "--state-dir", os.path.join(root, "state"),
                          "--socket", sock, "--no-capture", "--set", "http.listen=off", "-q"],
                         stdout=log, stderr=subprocess.STDOUT)
    try:
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
            print("store: %d links, chart %dx%d, %d bytes" % (n, r["width"], r["height"], r["bytes"]),
                  file=sys.stderr)
        rows = {"socket1": [], "socket8": [], "matplotlib": []}
        for rnd in range(args.rounds):
            order = ["socket", "matplotlib"] if rnd % 2 == 0 else ["matplotlib", "socket"]
            for who in order:
                if who == "socket":
                    one = rpcbench(sock, 1, args.requests)
                    eight = rpcbench(sock, 8, args.requests // 4)
                    rows["socket1"].append({"ms": 1000.0 / one["rps"], "p50": one["p50_ms"], "rps": one["rps"]})
                    rows["socket8"].append({"rps": eight["rps"], "p50": eight["p50_ms"]})
                else:
                    t, _ = chartrun.theirs(20)
                    rows["matplotlib"].append({"ms": t["total_best"]})
            print("round %d: socket 1 client %.2f ms/chart (%.0f/s), 8 clients %.0f/s, matplotlib %.1f ms" %
                  (rnd + 1, rows["socket1"][-1]["ms"], rows["socket1"][-1]["rps"], rows["socket8"][-1]["rps"],
                   rows["matplotlib"][-1]["ms"]), file=sys.stderr)
    finally:
        d.terminate()
        d.wait()
    s1 = sorted(r["ms"] for r in rows["socket1"])
    s8 = sorted((r["rps"] for r in rows["socket8"]), reverse=True)
    mp = sorted(r["ms"] for r in rows["matplotlib"])
    res = {"socket1_ms": s1, "socket1_p50_ms": sorted(r["p50"] for r in rows["socket1"]),
           "socket8_rps": s8, "matplotlib_ms": mp,
           "ratio_socket1": mp[0] / s1[0], "ratio_socket8": (1000.0 / mp[0] and s8[0] / (1000.0 / mp[0]))}
    print(json.dumps(res, indent=1))
    print("\n| per chart | best | spread |\n|---|---|---|")
    print("| chart.render over the socket, 1 client | %.2f ms (%.0f/s) | %.0f%% |" % (s1[0], 1000 / s1[0], 100 * (s1[-1] - s1[0]) / s1[0]))
    print("| chart.render over the socket, 8 clients | %.0f charts/s | %.0f%% |" % (s8[0], 100 * (s8[0] - s8[-1]) / s8[0]))
    print("| matplotlib (Figure API, Agg) | %.1f ms | %.0f%% |" % (mp[0], 100 * (mp[-1] - mp[0]) / mp[0]))
    print("\nratio, 1 client: %.1fx; 8 clients vs matplotlib's one-process rate: %.1fx" %
          (res["ratio_socket1"], res["ratio_socket8"]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench/import/run.py -- bulk import against the peer path (the same number of links sent
by a client as pipelined link.add), on a fresh state dir each run, alternating, repeated.

Measures: links/s, linksnapd peak RSS (VmHWM), and daemon.status latency (p50/p99) seen by
another client probing 200 times a second during the run.

Usage: bench/import/run.py [--build build] [--lines 1000000] [--bookmarks 100000] [--rounds 3]
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lib"))
import procstat  # noqa: E402
from linksnap_test import ping_until_ready  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--lines", type=int, default=1_000_000)
ap.add_argument("--bookmarks", type=int, default=100_000)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--data", default="/tmp/linksnap-bench-import")
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
LINKSNAPD = os.path.join(BUILD, "daemon", "linksnapd")
RPCBENCH = os.path.join(BUILD, "bench", "rpcbench")


def rpc(sock, method, params=None):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        buf += s.recv(1 << 20)
    s.close()
    return json.loads(buf)["result"]


def start(root):
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    sock = os.path.join(root, "s.sock")
    p = subprocess.Popen([LINKSNAPD, "--state-dir", os.path.join(root, "state"), "--socket", sock, "-q"])
    if ping_until_ready(p, sock, 15):
        return p, sock
    raise SystemExit("linksnapd did not start")


def hwm_mb(pid):
    return procstat.status_kb(pid, "VmHWM") / 1024.0


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait()


def gen_files():
    os.makedirs(args.data, exist_ok=True)
    lst = os.path.join(args.data, "list.txt")
    if not os.path.exists(lst):
        with open(lst, "w") as f:
            for i in range(args.lines):
                f.write("https://list%d.example/page/%d?utm_source=bench\n" % (i % 50000, i))
    html = os.path.join(args.data, "bookmarks.html")
    if not os.path.exists(html):
        rnd = random.Random(7)
        with open(html, "w") as f:
            f.write("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n"
                    "<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n")
            per = 1000
            for folder in range(args.bookmarks // per):
                f.write('    <DT><H3 ADD_DATE="1600000000">Folder %d 文件夹</H3>\n    <DL><p>\n' % folder)
                f.write('        <DT><H3>Sub %d</H3>\n        <DL><p>\n' % (folder % 7))
                for j in range(per):
                    i = folder * per + j
                    f.write('            <DT><A HREF="https://bm%d.example/%d" ADD_DATE="%d" TAGS="t%d,t%d">Bookmark %d &amp; title</A>\n'
                            % (i % 9000, i, 1500000000 + i, rnd.randrange(50), rnd.randrange(500), i))
                f.write("        </DL><p>\n    </DL><p>\n")
            f.write("</DL><p>\n")
    return lst, html


def main():
    lst, html = gen_files()
    res = {"import_list": [], "import_html": [], "pipelined": []}
    for rnd in range(args.rounds):
        for kind in ("import_list", "pipelined", "import_html"):
            p, sock = start(os.path.join(args.data, "run"))
            pr = subprocess.Popen([RPCBENCH, "--socket", sock, "--method", "daemon.status", "--params", "{}",
                                   "--clients", "1", "--depth", "1", "--rate", "200", "--requests", "1000000"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            t0 = time.time()
            if kind == "pipelined":
                subprocess.run([RPCBENCH, "--socket", sock, "--method", "link.add",
                                "--params", '{"url":"https://p%SEQ%.example/x","capture":false}',
                                "--clients", "1", "--depth", "500", "--requests", str(args.lines)],
                               capture_output=True, text=True, check=True)
                n = args.lines
            else:
                path = lst if kind == "import_list" else html
                n = args.lines if kind == "import_list" else args.bookmarks
                iid = rpc(sock, "import.start", {"path": path, "capture": False})["import_id"]
                while True:
                    r = rpc(sock, "import.get", {"id": iid})
                    if r["state"] != "running":
                        break
                    time.sleep(0.02)
                assert r["added"] + r["existing"] == n, r
            secs = time.time() - t0
            peak = hwm_mb(p.pid)
            stop(p)   # the probe sees the daemon go and prints what it measured
            out, _ = pr.communicate(timeout=30)
            probe_res = None
            for line in out.splitlines():
                if line.startswith("{"):
                    probe_res = json.loads(line)
            res[kind].append({"seconds": round(secs, 2), "per_s": round(n / secs), "peak_rss_mb": round(peak, 1),
                              "status_p50_ms": probe_res and probe_res["p50_ms"],
                              "status_p99_ms": probe_res and probe_res["p99_ms"],
                              "status_max_ms": probe_res and probe_res["max_ms"]})
            print("round %d %s: %s" % (rnd + 1, kind, res[kind][-1]), file=sys.stderr)
        shutil.rmtree(os.path.join(args.data, "run"), ignore_errors=True)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()

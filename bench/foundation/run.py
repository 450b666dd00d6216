#!/usr/bin/env python3
"""bench/foundation/run.py -- the foundation benchmark (issue: store, socket, CLI).

Builds (or reuses) a store of 1,000,000 links and 10,000 Zipf-distributed tags through
linksnapd's own pipelined link.add, then measures, alternating ours and the peer (the
sqlite3 shell running the same queries on the same file) and repeating:

  link.get          4 clients, pipelined            requests/s
  link.add          1 client, pipelined depth 500   requests/s (store of 1M links)
  tag.list          1 client, one at a time         ms (p50)
  link.list         two tags_all, first page        ms (p50), for three tag pairs
  idle RSS of linksnapd on that store               MB

Usage: bench/foundation/run.py [--build build] [--data DIR] [--links 1000000] [--rounds 5]
Prints a JSON summary and a Markdown table for docs/benchmarks.md.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lib"))
import procstat  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--data", default="/tmp/linksnap-bench")
ap.add_argument("--links", type=int, default=1_000_000)
ap.add_argument("--tags", type=int, default=10_000)
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--fresh", action="store_true", help="rebuild the store even if present")
args = ap.parse_args()

BUILD = os.path.abspath(args.build)
LINKSNAPD = os.path.join(BUILD, "daemon", "linksnapd")
RPCBENCH = os.path.join(BUILD, "bench", "rpcbench")
STATE = os.path.join(args.data, "state")
SOCK = os.path.join(args.data, "linksnap.sock")
DB = os.path.join(STATE, "linksnap.db")


def start_daemon():
    log = open(os.path.join(args.data, "linksnapd.log"), "ab")
    p = subprocess.Popen([LINKSNAPD, "--state-dir", STATE, "--socket", SOCK, "-q"],
                         stdout=log, stderr=log)
    for _ in range(600):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(SOCK)
            s.close()
            return p
        except OSError:
            time.sleep(0.1)
    raise SystemExit("linksnapd did not start")


def rpc(method, params=None):
    s = socket.socket(socket.AF_UNIX)
    s.connect(SOCK)
    s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        buf += s.recv(1 << 20)
    s.close()
    return json.loads(buf)


def rpcbench(method, params, clients, depth, requests, id_max=1, tag_max=1):
    out = subprocess.run([RPCBENCH, "--socket", SOCK, "--method", method, "--params", params,
                          "--clients", str(clients), "--depth", str(depth), "--requests", str(requests),
                          "--id-max", str(id_max), "--tag-max", str(tag_max)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def rss_mb(pid):
    return procstat.status_kb(pid, "VmRSS") / 1024.0


def _shell_seconds(script):
    t0 = time.perf_counter()
    subprocess.run(["sqlite3", "-readonly", DB], input=script, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0


def sqlite_ms(sqls):
    """Mean time of one query in the sqlite3 shell, in ms: the shell runs every statement
    of `sqls` (output discarded), and the time of an empty run (start-up, opening the
    file) is subtracted. The shell's own .timer has only millisecond resolution."""
    head = "PRAGMA cache_size = -16384;\n.output /dev/null\n"
    base = min(_shell_seconds(head) for _ in range(3))
    full = _shell_seconds(head + "\n".join(q.strip() for q in sqls) + "\n")
    return max(full - base, 1e-6) * 1000.0 / len(sqls)


def build_store(daemon):
    st = rpc("daemon.status")["result"]
    have = st["links"]
    if have >= args.links:
        return None
    need = args.links - have
    per_client = need // 4 + 1
    t0 = time.time()
    r = rpcbench("link.add", '{"url":"https://b%SEQ%.example/p/%SEQ%","tags":["t%ZTAG%","t%ZTAG%","t%ZTAG%"],"capture":false}',
                 4, 512, per_client, tag_max=args.tags)
    r["wall_s"] = time.time() - t0
    return r


def spread(xs, best):
    return "%.0f%%" % (100.0 * (max(xs) - min(xs)) / best) if best else "-"


def main():
    if args.fresh and os.path.exists(args.data):
        shutil.rmtree(args.data)
    os.makedirs(args.data, exist_ok=True)
    d = start_daemon()
    try:
        gen = build_store(d)
        if gen:
            print("generated: %s" % json.dumps(gen), file=sys.stderr)
        st = rpc("daemon.status")["result"]
        n_links = st["links"]
        tags = rpc("tag.list")["result"]["tags"]
        by_count = [t["name"] for t in tags]
        pairs = [(by_count[0], by_count[1]), (by_count[4], by_count[99]), (by_count[99], by_count[min(4999, len(by_count) - 1)])]
        res = {"links": n_links, "tags": len(tags), "generate": gen, "rounds": args.rounds}
        ours = {"link.get": [], "link.add": [], "tag.list": [], "link.list": {str(p): [] for p in pairs}}
        peer = {"link.get": [], "tag.list": [], "link.list": {str(p): [] for p in pairs}}
        tag_key = lambda n: n.lower().replace("'", "''")
        for rnd in range(args.rounds):
            # ours
            ours["link.get"].append(rpcbench("link.get", '{"id":%ID%}', 4, 32, 25000, id_max=n_links)["rps"])
            ours["link.add"].append(rpcbench("link.add", '{"url":"https://add%SEQ%.example/","tags":["t%ZTAG%"],"capture":false}', 1, 500, 10000, tag_max=args.tags)["rps"])
            ours["tag.list"].append(rpcbench("tag.list", "{}", 1, 1, 20)["p50_ms"])
            for p in pairs:
                params = json.dumps({"tags_all": list(p)})
                ours["link.list"][str(p)].append(rpcbench("link.list", params, 1, 1, 50)["p50_ms"])
            # the peer: the same queries straight in the sqlite3 shell on the same file
            import random
            ids = [random.randint(1, n_links) for _ in range(20000)]
            peer["link.get"].append(1000.0 / sqlite_ms([
                "SELECT l.*, (SELECT group_concat(t.name) FROM link_tags lt JOIN tags t ON t.id = lt.tag_id "
                "WHERE lt.link_id = l.id) FROM links l WHERE l.id = %d;" % i for i in ids]))
            peer["tag.list"].append(sqlite_ms(["SELECT name, count FROM tags WHERE count > 0 ORDER BY count DESC, name;"] * 50))
            for p in pairs:
                a, b = (tag_key(x) for x in p)
                peer["link.list"][str(p)].append(sqlite_ms([
                    "SELECT l.id, l.url, l.title FROM link_tags a JOIN links l ON l.id = a.link_id "
                    "WHERE a.tag_id = (SELECT id FROM tags WHERE key = '%s') AND EXISTS (SELECT 1 FROM link_tags b "
                    "WHERE b.link_id = a.link_id AND b.tag_id = (SELECT id FROM tags WHERE key = '%s')) "
                    "ORDER BY a.link_id DESC LIMIT 50;" % (a, b)] * 50))
            print("round %d done" % (rnd + 1), file=sys.stderr)
        res["busy_rss_mb"] = rss_mb(d.pid)
        time.sleep(12)   # two housekeeping ticks: the daemon gives memory back when idle
        res["idle_rss_mb"] = rss_mb(d.pid)
        res["ours"], res["peer"] = ours, peer
    finally:
        d.send_signal(signal.SIGTERM)
        d.wait()
    print(json.dumps(res, indent=1))

    def best_hi(xs): return max(xs)
    def best_lo(xs): return min(xs)
    rows = []
    g, pg = best_hi(ours["link.get"]), best_hi(peer["link.get"])
    rows.append(("link.get, 4 clients (req/s)", "%.0f (spread %s)" % (g, spread(ours["link.get"], g)),
                 "%.0f (spread %s)" % (pg, spread(peer["link.get"], pg)), "%.2f" % (g / pg)))
    a = best_hi(ours["link.add"])
    rows.append(("link.add pipelined, 1 client (req/s)", "%.0f (spread %s)" % (a, spread(ours["link.add"], a)), "-", "-"))
    t, pt = best_lo(ours["tag.list"]), best_lo(peer["tag.list"])
    rows.append(("tag.list, %d tags (ms)" % len(tags), "%.2f (spread %s)" % (t, spread(ours["tag.list"], t)),
                 "%.2f (spread %s)" % (pt, spread(peer["tag.list"], pt)), "%.2f" % (t / pt)))
    for p in pairs:
        o, q = best_lo(ours["link.list"][str(p)]), best_lo(peer["link.list"][str(p)])
        rows.append(("link.list tags_all %s+%s, first page (ms)" % p, "%.2f (spread %s)" % (o, spread(ours["link.list"][str(p)], o)),
                     "%.2f (spread %s)" % (q, spread(peer["link.list"][str(p)], q)), "%.2f" % (o / q)))
    rows.append(("linksnapd RSS right after the load (MB)", "%.1f" % res["busy_rss_mb"], "-", "-"))
    rows.append(("linksnapd idle RSS on this store (MB)", "%.1f" % res["idle_rss_mb"], "-", "-"))
    print("\n| measure | linksnapd | sqlite3 shell | ratio |\n|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %s |" % r)


if __name__ == "__main__":
    main()

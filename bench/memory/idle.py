#!/usr/bin/env python3
"""bench/memory/idle.py -- linksnapd's own memory when it goes idle after real work: a
40-page capture batch (the mixed fixture set, concurrency 4) and a web session (the page,
every link listed, each snapshot's thumbnail, tiles of the tall ones, three charts in SVG
and PNG, the events websocket), then quiet until the daemon's housekeeping has given memory
back (it trims after a quiet 5 s tick). Read from /proc/PID/status: RssAnon (the heap and
thread stacks: what the goal is about), RssFile, VmRSS and VmHWM, at each stage; and the
time of the same few requests (look()) just before the quiet and just after it, which is
what giving memory back costs the next visit.

Usage: bench/memory/idle.py [--build build-rel] [--rounds 3] [--env NAME=VALUE ...]
                            [--peer OTHER-BUILD] [--tag NAME]
--env sets a variable for the daemon (e.g. GLIBC_TUNABLES to compare malloc settings);
--peer alternates each round with a round of another build's linksnapd (the order turns
each round), to compare a change with what it changes under the same load.
Each stage also records where the anonymous memory is (from /proc/PID/smaps, see
breakdown()): the main heap, other malloc arenas, thread stacks, and other mappings.
The goal (issue): RssAnon <= 20 MB idle. Prints a Markdown table; raw JSON to
bench/results/memory-idle-DATE.json."""
import argparse
import datetime
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
sys.path.insert(0, os.path.join(SRC, "tests", "web"))

import procstat  # noqa: E402


def status(pid):
    kb = procstat.status(pid)
    out = {k: kb[k] / 1024.0 for k in ("RssAnon", "RssFile", "VmRSS", "VmHWM")}   # MB
    out["anon"] = breakdown(pid)
    return out


def thread_sps(pid):
    """The stack pointer of each of pid's threads, from /proc/PID/task/TID/syscall (the
    second to last field while a thread waits in a system call, which idle threads do)."""
    sps = set()
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/syscall" % (pid, tid)) as f:
                parts = f.read().split()
        except OSError:
            continue
        if len(parts) >= 3 and parts[0] != "running":
            sps.add(int(parts[-2], 16))
    return sps


def breakdown(pid):
    """Anonymous memory (MB) by kind, from /proc/PID/smaps: "heap" (the main arena's
    [heap]), "arenas" (other malloc arenas: anonymous mappings aligned to glibc's 64 MB
    HEAP_MAX_SIZE), "stacks" (the mapping holding a thread's stack pointer, or [stack]),
    "libraries" (anonymous pages of file mappings: relocated data, .bss next to them),
    "other" (anonymous mmaps: big allocations, anything else), and "threads" (how many)."""
    sps = thread_sps(pid)
    out = {"heap": 0.0, "arenas": 0.0, "stacks": 0.0, "libraries": 0.0, "other": 0.0,
           "threads": len(os.listdir("/proc/%d/task" % pid))}
    cur = None
    prev_file = False
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                name = head[5] if len(head) > 5 else ""
                if name == "[heap]":
                    cur = "heap"
                elif name == "[stack]" or any(lo <= sp < hi for sp in sps):
                    cur = "stacks"
                elif name == "" and lo % (64 << 20) == 0:
                    cur = "arenas"
                elif name.startswith("/") or (name == "" and prev_file and head[1].startswith("rw")):
                    cur = "libraries"
                else:
                    cur = "other"
                prev_file = name.startswith("/")
            elif head[0] == "Anonymous:" and cur:
                out[cur] += int(head[1]) / 1024.0
    return out


def look(base, snaps):
    """Milliseconds for what a person's return to the page asks: the link list, the three
    charts as PNG and the first tile of a few snapshots (the tile cache is dropped at idle:
    those are cut again), one request at a time."""
    from webtest import http, rpc
    t0 = time.perf_counter()
    rpc(base, "link.list", {"limit": 100})
    for kind in ("tags", "outcomes", "timeline"):
        http(base, path="/chart/%s.png" % kind)
    for snap in snaps:
        http(base, path="/snapshots/%d/tile/0.png" % snap)
    return (time.perf_counter() - t0) * 1000.0


def one_round(build, env=None):
    os.environ["LINKSNAP_BUILD"] = build
    import linksnap_test
    linksnap_test.LINKSNAPD = os.path.join(build, "daemon", "linksnapd")
    from fixture_site import FixtureSite
    from linksnap_test import Daemon
    from webtest import WebSocket, http, login, rpc
    site = FixtureSite().start()
    d = Daemon(capture=True, args=["--jobs", "4"], env=env).start()
    pid = d.proc.pid
    stages = {"start": status(pid)}
    try:
        urls = [site.url("/mixed/%d" % i) for i in range(40)]
        with d.client(timeout=300) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            ids = [c.call("link.add", {"url": u})["link"]["id"] for u in urls]
            done = set()
            while len(done) < len(ids):
                ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] in ids, 300)
                done.add(ev["link_id"])
        stages["after the batch"] = status(pid)
        base = d.web_url
        login(d)
        ws = WebSocket(base, "/events")
        for path in ("/", "/links", "/tags", "/stats", "/app.js", "/app.css"):
            http(base, path=path)
        links = rpc(base, "link.list", {"limit": 100})[1]["result"]["links"]
        for l in links:
            snap = (l.get("last_snapshot") or {}).get("id")
            if not snap:
                continue
            http(base, path="/snapshots/%d/thumb.png" % snap)
            st, h, body = http(base, path="/snapshots/%d/tiles.json" % snap)
            if st == 200:
                for n in range(min(3, len(json.loads(body).get("tiles", [])))):
                    http(base, path="/snapshots/%d/tile/%d.png" % (snap, n))
        for kind in ("tags", "outcomes", "timeline"):
            http(base, path="/chart/%s.svg" % kind)
            http(base, path="/chart/%s.png" % kind)
        ws.close()
        snaps = [s for s in ((l.get("last_snapshot") or {}).get("id") for l in links) if s][:5]
        warm = look(base, snaps)
        stages["after the web session"] = status(pid)
        time.sleep(12)   # two housekeeping ticks of quiet: the trim has run
        stages["idle"] = status(pid)
        stages["look_ms"] = {"warm": warm, "first after idle": look(base, snaps)}
    finally:
        d.close()
        site.stop()
    return stages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(SRC, "build-rel"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the daemon")
    ap.add_argument("--tag", default="", help="appended to the raw file's name")
    ap.add_argument("--peer", help="another build dir, alternated round by round")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    peer = os.path.abspath(a.peer) if a.peer else None
    env = dict(kv.split("=", 1) for kv in a.env)
    rounds, peer_rounds, loads = [], [], []
    for i in range(a.rounds):
        for b in ([build, peer] if i % 2 == 0 else [peer, build]):
            if b:
                (rounds if b == build else peer_rounds).append(one_round(b, env))
                loads.append(os.getloadavg()[0])
    out = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "load": os.getloadavg(),
           "loads_after_each_round": loads, "build": build, "env": env, "rounds": rounds}
    if peer:
        out["peer"] = {"build": peer, "rounds": peer_rounds}
    os.makedirs(os.path.join(SRC, "bench", "results"), exist_ok=True)
    path = os.path.join(SRC, "bench", "results", "memory-idle-%s%s.json" % (
        datetime.date.today().isoformat(), "-" + a.tag if a.tag else ""))
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    report(build, rounds)
    if peer:
        print()
        report(peer, peer_rounds)
    print("load (1 min) after each round: %s" % ", ".join("%.1f" % x for x in loads))
    print("raw:", path)


def report(build, rounds):
    idle = [r["idle"]["RssAnon"] for r in rounds]
    print("%s:" % build)
    print("| stage | RssAnon MB (best / worst) | RssFile MB | VmRSS MB | VmHWM MB |")
    print("|---|---|---|---|---|")
    for stage in [k for k in rounds[0] if k != "look_ms"]:
        vals = [r[stage] for r in rounds]
        print("| %s | %.1f / %.1f | %.1f | %.1f | %.1f |" % (
            stage, min(v["RssAnon"] for v in vals), max(v["RssAnon"] for v in vals),
            min(v["RssFile"] for v in vals), min(v["VmRSS"] for v in vals), max(v["VmHWM"] for v in vals)))
    print("idle RssAnon by kind, each round (MB): heap / arenas / stacks / libraries / other (threads)")
    for r in rounds:
        b = r["idle"]["anon"]
        print("  %.1f / %.1f / %.1f / %.1f / %.1f (%d)" % (b["heap"], b["arenas"], b["stacks"],
                                                       b["libraries"], b["other"], b["threads"]))
    print("the same look (link list, 3 chart PNGs, 5 first tiles), ms: warm / first after idle")
    for r in rounds:
        print("  %.0f / %.0f" % (r["look_ms"]["warm"], r["look_ms"]["first after idle"]))
    print("idle RssAnon over %d rounds: best %.1f MB, worst %.1f MB (goal <= 20)" % (len(idle), min(idle), max(idle)))


if __name__ == "__main__":
    main()

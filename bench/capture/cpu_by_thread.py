#!/usr/bin/env python3
"""bench/capture/cpu_by_thread.py -- where the browser's CPU goes during a capture batch.

Runs one peer (linksnap or playwright) over the capture benchmark's page set at one
concurrency, and samples every process of its tree every 50 ms: the process type
(Chromium's --type=: browser, renderer, gpu-process, utility, zygote), each thread's name
(/proc/PID/task/TID/comm: CrRendererMain, Compositor, CompositorTileW, VizCompositorTh,
ThreadPoolForeg, ...) and its CPU (utime + stime). A thread's last reading is kept after it
ends. A process that ends between two samples loses at most its last 50 ms; the zygotes'
cutime/cstime (their reaped renderers' whole CPU) is given as a check of the renderers'
total. Prints CPU seconds per process type and per (type, thread name), per page.

Usage: bench/capture/cpu_by_thread.py [--build build-rel] [--peer linksnap|playwright]
                                      [--concurrency 4] [--set mixed] [--pages 40]
                                      [--set-key key=value ...] [--json OUT]
The linksnap peer is linksnapd with formats = png, per_host_jobs = 0, as bench/capture/run.py
runs it; --set-key passes more --set options to it (to try a setting's effect).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from fixture_site import BENCH_PAGES, FixtureSite  # noqa: E402
from linksnap_test import Client  # noqa: E402
import procstat  # noqa: E402
import linksnapd_peer  # noqa: E402


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def proc_type(pid):
    raw = read("/proc/%d/cmdline" % pid)
    if not raw:
        return None
    # Chromium rewrites its title: the arguments may come joined by spaces, not NULs
    args = raw.replace(b"\0", b" ").split()
    if not args:
        return None
    exe = os.path.basename(args[0].decode("latin-1", "replace"))
    for a in args:
        if a.startswith(b"--type="):
            t = a[7:].decode()
            if t == "utility":
                for b in args:
                    if b.startswith(b"--utility-sub-type="):
                        return "utility:" + b[19:].decode().split(".")[-1]
            return t
    return "browser" if "chrom" in exe else exe


class ThreadSampler:
    def __init__(self, root):
        self.root = root
        self.threads = {}      # pid -> {tid: (comm, cpu_s)}; the pid's type in self.types
        self.zygote_children = {}   # pid -> cutime + cstime
        self.types = {}
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self.loop, daemon=True)

    def sample(self):
        for pid in procstat.descendants(self.root):
            # read each time: a renderer just forked shows the zygote's title, and the
            # browser may start as a shell script that execs it
            t = proc_type(pid) or self.types.get(pid)
            if not t:
                continue
            self.types[pid] = t
            if t == "zygote":
                st = procstat.stat(pid)
                if st:
                    self.zygote_children[pid] = (procstat.fields_cpu_s(st[1], reaped=True) -
                                                 procstat.fields_cpu_s(st[1]))
            try:
                tids = os.listdir("/proc/%d/task" % pid)
            except OSError:
                continue
            threads = self.threads.setdefault(pid, {})
            for tid in tids:
                st = procstat.stat(pid, int(tid))
                if st:
                    threads[int(tid)] = (st[0], procstat.fields_cpu_s(st[1]))

    def loop(self):
        while not self.stop_ev.is_set():
            self.sample()
            self.stop_ev.wait(0.05)

    def start(self):
        self.t.start()
        return self

    def stop(self):
        # the sampling thread first, so that its last sample cannot land after this one
        self.stop_ev.set()
        self.t.join()
        self.sample()


def run_linksnap(build, urls, conc, work, extra):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    p, sock = linksnapd_peer.start(os.path.join(build, "daemon", "linksnapd"), work, conc, "png", extra)
    smp = ThreadSampler(p.pid).start()
    phases = {}
    with Client(sock, timeout=600) as c:
        c.call("events.subscribe", {"topics": ["job"]})
        t0 = time.time()
        replies = c.pipeline([("link.add", {"url": u, "capture": True}) for u in urls])
        ids = set(r["result"]["link"]["id"] for r in replies)
        done = set()
        states = {}
        while len(done) < len(ids):
            ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e.get("link_id") in ids
                              and e["link_id"] not in done, timeout=120)
            done.add(ev["link_id"])
            states[ev.get("state")] = states.get(ev.get("state"), 0) + 1
            for k, v in ((ev.get("snapshot") or {}).get("timings") or {}).items():
                if isinstance(v, (int, float)):
                    phases[k] = phases.get(k, 0) + v
        wall = time.time() - t0
    smp.stop()
    p.send_signal(signal.SIGTERM)
    p.wait(60)
    return smp, wall, states, {k: round(v / len(urls)) for k, v in phases.items()}


def run_playwright(urls, conc, work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    p = subprocess.Popen(["node", os.path.join(HERE, "playwright-peer.js"), "--out", work,
                          "--concurrency", str(conc)] + urls,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=HERE)
    smp = ThreadSampler(p.pid).start()
    t0 = time.time()
    last = None
    for line in p.stdout:
        last = line
        if b'"done"' in line:
            break
    wall = time.time() - t0
    smp.stop()
    p.wait(60)
    return smp, wall, {"done": json.loads(last or b"{}")}, {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-rel")
    ap.add_argument("--peer", default="linksnap", choices=("linksnap", "playwright"))
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--set", default="mixed", choices=("mixed", "bench"))
    ap.add_argument("--pages", type=int, default=BENCH_PAGES)
    ap.add_argument("--set-key", action="append", default=[])
    ap.add_argument("--work", default="/tmp/linksnap-cpu-by-thread")
    ap.add_argument("--json")
    a = ap.parse_args()
    site = FixtureSite().start()
    urls = [site.url("/%s/%d" % (a.set, i)) for i in range(a.pages)]
    try:
        if a.peer == "linksnap":
            smp, wall, states, phases = run_linksnap(os.path.abspath(a.build), urls, a.concurrency,
                                                     a.work, a.set_key)
        else:
            smp, wall, states, phases = run_playwright(urls, a.concurrency, a.work)
    finally:
        site.stop()
    n = len(urls)
    by_type, by_thread = {}, {}
    for pid, threads in smp.threads.items():
        t = smp.types[pid]
        if t in ("linksnapd", "node"):
            t = "driver"
        for comm, cpu in threads.values():
            by_type[t] = by_type.get(t, 0) + cpu
            by_thread[(t, comm)] = by_thread.get((t, comm), 0) + cpu
    total = sum(by_type.values())
    print("peer %s, concurrency %d, %d pages, wall %.1f s, %.1f pages/s, states %s"
          % (a.peer, a.concurrency, n, wall, n / wall, states))
    if phases:
        print("phase means (ms): %s" % phases)
    print("CPU seen %.1f s (%.0f ms a page); zygotes' reaped children %.1f s"
          % (total, 1000 * total / n, sum(smp.zygote_children.values())))
    print("%-24s %8s %8s" % ("process type", "s", "ms/page"))
    for t, v in sorted(by_type.items(), key=lambda x: -x[1]):
        print("%-24s %8.1f %8.0f" % (t, v, 1000 * v / n))
    print("%-24s %-18s %8s %8s" % ("type", "thread", "s", "ms/page"))
    for (t, comm), v in sorted(by_thread.items(), key=lambda x: -x[1])[:30]:
        print("%-24s %-18s %8.1f %8.0f" % (t, comm, v, 1000 * v / n))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"peer": a.peer, "concurrency": a.concurrency, "pages": n, "wall_s": wall,
                       "settings": a.set_key, "phases": phases,
                       "by_type": by_type, "load": os.getloadavg(),
                       "by_thread": {"%s/%s" % k: v for k, v in by_thread.items()}}, f, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench/capture/run.py -- the capture benchmark: the same 40 fixture
pages captured full-page at concurrency 1 and 4. Two page sets (tests/lib/fixture_site.py):
  --set mixed (default)  /mixed/0../mixed/39, the set the capture benchmarks measure: 1,200 to 9,000 px,
                         Latin + CJK text, inline SVG, coloured sections, two or three
                         images, one in four with an image delayed 1.5 s;
  --set bench            /bench/0../bench/39: 800 to 12,000 px, text, coloured
                         blocks and images; one in four with an image delayed 1.5 s.
The peers:

  linksnap    linksnapd from the build, --jobs N, formats = png (the same work as the
              peers: a picture only): the 40 URLs sent as pipelined
              link.add {url, capture: true}, done when every link's job.finished event has
              come (events.subscribe {topics: ["job"]}). Measured only when the daemon has
              a capture engine (job.list answers); otherwise marked "not measured yet".
  linksnap-full  the same with the default formats (png,text,mhtml): what the page's text
              and its MHTML add per capture, in time, CPU and bytes (issue 19). Its runs
              also give the mean text_ms and mhtml_ms and the bytes kept per capture.
  playwright  bench/capture/playwright-peer.js: one browser, a fresh context per page,
              1280x800, goto 'load' + 500 ms network quiet, screenshot fullPage, N at once.
  linksnap-chromium, playwright-chromium
              the same two on Debian's full Chromium (/usr/bin/chromium, its new headless
              mode) whatever --browser says: linksnap and playwright run --browser, by
              default Debian's headless shell (chromium-headless-shell, the old headless
              mode, which Playwright itself runs for headless) when it is installed.
  naive       `chromium --headless --screenshot=P --window-size=1280,800 URL`, one process
              per URL, N processes at once. It shoots the viewport only (800 px): the
              report says how many PNGs have the page's full height.

Measured per run: pages/s (40 / wall time from the first submission -- browser start
included, the daemon's own start not -- to the last PNG written), CPU seconds (user+sys) of
the driver (linksnapd, node) and of the browser processes separately, from wait4 rusage:
this script is a child subreaper, so every process of a peer's tree is reaped here or by
its parent, nothing is lost to init; the driver's own share is read from /proc while it is
a zombie), peak RSS of the driver and of the sum over the browser tree (/proc sampled every
100 ms; linksnapd's VmHWM as well), and peak PSS of the browser tree (sampled once a
second: RSS counts shared pages once per process). Outputs are checked: the 40 PNGs
exist, are 1280 px wide, and have each page's full height.

For linksnap the snapshots' own timings are summed per phase (queue, setup, navigate, wait,
lazy, capture, post, teardown): the mean per capture, and what lies outside every timed
phase ("untimed": wall time x concurrency / pages - setup - navigate - wait - lazy -
capture, the time a tab's place is held but no phase runs).

Runs alternate the peers (the order rotates each round) and repeat; the summary gives the
best of each with the spread ((max - min) / best) and the ratios of the bests. Raw JSON goes
to bench/results/capture-DATE.json; a Markdown table is printed last.

Usage: bench/capture/run.py [--build build] [--rounds 5] [--concurrency 1,4] [--set mixed]
                            [--peers linksnap,playwright,naive] [--work /tmp/linksnap-bench-capture]
Needs: a Release build (cmake -DCMAKE_BUILD_TYPE=Release), and `npm ci` in bench/capture
(scripts/install-deps.sh --bench does it).
"""
import argparse
import ctypes
import datetime
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from fixture_site import BENCH_PAGES, FixtureSite, bench_page, mixed_page  # noqa: E402
from linksnap_test import Client, RpcError  # noqa: E402
import procstat  # noqa: E402
import linksnapd_peer  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--rounds", type=int, default=5)
ap.add_argument("--concurrency", default="1,4")
ap.add_argument("--peers", default="linksnap,linksnap-full,playwright,naive")
ap.add_argument("--pages", type=int, default=BENCH_PAGES)
ap.add_argument("--set", choices=("mixed", "bench"), default="mixed", help="the page set")
ap.add_argument("--work", default="/tmp/linksnap-bench-capture")
ap.add_argument("--results", default=os.path.join(SRC, "bench", "results"))
ap.add_argument("--timeout", type=float, default=600, help="seconds one run may take")
ap.add_argument("--browser", default="/usr/bin/chromium-headless-shell"
                if os.path.exists("/usr/bin/chromium-headless-shell") else "/usr/bin/chromium",
                help="the browser the linksnap and playwright peers run (linksnap's browser.path, "
                     "Playwright's executablePath); the -chromium peers run /usr/bin/chromium")
args = ap.parse_args()

BUILD = os.path.abspath(args.build)
LINKSNAPD = os.path.join(BUILD, "daemon", "linksnapd")
CHROMIUM = "/usr/bin/chromium"
QUIET = ["--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
PAGE = os.sysconf("SC_PAGE_SIZE")
ME = os.getpid()


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit("prctl(PR_SET_CHILD_SUBREAPER) failed: errno %d" % ctypes.get_errno())


# ---- /proc ------------------------------------------------------------------------------

def rss_bytes(pid):
    try:
        with open("/proc/%d/statm" % pid, "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def pss_bytes(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid, "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Sampler:
    """Samples a peer's process tree every 100 ms: the roots (the processes this script
    started), every descendant, and processes seen once (they stay counted after being
    reparented here). The driver pid (linksnapd, node) is counted apart."""

    def __init__(self, driver=None):
        self.driver = driver
        self.roots = set([driver] if driver else [])
        self.seen = set()
        self.peak_driver = self.peak_browser = self.peak_total = 0
        self.peak_browser_pss = 0
        self.max_procs = 0
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def add_root(self, pid):
        with self.lock:
            self.roots.add(pid)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_ev.set()
        self.thread.join()

    def tree(self):
        ppids = procstat.ppids()
        with self.lock:
            roots = set(p for p in self.roots | self.seen if p in ppids)
        tracked = procstat.descendants(roots, ppids)
        with self.lock:
            self.seen |= tracked
        return tracked

    def _loop(self):
        n = 0
        while not self.stop_ev.is_set():
            pids = self.tree()
            drv = rss_bytes(self.driver) if self.driver in pids else 0
            br = sum(rss_bytes(p) for p in pids if p != self.driver)
            self.peak_driver = max(self.peak_driver, drv)
            self.peak_browser = max(self.peak_browser, br)
            self.peak_total = max(self.peak_total, drv + br)
            self.max_procs = max(self.max_procs, len(pids))
            if n % 10 == 0:
                self.peak_browser_pss = max(self.peak_browser_pss, sum(pss_bytes(p) for p in pids if p != self.driver))
            n += 1
            self.stop_ev.wait(0.1)


def rusage_s(ru):
    return ru.ru_utime + ru.ru_stime


class Reaper:
    """Collects the CPU time of everything a peer ran: wait4 on its direct children and on
    orphans reparented to this script (the subreaper)."""

    def __init__(self):
        self.cpu = 0.0
        self.reaped = {}

    def reap_one(self, block=False):
        try:
            pid, status, ru = os.wait4(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return -1
        if pid:
            self.cpu += rusage_s(ru)
            self.reaped[pid] = status
        return pid

    def self_cpu_at_exit(self, pid, timeout):
        """Waits for pid to exit without reaping it, and returns its own CPU seconds
        (not its children's) read from /proc while it is a zombie; None on timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            if r is not None:
                return procstat.cpu_s(pid) or 0.0
            time.sleep(0.02)
        return None

    def drain(self, timeout=30):
        """Reaps until no child is left; after the timeout, SIGKILLs what remains."""
        deadline = time.time() + timeout
        while True:
            pid = self.reap_one()
            if pid == -1:
                return
            if pid == 0:
                if time.time() > deadline:
                    for p, pp in procstat.ppids().items():
                        if pp == ME:
                            try:
                                os.kill(p, signal.SIGKILL)
                            except OSError:
                                pass
                    deadline = time.time() + 30
                time.sleep(0.02)


# ---- outputs ----------------------------------------------------------------------------

def png_size(path):
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def page_height(i):
    return (mixed_page if args.set == "mixed" else bench_page)(i)["height"]


PHASES = ("queue_ms", "setup_ms", "navigate_ms", "wait_ms", "lazy_ms", "capture_ms", "post_ms", "teardown_ms")
IN_TAB = ("setup_ms", "navigate_ms", "wait_ms", "lazy_ms", "capture_ms")


def phase_means(events, wall, conc):
    """Mean ms per capture of each phase in the snapshots' timings, and the untimed rest."""
    ts = [(ev.get("snapshot") or {}).get("timings") or {} for ev in events]
    ts = [t for t in ts if t]
    if not ts:
        return None
    out = {k: round(sum(t.get(k, 0) for t in ts) / len(ts)) for k in PHASES}
    out["lazy_pass_run"] = sum(1 for t in ts if t.get("lazy_steps", -1) >= 0)
    if wall:
        per_slot = wall * 1000.0 * conc / len(ts)
        out["per_capture_in_tab_ms"] = round(per_slot)
        out["untimed_ms"] = round(per_slot - sum(out[k] for k in IN_TAB))
    return out


def verify(files):
    """files: {page index: path or None} -> counts of PNGs present, 1280 wide, full height."""
    present = full = 0
    heights = {}
    for i in range(args.pages):
        size = png_size(files.get(i)) if files.get(i) else None
        if size:
            present += 1
            heights[i] = size[1]
            if size == (1280, page_height(i)):
                full += 1
    return {"pngs": present, "full_height": full, "heights": heights}


# ---- the peers --------------------------------------------------------------------------

def run_playwright(conc, urls, out, browser=None, peer="playwright"):
    os.makedirs(out)
    log = open(out + ".log", "wb")
    t0 = time.time()
    p = subprocess.Popen(["node", os.path.join(HERE, "playwright-peer.js"), "--out", out,
                          "--concurrency", str(conc)] + urls,
                         stdout=subprocess.PIPE, stderr=log, cwd=HERE,
                         env=dict(os.environ, LINKSNAP_BENCH_BROWSER=browser or args.browser))
    smp = Sampler(driver=p.pid).start()
    reaper = Reaper()
    done, wall = None, None
    timer = threading.Timer(args.timeout, lambda: p.kill())
    timer.start()
    for line in p.stdout:
        if line.startswith(b"{"):
            done = json.loads(line)
            wall = time.time() - t0
    timer.cancel()
    driver_cpu = reaper.self_cpu_at_exit(p.pid, 60)
    reaper.drain()
    p.returncode = reaper.reaped.get(p.pid)
    smp.stop()
    log.close()
    files = {i: os.path.join(out, "%03d.png" % i) for i in range(len(urls))}
    return finish(peer, conc, wall, done and done["ok"], reaper.cpu, driver_cpu, smp, None, files,
                  None if done else "playwright-peer did not finish (see %s.log)" % out)


def run_naive(conc, urls, out):
    os.makedirs(out)
    smp = Sampler().start()
    reaper = Reaper()
    running = {}
    ok = 0
    nxt = 0
    t0 = time.time()
    deadline = t0 + args.timeout
    while nxt < len(urls) or running:
        while nxt < len(urls) and len(running) < conc:
            prof = os.path.join(out, "profile-%03d" % nxt)
            argv = [CHROMIUM] + QUIET + (["--no-sandbox"] if os.geteuid() == 0 else []) + [
                "--user-data-dir=" + prof, "--screenshot=" + os.path.join(out, "%03d.png" % nxt),
                "--window-size=1280,800", urls[nxt]]
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            smp.add_root(p.pid)
            running[p.pid] = (nxt, p)
            nxt += 1
        pid = reaper.reap_one()
        if pid in running:
            i, p = running.pop(pid)
            p.returncode = reaper.reaped[pid]
            ok += reaper.reaped[pid] == 0
        elif pid == 0:
            if time.time() > deadline:
                for _, p in running.values():
                    p.kill()
                deadline = time.time() + 3600
            time.sleep(0.01)
    wall = time.time() - t0
    reaper.drain()
    smp.stop()
    for name in os.listdir(out):
        if name.startswith("profile-"):
            shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    files = {i: os.path.join(out, "%03d.png" % i) for i in range(len(urls))}
    return finish("naive", conc, wall, ok, reaper.cpu, None, smp, None, files, None)


def linksnap_missing():
    """Why linksnapd cannot be measured here, or None when it can."""
    if not os.path.exists(LINKSNAPD):
        return "linksnapd not built at %s" % LINKSNAPD
    root = os.path.join(args.work, "probe")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    p, sock = linksnapd_peer.start(LINKSNAPD, root, 1, "png")
    try:
        with Client(sock, timeout=10) as c:
            try:
                c.call("job.list", {})
            except RpcError as e:
                return "linksnapd has no capture engine yet (job.list: %s)" % e.message
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait()
        shutil.rmtree(root, ignore_errors=True)
    return None


def snapshot_file(snap, state_dir):
    if not isinstance(snap, dict):
        return None
    for key in ("path", "file", "png", "png_path", "image", "image_path"):
        v = snap.get(key)
        if isinstance(v, str) and v:
            for cand in (v, os.path.join(state_dir, v), os.path.join(state_dir, "snapshots", v)):
                if os.path.exists(cand):
                    return cand
    return None


def kept_means(events):
    """Mean bytes per capture of each file kept, and the mean ms of the text and MHTML steps."""
    snaps = [ev.get("snapshot") or {} for ev in events]
    n = len(snaps) or 1
    out = {}
    for k in ("png", "text", "mhtml"):
        out[k + "_bytes"] = round(sum(((s.get("files") or {}).get(k) or {}).get("bytes") or 0
                                      for s in snaps) / n)
        out[k + "_kept"] = sum(1 for s in snaps if k in (s.get("files") or {}))
    for k in ("text_ms", "mhtml_ms"):
        ts = [(s.get("timings") or {}).get(k) for s in snaps]
        ts = [t for t in ts if t is not None]
        out[k] = round(sum(ts) / len(ts)) if ts else None
    return out


def run_linksnap(conc, urls, out, formats="png", peer="linksnap", browser=None):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    state = os.path.join(out, "state")
    p, sock = linksnapd_peer.start(LINKSNAPD, out, conc, formats, ["browser.path=" + (browser or args.browser)])
    smp = Sampler(driver=p.pid).start()
    reaper = Reaper()
    error = None
    finished = {}
    hwm_kb = 0
    wall = None
    try:
        with Client(sock, timeout=args.timeout) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            t0 = time.time()
            replies = c.pipeline([("link.add", {"url": u, "capture": True}) for u in urls])
            index = {}
            for i, r in enumerate(replies):
                if "error" in r:
                    raise RuntimeError("link.add %s: %s" % (urls[i], r["error"]))
                index[r["result"]["link"]["id"]] = i
            stall = 120
            while len(finished) < len(urls):
                ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e.get("link_id") in index
                                  and index[e["link_id"]] not in finished, timeout=stall)
                finished[index[ev["link_id"]]] = ev
            wall = time.time() - t0
    except (TimeoutError, RuntimeError, ConnectionError, RpcError) as e:
        error = "%s after %d of %d captures" % (e, len(finished), len(urls))
    hwm_kb = procstat.status_kb(p.pid, "VmHWM")
    p.send_signal(signal.SIGTERM)
    driver_cpu = reaper.self_cpu_at_exit(p.pid, 60)
    reaper.drain()
    p.returncode = reaper.reaped.get(p.pid)
    smp.stop()
    ok_states = ("done", "ok", "succeeded", "captured", "partial")
    ok = sum(1 for ev in finished.values() if ev.get("state") in ok_states)
    files = {i: snapshot_file(ev.get("snapshot"), state) for i, ev in finished.items()}
    res = finish(peer, conc, wall, ok, reaper.cpu, driver_cpu, smp, hwm_kb, files, error)
    res["states"] = sorted(set(str(ev.get("state")) for ev in finished.values()))
    res["phases"] = phase_means(list(finished.values()), wall, conc)
    res["kept"] = kept_means(list(finished.values()))
    return res


def finish(peer, conc, wall, ok, total_cpu, driver_cpu, smp, hwm_kb, files, error):
    v = verify(files)
    r = {"peer": peer, "concurrency": conc, "wall_s": wall and round(wall, 2),
         "pages_per_s": round(len(files) / wall, 3) if wall and not error else None,
         "ok": ok, "error": error,
         "cpu_total_s": round(total_cpu, 2),
         "cpu_driver_s": None if driver_cpu is None else round(driver_cpu, 2),
         "cpu_browser_s": round(total_cpu - (driver_cpu or 0.0), 2),
         "rss_driver_peak_mb": round(max(smp.peak_driver / 1048576.0, (hwm_kb or 0) / 1024.0), 1) if smp.driver else None,
         "rss_browser_peak_mb": round(smp.peak_browser / 1048576.0, 1),
         "pss_browser_peak_mb": round(smp.peak_browser_pss / 1048576.0, 1),
         "max_processes": smp.max_procs,
         "pngs": v["pngs"], "full_height": v["full_height"],
         "heights_seen": sorted(set(v["heights"].values()))[:5]}
    return r


# ---- summary ----------------------------------------------------------------------------

def spread(xs, best):
    return "%.0f%%" % (100.0 * (max(xs) - min(xs)) / best) if best and len(xs) > 1 else "-"


def summarise(runs, peers, concs, missing):
    rows, summary = [], {}
    for conc in concs:
        for peer in peers:
            rs = [r for r in runs if r["peer"] == peer and r["concurrency"] == conc]
            good = [r for r in rs if r["pages_per_s"]]
            key = "%s@%d" % (peer, conc)
            if peer in missing:
                summary[key] = {"measured": False, "why": missing[peer]}
                rows.append("| %d | %s | not measured yet | | | | | | %s |" % (conc, peer, missing[peer]))
                continue
            if not good:
                summary[key] = {"measured": False, "why": "; ".join(str(r["error"]) for r in rs)}
                rows.append("| %d | %s | failed | | | | | | %s |" % (conc, peer, summary[key]["why"]))
                continue
            pps = [r["pages_per_s"] for r in good]
            cpu = [r["cpu_total_s"] for r in good]
            best_pps = max(pps)
            best_cpu_run = min(good, key=lambda r: r["cpu_total_s"])
            best_run = max(good, key=lambda r: r["pages_per_s"])
            s = {"measured": True, "runs": len(good), "failed_runs": len(rs) - len(good),
                 "pages_per_s": best_pps, "pages_per_s_min": min(pps), "pages_per_s_spread": spread(pps, best_pps),
                 "wall_s": min(r["wall_s"] for r in good),
                 "cpu_total_s": best_cpu_run["cpu_total_s"], "cpu_total_s_max": max(cpu),
                 "cpu_driver_s": best_cpu_run["cpu_driver_s"], "cpu_browser_s": best_cpu_run["cpu_browser_s"],
                 "cpu_spread": spread(cpu, min(cpu)),
                 "rss_driver_peak_mb": max((r["rss_driver_peak_mb"] or 0) for r in good) if good[0]["rss_driver_peak_mb"] is not None else None,
                 "rss_browser_peak_mb": max(r["rss_browser_peak_mb"] for r in good),
                 "pss_browser_peak_mb": max(r["pss_browser_peak_mb"] for r in good),
                 "full_height": min(r["full_height"] for r in good), "pngs": min(r["pngs"] for r in good),
                 "phases_of_best": best_run.get("phases"), "kept_of_best": best_run.get("kept")}
            summary[key] = s
            drv = "%.2f" % s["cpu_driver_s"] if s["cpu_driver_s"] is not None else "-"
            rows.append("| %d | %s | **%.3f** (%.3f–%.3f, spread %s) | %.1f | %.1f (spread %s) = %s + %.1f | %s | %.0f (PSS %.0f) | %d/%d | %d/%d |"
                        % (conc, peer, best_pps, min(pps), max(pps), s["pages_per_s_spread"], s["wall_s"],
                           s["cpu_total_s"], s["cpu_spread"], drv, s["cpu_browser_s"],
                           "%.1f" % s["rss_driver_peak_mb"] if s["rss_driver_peak_mb"] is not None else "-",
                           s["rss_browser_peak_mb"], s["pss_browser_peak_mb"], s["pngs"], args.pages,
                           s["full_height"], args.pages))
    ratios = {}
    for conc in concs:
        for a, b in (("linksnap", "playwright"), ("linksnap", "naive"), ("playwright", "naive"),
                     ("linksnap-full", "linksnap"), ("linksnap", "playwright-chromium"),
                     ("linksnap", "linksnap-chromium"), ("linksnap-chromium", "playwright-chromium"),
                     ("playwright", "playwright-chromium")):
            sa, sb = summary.get("%s@%d" % (a, conc)), summary.get("%s@%d" % (b, conc))
            if sa and sb and sa.get("measured") and sb.get("measured"):
                ratios["%s/%s@%d" % (a, b, conc)] = {
                    "pages_per_s": round(sa["pages_per_s"] / sb["pages_per_s"], 2),
                    "cpu": round(sa["cpu_total_s"] / sb["cpu_total_s"], 2)}
            else:
                ratios["%s/%s@%d" % (a, b, conc)] = None
    return rows, summary, ratios


def main():
    become_subreaper()
    peers = [p for p in args.peers.split(",") if p]
    concs = [int(c) for c in args.concurrency.split(",")]
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    missing = {}
    for peer in ("linksnap", "linksnap-full", "linksnap-chromium"):
        if peer in peers:
            why = linksnap_missing()
            if why:
                missing[peer] = why
                print("%s: %s -- not measured" % (peer, why), file=sys.stderr)
    if any(p.startswith("playwright") for p in peers) and not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        raise SystemExit("playwright-core is not installed: run `npm ci` in bench/capture "
                         "(scripts/install-deps.sh --bench)")
    site = FixtureSite().start()
    urls = [site.url("/%s/%d" % (args.set, i)) for i in range(args.pages)]
    runners = {"linksnap": run_linksnap, "playwright": run_playwright, "naive": run_naive,
               "linksnap-full": lambda conc, urls, out: run_linksnap(conc, urls, out, "png,text,mhtml",
                                                                     "linksnap-full"),
               "linksnap-chromium": lambda conc, urls, out: run_linksnap(conc, urls, out, "png",
                                                                         "linksnap-chromium", CHROMIUM),
               "playwright-chromium": lambda conc, urls, out: run_playwright(conc, urls, out, CHROMIUM,
                                                                             "playwright-chromium")}
    active = [p for p in peers if p not in missing]
    runs = []
    try:
        for rnd in range(args.rounds):
            order = active[rnd % len(active):] + active[:rnd % len(active)] if active else []
            for conc in concs:
                for peer in order:
                    out = os.path.join(args.work, "%s-c%d-r%d" % (peer, conc, rnd + 1))
                    r = runners[peer](conc, urls, out)
                    r["round"] = rnd + 1
                    runs.append(r)
                    print("round %d c%d %s: %s" % (rnd + 1, conc, peer, json.dumps(r)), file=sys.stderr)
                    shutil.rmtree(out, ignore_errors=True)
                    time.sleep(1)
    finally:
        site.stop()
    rows, summary, ratios = summarise(runs, peers, concs, missing)

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            return None
    pw_pkg = os.path.join(HERE, "node_modules", "playwright-core", "package.json")
    res = {"date": datetime.date.today().isoformat(), "cores": os.cpu_count(),
           "chromium": version(["/usr/lib/chromium/chromium", "--version"]), "node": version(["node", "--version"]),
           "playwright_core": json.load(open(pw_pkg))["version"] if os.path.exists(pw_pkg) else None,
           "linksnapd": LINKSNAPD, "browser": args.browser, "set": args.set, "pages": args.pages, "rounds": args.rounds, "concurrency": concs,
           "not_measured": missing, "summary": summary, "ratios": ratios, "runs": runs}
    os.makedirs(args.results, exist_ok=True)
    path = os.path.join(args.results, "capture-%s%s.json" % (res["date"], "" if args.set == "bench" else "-" + args.set))
    with open(path, "w") as f:
        json.dump(res, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("results: %s" % path, file=sys.stderr)
    print("\n| conc. | peer | pages/s best (min–max, spread) | wall s | CPU s best = driver + browser | "
          "driver peak RSS MB | browser tree peak RSS MB | PNGs | full height |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    print()
    for k, v in ratios.items():
        print("- %s: %s" % (k, "not measured yet" if v is None else
                            "pages/s ×%.2f, CPU ×%.2f" % (v["pages_per_s"], v["cpu"])))
    print("\nWhat text and MHTML add (linksnap-full against linksnap, formats = png), best runs:")
    print("| conc. | pages/s png → full | CPU s png → full | text ms | MHTML ms | PNG KB | text KB | MHTML KB |")
    print("|---|---|---|---|---|---|---|---|")
    for conc in concs:
        a, b = summary.get("linksnap@%d" % conc) or {}, summary.get("linksnap-full@%d" % conc) or {}
        if a.get("measured") and b.get("measured"):
            k = b.get("kept_of_best") or {}
            print("| %d | %.3f → %.3f | %.1f → %.1f | %s | %s | %.0f | %.0f | %.0f |" % (
                conc, a["pages_per_s"], b["pages_per_s"], a["cpu_total_s"], b["cpu_total_s"],
                k.get("text_ms"), k.get("mhtml_ms"), k.get("png_bytes", 0) / 1024.0,
                k.get("text_bytes", 0) / 1024.0, k.get("mhtml_bytes", 0) / 1024.0))
    print("\nlinksnap, mean ms per capture in the fastest run (untimed = held tab time outside every phase):")
    print("| conc. | " + " | ".join(k[:-3] for k in PHASES) + " | tab time | untimed | lazy passes |")
    print("|---" * (len(PHASES) + 4) + "|")
    for conc in concs:
        ph = (summary.get("linksnap@%d" % conc) or {}).get("phases_of_best")
        if ph:
            print("| %d | " % conc + " | ".join(str(ph[k]) for k in PHASES) +
                  " | %s | %s | %d/%d |" % (ph.get("per_capture_in_tab_ms"), ph.get("untimed_ms"),
                                             ph["lazy_pass_run"], args.pages))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench/fleet/run.py -- issue 21's benchmarks: linksnapd driving one and two browser
endpoints from one queue (the fleet, docs/man/linksnapd.conf.5: browser.endpoint.NAME).

Part 1, the scheduler (--skip-fake to leave it out). Fake endpoints
(`fakecdp --listen 127.0.0.1:0`, tests/lib/fake_endpoint.py) whose screenshot reply waits a
fixed, CPU-free --capture-ms (default 500) and that have --slots slots each (default 4):
the figure then shows how well linksnapd keeps every slot of every endpoint busy, not what
the 2 cores can paint. A run is a fresh linksnapd (linksnap_test.Daemon, from --build, a
Release build) with `formats = png`, `per_host_jobs = 0` (every fake URL is on one host)
and one or two named endpoints, each a fresh fakecdp. A batch of --links (default 200)
links is sent as pipelined link.add {url, capture: true}; pages/s = links / wall time from
the first link.add sent to the last job.finished. The ceiling is endpoints x slots /
(capture_ms + the fake's own per-capture time), so the goal is two >= 1.9x one. Runs
alternate one and two endpoints (the order swaps each round), --rounds rounds (default
3); the summary is the best of each with the spread ((max - min) / best) and the ratio of
the bests.

Slot utilisation (part 3): a second connection samples daemon.status every --sample-ms
(default 250) during each run: queue.queued, queue.running, and browser.endpoints[]
{running, slots, state}. Reported per endpoint: the mean of running / slots over the
samples where jobs were waiting (queue.queued > 0), and over the whole run.

Part 2, real Chromiums (--skip-real to leave it out). The bench starts Chromiums itself
(`chromium --headless --remote-debugging-port=0 --remote-debugging-address=127.0.0.1`, a
fresh profile each, before the run's clock starts) and names them as endpoints
(http://127.0.0.1:PORT, loopback, so the captures go through loopback proxy listeners as
the managed browser's do). The pages are the fixture site's mixed set (tests/lib/
fixture_site.py, /mixed/0../mixed/N-1, served on 127.0.0.1), the set bench/capture
measures. Configurations, alternating: `one` (one Chromium, --real-slots slots), `two`
(two Chromiums, --real-slots each) and `one-wide` (one Chromium with 2 x --real-slots:
the same captures at once as `two`, in one browser). Every browser shares this machine's
cores, so this is no measure of a fleet of hosts: it says what a second browser process
adds or costs on the same 2 cores.

Each run records the load average (1 min) at its start and end and every 5 s, linksnapd's
CPU seconds, the fake endpoints' CPU seconds, the endpoints' counters from daemon.status
and where each job ran (job.started's endpoint). Runs are `nice`d with the script (run it
as `nice -n 10 bench/fleet/run.py ...`; every process it starts inherits it).

Raw JSON: bench/results/fleet-DATE-fake.json and fleet-DATE-chromium.json (or --out-prefix).

Usage: nice -n 10 bench/fleet/run.py --build build-rel [--links 200] [--slots 4]
         [--capture-ms 500] [--rounds 3] [--real-links 40] [--real-slots 2] [--real-rounds 3]
         [--skip-fake] [--skip-real]
Build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j2
(fakecdp is built under build-rel/tests). Standard library only."""
import argparse
import datetime
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
CHROMIUM = "/usr/lib/chromium/chromium" if os.path.exists("/usr/lib/chromium/chromium") else "chromium"


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="a Release build directory (build-rel)")
    ap.add_argument("--links", type=int, default=200, help="links in each fake-endpoint run")
    ap.add_argument("--slots", type=int, default=4, help="slots of each fake endpoint")
    ap.add_argument("--capture-ms", type=int, default=500, help="the fake's CPU-free time per screenshot")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the fake runs")
    ap.add_argument("--sample-ms", type=int, default=250, help="daemon.status sampling period")
    ap.add_argument("--real-links", type=int, default=40, help="pages in each real-Chromium run")
    ap.add_argument("--real-slots", type=int, default=2, help="slots of each real Chromium")
    ap.add_argument("--real-rounds", type=int, default=3, help="rounds of the real-Chromium runs")
    ap.add_argument("--real-configs", default="one,two,one-wide")
    ap.add_argument("--timeout", type=float, default=600, help="seconds one run may take")
    ap.add_argument("--skip-fake", action="store_true")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep each run's linksnapd state dir")
    ap.add_argument("--out-prefix", default=None,
                    help="results path prefix (default bench/results/fleet-DATE)")
    return ap.parse_args()


A = parse_args()
A.build = os.path.abspath(A.build)
os.environ["LINKSNAP_BUILD"] = A.build        # read by linksnap_test at import
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from debug_chromium import DebugChromium  # noqa: E402
from fake_endpoint import FAKE, FakeEndpoint  # noqa: E402
from fixture_site import FixtureSite, mixed_page  # noqa: E402
from linksnap_test import LINKSNAPD, Client, Daemon, LoadSampler as Load, RpcError  # noqa: E402
import procstat  # noqa: E402


# ---- measuring helpers ------------------------------------------------------------------

def cpu_s(pid, reaped=False):
    """procstat.cpu_s, rounded to 10 ms."""
    s = procstat.cpu_s(pid, reaped=reaped)
    return None if s is None else round(s, 2)


def tree_cpu_s(root_pid):
    """CPU seconds of root_pid and every live descendant (a Chromium's process tree), with
    the children each has waited for (a renderer that exited and was reaped counts; one
    whose parent has not reaped it yet, or whose parent exited first, does not)."""
    return round(sum(cpu_s(p, reaped=True) or 0.0 for p in procstat.descendants(root_pid)), 2)


class StatusSampler:
    """daemon.status every period on its own connection: (t, queued, running, {endpoint:
    (running, slots, state)}). t is seconds since t0 (set when the batch starts)."""

    def __init__(self, sock, period):
        self.sock, self.period = sock, period
        self.samples = []
        self.t0 = None
        self.errors = 0
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        with Client(self.sock, timeout=30) as c:
            while not self.stop_ev.is_set():
                t = time.time()
                try:
                    st = c.call("daemon.status")
                except (OSError, ConnectionError, RpcError):
                    self.errors += 1
                    if self.stop_ev.wait(self.period):
                        return
                    continue
                if self.t0 is not None:
                    eps = {e["name"]: (e.get("running", 0), e.get("slots", 0), e.get("state"))
                           for e in (st.get("browser") or {}).get("endpoints") or []}
                    self.samples.append((round(t - self.t0, 3), st["queue"]["queued"], st["queue"]["running"], eps))
                self.stop_ev.wait(max(0.0, self.period - (time.time() - t)))

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_ev.set()
        self.thread.join(10)

    def utilisation(self):
        """Per endpoint: mean running/slots over samples with jobs waiting, and over all
        samples of the batch; plus how many samples each mean is over."""
        out = {}
        names = sorted({n for s in self.samples for n in s[3]})
        busy = [s for s in self.samples if s[1] > 0]
        for n in names:
            def mean(rows):
                xs = [r[3][n][0] / r[3][n][1] for r in rows if n in r[3] and r[3][n][1]]
                return round(sum(xs) / len(xs), 3) if xs else None
            def capped(rows):
                xs = [min(r[3][n][0], r[3][n][1]) / r[3][n][1] for r in rows if n in r[3] and r[3][n][1]]
                return round(sum(xs) / len(xs), 3) if xs else None
            out[n] = {"while_queued": mean(busy), "whole_run": mean(self.samples),
                      "while_queued_capped": capped(busy), "max_running": max(
                          (r[3][n][0] for r in self.samples if n in r[3]), default=0),
                      "samples_queued": len(busy), "samples": len(self.samples),
                      "states": sorted({s[3][n][2] for s in self.samples if n in s[3]})}
        total = [sum(r[0] for r in s[3].values()) / max(1, sum(r[1] for r in s[3].values())) for s in busy]
        out["_fleet"] = {"while_queued": round(sum(total) / len(total), 3) if total else None,
                         "max_queued": max((s[1] for s in self.samples), default=0)}
        return out


# ---- one batch through linksnapd ----------------------------------------------------------

IN_TAB = ("setup_ms", "navigate_ms", "wait_ms", "lazy_ms", "capture_ms")


def fleet_config(eps, extra=""):
    """eps: [(name, base URL, slots)]."""
    text = ("capture = on\nformats = png\nper_host_jobs = 0\njob_timeout = 60\n"
            "browser.quarantine_s = 5\n")
    for name, base, slots in eps:
        text += "browser.endpoint.%s = %s\nbrowser.endpoint.%s.slots = %d\n" % (name, base, name, slots)
    return text + extra


def batch(eps, urls, extra_pids=()):
    """One linksnapd with the endpoints eps, a batch of urls. Returns the run's figures."""
    res = {"endpoints": [{"name": n, "url": b, "slots": s} for n, b, s in eps], "links": len(urls),
           "error": None, "load_at_start": round(os.getloadavg()[0], 2)}
    d = Daemon(config=fleet_config(eps), capture=True, http="off", keep=A.keep)
    d.start()
    sampler = StatusSampler(d.socket, A.sample_ms / 1000.0).start()
    started, finished, retries, first_start = {}, {}, 0, None
    extra_cpu0 = {p: (tree_cpu_s(p) or 0.0) for p in extra_pids}
    try:
        with d.client(timeout=A.timeout) as c, Load() as load:
            c.call("events.subscribe", {"topics": ["job"]})
            res["endpoint_states_before"] = {e["name"]: e["state"] for e in
                                             c.call("daemon.status")["browser"].get("endpoints") or []}
            t0 = time.time()
            sampler.t0 = t0
            replies = c.pipeline([("link.add", {"url": u, "capture": True}) for u in urls])
            ids = set()
            for u, r in zip(urls, replies):
                if "error" in r:
                    raise RuntimeError("link.add %s: %s" % (u, r["error"]))
                ids.add(r["result"]["link"]["id"])
            res["added_s"] = round(time.time() - t0, 3)
            deadline = t0 + A.timeout
            while len(finished) < len(ids):
                ev = c.wait_event(lambda e: e.get("topic") in ("job.started", "job.finished", "job.retry")
                                  and e.get("link_id") in ids, max(1.0, deadline - time.time()))
                if ev["topic"] == "job.started":
                    first_start = first_start or time.time()
                    started.setdefault(ev["link_id"], []).append(ev.get("endpoint"))
                elif ev["topic"] == "job.retry":
                    retries += 1
                elif ev["link_id"] not in finished:
                    finished[ev["link_id"]] = ev
                else:
                    res.setdefault("finished_twice", []).append(ev["link_id"])
            wall = time.time() - t0
            sampler.stop()
            res["wall_s"] = round(wall, 3)
            res["pages_per_s"] = round(len(ids) / wall, 3)
            states = {}
            for ev in finished.values():
                states[ev.get("state")] = states.get(ev.get("state"), 0) + 1
            res["states"] = states
            res["failures"] = [{"link_id": ev["link_id"], "state": ev.get("state"), "error": ev.get("error")}
                               for ev in finished.values() if ev.get("state") not in ("ok", "partial")][:20]
            res["job_retry_events"] = retries
            ran = {}
            for l, where in started.items():
                ran[where[-1]] = ran.get(where[-1], 0) + 1
            res["ran_on"] = ran
            # read after the last link.add reply (the client keeps events that come with the
            # replies and this loop sees them then): never less than added_s; the status
            # samples' first running capture (phases()) is the other, coarser, view
            res["first_started_s"] = round(first_start - t0, 3) if first_start else None
            # tab time: each capture's in-browser phases, summed per endpoint, over slots x wall
            tab = {}
            for lid, ev in finished.items():
                t = (ev.get("snapshot") or {}).get("timings") or {}
                ep = (started.get(lid) or [None])[-1]
                tab[ep] = tab.get(ep, 0) + sum(t.get(k, 0) for k in IN_TAB)
            res["tab_time_utilisation"] = {n: round(tab.get(n, 0) / 1000.0 / (s * wall), 3) for n, _, s in eps}
            ts = [(ev.get("snapshot") or {}).get("timings") or {} for ev in finished.values()]
            ts = [t for t in ts if t]
            if ts:
                res["mean_timings_ms"] = {k: round(sum(t.get(k, 0) for t in ts) / len(ts))
                                          for k in ("queue_ms", "setup_ms", "navigate_ms", "wait_ms", "lazy_ms",
                                                    "capture_ms", "post_ms", "teardown_ms")}
            st = c.call("daemon.status")
            res["status_endpoints"] = [{k: e.get(k) for k in ("name", "state", "slots", "running", "done", "failed",
                                                               "retried", "last_error", "rtt_ms")}
                                       for e in st["browser"].get("endpoints") or []]
            res["linksnapd_cpu_s"] = cpu_s(d.proc.pid)
            res["endpoint_cpu_s"] = {str(p): round((tree_cpu_s(p) or 0.0) - extra_cpu0[p], 2) for p in extra_pids}
            res["load"] = load.summary()
    except (TimeoutError, RuntimeError, ConnectionError, RpcError, OSError) as e:
        res["error"] = "%s after %d of %d finished" % (e, len(finished), len(urls))
    finally:
        sampler.stop()
        res["utilisation"] = sampler.utilisation()
        res["status_samples"] = len(sampler.samples)
        res["series"] = [[s[0], s[1], s[2], {n: v[0] for n, v in s[3].items()}] for s in sampler.samples]
        res["phases"] = phases(res, sampler.samples)
        res["load_at_end"] = round(os.getloadavg()[0], 2)
        log = d.read_log()
        res["log_lines"] = log.count("\n")
        res["log_warnings"] = [l for l in log.splitlines() if " W " in l or "warn" in l.lower()
                               or "error" in l.lower()][:30]
        try:
            d.close()
        except AssertionError as e:
            res["error"] = (res["error"] or "") + " close: %s" % str(e)[:2000]
    return res


def phases(res, samples):
    """The run cut in three from the status samples: the start (the batch's link.adds,
    added_s; the endpoints, off until there is work, connect when the first job is claimed;
    first_running_sample_s: the first sample with a capture running), the steady part
    (jobs waiting: done = links - queued - running, its rate from 3 s in to the last
    sample with a job waiting) and the tail (the last captures, no job waiting, slots
    emptying). The steady rate is what the scheduler sustains; start and tail are fixed
    costs a run pays once, so they weigh twice as much in a run half as long."""
    n, wall = res.get("links"), res.get("wall_s")
    waiting = [s for s in samples if s[1] > 0]
    if not wall or not waiting:
        return None
    t_empty = waiting[-1][0]
    done = [(s[0], n - s[1] - s[2]) for s in samples]
    a = [d for d in done if d[0] >= 3.0 and d[0] <= t_empty]
    steady = round((a[-1][1] - a[0][1]) / (a[-1][0] - a[0][0]), 3) if len(a) > 1 and a[-1][0] > a[0][0] else None
    running = [s[0] for s in samples if s[2] > 0]
    return {"start_s": res.get("first_started_s"), "added_s": res.get("added_s"),
            "first_running_sample_s": running[0] if running else None, "queue_empty_at_s": t_empty,
            "tail_s": round(wall - t_empty, 3), "steady_pages_per_s": steady}


# ---- part 1: fake endpoints ---------------------------------------------------------------

SEQ = [0]


def fake_urls(n):
    SEQ[0] += 1
    return ["http://127.0.0.1:9/page/%d?run=%d" % (i, SEQ[0]) for i in range(n)]


def fake_run(n_endpoints):
    scenario = {"capture_ms": A.capture_ms, "pages": [{"match": "/page/", "title": "fleet bench",
                                                       "height": 800, "width": 1280}]}
    fakes = [FakeEndpoint(scenario) for _ in range(n_endpoints)]
    try:
        eps = [("e%d" % (i + 1), f.base, A.slots) for i, f in enumerate(fakes)]
        r = batch(eps, fake_urls(A.links), [f.proc.pid for f in fakes])
        r["screenshots_per_endpoint"] = [len(f.commands("Page.captureScreenshot")) for f in fakes]
    finally:
        for f in fakes:
            f.close()
    r["config"] = "two" if n_endpoints == 2 else "one"
    # what the slots could give if each were busy all the time with captures as long as
    # this run's mean in-tab time (network quiet 500 ms + capture_ms + the rest)
    mt = r.get("mean_timings_ms")
    if mt:
        r["mean_in_tab_ms"] = sum(mt[k] for k in IN_TAB)
        r["ceiling_pages_per_s"] = round(n_endpoints * A.slots * 1000.0 / r["mean_in_tab_ms"], 3)
    return r


# ---- part 2: real Chromiums ---------------------------------------------------------------

def Chromium():
    """A headless Chromium with a DevTools port on 127.0.0.1 (tests/lib/debug_chromium.py)."""
    return DebugChromium(name="linksnap-fleetbench-chrome-",
                         extra=["--disable-background-networking", "--disable-component-update",
                                "--disable-sync"])


def real_run(config, urls):
    n = 2 if config == "two" else 1
    slots = A.real_slots * (2 if config == "one-wide" else 1)
    browsers = []
    try:
        for _ in range(n):
            browsers.append(Chromium())
        time.sleep(1)    # let each browser settle after its start, outside the clock
        eps = [("c%d" % (i + 1), b.base, slots) for i, b in enumerate(browsers)]
        r = batch(eps, urls, [b.proc.pid for b in browsers])
    finally:
        for b in browsers:
            b.close()
    r["config"] = config
    r["series"] = r["series"][::4]    # keep one sample a second of the real runs
    return r


# ---- summary ------------------------------------------------------------------------------

def spread(xs):
    return round((max(xs) - min(xs)) / max(xs), 3) if len(xs) > 1 and max(xs) else 0.0


def summarise(runs, configs):
    out = {}
    for cfg in configs:
        rs = [r for r in runs if r["config"] == cfg and not r.get("error") and r.get("pages_per_s")]
        xs = [r["pages_per_s"] for r in rs]
        best = max(rs, key=lambda r: r["pages_per_s"]) if rs else None
        ut = {}
        for r in rs:
            for n, u in r["utilisation"].items():
                if n != "_fleet" and u["while_queued"] is not None:
                    ut.setdefault(n, []).append(u["while_queued"])
        out[cfg] = {"runs": len(xs), "failed_runs": sum(1 for r in runs if r["config"] == cfg) - len(xs),
                    "best": max(xs) if xs else None, "worst": min(xs) if xs else None,
                    "spread": spread(xs) if xs else None, "all": xs,
                    "utilisation_while_queued_mean_over_runs": {n: round(sum(v) / len(v), 3) for n, v in ut.items()},
                    "utilisation_of_best": best and {n: u for n, u in best["utilisation"].items()},
                    "tab_time_utilisation_of_best": best and best.get("tab_time_utilisation"),
                    "phases_of_best": best and best.get("phases"),
                    "steady_best": max((r["phases"]["steady_pages_per_s"] for r in rs if r.get("phases")
                                        and r["phases"].get("steady_pages_per_s")), default=None),
                    "ceiling_of_best": best and best.get("ceiling_pages_per_s"),
                    "linksnapd_cpu_s_of_best": best and best.get("linksnapd_cpu_s"),
                    "wall_s_of_best": best and best.get("wall_s")}
    return out


def alternate(configs, rounds, run_one, label):
    runs = []
    for rnd in range(rounds):
        k = rnd % len(configs)
        order = configs[k:] + configs[:k]
        for cfg in order:
            r = run_one(cfg)
            r["round"] = rnd + 1
            runs.append(r)
            print("%s round %d %-8s %s pages/s (%s s), running/slots %s, tab time %s, load %s->%s, "
                  "linksnapd cpu %s s, error %s" % (
                label, rnd + 1, cfg, r.get("pages_per_s"), r.get("wall_s"),
                {n: u["while_queued"] for n, u in r["utilisation"].items() if n != "_fleet"},
                r.get("tab_time_utilisation"),
                r["load_at_start"], r["load_at_end"], r.get("linksnapd_cpu_s"), r.get("error")), file=sys.stderr)
            time.sleep(2)
    return runs


def meta():
    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            return None
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "cores": os.cpu_count(), "linksnapd": LINKSNAPD, "fakecdp": FAKE,
            "commit": version(["git", "-C", SRC, "rev-parse", "--short", "HEAD"]),
            "nice": os.nice(0), "load_at_start": [round(x, 2) for x in os.getloadavg()]}


def save(path, res):
    res["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    print("results: %s" % path, file=sys.stderr)


def main():
    for p in (LINKSNAPD, FAKE):
        if not os.path.exists(p):
            raise SystemExit("%s is not built: build --build first (see --help)" % p)
    prefix = A.out_prefix or os.path.join(SRC, "bench", "results", "fleet-%s" % datetime.date.today().isoformat())
    if not A.skip_fake:
        res = meta()
        res.update({"part": "fake endpoints", "links": A.links, "slots": A.slots, "capture_ms": A.capture_ms,
                    "rounds": A.rounds, "sample_ms": A.sample_ms})
        runs = alternate(["one", "two"], A.rounds, lambda cfg: fake_run(2 if cfg == "two" else 1), "fake")
        res["summary"] = summarise(runs, ["one", "two"])
        b1, b2 = res["summary"]["one"]["best"], res["summary"]["two"]["best"]
        res["ratio_two_over_one_best"] = round(b2 / b1, 3) if b1 and b2 else None
        s1, s2 = res["summary"]["one"]["steady_best"], res["summary"]["two"]["steady_best"]
        res["ratio_two_over_one_steady_best"] = round(s2 / s1, 3) if s1 and s2 else None
        res["runs"] = runs
        save(prefix + "-fake.json", res)
        print("fake: one %s, two %s, two/one x%s (goal >= 1.9), steady part x%s" % (
            res["summary"]["one"], res["summary"]["two"], res["ratio_two_over_one_best"],
            res["ratio_two_over_one_steady_best"]), file=sys.stderr)
    if not A.skip_real:
        res = meta()
        res["chromium"] = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
        configs = [c for c in A.real_configs.split(",") if c]
        res.update({"part": "real chromiums", "set": "mixed", "links": A.real_links, "slots_each": A.real_slots,
                    "rounds": A.real_rounds, "configs": configs})
        site = FixtureSite().start()
        try:
            urls = [site.url("/mixed/%d" % i) for i in range(A.real_links)]
            res["page_heights"] = [mixed_page(i)["height"] for i in range(A.real_links)]
            runs = alternate(configs, A.real_rounds, lambda cfg: real_run(cfg, urls), "chromium")
        finally:
            site.stop()
        res["summary"] = summarise(runs, configs)
        s = res["summary"]
        res["ratios_best"] = {"two/one": round(s["two"]["best"] / s["one"]["best"], 3)
                              if s.get("two", {}).get("best") and s.get("one", {}).get("best") else None,
                              "two/one-wide": round(s["two"]["best"] / s["one-wide"]["best"], 3)
                              if s.get("two", {}).get("best") and s.get("one-wide", {}).get("best") else None}
        res["runs"] = runs
        save(prefix + "-chromium.json", res)
        print("chromium: %s, ratios %s" % ({k: (v["best"], v["spread"]) for k, v in s.items()}, res["ratios_best"]),
              file=sys.stderr)


if __name__ == "__main__":
    main()

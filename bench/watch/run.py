#!/usr/bin/env python3
"""bench/watch/run.py -- issue 20's last benchmark: a 1,000-link watch list over 20 hosts,
all due at once. Every capture must be done, no host may ever see more main-document
requests at once than `per_host_jobs`, and a person's new link, added while the
scheduled captures flow, must be captured within a minute.

The scene, all on 127.0.0.1:
  - a DNS server (UDP, a free port; linksnapd's `dns_servers`) answering A 127.0.0.1 for
    h01.watchbench.test .. h20.watchbench.test and NXDOMAIN for anything else;
  - one threaded HTTP server serving those 20 hosts (told apart by the Host header): a
    main document /p/N is held --hold-ms (default 200) before it is answered, so that two
    requests of a host that overlap are seen overlapping; the server records, per host,
    the most requests in flight at once (and every request's start and end);
  - linksnapd from --build (a Release build) on a fresh state dir with the real Chromium
    and its defaults (jobs = 4, formats png,text,mhtml, job_timeout 30 s); per_host_jobs
    is written in its config (--per-host-jobs, default 2, the daemon's default) so the
    script knows the limit it checks; --http-listen off.

Why the links are due at once, honestly: they come in through import.start (JSON Lines)
tagged `watched` with a `created` date two days old, as an imported bookmark collection
does; `watch.set {tag: watched, every: 1d}` then makes every one of them due at once (a
newly watched link is due when its newest capture -- here: the link itself -- is `every`
old). No store file is touched and no minimum interval is lowered; a daily watch never
runs a link twice within the benchmark.

Measured in the full run (--links, default 1,000): wall time from watch.set to the last
scheduled capture's job.finished, captures/s, the states of every link's snapshot as the
daemon reports them (link.list pages over the tag, and daemon.status), the per-host
maximum of main documents in flight at the server (goal: <= per_host_jobs, the daemon's
own figure from daemon.status), any host over it, and the person's latency: once
--person-after captures (default 100) are done, a person sends link.add {capture: true}
for a page on h01 (a host busy with the watch); the time until its job.finished (goal:
under 60 s), and how long it waited before it started.

The peer, for a ratio (--sample URLs, default 50, of the same hosts and pages): a naive
loop of `chromium --headless=new --screenshot` processes, --peer-jobs at once (default 4,
linksnapd's `jobs`) and never more than per_host_jobs of one host at once (the same
politeness), names mapped to 127.0.0.1 with --host-resolver-rules. Ours on the same sample
is a fresh linksnapd with `formats = png` (the peer keeps a picture only) doing the same
import + watch. The pages are 1280 x ~600 px, so the peer's viewport shot (1280 x 800) and
our full-page shot hold the same page. The ratio is captures/s over the whole sample, from
the start of the work (watch.set; the first process for the peer) to the last picture,
browser start included; runs alternate (order rotated each round), best of each with the
spread ((max - min) / best).

Raw JSON goes to bench/results/watch-DATE.json (or --out).

Usage: bench/watch/run.py --build build-rel [--links 1000] [--sample 50] [--rounds 3]
                          [--hold-ms 200] [--person-after 100] [--skip-full] [--skip-ratio]
Build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel -j2
Standard library only."""
import argparse
import datetime
import http.server
import json
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from linksnap_test import (Client, LoadSampler as Load, RpcError, dns_server,  # noqa: E402
                           ping_until_ready)

HOSTS = ["h%02d.watchbench.test" % i for i in range(1, 21)]
DOMAIN = ".watchbench.test"
CHROMIUM = "/usr/bin/chromium"
TAG = "watched"


# ---- name server ------------------------------------------------------------------------

# ---- the 20 hosts -----------------------------------------------------------------------

PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c",
           "#fabebe", "#008080")


def page(host, path):
    n = sum(path.encode()) + sum(host.encode())
    paras = "".join("<p>Paragraph %d of %s on %s: the watched page keeps a little text so a "
                    "capture has words to keep.</p>" % (i, path, host) for i in range(6))
    return ("<!doctype html><html lang=en><meta charset=utf-8><title>%s %s</title>"
            "<style>body{margin:0;font:16px/1.4 sans-serif;width:1280px}"
            "header{height:160px;background:%s;color:#fff;font-size:40px;padding:20px}"
            "main{padding:20px;height:360px}</style>"
            "<header>%s%s</header><main>%s</main></html>"
            % (host, path, PALETTE[n % len(PALETTE)], host, path, paras)).encode()


class Site:
    """The 20 hosts on one threaded HTTP server. Main documents are paths under /p/; each is
    held hold_ms, and in flight from the moment its request line is read to the moment its
    answer is written."""

    def __init__(self, hold_ms):
        self.hold = hold_ms / 1000.0
        self.lock = threading.Lock()
        self.reset()
        site = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                host = (self.headers.get("Host") or "").split(":")[0].lower()
                main_doc = self.path.startswith("/p/")
                if main_doc:
                    site.enter(host)
                t0 = time.time()
                try:
                    if main_doc:
                        time.sleep(site.hold)
                        body, status = page(host, self.path), 200
                    else:
                        body, status = b"<!doctype html><title>missing</title>", 404
                        with site.lock:
                            site.other += 1
                            site.other_paths[self.path] = site.other_paths.get(self.path, 0) + 1
                    self.send_response(status)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Cache-Control", "no-store")
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    if main_doc:
                        site.leave(host, self.path, t0)

        class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 128

        self.httpd = S(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def reset(self):
        with self.lock:
            self.now = {}           # host -> main documents in flight
            self.most = {}          # host -> the most ever in flight at once
            self.most_all = 0       # main documents in flight over all hosts, at most
            self.count = {}         # host -> main documents answered
            self.paths = {}         # (host, path) -> times asked
            self.other = 0          # requests that were not main documents
            self.other_paths = {}
            self.over = []          # (host, in flight, time) each time a host went over the limit
            self.limit = None

    def enter(self, host):
        with self.lock:
            n = self.now.get(host, 0) + 1
            self.now[host] = n
            self.most[host] = max(self.most.get(host, 0), n)
            self.most_all = max(self.most_all, sum(self.now.values()))
            if self.limit and n > self.limit:
                self.over.append((host, n, time.time()))

    def leave(self, host, path, t0):
        with self.lock:
            self.now[host] -= 1
            self.count[host] = self.count.get(host, 0) + 1
            self.paths[(host, path)] = self.paths.get((host, path), 0) + 1

    def url(self, host, path):
        return "http://%s:%d%s" % (host, self.port, path)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---- linksnapd --------------------------------------------------------------------------

def start_linksnapd(build, root, dns_port, extra_config):
    os.makedirs(root, exist_ok=True)
    sock = os.path.join(root, "linksnapd.sock")
    conf = os.path.join(root, "linksnapd.conf")
    with open(conf, "w") as f:
        f.write("dns_servers = 127.0.0.1:%d\n%s" % (dns_port, extra_config))
    log = open(os.path.join(root, "linksnapd.log"), "ab")
    p = subprocess.Popen([os.path.join(build, "daemon", "linksnapd"), "--state-dir", os.path.join(root, "state"),
                          "--socket", sock, "--config", conf, "--http-listen", "off"],
                         stdout=log, stderr=log)
    log.close()
    if ping_until_ready(p, sock, 30):
        return p, sock
    raise SystemExit("linksnapd did not start (see %s)" % os.path.join(root, "linksnapd.log"))


def stop_linksnapd(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def urls_for(site, n, prefix="w"):
    """n main documents over the 20 hosts, in runs of one host (n / 20 of h01, then h02's,
    ...), as a bookmark collection clusters by site: links queued in id order then ask for
    many captures of one host in a row, which per_host_jobs must hold back."""
    return [site.url(HOSTS[i * len(HOSTS) // n], "/p/%s%d" % (prefix, i)) for i in range(n)]


def import_links(c, urls):
    """import.start of urls as JSON Lines, tagged TAG, created two days ago; waits for its
    import.finished event (the connection must be subscribed to import events)."""
    created = int(time.time()) - 2 * 86400
    content = "".join(json.dumps({"url": u, "created": created}) + "\n" for u in urls)
    r = c.call("import.start", {"content": content, "format": "jsonl", "tags": [TAG], "capture": False})
    ev = c.wait_event(lambda e: e.get("topic") == "import.finished" and e.get("id") == r["import_id"], 300)
    if ev.get("state") != "done" or ev.get("added") != len(urls):
        raise SystemExit("the import did not add every link: %s" % json.dumps(ev))


def tally(c):
    """The state of every watched link's newest snapshot, as the daemon lists them."""
    states, cursor, links = {}, None, 0
    while True:
        p = {"tags_all": [TAG], "limit": 500}
        if cursor:
            p["cursor"] = cursor
        r = c.call("link.list", p)
        for l in r["links"]:
            links += 1
            s = (l.get("last_snapshot") or {}).get("state") or "none"
            states[s] = states.get(s, 0) + 1
        cursor = r.get("next_cursor")
        if not cursor:
            return links, states


GOOD = ("ok", "partial")


def run_ours(a, site, dns_port, urls, root, person_after=None, formats=None):
    """One linksnapd run: import urls, a daily tag watch, wait for every scheduled capture
    (and the person's link when person_after is set). Returns the run's figures."""
    shutil.rmtree(root, ignore_errors=True)
    p, sock = start_linksnapd(a.build, root, dns_port, "per_host_jobs = %d\n" % a.per_host_jobs + (
        "formats = %s\n" % formats if formats else ""))
    res = {"peer": "linksnap", "links": len(urls), "error": None}
    person = {"link_id": None}
    try:
        with Client(sock, timeout=600) as c, Load() as load:
            st = c.call("daemon.status")
            res["jobs"] = st["browser"]["jobs"]
            c.call("events.subscribe", {"topics": ["import", "job"]})
            import_links(c, urls)
            site.reset()
            with open(os.path.join(root, "linksnapd.conf")) as f:
                res["config"] = f.read()
            res["per_host_jobs"] = per_host_jobs(root)
            site.limit = res["per_host_jobs"]
            t0 = time.time()
            w = c.call("watch.set", {"tag": TAG, "every": "1d"})["watch"]
            res["watch"] = {k: w.get(k) for k in ("every", "jitter", "links", "next_run")}
            res["due_after_watch_set"] = c.call("daemon.status")["watches"]["due"]
            finished, states, first_start, all_queued = {}, {}, None, None
            last_event = time.time()
            while True:
                scheduled_done = sum(1 for l in finished if l != person["link_id"])
                if scheduled_done >= len(urls) and (person_after is None or person.get("finished")):
                    break
                if person_after is not None and person["link_id"] is None and scheduled_done >= person_after:
                    person.update(add_person(sock, site))
                try:
                    ev = c.wait_event(lambda e: e.get("topic") in ("job.finished", "job.started", "job.retry"),
                                      timeout=5)
                except TimeoutError:
                    if time.time() - last_event > a.stall:
                        raise TimeoutError("no job event for %d s" % a.stall)
                    continue
                last_event = time.time()
                lid = ev.get("link_id")
                if ev["topic"] == "job.started":
                    if first_start is None:
                        first_start = time.time() - t0
                    if lid == person["link_id"] and "started" not in person:
                        person["started"] = time.time()
                    continue
                if ev["topic"] == "job.retry":
                    res["retries"] = res.get("retries", 0) + 1
                    continue
                finished[lid] = ev
                states[ev.get("state")] = states.get(ev.get("state"), 0) + 1
                if lid == person["link_id"]:
                    person["finished"] = time.time()
                    person["state"] = ev.get("state")
                    person["error"] = ev.get("error")
            wall = time.time() - t0
            res["wall_s"] = round(wall, 2)
            res["first_start_s"] = first_start and round(first_start, 2)
            sched = [ev for l, ev in finished.items() if l != person["link_id"]]
            res["captures_per_s"] = round(len(sched) / wall, 3)
            res["event_states"] = states
            res["failures"] = [{"link_id": ev.get("link_id"), "state": ev.get("state"), "error": ev.get("error")}
                               for ev in sched if ev.get("state") not in GOOD][:50]
            res["failed"] = sum(1 for ev in sched if ev.get("state") not in GOOD)
            n_links, snap_states = tally(c)
            st = c.call("daemon.status")
            res["daemon"] = {"watched_links": n_links, "last_snapshot_states": snap_states,
                             "snapshots": st["snapshots"], "queue": st["queue"],
                             "browser": {k: st["browser"].get(k) for k in ("captures", "done", "failed", "retried")},
                             "watches": st["watches"]}
            res["load"] = load.summary()
    except (TimeoutError, ConnectionError, RpcError, OSError) as e:
        res["error"] = "%s after %d finished" % (e, len(locals().get("finished") or {}))
    finally:
        stop_linksnapd(p)
    res["server"] = server_figures(site, res.get("per_host_jobs"))
    if person.get("link_id"):
        res["person"] = {"added_after_done": person["after"], "link_id": person["link_id"], "url": person["url"],
                         "latency_s": round(person["finished"] - person["t"], 2) if "finished" in person else None,
                         "wait_to_start_s": round(person["started"] - person["t"], 2) if "started" in person else None,
                         "state": person.get("state"), "error": person.get("error"),
                         "scheduled_queued_then": person.get("queued_then")}
    if not a.keep:
        shutil.rmtree(root, ignore_errors=True)
    return res


def per_host_jobs(root):
    """The daemon's per_host_jobs: the config file's, else the default (2, daemon/config.c)."""
    with open(os.path.join(root, "linksnapd.conf")) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == "per_host_jobs":
                return int(v)
    return 2


def add_person(sock, site):
    """A person's new link on h01 (busy with the watch), with capture."""
    url = site.url(HOSTS[0], "/p/person-%d" % int(time.time()))
    with Client(sock, timeout=60) as pc:
        queued = pc.call("daemon.status")["queue"]
        t = time.time()
        r = pc.call("link.add", {"url": url, "capture": True})
    return {"link_id": r["link"]["id"], "t": t, "url": url, "queued_then": queued, "after": None}


def server_figures(site, limit):
    with site.lock:
        over_hosts = sorted(h for h, m in site.most.items() if limit and m > limit)
        return {"per_host_max": dict(sorted(site.most.items())),
                "max_per_host": max(site.most.values()) if site.most else 0,
                "max_in_flight_all_hosts": site.most_all,
                "hosts_over_limit": over_hosts, "over_events": len(site.over),
                "main_documents": sum(site.count.values()),
                "per_host_requests": dict(sorted(site.count.items())),
                "asked_more_than_once": sum(1 for v in site.paths.values() if v > 1),
                "other_requests": site.other, "other_paths": dict(list(site.other_paths.items())[:5])}


# ---- the peer ---------------------------------------------------------------------------

def run_peer(a, site, urls, root, limit):
    """chromium --headless=new --screenshot, peer_jobs processes at once, at most `limit` of
    one host at once."""
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    rules = "MAP *%s 127.0.0.1" % DOMAIN
    base = [CHROMIUM, "--headless=new", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            "--host-resolver-rules=" + rules, "--window-size=1280,800"] + (
        ["--no-sandbox"] if os.geteuid() == 0 else [])
    site.reset()
    site.limit = limit
    running, todo, ok, failed = {}, list(range(len(urls))), 0, []
    per_host = {}
    t0 = time.time()
    with Load() as load:
        while todo or running:
            started = True
            while started and len(running) < a.peer_jobs:
                started = False
                for k, i in enumerate(todo):
                    h = urls[i].split("/")[2].split(":")[0]
                    if per_host.get(h, 0) < limit:
                        png = os.path.join(root, "%03d.png" % i)
                        prof = os.path.join(root, "profile-%03d" % i)
                        pr = subprocess.Popen(base + ["--user-data-dir=" + prof, "--screenshot=" + png, urls[i]],
                                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
                        running[pr.pid] = (i, h, pr, png, time.time())
                        per_host[h] = per_host.get(h, 0) + 1
                        del todo[k]
                        started = True
                        break
            done_any = False
            for pid, (i, h, pr, png, ts) in list(running.items()):
                if pr.poll() is not None:
                    done_any = True
                    del running[pid]
                    per_host[h] -= 1
                    if pr.returncode == 0 and png_ok(png):
                        ok += 1
                    else:
                        failed.append({"url": urls[i], "rc": pr.returncode})
                elif time.time() - ts > 120:
                    pr.kill()
            if not done_any:
                time.sleep(0.01)
        wall = time.time() - t0
    for name in os.listdir(root):
        if name.startswith("profile-"):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    res = {"peer": "chromium-screenshot", "links": len(urls), "peer_jobs": a.peer_jobs, "wall_s": round(wall, 2),
           "captures_per_s": round(len(urls) / wall, 3), "ok": ok, "failed": len(failed), "failures": failed[:20],
           "server": server_figures(site, limit), "load": load.summary(), "error": None}
    if not a.keep:
        shutil.rmtree(root, ignore_errors=True)
    return res


def png_ok(path):
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return False
    return len(head) == 24 and head[:8] == b"\x89PNG\r\n\x1a\n"


# ---- main -------------------------------------------------------------------------------

def spread(xs):
    return round((max(xs) - min(xs)) / max(xs), 3) if len(xs) > 1 and max(xs) else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="a Release build directory (build-rel)")
    ap.add_argument("--links", type=int, default=1000, help="links in the full run")
    ap.add_argument("--sample", type=int, default=50, help="links in each ratio run")
    ap.add_argument("--rounds", type=int, default=3, help="ratio runs of each peer")
    ap.add_argument("--hold-ms", type=int, default=200, help="how long the server holds a main document")
    ap.add_argument("--person-after", type=int, default=100, help="scheduled captures done before the person's link")
    ap.add_argument("--per-host-jobs", type=int, default=2, help="linksnapd's per_host_jobs (its default: 2)")
    ap.add_argument("--peer-jobs", type=int, default=4, help="chromium processes at once in the peer")
    ap.add_argument("--stall", type=int, default=180, help="seconds without a job event that end a run")
    ap.add_argument("--skip-full", action="store_true")
    ap.add_argument("--skip-ratio", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the state dirs and PNGs")
    ap.add_argument("--work", default=None, help="work dir (default: a new one under /tmp)")
    ap.add_argument("--out", default=None, help="results file (default bench/results/watch-DATE.json)")
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    if not os.path.exists(os.path.join(a.build, "daemon", "linksnapd")):
        raise SystemExit("no linksnapd in %s/daemon: build it first (see --help)" % a.build)
    work = a.work or tempfile.mkdtemp(prefix="linksnap-watchbench-")
    os.makedirs(work, exist_ok=True)
    dns = dns_server(HOSTS)
    site = Site(a.hold_ms)
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "cores": os.cpu_count(), "hold_ms": a.hold_ms, "hosts": len(HOSTS),
           "linksnapd": os.path.join(a.build, "daemon", "linksnapd"), "load_at_start": os.getloadavg(),
           "chromium": subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()}
    out = a.out or os.path.join(SRC, "bench", "results", "watch-%s.json" % res["date"][:10])

    def save():
        with open(out, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
    try:
        if not a.skip_full:
            person_after = min(a.person_after, max(1, a.links // 4))
            print("full run: %d links over %d hosts ..." % (a.links, len(HOSTS)), file=sys.stderr)
            full = run_ours(a, site, dns.getsockname()[1], urls_for(site, a.links), os.path.join(work, "full"),
                            person_after=person_after)
            if full.get("person"):
                full["person"]["added_after_done"] = person_after
            res["full"] = full
            print(json.dumps(full, indent=1), file=sys.stderr)
            save()
        if not a.skip_ratio:
            sample = urls_for(site, a.sample, prefix="s")
            runs = []
            for rnd in range(a.rounds):
                order = ("linksnap", "peer") if rnd % 2 == 0 else ("peer", "linksnap")
                for who in order:
                    root = os.path.join(work, "%s-r%d" % (who, rnd + 1))
                    if who == "linksnap":
                        r = run_ours(a, site, dns.getsockname()[1], sample, root, formats="png")
                    else:
                        r = run_peer(a, site, sample, root, a.per_host_jobs)
                    r["round"] = rnd + 1
                    runs.append(r)
                    print("round %d %s: %.3f captures/s (%s s), load %s, error %s" % (
                        rnd + 1, r["peer"], r.get("captures_per_s") or 0, r.get("wall_s"), r.get("load"),
                        r.get("error")), file=sys.stderr)
            summary = {}
            for peer in ("linksnap", "chromium-screenshot"):
                good = [r["captures_per_s"] for r in runs if r["peer"] == peer and not r.get("error")
                        and r.get("captures_per_s")]
                summary[peer] = {"runs": len(good), "best": max(good) if good else None,
                                 "worst": min(good) if good else None, "spread": spread(good) if good else None}
            b1, b2 = summary["linksnap"]["best"], summary["chromium-screenshot"]["best"]
            res["ratio"] = {"sample": a.sample, "rounds": a.rounds, "peer_jobs": a.peer_jobs, "summary": summary,
                            "captures_per_s_ratio_best": round(b1 / b2, 2) if b1 and b2 else None,
                            "runs": runs}
            save()
    finally:
        site.stop()
        dns.close()
        if not a.keep and not a.work:
            shutil.rmtree(work, ignore_errors=True)
    res["load_at_end"] = os.getloadavg()
    save()
    print("results: %s" % out, file=sys.stderr)
    f = res.get("full")
    if f:
        s = f["server"]
        print("full: %d links, %s s, %s captures/s, failed %s, max per host %s (limit %s, over: %s), "
              "person %s s (goal < 60), load %s" % (
                  f["links"], f.get("wall_s"), f.get("captures_per_s"), f.get("failed"), s["max_per_host"],
                  f.get("per_host_jobs"), s["hosts_over_limit"] or "none",
                  (f.get("person") or {}).get("latency_s"), f.get("load")))
    r = res.get("ratio")
    if r:
        print("ratio (captures/s, best of %d, sample %d): linksnap %s / chromium --screenshot %s = x%s" % (
            r["rounds"], r["sample"], r["summary"]["linksnap"], r["summary"]["chromium-screenshot"],
            r["captures_per_s_ratio_best"]))


if __name__ == "__main__":
    main()

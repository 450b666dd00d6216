#!/usr/bin/env python3
"""bench/corpus/run.py -- the real-page comparison: the saved pages of
bench/corpus/ (manifest.json) captured by Playwright and by linksnapd, in a network namespace
where both see the same DNS.

    sudo bench/corpus/run.py [--build build] [--concurrency 2] [--only ID,ID] [--limit N]
                             [--peers playwright,linksnap] [--timeout 30]

What it sets up (tests/lib/corpus_site.py): `unshare -n -m` with loopback up; a test resolver
on 127.0.0.53:53 and /etc/resolv.conf bind-mounted to name it; every page served on
127.0.0.1:80 under its own host name (answered by Host header); third-party names fail at
once (NXDOMAIN), two ad hosts take 5 s to fail, and one name leads to a listener that
accepts TCP and never answers. The pages keep every third-party reference they were saved
with.

The peers, one after the other:
  playwright  bench/corpus/playwright-corpus.js: playwright-core on /usr/bin/chromium, one
              browser, a context per page (1280x800), goto networkidle with a 30 s timeout,
              then a full-page screenshot; N pages at once.
  linksnap    a real linksnapd from the build, its own state dir, --jobs N, with
              hide_consent = false and dns_servers = 127.0.0.53 when the daemon knows those
              keys (an unknown key is dropped and the run says so); every page sent as
              link.add {url, capture: true}; done at each page's job.finished.

Per page: captured by each (a PNG; for linksnap state ok or partial and not blank), the two
titles (equal after collapsing white space), the heights (linksnap within -10%/+30% of
Playwright's), the reasons for any failure, the time of each. The goal: linksnap captures
every page Playwright captures, with Playwright's title and a height in range on >= 98% of
them. A summary is printed; the full result goes to bench/results/corpus-DATE.json.
Exit status 0 whether or not the goal is met (the numbers are the result), 2 on a broken run.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
import corpus_site  # noqa: E402
from linksnap_test import Client, RpcError  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--build", default=os.path.join(SRC, "build"))
ap.add_argument("--concurrency", type=int, default=2)
ap.add_argument("--peers", default="playwright,linksnap")
ap.add_argument("--only", default="", help="comma-separated page ids (or id prefixes)")
ap.add_argument("--limit", type=int, default=0, help="the first N pages only")
ap.add_argument("--timeout", type=float, default=30, help="Playwright's goto/screenshot timeout, s")
ap.add_argument("--stall", type=float, default=300, help="give up on linksnapd after this long without a finished job, s")
ap.add_argument("--work", default=None, help="scratch dir (default: a new temp dir, removed after)")
ap.add_argument("--keep", action="store_true", help="keep the scratch dir (screenshots, daemon log)")
ap.add_argument("--results", default=os.path.join(SRC, "bench", "results"))
ap.add_argument("--tag", default="", help="appended to the result file's name")
ap.add_argument("--reuse", action="append", default=[], metavar="PEER=RESULT.json",
                help="take PEER's per-page results from an earlier result file instead of running it "
                     "(e.g. playwright=bench/results/corpus-DATE.json: Playwright's side does not change "
                     "when linksnap does)")
ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                help="one more linksnapd config key for the run (e.g. height_cap=200000, so tall "
                     "pages are shot whole like Playwright's uncapped fullPage)")
args = ap.parse_args()

LINKSNAPD = os.path.join(os.path.abspath(args.build), "daemon", "linksnapd")
WANTED_CONFIG = [("hide_consent", "false"), ("dns_servers", corpus_site.RESOLVER)] + \
    [tuple(kv.split("=", 1)) for kv in args.set if "=" in kv]
HEIGHT_LO, HEIGHT_HI = 0.90, 1.30
GOAL = 0.98


def png_size(path):
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except (OSError, TypeError):
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def norm_title(t):
    return re.sub(r"\s+", " ", t or "").strip()


# ---- Playwright -------------------------------------------------------------------------

def run_playwright(pages, work):
    out = os.path.join(work, "playwright")
    os.makedirs(out, exist_ok=True)
    lst = os.path.join(work, "pages.json")
    with open(lst, "w") as f:
        json.dump([{"id": p["id"], "url": p["serve"]} for p in pages], f)
    log = open(os.path.join(work, "playwright.log"), "wb")
    t0 = time.time()
    p = subprocess.Popen(["node", os.path.join(HERE, "playwright-corpus.js"), "--out", out,
                          "--concurrency", str(args.concurrency), "--timeout", str(int(args.timeout * 1000)), lst],
                         stdout=subprocess.PIPE, stderr=log)
    res = {}
    for line in p.stdout:
        if line.startswith(b"{"):
            r = json.loads(line)
            png = os.path.join(out, r["id"] + ".png")
            size = png_size(png) if r.get("ok") else None
            r["width"], r["height"] = size if size else (None, None)
            if r.get("ok") and not size:
                r["ok"], r["error"] = False, "no PNG written"
            res[r["id"]] = r
            print("playwright %-32s %s" % (r["id"], "ok %dx%d %.1fs" % (r["width"], r["height"], r["ms"] / 1000.0)
                                          if r["ok"] else "FAILED " + r["error"]), file=sys.stderr)
    p.wait()
    log.close()
    wall = time.time() - t0
    if p.returncode != 0 and len(res) < len(pages):
        raise SystemExit("playwright-corpus exited with %d (see %s/playwright.log)" % (p.returncode, work))
    return res, wall


# ---- linksnapd --------------------------------------------------------------------------

def start_linksnapd(root):
    """Starts linksnapd with the wanted config keys it knows; returns (proc, socket, dropped)."""
    wanted = list(WANTED_CONFIG)
    dropped = []
    while True:
        state = os.path.join(root, "state")
        sock = os.path.join(root, "linksnapd.sock")
        conf = os.path.join(root, "linksnapd.conf")
        with open(conf, "w") as f:
            f.write("jobs = %d\n" % args.concurrency)
            for k, v in wanted:
                f.write("%s = %s\n" % (k, v))
        logp = os.path.join(root, "linksnapd.log")
        log = open(logp, "ab")
        p = subprocess.Popen([LINKSNAPD, "--config", conf, "--state-dir", state, "--socket", sock,
                              "--http-listen", "127.0.0.1:0"], stdout=log, stderr=log)
        log.close()
        for _ in range(600):
            if p.poll() is not None:
                break
            try:
                with Client(sock, timeout=5) as c:
                    c.call("daemon.ping")
                return p, sock, dropped
            except (OSError, ConnectionError):
                time.sleep(0.05)
        if p.poll() is None:
            p.kill()
            p.wait()
        with open(logp, errors="replace") as f:
            text = f.read()
        unknown = [k for k in re.findall(r"unknown key '([^']+)'", text) if k in dict(wanted)]
        if unknown:
            dropped += unknown
            wanted = [(k, v) for k, v in wanted if k not in unknown]
            os.rename(logp, logp + ".%d" % len(dropped))
            continue
        raise SystemExit("linksnapd did not start (see %s):\n%s" % (logp, text[-2000:]))


def run_linksnap(pages, work):
    root = os.path.join(work, "linksnap")
    os.makedirs(root, exist_ok=True)
    p, sock, dropped = start_linksnapd(root)
    res, error = {}, None
    t0 = time.time()
    try:
        with Client(sock, timeout=args.stall) as c:
            c.call("events.subscribe", {"topics": ["job"]})
            replies = c.pipeline([("link.add", {"url": pg["serve"], "capture": True}) for pg in pages])
            index, started = {}, {}
            for pg, r in zip(pages, replies):
                if "error" in r:
                    res[pg["id"]] = {"ok": False, "error": "link.add: %s" % r["error"].get("message")}
                    continue
                index[r["result"]["link"]["id"]] = pg["id"]
            while len(res) < len(pages):
                ev = c.wait_event(lambda e: e.get("link_id") in index and index[e["link_id"]] not in res
                                  and e.get("topic") in ("job.finished", "job.started"), timeout=args.stall)
                pid = index[ev["link_id"]]
                if ev["topic"] == "job.started":
                    started.setdefault(pid, time.time())
                    continue
                res[pid] = linksnap_result(ev, started.get(pid), time.time())
                r = res[pid]
                print("linksnap   %-32s %s" % (pid, "%s %sx%s %.1fs%s" % (r["state"], r["width"], r["height"], r["ms"] / 1000.0,
                                                                         " (%s)" % r["error"] if r.get("error") else "")
                                                if r["ok"] else "FAILED %s: %s" % (r["state"], r["error"])), file=sys.stderr)
    except (TimeoutError, ConnectionError, RpcError, OSError) as e:
        error = "%s after %d of %d pages" % (e, len(res), len(pages))
        print("linksnap: " + error, file=sys.stderr)
    wall = time.time() - t0
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    for pg in pages:
        res.setdefault(pg["id"], {"ok": False, "state": None, "error": error or "no job.finished"})
    return res, wall, dropped, error


def stamp_ms(v):
    """A snapshot time stamp (ms since the epoch, or ISO 8601 text) in ms, None if neither."""
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v:
        try:
            return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000.0
        except ValueError:
            return None
    return None


def linksnap_result(ev, started_at, finished_at):
    snap = ev.get("snapshot") or {}
    state = ev.get("state")
    size = png_size(snap.get("path")) if snap.get("path") else None
    ok = state in ("ok", "partial") and size is not None and not snap.get("blank")
    error = ev.get("error") or snap.get("error")
    if state in ("ok", "partial") and snap.get("blank"):
        error = "blank image" + (" (%s)" % error if error else "")
    timings = snap.get("timings") or {}
    # the time of the capture: job.started to job.finished as this client saw them (the
    # snapshot's created_at counts from link.add, queue wait included)
    ms = (finished_at - started_at) * 1000 if started_at else None
    a, b = stamp_ms(snap.get("created_at")), stamp_ms(snap.get("finished_at"))
    queued_ms = b - a if a is not None and b is not None and b >= a else None
    return {"ok": ok, "state": state, "attempt": ev.get("attempt"), "title": snap.get("title"),
            "width": size[0] if size else snap.get("width"), "height": size[1] if size else snap.get("height"),
            "truncated": snap.get("truncated"), "blank": snap.get("blank"), "http_status": snap.get("http_status"),
            "error": error, "ms": ms or 0, "ms_from_link_add": queued_ms, "timings": timings}


# ---- the comparison ---------------------------------------------------------------------

def compare(pages, pw, ls):
    rows = []
    for pg in pages:
        a, b = pw.get(pg["id"]), ls.get(pg["id"])
        row = {"id": pg["id"], "lang": pg["lang"], "kind": pg["kind"], "url": pg["serve"],
               "playwright": a, "linksnap": b, "reasons": []}
        if a and a.get("ok"):
            if not (b and b.get("ok")):
                row["reasons"].append("linksnap did not capture: %s%s" % (
                    (b or {}).get("state") or "no result", ": " + b["error"] if b and b.get("error") else ""))
            else:
                ta, tb = norm_title(a.get("title")), norm_title(b.get("title"))
                row["title_equal"] = ta == tb
                if ta != tb:
                    row["reasons"].append("title %r, Playwright %r" % (tb[:80], ta[:80]))
                ratio = b["height"] / float(a["height"]) if a["height"] else 0
                row["height_ratio"] = round(ratio, 3)
                row["height_in_range"] = HEIGHT_LO <= ratio <= HEIGHT_HI
                if not row["height_in_range"]:
                    row["reasons"].append("height %d, Playwright %d (x%.2f)%s" % (
                        b["height"], a["height"], ratio, " truncated" if b.get("truncated") else ""))
            row["pass"] = not row["reasons"]
        else:
            row["pass"] = None   # not counted: Playwright did not capture it
            row["reasons"].append("Playwright did not capture: %s" % ((a or {}).get("error") or "no result"))
        rows.append(row)
    return rows


def summarise(rows, walls):
    pw_ok = [r for r in rows if r["playwright"] and r["playwright"].get("ok")]
    ls_ok = [r for r in rows if r["linksnap"] and r["linksnap"].get("ok")]
    both = [r for r in pw_ok if r["linksnap"] and r["linksnap"].get("ok")]
    passed = [r for r in pw_ok if r["pass"]]
    missed = [r for r in pw_ok if not (r["linksnap"] and r["linksnap"].get("ok"))]
    def ms(peer, sel):
        xs = sorted(r[peer]["ms"] for r in sel if r[peer] and r[peer].get("ok") and r[peer].get("ms"))
        if not xs:
            return None
        return {"median_s": round(xs[len(xs) // 2] / 1000.0, 2), "p90_s": round(xs[int(len(xs) * 0.9)] / 1000.0, 2),
                "max_s": round(xs[-1] / 1000.0, 2), "sum_s": round(sum(xs) / 1000.0, 1)}
    s = {"pages": len(rows), "playwright_captured": len(pw_ok), "linksnap_captured": len(ls_ok),
         "linksnap_missed_of_playwright": len(missed), "both_captured": len(both),
         "title_equal": sum(1 for r in both if r.get("title_equal")),
         "height_in_range": sum(1 for r in both if r.get("height_in_range")),
         "pass": len(passed), "pass_rate": round(len(passed) / float(len(pw_ok)), 4) if pw_ok else None,
         "goal_met": bool(pw_ok) and not missed and len(passed) >= GOAL * len(pw_ok),
         "playwright_time": ms("playwright", pw_ok), "linksnap_time": ms("linksnap", both),
         "wall_s": {k: round(v, 1) for k, v in walls.items() if v is not None}}
    return s


def main():
    man = corpus_site.load_manifest(os.path.join(HERE, "manifest.json"))
    pages = man["pages"]
    if args.only:
        want = [w for w in args.only.split(",") if w]
        pages = [p for p in pages if any(p["id"] == w or p["id"].startswith(w) for w in want)]
    if args.limit:
        pages = pages[:args.limit]
    if not pages:
        raise SystemExit("no pages selected")
    reuse = {}
    for r in args.reuse:
        peer, _, path = r.partition("=")
        if peer not in ("playwright", "linksnap") or not path:
            raise SystemExit("--reuse: expected playwright=FILE or linksnap=FILE, got %r" % r)
        with open(path, encoding="utf-8") as f:
            old = json.load(f)
        reuse[peer] = ({row["id"]: row[peer] for row in old["pages"] if row.get(peer)},
                       old["summary"]["wall_s"].get(peer), path)
    peers = [p for p in args.peers.split(",") if p and p not in reuse]
    if "linksnap" in peers and not os.path.exists(LINKSNAPD):
        raise SystemExit("linksnapd not built at %s (cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && "
                         "cmake --build build)" % LINKSNAPD)
    if "playwright" in peers and not os.path.isdir(os.path.join(HERE, "..", "capture", "node_modules", "playwright-core")):
        raise SystemExit("playwright-core is not installed: run `npm ci` in bench/capture")
    corpus_site.enter_namespace()     # returns inside the namespace; the outer process exits there
    work = args.work or tempfile.mkdtemp(prefix="linksnap-corpus-")
    os.makedirs(work, exist_ok=True)

    site = corpus_site.CorpusSite(HERE, man["pages"]).start()
    pw, ls, walls, dropped, ls_error = {}, {}, {}, [], None
    if "playwright" in reuse:
        pw, walls["playwright"], _ = reuse["playwright"]
    if "linksnap" in reuse:
        ls, walls["linksnap"], _ = reuse["linksnap"]
    try:
        if "playwright" in peers:
            pw, walls["playwright"] = run_playwright(pages, work)
        if "linksnap" in peers:
            ls, walls["linksnap"], dropped, ls_error = run_linksnap(pages, work)
    finally:
        site.stop()
    rows = compare(pages, pw, ls)
    summary = summarise(rows, walls)

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            return None
    git = subprocess.run(["git", "-C", SRC, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    pw_pkg = os.path.join(HERE, "..", "capture", "node_modules", "playwright-core", "package.json")
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"), "commit": git,
           "cores": os.cpu_count(), "loadavg_at_end": os.getloadavg(), "chromium": version(["/usr/lib/chromium/chromium", "--version"]),
           "playwright_core": json.load(open(pw_pkg))["version"] if os.path.exists(pw_pkg) else None,
           "linksnapd": LINKSNAPD, "concurrency": args.concurrency, "playwright_timeout_s": args.timeout,
           "reused": {k: v[2] for k, v in reuse.items()},
           "linksnap_config_dropped": dropped, "linksnap_run_error": ls_error,
           "dns": {"slow_5s": list(corpus_site.SLOW_NAMES), "blackhole": list(corpus_site.BLACKHOLE_NAMES),
                   "queries": dict(sorted(site.resolver.queries.items(), key=lambda kv: -kv[1])[:40]),
                   "blackhole_connections": site.blackhole.accepted},
           "summary": summary, "pages": rows}
    os.makedirs(args.results, exist_ok=True)
    path = os.path.join(args.results, "corpus-%s%s.json" % (datetime.date.today().isoformat(),
                                                            "-" + args.tag if args.tag else ""))
    with open(path, "w") as f:
        json.dump(res, f, indent=1, ensure_ascii=False)
        f.write("\n")
    if not args.keep and not args.work:
        shutil.rmtree(work, ignore_errors=True)

    s = summary
    print("\nReal-page corpus: %d pages, concurrency %d, %s" % (s["pages"], args.concurrency, res["date"]))
    if dropped:
        print("linksnapd does not know %s: run without" % ", ".join(dropped))
    print("  Playwright captured   %d/%d" % (s["playwright_captured"], s["pages"]))
    print("  linksnap captured     %d/%d (%d of Playwright's %d missed)" % (
        s["linksnap_captured"], s["pages"], s["linksnap_missed_of_playwright"], s["playwright_captured"]))
    print("  titles equal          %d/%d" % (s["title_equal"], s["both_captured"]))
    print("  height in -10%%/+30%%   %d/%d" % (s["height_in_range"], s["both_captured"]))
    print("  pass (of Playwright's) %d/%d = %s; goal (all captured, >= 98%%): %s" % (
        s["pass"], s["playwright_captured"], "%.1f%%" % (100 * s["pass_rate"]) if s["pass_rate"] is not None else "-",
        "MET" if s["goal_met"] else "not met"))
    for peer in ("playwright", "linksnap"):
        t = s.get(peer + "_time")
        if t:
            print("  %-10s per page: median %.1f s, p90 %.1f s, max %.1f s; wall %.0f s" % (
                peer, t["median_s"], t["p90_s"], t["max_s"], s["wall_s"].get(peer, 0)))
    bad = [r for r in rows if r["reasons"]]
    if bad:
        print("\n| page | lang | reasons |\n|---|---|---|")
        for r in bad:
            print("| %s | %s | %s |" % (r["id"], r["lang"], "; ".join(r["reasons"]).replace("|", "/")))
    print("\nresults: %s" % path)


if __name__ == "__main__":
    main()

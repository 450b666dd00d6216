#!/usr/bin/env python3
"""bench/search/run.py -- full-text search at 100,000 page texts (bench/search/make_texts.py)
against the two backends users have today: `rg -i -F -l` over the same texts as files
(ArchiveBox's default) and SQLite FTS5's trigram tokenizer (MATCH, and its LIKE fallback).

Phases (all by default, in this order):
  build   ours: the texts through the store API (tests/store/search_tool load: a link, a
          capture and its text per page, 1,000 a transaction); trigram: the same texts in
          python's sqlite3 (the same SQLite 3.40). Build rate and bytes per table (dbstat).
  query   the real linksnapd (release build, --no-capture) on our database, link.list
          {q, limit 50} over its socket, warm and cold (posix_fadvise DONTNEED on the
          database files before each query); rg and trigram the same queries, alternated
          per round; recall on 1- and 2-character CJK queries against rg's exact answer.

Queries: words and CJK strings from three document-frequency bands measured on the
corpus (rare <= 0.05% of pages, middle 0.5-5%, common >= 20%): 1-, 2-, 3-word Latin
(consecutive words of a page) and 1-, 2-, 4-character CJK.

Usage: bench/search/run.py --build build-rel --texts /tmp/search-texts [--work DIR]
                           [--rounds 3] [--phase build|query]
"""
import argparse
import collections
import json
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import time
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lib"))
import procstat  # noqa: E402
from linksnap_test import ping_until_ready  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build-rel")
ap.add_argument("--texts", default="/tmp/search-texts")
ap.add_argument("--work", default="/tmp/search-bench")
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--phase", default="all")
ap.add_argument("--per-band", type=int, default=4)
ap.add_argument("--rg-rounds", type=int, default=1,
                help="rounds that run rg too (a query takes it seconds on this machine)")
ap.add_argument("--ours-seconds", type=float, help="ours was loaded already, in this time")
ap.add_argument("--trigram-pages", type=int, default=5000,
                help="the trigram peer indexes the first N pages (its build runs at ~0.5 MB/s "
                     "on this machine: 100,000 pages would take hours)")
args = ap.parse_args()
BUILD = os.path.abspath(args.build)
LINKSNAPD = os.path.join(BUILD, "daemon", "linksnapd")
TOOL = os.path.join(BUILD, "tests", "store", "search_tool")
OURS_DB = os.path.join(args.work, "ours", "state", "linksnap.db")
TRGM_DB = os.path.join(args.work, "trigram.db")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
WORD = re.compile(r"[A-Za-z]{4,}")
rng = random.Random(19)


def log(*a):
    print(*a, flush=True)


def files():
    return sorted(f for f in os.listdir(args.texts) if f.endswith(".txt"))


def table_bytes(db_path):
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    db.close()
    return dict(rows)


def group(sizes, prefixes):
    return sum(v for k, v in sizes.items() if any(k.startswith(p) for p in prefixes))


# ---- build ------------------------------------------------------------------------------

def build():
    meta = json.load(open(os.path.join(args.texts, "meta.json")))
    out = {"meta": meta}
    if args.ours_seconds:
        dt = args.ours_seconds
    else:
        shutil.rmtree(os.path.join(args.work, "ours"), ignore_errors=True)
        os.makedirs(os.path.dirname(OURS_DB))
        t = time.time()
        subprocess.run([TOOL, "load", OURS_DB, args.texts], check=True)
        dt = time.time() - t
    sizes = table_bytes(OURS_DB)
    out["ours"] = {"seconds": dt, "pages_per_s": meta["count"] / dt,
                   "mb_per_s": meta["raw_bytes"] / dt / 1e6,
                   "text": group(sizes, ["page_texts", "sqlite_autoindex_page_texts"]),
                   "index": group(sizes, ["text_fts"]),
                   "addresses": group(sizes, ["link_trgm"]),
                   "file": os.path.getsize(OURS_DB)}
    log("ours", json.dumps(out["ours"]))
    if os.path.exists(TRGM_DB):
        os.unlink(TRGM_DB)
    db = sqlite3.connect(TRGM_DB)
    db.executescript("PRAGMA journal_mode=WAL; CREATE TABLE docs(id INTEGER PRIMARY KEY, text TEXT);"
                     "CREATE VIRTUAL TABLE tg USING fts5(text, content='docs', content_rowid='id',"
                     " tokenize='trigram');")
    t = time.time()
    names = files()[:args.trigram_pages]
    for i in range(0, len(names), 1000):
        with db:
            for n in names[i:i + 1000]:
                with open(os.path.join(args.texts, n), encoding="utf-8") as f:
                    text = f.read()
                cur = db.execute("INSERT INTO docs(id, text) VALUES (?, ?)", (int(n[:6]) + 1, text))
                db.execute("INSERT INTO tg(rowid, text) VALUES (?, ?)", (cur.lastrowid, text))
    dt = time.time() - t
    db.close()
    sizes = table_bytes(TRGM_DB)
    raw = sum(os.path.getsize(os.path.join(args.texts, n)) for n in names)
    out["trigram"] = {"seconds": dt, "pages_per_s": len(names) / dt, "pages": len(names), "raw": raw,
                      "text": group(sizes, ["docs"]), "index": group(sizes, ["tg"]),
                      "file": os.path.getsize(TRGM_DB)}
    log("trigram", json.dumps(out["trigram"]))
    with open(os.path.join(args.work, "build.json"), "w") as f:
        json.dump(out, f)
    return out


# ---- queries ----------------------------------------------------------------------------

def pick_queries():
    names = files()
    sample = rng.sample(names, 4000)
    texts = {}
    df_w, df_c = collections.Counter(), collections.Counter()
    for n in sample:
        with open(os.path.join(args.texts, n), encoding="utf-8") as f:
            t = f.read()
        texts[n] = t
        if CJK.search(t[:500]):
            grams = set()
            for m in re.finditer(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+", t):
                s = m.group(0)
                for k in (1, 2, 4):
                    grams.update(s[i:i + k] for i in range(len(s) - k + 1))
            df_c.update(grams)
        else:
            df_w.update(set(w.lower() for w in WORD.findall(t)))
    ncjk = sum(1 for n in sample if CJK.search(texts[n][:500]))
    nlat = len(sample) - ncjk
    # bands over all pages (a CJK string is only in CJK pages, a word mostly in the others)
    bands = {"rare": (0, 0.0005), "middle": (0.005, 0.05), "common": (0.2, 1.01)}
    total = len(sample)
    qs = []
    for band, (lo, hi) in bands.items():
        words = [w for w, c in df_w.items() if lo < c / total <= hi] if lo else \
                [w for w, c in df_w.items() if c / total <= hi and c >= 1]
        rng.shuffle(words)
        for k in (1, 2, 3):
            got = 0
            for w in words:
                if got == args.per_band:
                    break
                # k consecutive words of a page that holds w
                for n in sample:
                    t = texts[n]
                    i = t.lower().find(w)
                    if i < 0:
                        continue
                    seq = WORD.findall(t[i:i + 200])
                    if len(seq) >= k and seq[0].lower() == w:
                        qs.append({"q": " ".join(seq[:k]), "kind": "latin%d" % k, "band": band})
                        got += 1
                        break
        for k in (1, 2, 4):
            grams = [g for g, c in df_c.items() if len(g) == k and
                     ((lo < c / total <= hi) if lo else c / total <= hi)]
            rng.shuffle(grams)
            for g in grams[:args.per_band]:
                qs.append({"q": g, "kind": "cjk%d" % k, "band": band})
    return qs


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.buf = b""
        self.id = 0

    def call(self, method, params):
        self.id += 1
        self.s.sendall((json.dumps({"jsonrpc": "2.0", "id": self.id, "method": method,
                                    "params": params}) + "\n").encode())
        while b"\n" not in self.buf:
            self.buf += self.s.recv(1 << 20)
        line, self.buf = self.buf.split(b"\n", 1)
        r = json.loads(line)
        if "error" in r:
            raise RuntimeError(r["error"])
        return r["result"]


def drop_cache(paths):
    for p in paths:
        if os.path.exists(p):
            fd = os.open(p, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)


def start_daemon():
    state = os.path.dirname(OURS_DB)
    sock = os.path.join(args.work, "ours", "s.sock")
    p = subprocess.Popen([LINKSNAPD, "--state-dir", state, "--socket", sock, "--no-capture",
                          "--http-listen", "off", "-q"])
    if ping_until_ready(p, sock, 60):
        return p, Client(sock)
    raise RuntimeError("linksnapd did not start")


def ours_all_ids(c, q):
    ids, cursor = set(), None
    while True:
        p = {"q": q, "sort": "added", "limit": 500}
        if cursor:
            p["cursor"] = cursor
        r = c.call("link.list", p)
        ids.update(l["url"].rsplit("/", 1)[1] for l in r["links"])
        cursor = r["next_cursor"]
        if not cursor:
            return ids


def rg_files(q):
    r = subprocess.run(["rg", "-i", "-F", "-l", q, args.texts], capture_output=True, text=True)
    return set(os.path.basename(x) for x in r.stdout.split())


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * len(v)))]


def query():
    qs = pick_queries()
    log("queries", len(qs))
    dbfiles = [OURS_DB, OURS_DB + "-wal"]
    p, c = start_daemon()
    tg = sqlite3.connect(TRGM_DB)
    res = collections.defaultdict(lambda: collections.defaultdict(list))   # [engine][round] -> ms
    per_q = collections.defaultdict(lambda: collections.defaultdict(list))  # [engine][i] -> ms
    try:
        for rnd in range(args.rounds):
            for i, q in enumerate(qs):                       # ours, cold then warm x3
                drop_cache(dbfiles)
                t = time.perf_counter()
                r = c.call("link.list", {"q": q["q"], "limit": 50})
                per_q["ours_cold"][i].append((time.perf_counter() - t) * 1000)
                q["found"] = len(r["links"])
                for _ in range(3):
                    t = time.perf_counter()
                    c.call("link.list", {"q": q["q"], "limit": 50})
                    per_q["ours_warm"][i].append((time.perf_counter() - t) * 1000)
            for i, q in enumerate(qs):                       # trigram MATCH (>= 3 chars)
                if len(q["q"]) >= 3:
                    t = time.perf_counter()
                    tg.execute("SELECT rowid FROM tg WHERE tg MATCH ? ORDER BY rank LIMIT 50",
                               ('"%s"' % q["q"].replace('"', '""'),)).fetchall()
                    per_q["trigram_match"][i].append((time.perf_counter() - t) * 1000)
            for i, q in enumerate(qs):                       # ripgrep
                if rnd >= args.rg_rounds:
                    break
                t = time.perf_counter()
                subprocess.run(["rg", "-i", "-F", "-l", q["q"], args.texts], capture_output=True)
                per_q["rg"][i].append((time.perf_counter() - t) * 1000)
            log("round", rnd + 1, "done")
        # the LIKE fallback once, on the short CJK queries it exists for
        for i, q in enumerate(qs):
            if q["kind"] in ("cjk1", "cjk2"):
                t = time.perf_counter()
                tg.execute("SELECT id FROM docs WHERE text LIKE ? LIMIT 50", ("%" + q["q"] + "%",)).fetchall()
                per_q["trigram_like"][i].append((time.perf_counter() - t) * 1000)
        # recall on 1- and 2-character CJK against rg's exact answer
        recall = []
        for q in qs:
            if q["kind"] not in ("cjk1", "cjk2"):
                continue
            truth = rg_files(q["q"])
            ours = ours_all_ids(c, q["q"])
            tgm = set("%06d.txt" % (r[0] - 1) for r in
                      tg.execute("SELECT rowid FROM tg WHERE tg MATCH ?", ('"%s"' % q["q"],)).fetchall())
            sub = set(n for n in truth if int(n[:6]) < args.trigram_pages)
            recall.append({"q": q["q"], "band": q["band"], "truth": len(truth),
                           "ours": len(ours & truth) / len(truth) if truth else 1.0,
                           "ours_extra": len(ours - truth),
                           "trigram": len(tgm & sub) / len(sub) if sub else 1.0})
        rss = procstat.status_kb(p.pid, "VmHWM") // 1024
    finally:
        p.terminate()
        p.wait()
    return qs, per_q, recall, rss


def summarise(qs, per_q, recall, rss, build_out):
    out = []
    engines = ["ours_warm", "ours_cold", "rg", "trigram_match", "trigram_like"]
    kinds = ["latin1", "latin2", "latin3", "cjk1", "cjk2", "cjk4"]
    out.append("load: %s" % open("/proc/loadavg").read().strip())
    out.append("queries: %d (%s)" % (len(qs), ", ".join("%s %s" % (q["q"], q["band"]) for q in qs)))
    for e in engines:
        for band in ("rare", "middle", "common", "all"):
            # per round: the latencies of every query of the band; best round's p50/p99
            rounds = collections.defaultdict(list)
            for i, q in enumerate(qs):
                if band != "all" and q["band"] != band:
                    continue
                for r, ms in enumerate(per_q[e].get(i, [])):
                    rounds[r].append(ms)
            if not rounds:
                continue
            p50s = [statistics.median(v) for v in rounds.values()]
            p99s = [pct(v, 99) for v in rounds.values()]
            out.append("%-14s %-7s p50 %8.2f ms (spread %3.0f%%)  p99 %8.2f ms  n=%d" % (
                e, band, min(p50s), 100 * (max(p50s) - min(p50s)) / max(min(p50s), 1e-9),
                min(p99s), sum(len(v) for v in rounds.values())))
    for e in engines:
        for k in kinds:
            v = [statistics.median(per_q[e][i]) for i, q in enumerate(qs) if q["kind"] == k and per_q[e].get(i)]
            if v:
                out.append("%-14s %-7s median of query medians %8.2f ms" % (e, k, statistics.median(v)))
    all_ours = [ms for i in per_q["ours_warm"] for ms in per_q["ours_warm"][i]]
    all_rg = [ms for i in per_q["rg"] for ms in per_q["rg"][i]]
    out.append("ratio rg p50 / ours warm p50: %.0fx" % (statistics.median(all_rg) / statistics.median(all_ours)))
    for r in recall:
        out.append("recall %s (%s, %d pages): ours %.3f (+%d folded), trigram MATCH %.3f (of its pages)" % (
            r["q"], r["band"], r["truth"], r["ours"], r["ours_extra"], r["trigram"]))
    out.append("linksnapd peak RSS during the queries: %d MB" % rss)
    if build_out:
        m = build_out["meta"]
        o, t = build_out["ours"], build_out["trigram"]
        out.append("raw text: %d bytes in %d pages (%d CJK)" % (m["raw_bytes"], m["count"], m["cjk_pages"]))
        out.append("ours: build %.0f pages/s (%.1f MB/s); text %d + index %d = %.2fx raw; "
                   "address trigrams %d; file %d" % (o["pages_per_s"], o["mb_per_s"], o["text"],
                   o["index"], (o["text"] + o["index"]) / m["raw_bytes"], o["addresses"], o["file"]))
        out.append("trigram (first %d pages, %d bytes): build %.0f pages/s; text %d + index %d = "
                   "%.2fx raw; file %d" % (t["pages"], t["raw"], t["pages_per_s"], t["text"],
                                           t["index"], (t["text"] + t["index"]) / t["raw"], t["file"]))
    return "\n".join(out)


def main():
    build_out = None
    if args.phase in ("all", "build"):
        build_out = build()
    elif os.path.exists(os.path.join(args.work, "build.json")):
        build_out = json.load(open(os.path.join(args.work, "build.json")))
    if args.phase in ("all", "query"):
        qs, per_q, recall, rss = query()
        text = summarise(qs, per_q, recall, rss, build_out)
        log(text)
        with open(os.path.join(args.work, "result.txt"), "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()

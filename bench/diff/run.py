#!/usr/bin/env python3
"""bench/diff/run.py -- the visual diff (diff/imgdiff.c, through bench/diff/diffbench.c)
against pixelmatch with pngjs (bench/diff/pixelmatch-peer.mjs; `npm ci` here, or
scripts/install-deps.sh --bench) on the same files in the same run.

1. Speed: an article page captured by the real Chromium (headless, 1280 x 12,000 px) and
   the same page with a paragraph inserted near the top; each tool reads, decodes and
   compares the two files; runs alternate (ours, theirs, ours, ...), best of N with the
   spread. The changed fraction of each on that pair (and on a pair with one word changed
   lower down).
2. Memory: two 1280 x 30,000 px screenshots (made here, lines of text-like ink, a band
   inserted near the top): diffbench's peak resident memory above what it held before the
   diff, without and with the overlay drawn.

Usage: bench/diff/run.py [--build build-rel] [--runs 7] [--out results.json]
Build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF &&
cmake --build build-rel --target diffbench."""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))
import linepng  # noqa: E402  (the tests' picture maker, shared)
WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at "
         "which but have an they you were her all she there would their we him been has when who "
         "will more no if out so said what up its about into than them can only other new some "
         "could time these two may then do first any my now such like our over man me even most "
         "made after also did many before must through back years where much your way well down "
         "should because each just those people how too little state good very make world still "
         "own see men work long here get both between life being under never day same another "
         "know while last might us great old year off come since against go came right used take "
         "three").split()


def para(i):
    r = random.Random(i)
    return " ".join(r.choice(WORDS) for _ in range(r.randint(40, 90))).capitalize() + "."


def article(inserted=False, changed_word=False):
    ps = [para(i) for i in range(200)]
    if changed_word:
        w = ps[40].split(" ")
        w[5] = "changed"
        ps[40] = " ".join(w)
    if inserted:
        ps.insert(3, "Inserted: " + para(9999))
    return ("<!doctype html><meta charset=utf-8><style>body{margin:40px auto;max-width:760px;"
            "font:18px/1.5 serif}</style><h1>A fixture article</h1>\n"
            + "".join("<p>%s</p>\n" % p for p in ps))


def shoot(html, png, height):
    page = png[:-4] + ".html"
    with open(page, "w") as f:
        f.write(html)
    subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=1280,%d" % height,
                    "--screenshot=" + png, "file://" + page],
                   check=True, capture_output=True, timeout=300)


def synthetic(w, h, inserted):
    """Lines of word-like ink, 20 px apart; `inserted` lines put in after the fifth."""
    ids = list(range(h // 20))
    return linepng.page_rows(w, ids[:5] + [100000 + i for i in range(inserted)] + ids[5:], h,
                             margin=40, widest=65, space=8)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        sys.exit("%s failed: %s" % (cmd[0], p.stderr))
    return json.loads(p.stdout)


def spread(v):
    return {"best": min(v), "median": statistics.median(v), "worst": max(v)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build-rel"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--out")
    a = ap.parse_args()
    ours = [os.path.join(a.build, "bench", "diff", "diffbench")]
    theirs = ["node", os.path.join(HERE, "pixelmatch-peer.mjs")]
    if not os.path.exists(os.path.join(HERE, "node_modules", "pixelmatch")):
        sys.exit("run `npm ci` in bench/diff first (scripts/install-deps.sh --bench)")
    tmp = tempfile.mkdtemp(prefix="linksnap-diffbench-")
    old, new, word = (os.path.join(tmp, n) for n in ("old.png", "new.png", "word.png"))
    shoot(article(), old, 12000)
    shoot(article(inserted=True), new, 12000)
    shoot(article(changed_word=True), word, 12000)
    res = {"speed": {}, "fraction": {}, "memory": {}}
    t_ours, t_theirs = [], []
    for _ in range(a.runs):
        t_ours.append(run(ours + [old, new])["ms"])
        t_theirs.append(run(theirs + [old, new])["ms"])
    res["speed"] = {"ours_ms": spread(t_ours), "pixelmatch_ms": spread(t_theirs),
                    "ratio_best": min(t_theirs) / min(t_ours)}
    for name, other in (("inserted_paragraph", new), ("changed_word", word)):
        o, t = run(ours + [old, other]), run(theirs + [old, other, "--rows"])
        res["fraction"][name] = {
            "ours": o["changed_fraction"], "ours_boxes": o["boxes"],
            "ours_rows": sum(b["h"] for b in o["boxes"] if b["kind"] != "removed"),
            "pixelmatch": t["changed_fraction"],
            "pixelmatch_rows": {k: t[k] for k in ("first_row", "last_row", "rows_changed")}}
    tall_a, tall_b = os.path.join(tmp, "tall_a.png"), os.path.join(tmp, "tall_b.png")
    linepng.write_png(tall_a, 1280, synthetic(1280, 30000, 0), level=6)
    linepng.write_png(tall_b, 1280, synthetic(1280, 30000, 5), level=6)
    for name, extra in (("diff", []), ("diff_and_overlay", [os.path.join(tmp, "overlay.png")])):
        m = run(ours + [tall_a, tall_b] + extra)
        res["memory"][name] = {"ms": m["ms"], "above_idle_mb": (m["hwm_kb"] - m["rss_before_kb"]) / 1024,
                               "boxes": m["boxes"], "changed_fraction": m["changed_fraction"]}
    t = run(theirs + [tall_a, tall_b])
    res["memory"]["pixelmatch"] = {"ms": t["ms"], "peak_mb": t["hwm_kb"] / 1024}
    out = json.dumps(res, indent=2)
    print(out)
    if a.out:
        with open(a.out, "w") as f:
            f.write(out + "\n")
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()

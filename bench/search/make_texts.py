#!/usr/bin/env python3
"""make_texts -- the search benchmark's corpus: page texts of 2-20 KB built from the
paragraphs of the real-page corpus (bench/corpus/pages/*.html.gz, read with html.parser),
CJK pages from CJK paragraphs (zh, ja, ko) and the rest from the others. Paragraphs are
drawn with Zipf weights so that some text is common and some rare, as on the web.
Writes DIR/NNNNNN.txt and DIR/meta.json; deterministic for a seed.

    python3 bench/search/make_texts.py --out /tmp/texts --count 100000 --cjk 0.25
"""
import argparse
import bisect
import gzip
import html.parser
import json
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "corpus")
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "td", "dd", "dt",
          "figcaption", "div", "section", "article"}
SKIP = {"script", "style", "noscript", "template", "svg", "head"}
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


class Paragraphs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.cur, self.skip = [], [], 0

    def flush(self):
        t = " ".join("".join(self.cur).split())
        if len(t) >= 40:
            self.out.append(t)
        self.cur = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        elif tag in BLOCKS or tag == "br":
            self.flush()

    def handle_endtag(self, tag):
        if tag in SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCKS:
            self.flush()

    def handle_data(self, data):
        if not self.skip:
            self.cur.append(data)


def paragraphs():
    with open(os.path.join(CORPUS, "manifest.json")) as f:
        manifest = json.load(f)
    cjk, other = set(), set()
    for page in manifest["pages"]:
        with gzip.open(os.path.join(CORPUS, page["file"]), "rb") as f:
            raw = f.read()
        p = Paragraphs()
        p.feed(raw.decode("utf-8", errors="replace"))
        p.flush()
        for t in p.out:
            if len(t.encode()) > 4000:
                continue
            (cjk if len(CJK.findall(t)) > len(t) // 4 else other).add(t)
    return sorted(cjk), sorted(other)


def zipf_picker(pool, rng):
    rng.shuffle(pool)
    cum, total = [], 0.0
    for i in range(len(pool)):
        total += 1.0 / (i + 1)
        cum.append(total)
    return lambda: pool[bisect.bisect_left(cum, rng.random() * total)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--cjk", type=float, default=0.25)
    ap.add_argument("--seed", type=int, default=19)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    cjk, other = paragraphs()
    pick_cjk, pick_other = zipf_picker(list(cjk), rng), zipf_picker(list(other), rng)
    os.makedirs(a.out, exist_ok=True)
    raw = ncjk = 0
    for i in range(a.count):
        is_cjk = rng.random() < a.cjk
        pick = pick_cjk if is_cjk else pick_other
        target = rng.randint(2048, 20480)
        parts, size = [], 0
        while True:
            t = pick()
            n = len(t.encode()) + 2
            if size + n > target:
                if size >= 2048:
                    break
                if size + n > 20480:   # under 2 KB still: any paragraph that keeps it under 20
                    continue
            parts.append(t)
            size += n
        text = "\n\n".join(parts)
        with open(os.path.join(a.out, "%06d.txt" % i), "w", encoding="utf-8") as f:
            f.write(text)
        raw += len(text.encode())
        ncjk += is_cjk
    meta = {"count": a.count, "cjk_pages": ncjk, "raw_bytes": raw, "paragraphs_cjk": len(cjk),
            "paragraphs_other": len(other), "seed": a.seed}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()

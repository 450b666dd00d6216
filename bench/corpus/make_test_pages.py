#!/usr/bin/env python3
"""bench/corpus/make_test_pages.py -- copies a few corpus pages into tests/daemon/corpus/ for
ctest (tests/daemon/test_corpus.py), with what Playwright saw on them in a corpus run: the
title, the full-page height and the box where the headline is drawn.

    bench/corpus/make_test_pages.py bench/results/corpus-DATE.json ID [ID...]

Each ID must have been captured by Playwright in that run (with a headline box).
"""
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEST = os.path.join(HERE, "..", "..", "tests", "daemon", "corpus")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().split("\n\n")[1])
    with open(sys.argv[1], encoding="utf-8") as f:
        run = json.load(f)
    with open(os.path.join(HERE, "manifest.json"), encoding="utf-8") as f:
        man = {p["id"]: p for p in json.load(f)["pages"]}
    rows = {r["id"]: r for r in run["pages"]}
    out = []
    os.makedirs(os.path.join(DEST, "pages"), exist_ok=True)
    for pid in sys.argv[2:]:
        pw = (rows.get(pid) or {}).get("playwright") or {}
        if not pw.get("ok") or not pw.get("headline"):
            sys.exit("make_test_pages: %s was not captured by Playwright with a headline box in %s" % (pid, sys.argv[1]))
        p = man[pid]
        shutil.copyfile(os.path.join(HERE, p["file"]), os.path.join(DEST, p["file"]))
        out.append({"id": pid, "file": p["file"], "serve": p["serve"], "lang": p["lang"], "kind": p["kind"],
                    "title": pw["title"], "height": pw["height"], "ink_box": pw["headline"],
                    "origin": p["origin"], "licence": p["licence"], "url": p["url"]})
    doc = {"measured": "Playwright %s on chromium %s, bench/corpus/run.py of %s" % (
        run.get("playwright_core"), run.get("chromium"), run.get("date")), "pages": out}
    with open(os.path.join(DEST, "corpus.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("%d pages in %s" % (len(out), os.path.normpath(DEST)))


if __name__ == "__main__":
    main()

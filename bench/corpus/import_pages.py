#!/usr/bin/env python3
"""bench/corpus/import_pages.py -- builds bench/corpus/pages/ and manifest.json from clones of
the public test corpora named below. Run once by hand; the result is committed, so neither the
benchmark nor the tests need these clones (or the network).

    bench/corpus/import_pages.py --src aeb=DIR --src mercury=DIR --src trafilatura=DIR \
                                 --src readability=DIR --src newspaper=DIR

Each DIR is a git clone (the file is read from its HEAD with `git show`, so a bare mirror
works too). Each page is stored gzip-compressed as pages/<id>.html.gz, byte for byte as the
corpus ships it (the AEB pages are already gzip files and are copied as they are). The
manifest records for each page: where it came from (corpus, repository, commit, path), its
original URL, the URL the harness serves it at (http://<original host><original path>), its
language, kind and the corpus's licence.
"""
import argparse
import gzip
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))

CORPORA = {
    "aeb": {"repo": "scrapinghub/article-extraction-benchmark", "licence": "MIT (repository); page text (c) its publishers",
            "note": "fetched with Splash, JS off; stored gzip-compressed as the corpus ships them"},
    "mercury": {"repo": "postlight/parser", "licence": "MIT OR Apache-2.0 (repository); page text (c) its publishers",
                "note": "Mercury parser test fixtures"},
    "trafilatura": {"repo": "adbar/trafilatura", "licence": "Apache-2.0 (repository); page text (c) its publishers",
                    "note": "trafilatura evaluation and test pages"},
    "readability": {"repo": "mozilla/readability", "licence": "Apache-2.0 (repository); page text (c) its publishers",
                    "note": "Readability.js test pages (source.html)"},
    "newspaper": {"repo": "codelucas/newspaper", "licence": "MIT (repository); page text (c) its publishers",
                  "note": "newspaper3k test pages"},
}

# (corpus, path in the repository, language, kind[, URL]); the AEB pages are chosen below by
# host. A URL given here is for pages whose corpus records none and that state none
# themselves: the site is known from the corpus, the path is ours (url_recorded: false).
PICKS = [
    # Mercury fixtures: Japanese sites, a Chinese one, European and US news
    ("mercury", "fixtures/www.asahi.com.html", "ja", "news"),
    ("mercury", "fixtures/www.yomiuri.co.jp.html", "ja", "news"),
    ("mercury", "fixtures/www.itmedia.co.jp.html", "ja", "news"),
    ("mercury", "fixtures/japan.cnet.com.html", "ja", "news"),
    ("mercury", "fixtures/japan.zdnet.com.html", "ja", "news"),
    ("mercury", "fixtures/news.mynavi.jp.html", "ja", "news"),
    ("mercury", "fixtures/www.gizmodo.jp.html", "ja", "blog"),
    ("mercury", "fixtures/wired.jp.html", "ja", "news"),
    ("mercury", "fixtures/www.lifehacker.jp.html", "ja", "blog"),
    ("mercury", "fixtures/weekly.ascii.jp.html", "ja", "news"),
    ("mercury", "fixtures/www.publickey1.jp.html", "ja", "blog"),
    ("mercury", "fixtures/techlog.iij.ad.jp.html", "ja", "blog"),
    ("mercury", "fixtures/takagi-hiromitsu.jp.html", "ja", "blog"),
    ("mercury", "fixtures/www.rbbtoday.com.html", "ja", "news"),
    ("mercury", "fixtures/www.qdaily.com.html", "zh", "news"),
    ("mercury", "fixtures/www.lemonde.fr.html", "fr", "news"),
    ("mercury", "fixtures/ici.radio-canada.ca.html", "fr", "news"),
    ("mercury", "fixtures/www.abendblatt.de.html", "de", "news"),
    ("mercury", "fixtures/www.spektrum.de.html", "de", "news"),
    ("mercury", "fixtures/arstechnica.com.html", "en", "news"),
    ("mercury", "fixtures/www.theguardian.com.html", "en", "news"),
    ("mercury", "fixtures/www.npr.org.html", "en", "news"),
    ("mercury", "fixtures/www.theatlantic.com.html", "en", "news"),
    ("mercury", "fixtures/medium.com.html", "en", "blog"),
    ("mercury", "fixtures/fandom.wikia.com.html", "en", "wiki"),
    ("mercury", "fixtures/ma.ttias.be.html", "en", "blog"),
    ("mercury", "fixtures/github.com.html", "en", "other"),
    # trafilatura: Arabic, Chinese, Japanese, Ukrainian/Russian, wikis, blogs, news
    ("trafilatura", "tests/eval/assabah.com.tn.article.html", "ar", "news"),
    ("trafilatura", "tests/eval/baike.baidu.com.tanya.html", "zh", "wiki"),
    ("trafilatura", "tests/eval/xinhuanet.com.c_1125597921.html", "zh", "news"),
    ("trafilatura", "tests/eval/banyuetan.org.1000200033136171577956287380194268_1.html", "zh", "news"),
    ("trafilatura", "tests/eval/nhk.or.jp.k100.html", "ja", "news"),
    ("trafilatura", "tests/eval/football.ua.podolski.html", "ru", "news"),
    ("trafilatura", "tests/cache/en.wikipedia.org.tsne.html", "en", "wiki"),
    ("trafilatura", "tests/cache/blog.python.org.html", "en", "blog"),
    ("trafilatura", "tests/cache/lemire.me.json.html", "en", "blog"),
    ("trafilatura", "tests/cache/github.blog.spiceland.html", "en", "blog"),
    ("trafilatura", "tests/cache/caktusgroup.com.django.html", "en", "blog"),
    ("trafilatura", "tests/cache/gregoryszorc.com.python3.html", "en", "blog"),
    ("trafilatura", "tests/cache/stackoverflow.com.rust.html", "en", "other"),
    ("trafilatura", "tests/cache/theguardian.com.academics.html", "en", "news"),
    ("trafilatura", "tests/cache/spiegel.de.albtraum.html", "de", "news"),
    ("trafilatura", "tests/cache/zeit.de.zugverkehr.html", "de", "news"),
    ("trafilatura", "tests/cache/franceculture.fr.idees.html", "fr", "news"),
    ("trafilatura", "tests/cache/nature.com.telescope.html", "en", "news"),
    ("trafilatura", "tests/cache/netzpolitik.org.abmahnungen.html", "de", "blog"),
    ("trafilatura", "tests/cache/wikimediafoundation.org.turkey.html", "en", "blog"),
    ("trafilatura", "tests/cache/chineselyrics4u.com.zhineng.html", "zh", "blog"),
    ("trafilatura", "tests/cache/heise.de.lithium.html", "de", "news"),
    # Readability.js: wikis, Chinese and Japanese pages, long news pages
    ("readability", "test/test-pages/wikipedia/source.html", "en", "wiki"),
    ("readability", "test/test-pages/wikipedia-2/source.html", "en", "wiki", "https://en.wikipedia.org/wiki/New_Zealand"),
    ("readability", "test/test-pages/wikipedia-3/source.html", "en", "wiki", "https://en.wikipedia.org/wiki/Hermitian_matrix"),
    ("readability", "test/test-pages/wikipedia-4/source.html", "en", "wiki", "https://en.wikipedia.org/wiki/List_of_films_featuring_time_loops"),
    ("readability", "test/test-pages/wikia/source.html", "en", "wiki"),
    ("readability", "test/test-pages/qq/source.html", "zh", "news", "http://tech.qq.com/"),
    ("readability", "test/test-pages/pixnet/source.html", "zh", "blog"),
    ("readability", "test/test-pages/gmw/source.html", "zh", "news", "http://news.gmw.cn/"),
    ("readability", "test/test-pages/youth/source.html", "zh", "news", "http://news.youth.cn/"),
    ("readability", "test/test-pages/hukumusume/source.html", "ja", "other", "http://hukumusume.com/"),
    ("readability", "test/test-pages/yahoo-4/source.html", "ja", "news"),
    ("readability", "test/test-pages/bbc-1/source.html", "en", "news"),
    ("readability", "test/test-pages/nytimes-1/source.html", "en", "news"),
    ("readability", "test/test-pages/guardian-1/source.html", "en", "news"),
    ("readability", "test/test-pages/lwn-1/source.html", "en", "news", "https://lwn.net/"),
    ("readability", "test/test-pages/mozilla-1/source.html", "en", "blog"),
    ("readability", "test/test-pages/folha/source.html", "pt", "news"),
    ("readability", "test/test-pages/la-nacion/source.html", "es", "news", "https://www.lanacion.com.ar/"),
    ("readability", "test/test-pages/aktualne/source.html", "cs", "news"),
    ("readability", "test/test-pages/medium-1/source.html", "en", "blog"),
    ("readability", "test/test-pages/wapo-1/source.html", "en", "news"),
    ("readability", "test/test-pages/v8-blog/source.html", "en", "blog", "https://v8.dev/blog/"),
    # newspaper3k: Arabic, Chinese, Japanese, Thai
    ("newspaper", "tests/data/html/arabic_article.html", "ar", "news"),
    ("newspaper", "tests/data/html/chinese_article.html", "zh", "news", "http://www.bbc.co.uk/zhongwen/simp/"),
    ("newspaper", "tests/data/html/japanese_article.html", "ja", "news"),
    ("newspaper", "tests/data/html/japanese_article2.html", "ja", "news"),
    ("newspaper", "tests/data/html/thai_article.html", "th", "news"),
]

AEB_COUNT = 45

# Hosts on Chromium's HSTS preload list (checked with chromium 156 in the namespace: a
# navigation to http://<host>/ became https://<host>/ before any request left). Nothing
# listens on 443 there, so these pages are served as http://<host>.test/<path> instead.
HSTS_PRELOADED = {
    "en.wikipedia.org", "github.blog", "github.com", "japan.zdnet.com", "medium.com", "netzpolitik.org",
    "v8.dev", "wikimediafoundation.org", "www.bbc.co.uk", "www.bbc.com", "www.cityam.com", "www.nytimes.com",
    "www.rt.com", "www.theguardian.com", "www.wsj.com",
}


def git(src, *args):
    return subprocess.run(["git", "-C", src] + list(args), check=True, capture_output=True).stdout


def decoded(raw, gz):
    data = gzip.decompress(raw) if gz else raw
    m = re.search(rb'charset=["\']?([A-Za-z0-9_-]+)', data[:20000])
    enc = m.group(1).decode() if m else "utf-8"
    try:
        return data.decode(enc, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def page_url(text):
    """The page's own URL as it states it (canonical link, then og:url), or None."""
    pats = [r'<link[^>]+rel=["\']canonical["\'][^>]*href=["\']([^"\']+)["\']',
            r'<link[^>]+href=["\']([^"\']+)["\'][^>]*rel=["\']canonical["\']',
            r'<meta[^>]+property=["\']og:url["\'][^>]*content=["\']([^"\']+)["\']',
            r'<meta[^>]+content=["\']([^"\']+)["\'][^>]*property=["\']og:url["\']']
    for p in pats:
        m = re.search(p, text[:400000], re.I)
        if m and m.group(1).startswith(("http://", "https://")):
            return m.group(1).replace("&amp;", "&")
    return None


def title_of(text):
    m = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    return html.unescape(re.sub(r"\s+", " ", m.group(1)).strip()) if m else ""


def known_urls(srcs):
    """Original URLs the corpora record beside their files: {(corpus, path): url}."""
    out = {}
    if "trafilatura" in srcs:
        ev = json.loads(git(srcs["trafilatura"], "show", "HEAD:tests/evaldata.json"))
        for url, d in ev.items():
            out[("trafilatura", "tests/eval/" + d["file"])] = url
        rw = git(srcs["trafilatura"], "show", "HEAD:tests/realworld_tests.py").decode()
        for url, f in re.findall(r'"(https?://[^"]+)":\s*"([^"]+\.html)"', rw):
            out[("trafilatura", "tests/cache/" + f)] = url
    if "mercury" in srcs:
        tree = git(srcs["mercury"], "ls-tree", "-r", "--name-only", "HEAD", "src/extractors/custom").decode().split()
        for t in tree:
            if not t.endswith("index.test.js"):
                continue
            js = git(srcs["mercury"], "show", "HEAD:" + t).decode(errors="replace")
            for url, fx in re.findall(r"url\s*=\s*'([^']+)';\s*const html = fs\.readFileSync\('\./(fixtures/[^']+)'\)", js):
                out[("mercury", fx)] = url
    return out


def serve_url(url, used):
    """http://<host><path> for the harness; the query string is kept; a repeated URL gets
    ?corpus=N so that every page has its own."""
    u = urllib.parse.urlsplit(url)
    host = (u.hostname or "").lower()
    if host in HSTS_PRELOADED:
        host += ".test"
    path = u.path or "/"
    s = "http://%s%s%s" % (host, path, "?" + u.query if u.query else "")
    n = 2
    base = s
    while s in used:
        s = base + ("&" if "?" in base else "?") + "corpus=%d" % n
        n += 1
    used.add(s)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", action="append", default=[], help="corpus=DIR (a git clone)")
    ap.add_argument("--out", default=HERE)
    a = ap.parse_args()
    srcs = dict(s.split("=", 1) for s in a.src)
    missing = [c for c in CORPORA if c not in srcs]
    if missing:
        sys.exit("import_pages: give --src for %s" % ", ".join(missing))
    commits = {c: git(d, "rev-parse", "HEAD").decode().strip() for c, d in srcs.items()}
    urls = known_urls(srcs)

    picks = []
    # AEB: the first AEB_COUNT pages (by file name) from distinct hosts
    gt = json.loads(git(srcs["aeb"], "show", "HEAD:ground-truth.json"))
    hosts = set()
    for pid in sorted(gt):
        url = gt[pid].get("url")
        host = urllib.parse.urlsplit(url).hostname if url else None
        if not host or host in hosts:
            continue
        hosts.add(host)
        picks.append(("aeb", "html/%s.html.gz" % pid, None, "news", url))
        if len(picks) == AEB_COUNT:
            break
    picks += [tuple(p) + (None,) * (5 - len(p)) for p in PICKS]

    pages_dir = os.path.join(a.out, "pages")
    os.makedirs(pages_dir, exist_ok=True)
    used, manifest = set(), []
    for corpus, path, lang, kind, given in picks:
        raw = git(srcs[corpus], "show", "HEAD:" + path)
        gz = path.endswith(".gz")
        text = decoded(raw, gz)
        recorded = urls.get((corpus, path)) or page_url(text)
        url = recorded or given
        if corpus == "aeb":
            recorded = url = given
        if given and corpus != "aeb" and recorded and recorded != given:
            url = recorded
        if not url:
            sys.exit("import_pages: no URL known for %s:%s" % (corpus, path))
        if lang is None:
            m = re.search(r'<html[^>]+lang=["\']?([a-zA-Z]{2})', text[:5000])
            lang = m.group(1).lower() if m else "en"
        host = urllib.parse.urlsplit(url).hostname
        pid = "%03d-%s" % (len(manifest) + 1, re.sub(r"[^a-z0-9.-]", "", host.lower().replace("www.", "", 1))[:40])
        data = raw if gz else gzip.compress(raw, 9, mtime=0)
        with open(os.path.join(pages_dir, pid + ".html.gz"), "wb") as f:
            f.write(data)
        manifest.append({
            "id": pid, "file": "pages/%s.html.gz" % pid, "url": url, "url_recorded": bool(recorded), "serve": serve_url(url, used),
            "lang": lang, "kind": kind, "title_in_source": title_of(text),
            "corpus": corpus, "origin": "https://github.com/%s/blob/%s/%s" % (CORPORA[corpus]["repo"], commits[corpus], path),
            "licence": CORPORA[corpus]["licence"], "bytes": len(gzip.decompress(data)),
            "sha256": hashlib.sha256(gzip.decompress(data)).hexdigest()})
    doc = {"corpora": {c: dict(CORPORA[c], commit=commits[c]) for c in CORPORA}, "pages": manifest}
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("%d pages" % len(manifest))


if __name__ == "__main__":
    main()

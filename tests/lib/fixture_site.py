#!/usr/bin/env python3
"""fixture_site -- the pages linksnap's capture tests and benchmarks load: a threaded
http.server on 127.0.0.1 (port 0 unless told), standard library only.

    from fixture_site import FixtureSite
    with FixtureSite() as site:          # or site = FixtureSite().start(); ...; site.stop()
        url = site.url("/tall?h=20000")

Standalone: `python3 tests/lib/fixture_site.py --port 8765` serves until interrupted and
prints its base URL. HTTP/1.1 with keep-alive; every answer has a Content-Length; HTML is
UTF-8. Nothing is random: the same URL always gives the same bytes.

Routes (query parameters in brackets; anything else is a 404 page):

  /ok                    a small page titled "ok" ("OK" in a 48 px headline, white).
  /delay?ms=N            /ok's page, answered after N ms (0..600000).
  /hang                  accepts the request and never answers; the connection is closed
                         without a reply when the server stops.
  /redirect?to=URL       302 to URL (any scheme, not checked).
  /redirect-chain?n=N    302 to /redirect-chain?n=N-1 ... n=0 is a 302 to /ok; so n=3 is
                         three redirects before the page (plus the last hop to /ok).
  /redirect-file         302 to file:///etc/passwd.
  /status/N              a page with HTTP status N (200 <= N < 600, not 204 or 304) whose
                         headline is N. /status/404 and /status/500 are the usual ones.
  /nope, or any unknown  404 with a small page titled "missing".
  /cjk                   a Chinese page: lang=zh-CN, title 中文标题, a 64 px headline
                         链接快照平台 and paragraphs of Chinese text.
  /title?t=TEXT          a page whose <title> (and headline) is TEXT, HTML-escaped.
  /tall[?h=20000]        h px (800..200000, default 20000) of ten bands, each
                         h // 10 px high (the last one takes the remainder), coloured
                         COLORS[0..9] top to bottom; margin 0; title "高 tall".
                         band_color(h, y) gives the colour expected at y.
  /frame?src=URL         a white page titled "frame" with one 600x400 iframe of URL (not
                         checked) at its top left, no border; margin 0. &remove_ms=N: the
                         iframe is removed N ms after the page's load event.
  /lazy                  a native loading=lazy image (/red.png, 400x300) 9,000 px down and an
                         IntersectionObserver target 12,300 px down that turns #0000ff when
                         it becomes visible; 14,600 px in all, white.
  /late                  green page; after the load event it fetches /slow (1.5 s) and paints
                         the body #4363d8 with the answer.
  /slow                  "#4363d8" as text, after 1.5 s.
  /worker                green page that starts a dedicated worker (/worker.js), which
                         posts "#4363d8" at once; the page paints its body with it.
  /sw                    green page that registers a service worker (/sw.js) and paints
                         its body #4363d8 once the registration resolves.
  /busy                  orange (#f58231) page, headline "busy", polling /tick every 150 ms forever (never
                         network-idle).
  /tick                  "ok" after 100 ms.
  /alert                 green page whose script calls alert() and confirm() and then
                         paints the body #4363d8.
  /infinite              infinite scroll: 3,000 px of numbered blocks, and 1,000 px more
                         appended each time the page is scrolled within 1,500 px of the
                         bottom (scroll listener and IntersectionObserver), forever.
  /slow-scroll[?h=8000]  /tall's bands (h px) with a scroll listener that holds the main
                         thread for 2 s on every scroll event away from the top (a
                         synchronous request to /delay, no CPU spent): a
                         lazy-content pass over 8,000 px takes 18 s (scrolling back to the
                         top is free).
  /fonts-never           green (#3cb44b) page whose text uses a web font served by /hang:
                         document.fonts.ready never resolves.
  /hold-fetch            white page whose script fetches /hang?held as it parses (a fetch
                         does not hold the load event): one request held open for ever
                         (never quiet, no web font).
  /hold-image            white page with an image served by /hang?img: its load event never
                         fires; it has no web font.
  /blank-once?k=KEY      the first request for a KEY: a white page that draws nothing and
                         polls /tick forever (blank, never quiet); every later request
                         for it: /ok's page on green (#3cb44b).
  /busy-once?k=KEY       the first request for a KEY: /busy (never quiet); every later
                         request for it: /ok's page on green (#3cb44b).
  /crash                 an ordinary page (title "crash"); a test crashes its renderer over
                         CDP with Page.crash.
  /blank                 a page that stays one flat colour (#ffffff, nothing drawn, no
                         script), title "blank".
  /red.png               a 400x300 solid red PNG.
  /img/W/H/RRGGBB.png    a WxH (1..2000) solid PNG of colour RRGGBB; [?delay=ms] answers
                         after that many ms.
  /file.zip              a 2 KB zip sent as an attachment (a download, not a page).
  /not-chromium[/...]    garbage (200, text/plain, not JSON) at any path under it, and at
  /json/version, /json,  the root's DevTools discovery paths: point a browser endpoint at
  /json/list             the site to test a bogus one.
  /bench/N               benchmark page N (0 <= N < BENCH_PAGES = 40): bench_page(N)
                         describes it. Heights from 800 to 12,000 px, exact (every block has
                         a fixed height, margin 0, width 1280 - any full-page shot of it at
                         1280 px is that tall): a header, text paragraphs, coloured blocks,
                         two to four images from /img/; one page in four has one image
                         delayed 1.5 s, so its load event comes after 1.5 s.
  /mixed/N               mixed benchmark page N (0 <= N < BENCH_PAGES), the set the
                         capture benchmarks use: mixed_page(N) describes it. 1,200 to 9,000 px, exact;
                         Latin and CJK paragraphs, inline SVG figures, coloured sections,
                         two or three images; one page in four has one image delayed 1.5 s.
"""
import argparse
import html
import http.server
import random
import struct
import sys
import threading
import time
import urllib.parse
import zlib

COLORS = [(0xe6, 0x19, 0x4b), (0x3c, 0xb4, 0x4b), (0xff, 0xe1, 0x19), (0x43, 0x63, 0xd8), (0xf5, 0x82, 0x31),
          (0x91, 0x1e, 0xb4), (0x46, 0xf0, 0xf0), (0xf0, 0x32, 0xe6), (0xbc, 0xf6, 0x0c), (0xfa, 0xbe, 0xbe)]
BENCH_PAGES = 40
BENCH_DELAY_MS = 1500
BLANK_COLOR = (0xff, 0xff, 0xff)


def png(w, h, rgb):
    """A solid w x h RGB PNG (bytes)."""
    row = b"\x00" + bytes(rgb) * w
    raw = row * h

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


RED_PNG = png(400, 300, (255, 0, 0))


def band_color(h, y):
    """The colour /tall?h=h has at y (0 <= y < h)."""
    step = h // 10
    return COLORS[min(y // step, 9)]


def tall_html(h):
    step = h // 10
    heights = [step] * 9 + [h - 9 * step]
    bands = "".join('<div style="height:%dpx;background:#%02x%02x%02x"></div>' % ((hh,) + c)
                    for hh, c in zip(heights, COLORS))
    return '<!doctype html><meta charset="utf-8"><title>高 tall</title><body style="margin:0">%s</body>' % bands


LOREM = ("Snapshots keep a page as it looked the day it was saved: the text, the pictures, the "
         "layout, even when the site changes or goes away. A capture waits for the page to "
         "settle, scrolls it once to wake lazy images, and paints the whole height. ")
CJK_TEXT = ("链接快照平台把网页保存成完整的长截图，页面改版或者下线以后，仍然可以看到当时的样子。"
            "每次截图都会等待页面加载完成、网络安静下来，再从头到尾绘制整张页面。"
            "中文、日文和表情符号都需要正确的字体，否则会显示成方框。")


def bench_page(n):
    """Describes /bench/n: {"height": px, "delayed": bool, "blocks": [...], "images": k}.
    Each block is (kind, height, detail); their heights add up to the page height."""
    if not 0 <= n < BENCH_PAGES:
        raise ValueError("bench page %d out of range" % n)
    rnd = random.Random(1000 + n)
    # Mixed heights: two fixed ends, the rest spread over 800..12,000 in 100 px steps.
    if n == 0:
        height = 800
    elif n == 1:
        height = 12000
    else:
        height = 800 + 100 * rnd.randrange(0, 113)
    delayed = n % 4 == 3
    blocks = [("header", 120, "Bench page %d" % n)]
    left = height - 120
    n_images = 2 + rnd.randrange(3)
    img_left = n_images
    while left > 0:
        kinds = ["text", "color", "color"] + (["image"] if img_left else [])
        kind = rnd.choice(kinds)
        if kind == "image" and left >= 320:
            w, h = rnd.choice([(400, 300), (640, 360), (300, 300), (800, 200)])
            rgb = COLORS[rnd.randrange(10)]
            blocks.append(("image", h + 20, (w, h, rgb)))
            img_left -= 1
            left -= h + 20
            continue
        bh = min(left, rnd.choice([160, 240, 320, 480, 640]))
        if left - bh < 60:   # no slivers at the end
            bh = left
        if kind == "text":
            blocks.append(("text", bh, rnd.randrange(1, 6)))
        else:
            blocks.append(("color", bh, COLORS[rnd.randrange(10)]))
        left -= bh
    # Every page has at least two images (short pages might not have reached them).
    images = [b for b in blocks if b[0] == "image"]
    while len(images) < 2:
        for i, b in enumerate(blocks):
            if b[0] in ("color", "text") and b[1] >= 140:
                w = 300 if b[1] >= 320 else 200
                blocks[i] = ("image", b[1], (w, min(200, b[1] - 20), COLORS[(n + i) % 10]))
                break
        else:
            break
        images = [b for b in blocks if b[0] == "image"]
    return {"height": height, "delayed": delayed, "blocks": blocks, "images": len(images)}


def bench_html(n):
    p = bench_page(n)
    out = ['<!doctype html><html lang="en"><meta charset="utf-8"><title>bench %d</title>' % n,
           '<style>body{margin:0;font:16px/1.5 sans-serif;color:#222;background:#fff}'
           'section{overflow:hidden;box-sizing:border-box;padding:0 40px}'
           'h1{margin:0;font-size:40px;line-height:120px}p{margin:0 0 12px}</style><body>']
    first_image = True
    for kind, h, detail in p["blocks"]:
        if kind == "header":
            out.append('<section style="height:%dpx;background:#f4f4f4"><h1>%s</h1></section>' % (h, detail))
        elif kind == "text":
            paras = "".join("<p>%s</p>" % (LOREM * (1 + (i + h) % 3)) for i in range(detail))
            out.append('<section style="height:%dpx">%s</section>' % (h, paras))
        elif kind == "color":
            out.append('<section style="height:%dpx;background:#%02x%02x%02x"></section>' % ((h,) + detail))
        else:
            w, ih, rgb = detail
            delay = "?delay=%d" % BENCH_DELAY_MS if p["delayed"] and first_image else ""
            first_image = False
            out.append('<section style="height:%dpx;padding-top:10px"><img src="/img/%d/%d/%02x%02x%02x.png%s" '
                       'width="%d" height="%d" alt="" style="display:block"></section>'
                       % ((h, w, ih) + rgb + (delay, w, ih)))
    out.append("</body></html>")
    return "".join(out)


def mixed_page(n):
    """Describes /mixed/n: {"height": px, "delayed": bool, "blocks": [(kind, height, detail)]}."""
    if not 0 <= n < BENCH_PAGES:
        raise ValueError("mixed page %d out of range" % n)
    rnd = random.Random(5000 + n)
    height = 1200 + 100 * rnd.randrange(0, 79) if n > 1 else (1200, 9000)[n]
    blocks = [("header", 120, "Mixed page %d" % n)]
    left = height - 120
    images = 2 + rnd.randrange(2)
    while left > 0:
        kind = rnd.choice(["latin", "cjk", "svg", "color"] + (["image"] if images else []))
        bh = min(left, rnd.choice([240, 320, 480, 640]))
        if left - bh < 80:
            bh = left
        if kind == "image":
            if bh < 240:
                kind = "color"
            else:
                images -= 1
        blocks.append((kind, bh, COLORS[rnd.randrange(10)]))
        left -= bh
    return {"height": height, "delayed": n % 4 == 3, "blocks": blocks}


def mixed_html(n):
    p = mixed_page(n)
    out = ['<!doctype html><html lang="en"><meta charset="utf-8"><title>mixed %d</title>' % n,
           '<style>body{margin:0;font:17px/1.6 sans-serif;color:#222;background:#fff}'
           'section{overflow:hidden;box-sizing:border-box;padding:12px 40px}'
           'h1{margin:0;font-size:40px;line-height:96px}p{margin:0 0 10px}</style><body>']
    first_image = True
    for i, (kind, h, rgb) in enumerate(p["blocks"]):
        if kind == "header":
            out.append('<section style="height:%dpx;background:#eef"><h1>%s 链接快照</h1></section>' % (h, rgb))
            continue
        col = "#%02x%02x%02x" % rgb
        if kind == "latin":
            out.append('<section style="height:%dpx">%s</section>'
                       % (h, "".join("<p>%s</p>" % (LOREM * 2) for _ in range(h // 120 + 1))))
        elif kind == "cjk":
            out.append('<section lang="zh-CN" style="height:%dpx">%s</section>'
                       % (h, "".join("<p>%s</p>" % CJK_TEXT for _ in range(h // 110 + 1))))
        elif kind == "svg":
            bars = "".join('<rect x="%d" y="%d" width="40" height="%d" fill="#%02x%02x%02x"/>'
                           % ((60 * k + 20, h - 40 - (37 * (k + i) % (h - 80)), 37 * (k + i) % (h - 80))
                              + COLORS[(k + i) % 10]) for k in range(18))
            out.append('<section style="height:%dpx"><svg width="1200" height="%d" viewBox="0 0 1200 %d">'
                       '<circle cx="1100" cy="%d" r="%d" fill="%s" opacity="0.6"/>%s'
                       '<text x="20" y="30" font-size="22">figure %d 图表</text></svg></section>'
                       % (h, h - 24, h - 24, h // 2, min(80, h // 3), col, bars, i))
        elif kind == "image":
            delay = "?delay=%d" % BENCH_DELAY_MS if p["delayed"] and first_image else ""
            first_image = False
            out.append('<section style="height:%dpx"><img src="/img/640/%d/%02x%02x%02x.png%s" width="640" '
                       'height="%d" alt="" style="display:block"></section>'
                       % ((h, h - 40) + rgb + (delay, h - 40)))
        else:
            out.append('<section style="height:%dpx;background:%s"></section>' % (h, col))
    out.append("</body></html>")
    return "".join(out)


INFINITE_HTML = """<!doctype html><meta charset="utf-8"><title>infinite</title>
<body style="margin:0;font:20px sans-serif"><div id="feed"></div><div id="end" style="height:1px"></div>
<script>
var feed = document.getElementById("feed"), n = 0;
function more(px) {
  for (var done = 0; done < px; done += 250, n++) {
    var d = document.createElement("div");
    d.style.cssText = "height:250px;box-sizing:border-box;padding:20px;background:" +
      ["#e6194b", "#3cb44b", "#ffe119", "#4363d8"][n % 4];
    d.textContent = "item " + n;
    feed.appendChild(d);
  }
}
more(3000);
function check() {
  if (scrollY + innerHeight > document.body.scrollHeight - 1500) more(1000);
}
addEventListener("scroll", check);
new IntersectionObserver(function (es) { if (es[0].isIntersecting) more(1000); })
  .observe(document.getElementById("end"));
</script></body>"""

CJK_HTML = ('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>中文标题</title>'
            '<body style="margin:0;padding:40px;background:#fff;color:#111;font-family:sans-serif">'
            '<h1 style="font-size:64px;margin:0 0 30px">链接快照平台</h1>' +
            "".join('<p style="font-size:22px;line-height:1.6">%s</p>' % CJK_TEXT for _ in range(4)) +
            "</body></html>")


def simple_page(title, headline, bg="#ffffff"):
    return ('<!doctype html><meta charset="utf-8"><title>%s</title><body style="margin:0;padding:40px;'
            'background:%s;font-family:sans-serif"><h1 style="font-size:48px">%s</h1></body>'
            % (html.escape(title), bg, html.escape(headline)))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fixture_site/1"

    def log_message(self, *a):
        pass

    def _send(self, status, body, ctype="text/html; charset=utf-8", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _redirect(self, to):
        self.send_response(302)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _sleep(self, seconds):
        """Waits, but returns at once when the server stops (False then)."""
        return not self.server.stopping.wait(seconds)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        path, q = u.path, urllib.parse.parse_qs(u.query)

        def arg(name, default=None):
            v = q.get(name)
            return v[0] if v else default

        def int_arg(name, default, lo, hi):
            try:
                return max(lo, min(hi, int(arg(name, default))))
            except ValueError:
                return default

        if path == "/ok":
            return self._send(200, simple_page("ok", "OK"))
        if path == "/delay":
            if not self._sleep(int_arg("ms", 0, 0, 600000) / 1000.0):
                return self._drop()
            return self._send(200, simple_page("ok", "OK"))
        if path == "/hang":
            self.server.stopping.wait()
            return self._drop()
        if path == "/redirect":
            return self._redirect(arg("to", "/ok"))
        if path == "/frame":
            remove = int_arg("remove_ms", -1, -1, 60000)
            script = ('<script>addEventListener("load", function () { setTimeout(function () {'
                      ' document.querySelector("iframe").remove(); }, %d); });</script>' % remove
                      if remove >= 0 else '')
            return self._send(200, '<!doctype html><meta charset="utf-8"><title>frame</title>'
                                   '<body style="margin:0;background:#fff"><iframe src="%s" '
                                   'width=600 height=400 style="border:0;display:block"></iframe>'
                                   '%s</body>' % (html.escape(arg("src", "/ok")), script))
        if path == "/redirect-chain":
            n = int_arg("n", 3, 0, 100)
            return self._redirect("/redirect-chain?n=%d" % (n - 1) if n > 0 else "/ok")
        if path == "/redirect-file":
            return self._redirect("file:///etc/passwd")
        if path.startswith("/status/"):
            try:
                code = int(path[len("/status/"):])
            except ValueError:
                code = 0
            if 200 <= code < 600 and code not in (204, 304):
                return self._send(code, simple_page(str(code), str(code)))
        if path == "/cjk":
            return self._send(200, CJK_HTML)
        if path == "/title":
            t = arg("t", "")
            return self._send(200, simple_page(t, t))
        if path == "/tall":
            return self._send(200, tall_html(int_arg("h", 20000, 800, 200000)))
        if path == "/lazy":
            return self._send(200, LAZY_HTML)
        if path == "/late":
            return self._send(200, LATE_HTML)
        if path == "/worker":
            return self._send(200, WORKER_HTML)
        if path == "/sw":
            return self._send(200, SW_HTML)
        if path == "/sw.js":
            return self._send(200, 'self.addEventListener("fetch", function () {});', "text/javascript")
        if path == "/worker.js":
            return self._send(200, 'postMessage("#4363d8");', "text/javascript")
        if path == "/slow":
            if not self._sleep(1.5):
                return self._drop()
            return self._send(200, "#4363d8", "text/plain")
        if path == "/busy":
            return self._send(200, BUSY_HTML)
        if path == "/tick":
            self._sleep(0.1)
            return self._send(200, "ok", "text/plain")
        if path == "/alert":
            return self._send(200, ALERT_HTML)
        if path == "/infinite":
            return self._send(200, INFINITE_HTML)
        if path == "/slow-scroll":
            return self._send(200, tall_html(int_arg("h", 8000, 800, 200000)).replace(
                "</body>", SLOW_SCROLL_JS + "</body>"))
        if path == "/fonts-never":
            return self._send(200, FONTS_NEVER_HTML)
        if path == "/hold-fetch":
            return self._send(200, HOLD_FETCH_HTML)
        if path == "/hold-image":
            return self._send(200, HOLD_IMAGE_HTML)
        if path == "/blank-once":
            key = arg("k", "")
            with self.server.cache_lock:
                first = key not in self.server.seen
                self.server.seen.add(key)
            if first:
                return self._send(200, BLANK_BUSY_HTML)
            return self._send(200, simple_page("ok", "OK", "#3cb44b"))
        if path == "/busy-once":
            key = arg("k", "")
            with self.server.cache_lock:
                first = ("busy", key) not in self.server.seen
                self.server.seen.add(("busy", key))
            if first:
                return self._send(200, BUSY_HTML)
            return self._send(200, simple_page("ok", "OK", "#3cb44b"))
        if path == "/crash":
            return self._send(200, simple_page("crash", "This page's renderer will crash", "#e6f0ff"))
        if path == "/blank":
            return self._send(200, '<!doctype html><meta charset="utf-8"><title>blank</title>'
                                   '<body style="margin:0;background:#ffffff"></body>')
        if path == "/red.png":
            return self._send(200, RED_PNG, "image/png")
        if path.startswith("/img/"):
            body = self._image(path)
            if body is not None:
                delay = int_arg("delay", 0, 0, 600000)
                if delay and not self._sleep(delay / 1000.0):
                    return self._drop()
                return self._send(200, body, "image/png", [("Cache-Control", "no-store")])
        if path == "/file.zip":
            return self._send(200, b"PK\x03\x04" + b"\x00" * 2000, "application/zip",
                              [("Content-Disposition", 'attachment; filename="file.zip"')])
        if path == "/not-chromium" or path.startswith("/not-chromium/") or \
                path.rstrip("/") in ("/json/version", "/json", "/json/list"):
            return self._send(200, b"\x00\xffnot chromium {\"Browser\": ]]\n", "text/plain")
        if path.startswith("/mixed/"):
            try:
                n = int(path[len("/mixed/"):])
            except ValueError:
                n = -1
            if 0 <= n < BENCH_PAGES:
                return self._send(200, mixed_html(n))
        if path.startswith("/bench/"):
            try:
                n = int(path[len("/bench/"):])
            except ValueError:
                n = -1
            if 0 <= n < BENCH_PAGES:
                return self._send(200, bench_html(n))
        return self._send(404, '<!doctype html><meta charset="utf-8"><title>missing</title><h1>404 not here</h1>')

    def _image(self, path):
        parts = path[len("/img/"):].split("/")
        if len(parts) != 3 or not parts[2].endswith(".png"):
            return None
        try:
            w, h = int(parts[0]), int(parts[1])
            c = parts[2][:-4]
            rgb = (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)) if len(c) == 6 else None
        except ValueError:
            return None
        if rgb is None or not (1 <= w <= 2000 and 1 <= h <= 2000):
            return None
        key = (w, h, rgb)
        with self.server.cache_lock:
            body = self.server.image_cache.get(key)
        if body is None:
            body = png(w, h, rgb)
            with self.server.cache_lock:
                self.server.image_cache[key] = body
        return body

    def _drop(self):
        """Closes the connection without an answer."""
        self.close_connection = True


LAZY_HTML = ('<!doctype html><meta charset="utf-8"><title>lazy</title><body style="margin:0">'
             '<div style="height:9000px;background:#fff"></div>'
             '<img loading="lazy" src="/red.png" width="400" height="300" style="display:block">'
             '<div style="height:3000px"></div>'
             '<div id="io" style="height:300px;width:400px;background:#fff"></div>'
             '<script>new IntersectionObserver(function (es) { es.forEach(function (e) {'
             ' if (e.isIntersecting) e.target.style.background = "#0000ff"; }); })'
             '.observe(document.getElementById("io"));</script>'
             '<div style="height:2000px"></div></body>')
LATE_HTML = ('<!doctype html><meta charset="utf-8"><title>late</title>'
             '<body style="margin:0;background:#3cb44b"><h1>late content</h1><script>'
             'addEventListener("load", function () { fetch("/slow").then(function (r) { return r.text(); })'
             '.then(function (t) { document.body.style.background = t; }); });</script></body>')
WORKER_HTML = ('<!doctype html><meta charset="utf-8"><title>worker</title>'
               '<body style="margin:0;background:#3cb44b"><h1>worker</h1><script>'
               'new Worker("/worker.js").onmessage = function (e) {'
               ' document.body.style.background = e.data; };</script></body>')
SW_HTML = ('<!doctype html><meta charset="utf-8"><title>sw</title>'
           '<body style="margin:0;background:#3cb44b"><script>'
           'navigator.serviceWorker.register("/sw.js").then(function () {'
           ' document.body.style.background = "#4363d8"; });</script></body>')
HOLD_FETCH_HTML = ('<!doctype html><meta charset="utf-8"><title>hold</title>'
                   '<body style="margin:0;background:#fff"><h1 style="font-family:sans-serif">held</h1>'
                   '<script>fetch("/hang?held");</script></body>')
HOLD_IMAGE_HTML = ('<!doctype html><meta charset="utf-8"><title>hold image</title>'
                   '<body style="margin:0;background:#fff"><h1 style="font-family:sans-serif">slow</h1>'
                   '<img src="/hang?img" width="10" height="10"></body>')
BUSY_HTML = ('<!doctype html><meta charset="utf-8"><title>busy</title>'
             '<body style="margin:0;background:#f58231"><h1>busy</h1><script>'
             'setInterval(function () { fetch("/tick?" + Math.random()); }, 150);</script></body>')
# the main thread is held 2 s by a synchronous request (/delay), not by a busy loop: the
# lazy pass sees the same stalled page, and the renderer burns no CPU while it waits
SLOW_SCROLL_JS = ('<script>addEventListener("scroll", function () { if (scrollY === 0) return;'
                  ' var x = new XMLHttpRequest(); x.open("GET", "/delay?ms=2000&r=" + Math.random(), false);'
                  ' try { x.send(); } catch (e) {} });</script>')
FONTS_NEVER_HTML = ('<!doctype html><meta charset="utf-8"><title>fonts</title><style>'
                    '@font-face { font-family: never; src: url(/hang?font) format("woff2"); }'
                    'body { margin: 0; background: #3cb44b; font: 48px never, sans-serif; }</style>'
                    '<body><h1>fonts that never load</h1></body>')
BLANK_BUSY_HTML = ('<!doctype html><meta charset="utf-8"><title>blank</title>'
                   '<body style="margin:0;background:#ffffff"><script>'
                   'setInterval(function () { fetch("/tick?" + Math.random()); }, 150);</script></body>')
ALERT_HTML = ('<!doctype html><meta charset="utf-8"><title>dialogs</title>'
              '<body style="margin:0;background:#3cb44b"><h1>alert</h1>'
              '<script>alert("hello"); confirm("sure?"); document.body.style.background = "#4363d8";'
              '</script></body>')


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128   # browsers open many connections at once; no SYN retries


class FixtureSite:
    """The fixture site on 127.0.0.1. start() binds and serves on a thread; stop() ends it
    (and releases /hang, /delay and /slow requests still waiting)."""

    def __init__(self, port=0, host="127.0.0.1"):
        self.host, self.port = host, port
        self.srv = None
        self.thread = None

    def start(self):
        self.srv = _Server((self.host, self.port), _Handler)
        self.srv.stopping = threading.Event()
        self.srv.image_cache = {}
        self.srv.cache_lock = threading.Lock()
        self.srv.seen = set()
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True, name="fixture_site")
        self.thread.start()
        return self

    @property
    def base(self):
        return "http://%s:%d" % (self.host, self.port)

    def url(self, path="/"):
        return self.base + (path if path.startswith("/") else "/" + path)

    def stop(self):
        if self.srv is None:
            return
        self.srv.stopping.set()
        self.srv.shutdown()
        self.srv.server_close()
        self.thread.join(5)
        self.srv = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Serves linksnap's fixture site on 127.0.0.1.")
    ap.add_argument("--port", type=int, default=0, help="port (0: any free one)")
    a = ap.parse_args(argv)
    site = FixtureSite(a.port).start()
    print(site.base, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


if __name__ == "__main__":
    sys.exit(main())

"""fake_snapshot -- used by e2e.mjs: python3 fake_snapshot.py STATE_DIR LINK_ID [WIDTH HEIGHT [KEPT]]
writes a finished snapshot of the link (webtest.fake_snapshot) and prints its id. KEPT, a
JSON object {title?, text?, mhtml?, pdf?, status?} (mhtml and pdf as strings), adds what a
capture keeps besides the picture (webtest.fake_kept): the page's text and files; status is
the site's HTTP answer (default 200)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from webtest import fake_kept, fake_snapshot  # noqa: E402


class D:
    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.db_path = os.path.join(state_dir, "linksnap.db")


if __name__ == "__main__":
    w, h = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1280, 3000)
    kept = json.loads(sys.argv[5]) if len(sys.argv) > 5 else None
    d, link = D(sys.argv[1]), int(sys.argv[2])
    hue = (link * 67) % 200
    sid = fake_snapshot(d, link, w, h, title=kept.get("title") if kept else None,
                        colour=lambda y: (30 + hue, 80 + (y // 40) % 2 * 60, 200 - hue // 2),
                        status=kept.get("status", 200) if kept else 200)
    if kept and set(kept) - {"status"}:
        enc = lambda k: kept[k].encode() if k in kept else None  # noqa: E731
        fake_kept(d, sid, text=kept.get("text"), mhtml=enc("mhtml"), pdf=enc("pdf"))
    print(sid)

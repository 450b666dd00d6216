"""fake_snapshot -- used by e2e.mjs: python3 fake_snapshot.py STATE_DIR LINK_ID [WIDTH HEIGHT [KEPT]]
writes a finished snapshot of the link (webtest.fake_snapshot) and prints its id. KEPT, a
JSON object {title?, text?, mhtml?, pdf?, status?} (mhtml and pdf as strings), adds what a
capture keeps besides the picture (webtest.fake_kept): the page's text and files; status is
the site's HTTP answer (default 200).

python3 fake_snapshot.py --serve STATE_DIR does the same for many requests in one process
(e2e.mjs starts it once instead of a python3 per snapshot): one JSON object a line on
stdin, one JSON answer a line on stdout:
  {"link": ID, "w": W, "h": H, "kept": KEPT or null}  ->  {"sid": SNAPSHOT_ID}
  {"sql": TEXT, "params": [...]}                      ->  {"rows": [[...], ...]}
the latter one statement on the store, committed (what the test writes into the store
itself, as a daemon of the version would have: a failed or partial capture, a rule read
back); an error answers {"error": TEXT}."""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
from webtest import fake_kept, fake_snapshot  # noqa: E402


class D:
    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.db_path = os.path.join(state_dir, "linksnap.db")


def snapshot(d, link, w, h, kept):
    hue = (link * 67) % 200
    sid = fake_snapshot(d, link, w, h, title=kept.get("title") if kept else None,
                        colour=lambda y: (30 + hue, 80 + (y // 40) % 2 * 60, 200 - hue // 2),
                        status=kept.get("status", 200) if kept else 200)
    if kept and set(kept) - {"status"}:
        enc = lambda k: kept[k].encode() if k in kept else None  # noqa: E731
        fake_kept(d, sid, text=kept.get("text"), mhtml=enc("mhtml"), pdf=enc("pdf"))
    return sid


def serve(d):
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if "sql" in req:
                db = sqlite3.connect(d.db_path, timeout=30)
                try:
                    rows = db.execute(req["sql"], req.get("params", [])).fetchall()
                    db.commit()
                finally:
                    db.close()
                ans = {"rows": [list(r) for r in rows]}
            else:
                ans = {"sid": snapshot(d, int(req["link"]), int(req["w"]), int(req["h"]), req.get("kept"))}
        except Exception as e:  # noqa: BLE001 -- the test reports it
            ans = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(ans) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(D(sys.argv[2]))
        sys.exit(0)
    w, h = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1280, 3000)
    kept = json.loads(sys.argv[5]) if len(sys.argv) > 5 else None
    print(snapshot(D(sys.argv[1]), int(sys.argv[2]), w, h, kept))

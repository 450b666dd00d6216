"""fake_snapshot -- used by e2e.mjs: python3 fake_snapshot.py STATE_DIR LINK_ID [WIDTH HEIGHT]
writes a finished snapshot of the link (webtest.fake_snapshot) and prints its id."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from webtest import fake_snapshot  # noqa: E402


class D:
    def __init__(self, state_dir):
        self.state_dir = state_dir
        self.db_path = os.path.join(state_dir, "linksnap.db")


if __name__ == "__main__":
    w, h = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1280, 3000)
    link = int(sys.argv[2])
    hue = (link * 67) % 200
    print(fake_snapshot(D(sys.argv[1]), link, w, h,
                        colour=lambda y: (30 + hue, 80 + (y // 40) % 2 * 60, 200 - hue // 2)))

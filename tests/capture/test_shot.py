"""test_shot -- ls-capture (linksnap's browser launcher, DevTools client and capture steps,
without the daemon) against a real Chromium and pages served on 127.0.0.1: content fetched
after the load event is waited for; a download is refused at once; dialogs are dismissed;
the height cap truncates with the right band at the cut; a 404 is captured with its status;
a refused connection fails with the browser's net error; no browser process is left. The
20,000 px page, lazy content and the never-quiet page are daemon_capture's (the same capture
steps, through the daemon): each check costs a browser start here."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pngread
from fixture_site import COLORS, FixtureSite
from linksnap_test import BUILD, TestCase, main

LS_CAPTURE = os.path.join(BUILD, "capture", "ls-capture")


def capture(url, out, cap=None):
    args = [LS_CAPTURE, url, out] + ([str(cap)] if cap else [])
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise AssertionError("ls-capture printed no result (rc %d): %s" % (r.returncode, r.stderr[-2000:]))
    return r.returncode, json.loads(lines[-1]), r.stderr


def live_browsers():
    """Chromium processes that are still running (zombies left to init do not count)."""
    out = subprocess.run(["ps", "-eo", "stat,args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if "ls-capture-profile" in l and not l.startswith("Z")]


class ShotTests(TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists("/usr/lib/chromium/chromium"):
            raise AssertionError("chromium is not installed: scripts/install-deps.sh installs it")
        cls.site = FixtureSite().start()
        cls.base = cls.site.base
        cls.tmp = tempfile.mkdtemp(prefix="linksnap-shot-")

    @classmethod
    def tearDownClass(cls):
        cls.site.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_waits_for_network_idle_after_load(self):
        """Content fetched after the load event (1.5 s late) is in the shot: the capture waits
        until no request has been in flight for 500 ms."""
        out = os.path.join(self.tmp, "late.png")
        rc, r, err = capture(self.base + "/late", out)
        self.assertEqual(rc, 0, r["error"] + err)
        img = pngread.read(out)
        self.assertEqual(pngread.pixel(img, 640, 700), (0x43, 0x63, 0xd8))

    def test_download_is_refused_not_waited_for(self):
        out = os.path.join(self.tmp, "dl.png")
        t0 = time.time()
        rc, r, err = capture(self.base + "/file.zip", out)
        self.assertEqual(rc, 1)
        self.assertIn("download", r["error"])
        self.assertFalse(os.path.exists(out))
        self.assertLess(time.time() - t0, 50)   # failed at once, not at the 60 s deadline
        self.assertEqual(live_browsers(), [])

    def test_dialogs_are_dismissed(self):
        """alert() and confirm() block every command to the page until answered."""
        out = os.path.join(self.tmp, "alert.png")
        rc, r, err = capture(self.base + "/alert", out)
        self.assertEqual(rc, 0, r["error"] + err)
        img = pngread.read(out)
        self.assertEqual(pngread.pixel(img, 640, 700), (0x43, 0x63, 0xd8))   # the script ran to its end

    def test_height_cap_truncates(self):
        out = os.path.join(self.tmp, "cut.png")
        rc, r, err = capture(self.base + "/tall", out, cap=5000)
        self.assertEqual(rc, 0, err)
        self.assertEqual((r["height"], r["truncated"]), (5000, True))
        img = pngread.read(out)
        self.assertEqual(img[1], 5000)
        self.assertEqual(pngread.pixel(img, 640, 4500), COLORS[2])

    def test_404_is_captured_with_its_status(self):
        out = os.path.join(self.tmp, "404.png")
        rc, r, err = capture(self.base + "/nope", out)
        self.assertEqual(rc, 0, err)
        self.assertEqual((r["ok"], r["http_status"]), (True, 404))
        self.assertTrue(os.path.getsize(out) > 0)

    def test_refused_connection_fails_with_net_error(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()   # nothing listens there now
        out = os.path.join(self.tmp, "refused.png")
        rc, r, err = capture("http://127.0.0.1:%d/" % port, out)
        self.assertEqual(rc, 1)
        self.assertFalse(r["ok"])
        self.assertIn("net::ERR_CONNECTION_REFUSED", r["error"])
        self.assertIn("navigate", r["error"])
        self.assertFalse(os.path.exists(out))
        self.assertEqual(live_browsers(), [])


if __name__ == "__main__":
    main()

"""test_egress_remote -- the egress proxy's policy for a remote browser (browser.endpoint):
the capture's listener binds browser.proxy_listen and accepts only the endpoint's own
address; without browser.proxy_listen, or with an endpoint named by a host name, captures
fail at once saying why (a remote browser never loads a page outside the proxy). The
"remote" browser is a Chromium this test starts with a DevTools port on 127.0.0.1; pages
come from the fixture site on 127.0.0.1. Also: the new config keys refuse bad values."""
import os
import shutil
import subprocess
import tempfile

from debug_chromium import DebugChromium
from fixture_site import FixtureSite
from linksnap_test import LINKSNAPD, Daemon, TestCase, main



def capture(d, url, timeout=90):
    with d.client(timeout=timeout) as c:
        c.call("events.subscribe", {"topics": ["job"]})
        lid = c.call("link.add", {"url": url})["link"]["id"]
        return c.wait_event(lambda e: e.get("topic") == "job.finished" and e["link_id"] == lid, timeout)


class RemoteBrowserTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.site = FixtureSite().start()
        cls.chrome = DebugChromium(name="linksnap-remote-")
        cls.port = cls.chrome.port

    @classmethod
    def tearDownClass(cls):
        cls.chrome.close()
        cls.site.stop()

    def test_remote_browser_goes_through_the_proxy_on_proxy_listen(self):
        with Daemon(capture=True, args=["--browser-endpoint", "http://127.0.0.1:%d" % self.port,
                                        "--set", "browser.proxy_listen=127.0.0.1"]) as d:
            ev = capture(d, self.site.url("/ok?remote=1"))
            self.assertEqual(ev["state"], "ok", ev)
            net = ev["snapshot"]["network"]
            self.assertGreaterEqual(net["requests"], 1, net)
            self.assertGreater(net["bytes"], 0, net)
            ev = capture(d, self.site.url("/redirect?to=http://169.254.169.254/latest/"))
            self.assertEqual(ev["state"], "failed", ev)
            self.assertIn("link-local", ev["snapshot"]["error"])
            self.assertIn("egress job %d: refused 169.254.169.254:80" % ev["job_id"], d.read_log())

    def test_loopback_endpoint_without_proxy_listen_uses_loopback_listeners(self):
        """A browser on this host (its endpoint on loopback) needs no proxy_listen: its
        contexts get loopback listeners, as the managed browser's do, and its pages still
        leave only through them."""
        with Daemon(capture=True, args=["--browser-endpoint", "http://127.0.0.1:%d" % self.port]) as d:
            ev = capture(d, self.site.url("/ok?remote=2"))
            self.assertEqual(ev["state"], "ok", ev)
            self.assertGreaterEqual(ev["snapshot"]["network"]["requests"], 1, ev["snapshot"]["network"])
            ev = capture(d, self.site.url("/redirect?to=http://169.254.169.254/latest/"))
            self.assertEqual(ev["state"], "failed", ev)
            self.assertIn("link-local", ev["snapshot"]["error"])

    def test_loopback_endpoint_by_name_localhost(self):
        with Daemon(capture=True, args=["--browser-endpoint", "http://localhost:%d" % self.port]) as d:
            ev = capture(d, self.site.url("/ok?remote=3"))
            self.assertEqual(ev["state"], "ok", ev)
            self.assertGreaterEqual(ev["snapshot"]["network"]["requests"], 1, ev["snapshot"]["network"])

    def test_bad_config_values_are_refused_at_start(self):
        state = tempfile.mkdtemp(prefix="linksnap-badcfg-")
        try:
            for key, value, want in [
                    ("browser.proxy_listen", "not-an-ip", "browser.proxy_listen"),
                    ("browser.proxy_listen", "10.0.0.1:80", "browser.proxy_listen"),
                    ("dns_servers", "ns1.example.com", "dns_servers"),
                    ("dns_servers", "1.2.3.4;rm", "dns_servers"),
                    ("dns_servers", "1.2.3.4:99999", "dns_servers"),
                    ("dns_timeout_ms", "10", "dns_timeout_ms"),
                    ("dns_timeout_ms", "soon", "dns_timeout_ms")]:
                r = subprocess.run([LINKSNAPD, "--state-dir", os.path.join(state, "s"), "--socket",
                                    os.path.join(state, "sock"), "--http-listen", "off",
                                    "--set", "%s=%s" % (key, value)],
                                   capture_output=True, text=True, timeout=30)
                self.assertNotEqual(r.returncode, 0, (key, value, r.stderr))
                self.assertIn(want, r.stderr, (key, value))
        finally:
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()

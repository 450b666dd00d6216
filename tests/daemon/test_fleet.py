"""test_fleet -- linksnapd driving a fleet of browser endpoints (issue 21) from one queue,
against scripted fake endpoints (`fakecdp --listen`, tests/lib/fake_endpoint.py) on
127.0.0.1: no Chromium, so each case takes seconds.

What it shows:
- a batch spread over two named endpoints, every job ok, each endpoint's counters in
  daemon.status's browser.endpoints, and the work weighted by `.slots`;
- a site rule's `endpoints` pins its host to one endpoint;
- kill -9 of one endpoint mid-batch: every job ends ok on the other, retried without using
  an attempt, none finished twice; the killed one is marked down;
- a refused token downs its endpoint while the other serves; a wss endpoint with a
  certificate we cannot verify is reported at start, naming the endpoint;
- every endpoint down: jobs wait queued (not failed); the endpoint is quarantined after
  three downs and leaves quarantine by one probe when it answers again; the jobs then run;
- SIGHUP: a removed endpoint drains (its running captures finish ok there, it takes no new
  ones, then it leaves the list) and an added one takes jobs;
- per_host_jobs counts across the fleet, not per browser;
- an endpoint that answers every message a second late holds only its own slot: the other
  endpoint's captures all finish before its one does.
The real-Chromium fleet cases are test_fleet_chromium.py."""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from fake_endpoint import FakeEndpoint
from linksnap_test import Daemon, TestCase, main, wait_until

PAGES = [
    {"match": "/slow", "title": "slow", "capture_ms": 1500},
    {"match": "/ok", "title": "ok", "height": 1200},
]
SEQ = [0]


def url(path, host="127.0.0.1:9"):
    """A URL the store has not seen; the fake browsers never connect anywhere."""
    SEQ[0] += 1
    return "http://%s/%s?n=%d" % (host, path, SEQ[0])


def fleet_config(eps, extra=""):
    text = ("capture = on\nquiet_ms = 50\njobs = 2\nper_host_jobs = 0\njob_timeout = 60\nheight_cap = 3000\n"
            "browser.quarantine_s = 2\n")
    for name, base, slots in eps:
        text += "browser.endpoint.%s = %s\nbrowser.endpoint.%s.slots = %d\n" % (name, base, name, slots)
    return text + extra


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Batch:
    """Adds links and follows their jobs: where each started, how each finished."""

    def __init__(self, d, timeout=90):
        self.c = d.client(timeout=timeout)
        self.c.__enter__()
        self.c.call("events.subscribe", {"topics": ["job"]})
        self.timeout = timeout
        self.ids = []
        self.started = []      # (link_id, endpoint), in order
        self.finished = {}     # link_id -> event
        self.finishes = []     # every job.finished of ours, in order (twice would show)

    def add(self, urls):
        new = [self.c.call("link.add", {"url": u})["link"]["id"] for u in urls]
        self.ids += new
        return new

    def on(self, e):
        """Each event once, in order (the client's wait_event looks at kept ones again)."""
        if e.get("topic") == "job.started" and e["link_id"] in self.ids:
            self.started.append((e["link_id"], e["endpoint"]))
        if e.get("topic") == "job.finished" and e["link_id"] in self.ids:
            self.finishes.append(e)
            self.finished[e["link_id"]] = e
        for f in self.followers:
            f(e)

    followers = ()

    def pump_until(self, cond, what):
        deadline = time.time() + self.timeout
        while not cond():
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("timed out waiting for: " + what)
            self.on(self.c.wait_event(lambda e: True, left))

    def wait_all(self):
        self.pump_until(lambda: len(self.finished) == len(self.ids), "every job finished")
        return [self.finished[i] for i in self.ids]

    def endpoint_of(self, lid):
        return [ep for l, ep in self.started if l == lid]

    def close(self):
        self.c.__exit__(None, None, None)


def endpoints(d):
    return {e["name"]: e for e in d.call("daemon.status")["browser"]["endpoints"]}


class Fleet(TestCase):
    def fakes(self, n, scenario=None):
        out = [FakeEndpoint(scenario or {"pages": PAGES}) for _ in range(n)]
        for f in out:
            self.addCleanup(f.close)
        return out

    def test_a_batch_spreads_over_two_endpoints(self):
        a, b = self.fakes(2)
        with Daemon(config=fleet_config([("a", a.base, 2), ("b", b.base, 2)]), capture=True) as d:
            batch = Batch(d)
            batch.add([url("ok") for _ in range(12)])
            evs = batch.wait_all()
            self.assertEqual([e["state"] for e in evs], ["ok"] * 12, evs)
            self.assertEqual(len(batch.finishes), 12)
            eps = endpoints(d)
            self.assertEqual(set(eps), {"a", "b"})
            self.assertEqual(eps["a"]["done"] + eps["b"]["done"], 12, eps)
            self.assertGreater(eps["a"]["done"], 0, eps)
            self.assertGreater(eps["b"]["done"], 0, eps)
            self.assertEqual(eps["a"]["state"], "ready")
            self.assertEqual(eps["a"]["slots"], 2)
            self.assertIsInstance(eps["a"]["rtt_ms"], int)
            self.assertEqual((eps["a"]["running"], eps["a"]["in_browser"]), (0, 0), eps)
            # the shots went where the job.started events said
            self.assertEqual(len(a.commands("Page.captureScreenshot")),
                             sum(1 for _, ep in batch.started if ep == "a"))
            self.assertEqual(len(b.commands("Page.captureScreenshot")),
                             sum(1 for _, ep in batch.started if ep == "b"))
            batch.close()

    def test_work_is_weighted_by_slots(self):
        a, b = self.fakes(2, {"pages": PAGES, "capture_ms": 300})
        with Daemon(config=fleet_config([("a", a.base, 1), ("b", b.base, 3)]), capture=True) as d:
            batch = Batch(d)
            batch.add([url("ok") for _ in range(16)])
            self.assertEqual([e["state"] for e in batch.wait_all()], ["ok"] * 16)
            eps = endpoints(d)
            self.assertGreater(eps["b"]["done"], eps["a"]["done"], eps)
            batch.close()

    def test_a_site_rule_pins_its_host_to_named_endpoints(self):
        a, b = self.fakes(2)
        with Daemon(config=fleet_config([("a", a.base, 2), ("b", b.base, 2)]), capture=True) as d:
            d.call("site.set", {"match": "pinned.test", "endpoints": ["b"]})
            batch = Batch(d)
            pinned = batch.add([url("ok", "pinned.test:9") for _ in range(6)])
            free = batch.add([url("ok") for _ in range(6)])
            evs = batch.wait_all()
            self.assertEqual([e["state"] for e in evs], ["ok"] * 12, evs)
            self.assertEqual({ep for l, ep in batch.started if l in pinned}, {"b"})
            self.assertTrue({ep for l, ep in batch.started if l in free} <= {"a", "b"})
            batch.close()

    def test_kill9_of_one_endpoint_mid_batch_every_job_ok_on_the_other(self):
        a, b = self.fakes(2)
        with Daemon(config=fleet_config([("a", a.base, 2), ("b", b.base, 2)]), capture=True) as d:
            batch = Batch(d)
            batch.add([url("slow") for _ in range(8)])
            batch.pump_until(lambda: {"a", "b"} <= {ep for _, ep in batch.started}, "both endpoints busy")
            on_a = [l for l, ep in batch.started if ep == "a"]
            os.kill(a.proc.pid, signal.SIGKILL)
            evs = batch.wait_all()
            self.assertEqual([e["state"] for e in evs], ["ok"] * 8,
                             [(e["state"], e.get("error")) for e in evs])
            self.assertEqual(len(batch.finishes), 8, "a job finished twice")
            for lid in on_a:   # each one a was running ended on b
                self.assertEqual(batch.endpoint_of(lid)[-1], "b", batch.started)
            # retried, not one attempt used for the endpoint's fault
            self.assertEqual([e["attempt"] for e in evs], [1] * 8, evs)
            eps = endpoints(d)
            self.assertGreaterEqual(eps["a"]["retried"], len(on_a), eps)
            self.assertIn(eps["a"]["state"], ("down", "quarantined", "starting"), eps)
            self.assertTrue(eps["a"]["last_error"], eps)
            self.assertEqual(eps["b"]["state"], "ready")
            batch.close()

    def test_all_endpoints_down_jobs_wait_then_run_after_quarantine(self):
        port = free_port()
        with Daemon(config=fleet_config([("a", "http://127.0.0.1:%d" % port, 2)]), capture=True) as d:
            batch = Batch(d)
            batch.add([url("ok"), url("ok")])
            # refused three times within ten minutes: quarantined (browser.quarantine_s = 2)
            st = wait_until(lambda: endpoints(d)["a"]["state"] == "quarantined" and endpoints(d)["a"],
                            60, "endpoint a quarantined")
            self.assertTrue(st["last_error"], st)
            q = d.call("daemon.status")["queue"]
            self.assertEqual(q["queued"], 2, q)   # waiting, not failed
            self.assertEqual(batch.finished, {})
            self.assertIn("quarantined for 2 s", d.read_log())
            fake = FakeEndpoint({"pages": PAGES}, port=port)   # it comes back
            self.addCleanup(fake.close)
            evs = batch.wait_all()
            self.assertEqual([e["state"] for e in evs], ["ok", "ok"], evs)
            self.assertEqual([e["attempt"] for e in evs], [1, 1], evs)
            self.assertEqual(endpoints(d)["a"]["state"], "ready")   # left quarantine by its probe
            batch.close()

    def test_sighup_drains_a_removed_endpoint_and_adds_a_new_one(self):
        a, b, c = self.fakes(3)
        with Daemon(config=fleet_config([("a", a.base, 2), ("b", b.base, 2)]), capture=True) as d:
            batch = Batch(d)
            batch.add([url("slow") for _ in range(4)])
            # the four fill both endpoints' two slots: all start before the reload
            batch.pump_until(lambda: len(batch.started) == 4, "the four captures started")
            self.assertIn("a", [ep for _, ep in batch.started])
            cfg = os.path.join(os.path.dirname(d.socket), "linksnapd.conf")
            with open(cfg, "w") as f:
                f.write(fleet_config([("b", b.base, 2), ("c", c.base, 2)]))
            started_before = len(batch.started)
            d.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "c" in endpoints(d), 30, "endpoint c added")
            batch.add([url("ok") for _ in range(8)])
            evs = batch.wait_all()
            self.assertEqual([e["state"] for e in evs], ["ok"] * 12, evs)
            self.assertEqual(len(batch.finishes), 12)
            after = batch.started[started_before:]
            self.assertNotIn("a", [ep for _, ep in after], "the draining endpoint took a new job")
            self.assertIn("c", [ep for _, ep in after])
            # a's captures finished on a (drained, not cut short)
            self.assertTrue(all(batch.endpoint_of(l) == ["a"] for l, ep in batch.started[:started_before]
                                if ep == "a"), batch.started)
            wait_until(lambda: "a" not in endpoints(d), 30, "endpoint a gone after draining")
            self.assertIn("endpoint a drains", d.read_log())
            batch.close()

    def test_a_refused_token_downs_its_endpoint_and_the_others_serve(self):
        a = FakeEndpoint({"pages": PAGES}, ["--token", "right"])
        b = FakeEndpoint({"pages": PAGES})
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        extra = "browser.endpoint.a.token = wrong\n"
        with Daemon(config=fleet_config([("a", a.base, 2), ("b", b.base, 2)], extra), capture=True) as d:
            batch = Batch(d)
            batch.add([url("ok") for _ in range(6)])
            evs = batch.wait_all()
            self.assertEqual([e["state"] for e in evs], ["ok"] * 6, evs)
            self.assertEqual({ep for _, ep in batch.started}, {"b"})
            st = endpoints(d)["a"]
            self.assertIn(st["state"], ("down", "quarantined"), st)
            self.assertIn("401", st["last_error"])
            self.assertEqual(a.commands(), [])   # no websocket: refused at /json/version
            batch.close()

    def test_a_query_token_as_browserless_takes_it(self):
        """token_in = query: the token goes as ?token= on /json/version and on the
        websocket's path (browserless), not as a header."""
        a = FakeEndpoint({"pages": PAGES}, ["--token", "q-s3cret", "--token-in", "query"])
        self.addCleanup(a.close)
        extra = "browser.endpoint.a.token = q-s3cret\nbrowser.endpoint.a.token_in = query\n"
        with Daemon(config=fleet_config([("a", a.base, 2)], extra), capture=True) as d:
            batch = Batch(d)
            batch.add([url("ok"), url("ok")])
            self.assertEqual([e["state"] for e in batch.wait_all()], ["ok", "ok"])
            self.assertEqual(len(a.commands("Page.captureScreenshot")), 2)
            batch.close()
        # a wrong one: refused, and the token is in neither the status nor the log
        bad = extra.replace("q-s3cret", "q-wrong-7")
        with Daemon(config=fleet_config([("a", a.base, 2)], bad), capture=True) as d:
            err = wait_until(lambda: endpoints(d)["a"]["last_error"], 30, "a's error")
            self.assertIn("401", err)
            self.assertNotIn("q-wrong-7", err)
            self.assertNotIn("q-wrong-7", d.read_log())

    def test_a_bad_certificate_is_reported_at_start_naming_the_endpoint(self):
        """A wss endpoint whose certificate we cannot verify: tried at start (no work due),
        refused by the TLS check, and the endpoint's status and the log say so."""
        tmp = tempfile.mkdtemp(prefix="linksnap-badcert-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(8)
        self.addCleanup(lsock.close)
        port = lsock.getsockname()[1]
        handshakes = []

        def serve():
            while True:
                try:
                    raw, _ = lsock.accept()
                except OSError:
                    return
                try:
                    ctx.wrap_socket(raw, server_side=True).close()
                except (ssl.SSLError, OSError) as e:
                    handshakes.append(str(e))
                raw.close()
        threading.Thread(target=serve, daemon=True).start()
        cfg = fleet_config([("sec", "wss://127.0.0.1:%d/devtools/browser/x" % port, 2)])
        with Daemon(config=cfg, capture=True) as d:
            st = wait_until(lambda: endpoints(d)["sec"]["last_error"] and endpoints(d)["sec"], 30,
                            "the endpoint's error")
            self.assertIn(st["state"], ("down", "quarantined", "starting"), st)
            self.assertRegex(st["last_error"].lower(), "certificate|verify|tls|ssl")
            self.assertIn("endpoint sec:", d.read_log())
            # the server's side of the refused handshake may end after linksnapd reported it
            wait_until(lambda: handshakes, 10, "linksnapd's handshake (it never tried the endpoint)")

    def test_per_host_jobs_counts_across_the_fleet(self):
        a, b = self.fakes(2)
        extra = "per_host_jobs = 1\n"
        with Daemon(config=fleet_config([("a", a.base, 2), ("b", b.base, 2)]).replace(
                "per_host_jobs = 0\n", "") + extra, capture=True) as d:
            batch = Batch(d)
            one = batch.add([url("slow", "one.test:9") for _ in range(4)])
            running, seen = set(), []
            def follow(e):
                if e.get("topic") == "job.started" and e["link_id"] in one:
                    running.add(e["link_id"])
                    seen.append(len(running))
                if e.get("topic") == "job.finished" and e["link_id"] in one:
                    running.discard(e["link_id"])
            batch.followers = [follow]
            batch.pump_until(lambda: len(batch.finished) == len(one), "the host's jobs")
            most = max(seen)
            self.assertEqual(most, 1, "two captures of one host ran at once on the fleet")
            self.assertEqual([e["state"] for e in batch.wait_all()], ["ok"] * 4)
            batch.close()

    def test_a_slow_endpoint_holds_only_its_own_slot(self):
        # every message half a second late: its one capture (some 25 round trips) takes
        # about 7 s, the fast endpoint's six a second or two
        slow = FakeEndpoint({"pages": PAGES, "msg_delay_ms": 500})
        fast = FakeEndpoint({"pages": PAGES})
        self.addCleanup(slow.close)
        self.addCleanup(fast.close)
        with Daemon(config=fleet_config([("slow", slow.base, 1), ("fast", fast.base, 2)]),
                    capture=True) as d:
            d.call("site.set", {"match": "slow.test", "endpoints": ["slow"]})
            # the slow one ready first (started at once, no work due), so the pinned capture
            # is what takes its one slot: had it still been starting, the pinned job would
            # wait and the slow endpoint take one of the others first, then the pinned one
            # after it (two slow captures, not one)
            wait_until(lambda: endpoints(d)["slow"]["state"] == "ready", 30, "the slow endpoint ready")
            batch = Batch(d)
            held = batch.add([url("ok", "slow.test:9")])
            rest = batch.add([url("ok") for _ in range(6)])
            batch.wait_all()
            self.assertEqual([e["state"] for e in batch.finishes], ["ok"] * 7, batch.finishes)
            self.assertEqual(batch.endpoint_of(held[0]), ["slow"])   # its slot was used
            order = [e["link_id"] for e in batch.finishes]
            # every capture of the other endpoint finished before the slow one's
            on_fast = [l for l, ep in batch.started if ep == "fast"]
            self.assertTrue(on_fast, batch.started)
            self.assertLess(max(order.index(l) for l in on_fast), order.index(held[0]), order)
            batch.close()


if __name__ == "__main__":
    main()

"""test_reload -- a SIGHUP reload that changes the browser endpoints while site.set checks
rules' "endpoints" on the writer thread. The writer checks against the names copied into
the call on the loop when it was dispatched, never the live settings the reload rewrites
there: in the TSan build (label tsan) a read of cfg.endpoints from the writer shows as a
data race in linksnapd's log, which Daemon.close turns into a failure. In every build a
name a reload adds is accepted by the next site.set and a name it removes refused."""
import json
import os
import signal
import threading

from linksnap_test import SANITIZE, Daemon, RpcError, TestCase, main, wait_until

# two fleets the reloads alternate between; --no-capture keeps both browsers unstarted
NEAR = "browser.endpoint.near = ws://127.0.0.1:9/devtools/browser/x\n"
NEAR_FAR = NEAR + "browser.endpoint.far = managed\n"


def write_config(d, text):
    """Replaces the daemon's config file whole (a reload never reads half of one)."""
    path = os.path.join(os.path.dirname(d.socket), "linksnapd.conf")
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


def reload(d, text):
    write_config(d, text)
    d.proc.send_signal(signal.SIGHUP)


def site_set(c, endpoints):
    """None when site.set took the pin, else the error's code (data.code)."""
    try:
        c.call("site.set", {"match": "pinned.example", "endpoints": endpoints})
        return None
    except RpcError as e:
        return (e.data or {}).get("code", e.message)


class ReloadTests(TestCase):
    def test_endpoint_names_follow_reloads_without_a_race(self):
        with Daemon(config=NEAR) as d, d.client() as c:
            self.assertEqual(site_set(c, ["far"]), "site_endpoint_unknown")
            reload(d, NEAR_FAR)
            wait_until(lambda: site_set(c, ["far"]) is None, 30, "a reload adding 'far'")
            # reloads that each swap the fleet, while pipelined site.set calls from a few
            # connections are checked on the writer
            stop = threading.Event()

            def hup():
                n = 0
                while not stop.is_set():
                    reload(d, NEAR if n % 2 == 0 else NEAR_FAR)
                    n += 1
                    stop.wait(0.002)

            t = threading.Thread(target=hup)
            t.start()
            rounds = 20 if SANITIZE == "thread" else 60
            codes = set()
            try:
                clients = [d.client() for _ in range(3)]
                pins = (["near"], ["far"], ["near", "far"])
                for _ in range(rounds):
                    for cl in clients:   # all in flight before any reply is read
                        reqs = [cl.request("site.set", {"match": "pinned.example",
                                                        "endpoints": e}) for e in pins]
                        cl.send_raw("".join(json.dumps(r) + "\n" for r in reqs).encode())
                    for cl in clients:
                        for want_ok in (True, False, False):
                            reply = cl.read_reply()
                            if "error" in reply:
                                code = reply["error"].get("data", {}).get("code")
                                # 'near' is in every fleet; 'far' comes and goes
                                self.assertFalse(want_ok, reply)
                                self.assertEqual(code, "site_endpoint_unknown", reply)
                                codes.add(code)
                            else:
                                codes.add(None)
                for cl in clients:
                    cl.close()
            finally:
                stop.set()
                t.join()
            self.assertIn(None, codes)
            log = d.read_log()
            self.assertNotIn("reload refused", log)
            self.assertGreater(log.count("reloaded "), 2, log[-2000:])
            # the last reload leaves 'far' out: refused, naming the fleet as it is now
            reload(d, NEAR)
            wait_until(lambda: site_set(c, ["far"]) == "site_endpoint_unknown", 30,
                       "a reload removing 'far'")
            with self.assertRaises(RpcError) as cm:
                c.call("site.set", {"match": "pinned.example", "endpoints": ["far"]})
            self.assertIn("its endpoints are: near", str(cm.exception))
            self.assertEqual(site_set(c, ["near"]), None)
            print("%d reloads logged, %d site.set rounds" % (log.count("reloaded "), rounds))


if __name__ == "__main__":
    main()

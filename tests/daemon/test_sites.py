"""test_sites -- site rules through the real linksnapd: site.set validates every
setting and replaces the rule with the same normalised match (case, punycode, trailing dot),
site.list/site.match/site.delete, the longest match applies, cookies import from a Netscape
cookies.txt with bad lines reported, a rule keeps only cookies for its own host (others are
refused by site.set and skipped, with their lines and domains, by the import), an https
rule's cookies are secure by default, cookie and header values never leave the daemon
(replies, events, the log) though the database holds them; the config keys hide_consent and
blocked_retries are parsed; the CLI's `linksnap site` drives the same methods; a blocked
snapshot shows in `linksnap jobs`."""
import base64
import json
import os
import signal
import sqlite3
import tempfile
import time
import urllib.request

from linksnap_test import Daemon, RpcError, TestCase, main

SECRET = "s3cr3t-cookie-value-1"
HSECRET = "Bearer very-secret-token-2"
MASK = "********"

COOKIES_TXT = (
    "# Netscape HTTP Cookie File\n"
    ".members.example\tTRUE\t/\tTRUE\t0\tsession\t%s\n"
    "#HttpOnly_members.example\tFALSE\t/account\tFALSE\t4102444800\tsid\tabc\n"
    "members.example\tMAYBE\t/\tFALSE\t0\tbad\tv\n"
    "members.example\tTRUE\t/\tFALSE\t1000\told\tv\n"
    "not enough fields\n"
    ".evil.example\tTRUE\t/\tFALSE\t0\tstolen\t%s\n"
    "example\tTRUE\t/\tFALSE\t0\tparent\tv\n" % (SECRET, SECRET))


class SiteTests(TestCase):
    @staticmethod
    def d_rule(d, match):
        """The rule as stored, secrets and all."""
        return json.loads(d.sql("SELECT rule FROM site_rules WHERE match = ?", (match,))[0][0])

    def test_set_list_replace_delete(self):
        with Daemon() as d, d.client() as c:
            c.call("events.subscribe", {"topics": ["site"]})
            r = c.call("site.set", {"match": "Members.EXAMPLE.", "cookies": [
                {"name": "session", "value": SECRET}], "headers": {"Authorization": HSECRET},
                "wait_for": "#account", "hide": [".promo", "#chat > iframe"], "delay_ms": 500,
                "scroll": False, "hide_consent": False, "viewport": {"width": 1024, "height": 768},
                "user_agent": "linksnap-test"})
            self.assertTrue(r["created"])
            rule = r["rule"]
            self.assertEqual(rule["match"], "members.example")
            self.assertEqual(rule["kind"], "host")
            self.assertEqual(rule["cookies"][0]["value"], MASK)
            self.assertEqual(rule["cookies"][0]["domain"], "members.example")   # from the match
            self.assertEqual(rule["cookies"][0]["path"], "/")
            self.assertEqual(rule["headers"], {"Authorization": MASK})
            self.assertEqual(rule["hide"], [".promo", "#chat > iframe"])
            self.assertEqual(rule["scroll"], False)
            ev = c.wait_event(lambda e: e["topic"] == "site.set", timeout=30)
            self.assertEqual(ev["cookies"], ["session"])
            self.assertEqual(ev["headers"], ["Authorization"])
            self.assertNotIn(SECRET, json.dumps(ev))
            self.assertNotIn(HSECRET, json.dumps(ev))

            # an edit of the same normalised match changes only the settings given
            stored = lambda: self.d_rule(d, "members.example")
            r = c.call("site.set", {"match": "members.example", "delay_ms": 100})
            self.assertFalse(r["created"])
            self.assertFalse(r["replaced"])
            self.assertEqual(r["rule"]["id"], rule["id"])
            self.assertEqual(r["rule"]["delay_ms"], 100)
            self.assertEqual(r["rule"]["cookies"][0]["value"], MASK)
            self.assertEqual(r["rule"]["headers"], {"Authorization": MASK})
            for k in ("wait_for", "hide", "scroll", "hide_consent", "viewport", "user_agent"):
                self.assertEqual(r["rule"][k], rule[k], k)
            self.assertEqual(stored()["cookies"][0]["value"], SECRET)
            self.assertEqual(stored()["headers"], {"Authorization": HSECRET})

            # cookies merge by (name, domain, path), headers by name (case-blind); hide is
            # replaced
            r = c.call("site.set", {"match": "members.example", "cookies": [
                {"name": "session", "value": "new-1"},
                {"name": "session", "value": "other-path", "path": "/a"},
                {"name": "theme", "value": "dark"}],
                "headers": {"authorization": "Bearer new", "X-B": "b"}, "hide": [".ad"]})
            self.assertEqual([(x["name"], x["path"], x["value"]) for x in stored()["cookies"]],
                             [("session", "/", "new-1"), ("session", "/a", "other-path"),
                              ("theme", "/", "dark")])
            self.assertEqual(stored()["headers"], {"authorization": "Bearer new", "X-B": "b"})
            self.assertEqual(r["rule"]["headers"], {"authorization": MASK, "X-B": MASK})
            self.assertEqual(r["rule"]["hide"], [".ad"])
            ev = c.wait_event(lambda e: e["topic"] == "site.set" and "theme" in e["cookies"],
                              timeout=30)
            self.assertNotIn("new-1", json.dumps(ev))

            # a value null removes one cookie or header; a setting given as null is cleared
            r = c.call("site.set", {"match": "members.example", "cookies": [
                {"name": "session", "path": "/a", "value": None}], "headers": {"X-B": None},
                "wait_for": None, "hide": None})
            self.assertEqual([(x["name"], x["path"]) for x in stored()["cookies"]],
                             [("session", "/"), ("theme", "/")])
            self.assertEqual(stored()["headers"], {"authorization": "Bearer new"})
            self.assertNotIn("wait_for", r["rule"])
            self.assertNotIn("hide", r["rule"])
            self.assertEqual(r["rule"]["delay_ms"], 100)
            r = c.call("site.set", {"match": "members.example", "headers": {"authorization": None}})
            self.assertNotIn("headers", r["rule"])

            # replace: true makes the settings given the whole rule
            r = c.call("site.set", {"match": "members.example", "delay_ms": 100, "replace": True})
            self.assertFalse(r["created"])
            self.assertTrue(r["replaced"])
            self.assertEqual(r["rule"]["id"], rule["id"])
            self.assertNotIn("cookies", r["rule"])
            self.assertEqual(stored(), {"delay_ms": 100})
            c.call("site.set", {"match": "https://members.example/account", "scroll": True})
            c.call("site.set", {"match": "例子.测试", "delay_ms": 1})
            rules = c.call("site.list")["rules"]
            self.assertEqual([x["match"] for x in rules],
                             ["https://members.example/account", "members.example",
                              "xn--fsqu00a.xn--0zwm56d"])

            # the longest match applies, at a path boundary
            m = lambda u: (c.call("site.match", {"url": u})["rule"] or {}).get("match")
            self.assertEqual(m("https://members.example/account/settings"), "https://members.example/account")
            self.assertEqual(m("https://members.example/accounting"), "members.example")
            self.assertEqual(m("https://www.members.example/"), "members.example")
            self.assertEqual(m("http://例子.测试/x"), "xn--fsqu00a.xn--0zwm56d")
            self.assertIsNone(m("https://example.org/"))

            r = c.call("site.delete", {"match": "HTTPS://members.example/account"})
            self.assertEqual(r["rule"]["match"], "https://members.example/account")
            ev = c.wait_event(lambda e: e["topic"] == "site.deleted", timeout=30)
            self.assertEqual(ev["match"], "https://members.example/account")
            self.assertRpcError(-32001, c.call, "site.delete", {"match": "https://members.example/account"})
            self.assertEqual(len(c.call("site.list")["rules"]), 2)
            self.assertTrue(d.integrity_check())

    def test_bad_settings_refused(self):
        bad = [
            {},
            {"match": ""},
            {"match": "ftp://x.example/"},
            {"match": "x.example/path"},
            {"match": "x.example", "bogus": 1},
            {"match": "x.example", "cookies": {"a": "b"}},
            {"match": "x.example", "cookies": [{"name": "a b", "value": "v"}]},
            {"match": "x.example", "cookies": [{"name": "a", "value": "v;w"}]},
            {"match": "x.example", "cookies": [{"name": "a", "value": "v", "path": "x"}]},
            {"match": "x.example", "cookies": [{"name": "a", "value": "v", "same_site": "Maybe"}]},
            {"match": "x.example", "cookies": [{"name": "a", "value": "v", "extra": 1}]},
            # a cookie for another host than the rule's (audit finding 7)
            {"match": "x.example", "cookies": [{"name": "a", "value": "v", "domain": "evil.example"}]},
            {"match": "x.example", "cookies": [{"name": "a", "value": "v", "domain": ".example"}]},
            {"match": "x.example", "cookies": [{"name": "a", "value": "v", "domain": "evilx.example"}]},
            {"match": "x.example:8081", "cookies": [{"name": "a", "value": "v", "domain": "www.x.example"}]},
            {"match": "https://x.example/a", "cookies": [{"name": "a", "value": "v", "domain": "y.example"}]},
            {"match": "x.example", "headers": {"Host": "evil"}},
            {"match": "x.example", "headers": {"Cookie": "a=b"}},
            {"match": "x.example", "headers": {"X-A": "line\r\nInjected: 1"}},
            {"match": "x.example", "headers": {"bad name": "v"}},
            {"match": "x.example", "headers": ["X-A"]},
            {"match": "x.example", "viewport": {"width": 10, "height": 10}},
            {"match": "x.example", "viewport": "1024x768"},
            {"match": "x.example", "wait_for": ""},
            {"match": "x.example", "wait_for": "a" * 600},
            {"match": "x.example", "hide": ["a { }"]},
            {"match": "x.example", "hide": ["</style><script>"]},
            {"match": "x.example", "ignore": ["a { }"]},
            {"match": "x.example", "ignore": [""]},
            {"match": "x.example", "ignore": [".a"] * 101},
            {"match": "x.example", "ignore": [1]},
            {"match": "x.example", "delay_ms": -1},
            {"match": "x.example", "delay_ms": 600000},
            {"match": "x.example", "scroll": "no"},
            {"match": "x.example", "user_agent": "a\nb"},
            {"match": "x.example", "replace": "yes"},
            {"match": "x.example", "cookies": [{"name": "a b", "value": None}]},
            {"match": "x.example", "cookies": [{"name": "a", "value": None, "domain": "evil.example"}]},
            {"match": "x.example", "headers": {"Host": None}},
        ]
        with Daemon() as d, d.client() as c:
            for params in bad:
                with self.subTest(params=params):
                    self.assertRpcError(-32602, c.call, "site.set", params)
            self.assertEqual(c.call("site.list")["rules"], [])
            self.assertRpcError(-32602, c.call, "site.match", {"url": "not a url"})
            with self.assertRaises(RpcError) as cm:
                c.call("site.set", {"match": "members.example", "cookies": [
                    {"name": "a", "value": "v", "domain": "evil.example"}]})
            self.assertIn("outside the rule's match", str(cm.exception))
            self.assertIn("members.example and its subdomains", str(cm.exception))
            self.assertRpcError(-32602, c.call, "site.delete", {"match": ""})
            with self.assertRaises(RpcError) as cm:
                c.call("site.set", {"match": "x.example", "ignore": [".clock", "b;c"]})
            self.assertIn("param 'ignore': selector", str(cm.exception))
            # an edit that would take a rule past its limits is refused; the rule stays
            c.call("site.set", {"match": "x.example", "headers": {
                "X-H%d" % i: "v" for i in range(50)}})
            with self.assertRaises(RpcError) as cm:
                c.call("site.set", {"match": "x.example", "headers": {"X-More": "v"}})
            self.assertIn("would hold over 50 headers", str(cm.exception))
            self.assertEqual(len(self.d_rule(d, "x.example")["headers"]), 50)
            # a changed header value is no new header
            c.call("site.set", {"match": "x.example", "headers": {"x-h0": "w"}})
            self.assertEqual(len(self.d_rule(d, "x.example")["headers"]), 50)

    def test_endpoints_pin_a_rule_to_named_browsers(self):
        fleet = ["--set", "browser.endpoint.near=ws://127.0.0.1:9/devtools/browser/x",
                 "--set", "browser.endpoint.own=managed"]
        with Daemon(args=fleet) as d, d.client() as c:
            r = c.call("site.set", {"match": "pinned.example", "endpoints": ["near", "own"]})
            self.assertEqual(r["rule"]["endpoints"], ["near", "own"])
            self.assertEqual(self.d_rule(d, "pinned.example")["endpoints"], ["near", "own"])
            rule = c.call("site.match", {"url": "https://pinned.example/a"})["rule"]
            self.assertEqual(rule["endpoints"], ["near", "own"])
            # an edit of another setting keeps them; a new list replaces them
            c.call("site.set", {"match": "pinned.example", "delay_ms": 10})
            self.assertEqual(self.d_rule(d, "pinned.example")["endpoints"], ["near", "own"])
            c.call("site.set", {"match": "pinned.example", "endpoints": ["own"]})
            self.assertEqual(self.d_rule(d, "pinned.example")["endpoints"], ["own"])
            bad = [[], "near", ["near", "near"], ["a.b"], [""], [1], [None],
                   ["x%d" % i for i in range(17)], {"near": True}]
            for endpoints in bad:
                with self.subTest(endpoints=endpoints):
                    self.assertRpcError(-32602, c.call, "site.set",
                                        {"match": "pinned.example", "endpoints": endpoints})
            # a name the running settings do not know: refused with the ones they do
            with self.assertRaises(RpcError) as cm:
                c.call("site.set", {"match": "pinned.example", "endpoints": ["near", "far"]})
            self.assertIn("no endpoint 'far'", str(cm.exception))
            self.assertIn("its endpoints are: near, own", str(cm.exception))
            self.assertEqual(cm.exception.data["code"], "site_endpoint_unknown")
            self.assertEqual(cm.exception.data["params"]["known"], "near, own")
            self.assertEqual(self.d_rule(d, "pinned.example")["endpoints"], ["own"])
            # null clears the pin
            c.call("site.set", {"match": "pinned.example", "endpoints": None})
            self.assertNotIn("endpoints", self.d_rule(d, "pinned.example"))
            # the CLI's --endpoints and the list's column
            r = d.cli("site", "set", "pinned.example", "--endpoints", "own,near")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(self.d_rule(d, "pinned.example")["endpoints"], ["own", "near"])
            r = d.cli("site", "list")
            self.assertIn("endpoints=own,near", r.stdout)
            r = d.cli("site", "set", "pinned.example", "--endpoints", "gone")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("its endpoints are: near, own", r.stderr)
        # without endpoint keys the fleet is the managed browser alone, named "managed"
        with Daemon() as d, d.client() as c:
            c.call("site.set", {"match": "m.example", "endpoints": ["managed"]})
            with self.assertRaises(RpcError) as cm:
                c.call("site.set", {"match": "m.example", "endpoints": ["default"]})
            self.assertIn("its endpoints are: managed", str(cm.exception))

    def test_import_cookies_and_secrets_stay_inside(self):
        with Daemon(args=["-v"]) as d, d.client() as c:
            c.call("site.set", {"match": "members.example", "wait_for": "#account",
                                "cookies": [{"name": "session", "value": "old",
                                             "domain": ".members.example"}]})
            r = c.call("site.import_cookies", {"match": "members.example", "text": COOKIES_TXT})
            self.assertEqual(r["imported"], 2)
            # the bad lines and the two cookies for other domains, in line order
            self.assertEqual(r["error_count"], 5)
            self.assertEqual([e["line"] for e in r["errors"]], [4, 5, 6, 7, 8])
            self.assertIn("evil.example, outside the rule's host members.example", r["errors"][3]["reason"])
            self.assertEqual(r["skipped"], {"count": 2, "domains": ["evil.example", "example"]})
            rule = r["rule"]
            self.assertEqual(rule["wait_for"], "#account")        # the other settings stay
            names = sorted((x["name"], x["domain"]) for x in rule["cookies"])
            self.assertEqual(names, [("session", ".members.example"), ("sid", "members.example")])
            self.assertTrue(all(x["value"] == MASK for x in rule["cookies"]))
            sid = [x for x in rule["cookies"] if x["name"] == "sid"][0]
            self.assertTrue(sid["http_only"])
            self.assertEqual(sid["path"], "/account")
            self.assertRpcError(-32602, c.call, "site.import_cookies",
                                {"match": "members.example", "text": "only garbage\n"})
            # a match for another host keeps none of them
            with self.assertRaises(RpcError) as cm:
                c.call("site.import_cookies", {"match": "other.example", "text": COOKIES_TXT})
            self.assertEqual(cm.exception.code, -32602)
            self.assertIn("no cookie for other.example", str(cm.exception))
            self.assertIn("members.example", str(cm.exception))
            # a new match gets a rule with the cookies alone; a host:port rule's are host-only
            r = c.call("site.import_cookies", {"match": "members.example:8443", "text": COOKIES_TXT})
            self.assertTrue(r["created"])
            self.assertEqual(sorted(x["domain"] for x in r["rule"]["cookies"]),
                             ["members.example", "members.example"])
            self.assertEqual(r["skipped"]["count"], 2)
            self.assertNotIn(SECRET, json.dumps(r))
            # secure by default for an https rule, as given otherwise
            sec = lambda m, **kw: c.call("site.set", {"match": m, "cookies": [
                dict(name="a", value="v", **kw)]})["rule"]["cookies"][0]["secure"]
            self.assertTrue(sec("https://sec.example/account"))
            self.assertTrue(sec("sec.example:443"))
            self.assertFalse(sec("https://sec.example/account", secure=False))
            self.assertFalse(sec("sec.example"))
            self.assertFalse(sec("http://sec.example/x"))
            # the values are in the database (the capture needs them) ...
            stored = d.sql("SELECT rule FROM site_rules WHERE match = 'members.example'")[0][0]
            self.assertIn(SECRET, stored)
            self.assertNotIn("stolen", stored)                    # skipped, never stored
            self.assertNotIn('"old"', stored)                     # replaced by the import
            # ... and nowhere else
            listing = json.dumps(c.call("site.list"))
            self.assertNotIn(SECRET, listing)
            self.assertNotIn(SECRET, d.read_log())
            self.assertEqual(os.stat(d.db_path).st_mode & 0o777, 0o600)   # the owner's alone
            backup = c.call("daemon.backup", {"name": "sites.db"})["path"]
            self.assertEqual(os.stat(backup).st_mode & 0o777, 0o600)   # and so is a backup

    def test_cli_site_commands(self):
        with Daemon() as d:
            r = d.cli("site", "set", "Members.Example", "--cookie", "session=%s" % SECRET,
                      "--header", "Authorization: %s" % HSECRET, "--wait-for", "#account",
                      "--hide", ".promo", "--delay", "250", "--no-scroll", "--no-hide-consent",
                      "--viewport", "1024x768", "--user-agent", "cli-test",
                      "--ignore", ".clock", "--ignore", "#ad-slot")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("members.example", r.stdout)
            rule = d.call("site.match", {"url": "https://members.example/"})["rule"]
            self.assertEqual(rule["ignore"], [".clock", "#ad-slot"])
            self.assertEqual(rule["hide"], [".promo"])
            self.assertEqual(rule["wait_for"], "#account")
            self.assertEqual(rule["delay_ms"], 250)
            self.assertEqual(rule["scroll"], False)
            self.assertEqual(rule["hide_consent"], False)
            self.assertEqual(rule["viewport"], {"width": 1024, "height": 768})
            self.assertEqual(rule["headers"], {"Authorization": MASK})
            r = d.cli("site", "list")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("members.example", r.stdout)
            self.assertIn("hide=.promo  ignore=.clock,#ad-slot", r.stdout)
            self.assertIn("session", r.stdout)
            self.assertNotIn(SECRET, r.stdout)
            self.assertNotIn(HSECRET, r.stdout)
            r = d.cli("--json", "site", "list")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn(SECRET, r.stdout)
            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
                f.write(COOKIES_TXT)
            try:
                r = d.cli("site", "import-cookies", "members.example", f.name)
            finally:
                os.unlink(f.name)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("2 cookies imported", r.stdout)
            self.assertIn("line 4", r.stderr)
            self.assertIn("line 7: cookie 'stolen' is for .evil.example, outside", r.stderr)
            r = d.cli("site", "import-cookies", "members.example", "/nonexistent/cookies.txt")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("/nonexistent/cookies.txt", r.stderr)
            r = d.cli("site", "set", "x.example", "--cookie", "novalue")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("NAME=VALUE", r.stderr)
            r = d.cli("site", "set", "x.example", "--header", "NoColon")
            self.assertNotEqual(r.returncode, 0)
            r = d.cli("site", "delete", "members.example")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = d.cli("site", "delete", "members.example")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("no site rule", r.stderr)

    def test_web_page_has_the_sites_section(self):
        with Daemon() as d:
            d.call("site.set", {"match": "members.example", "headers": {"Authorization": HSECRET}})
            url = d.web_url
            auth = {"Authorization": "Bearer " + d.token}   # the page always needs its token
            with urllib.request.urlopen(urllib.request.Request(url + "/sites", headers=auth), timeout=30) as r:
                page = r.read().decode()
            self.assertIn('href="/sites"', page)
            with urllib.request.urlopen(urllib.request.Request(url + "/js/page_sites.js", headers=auth),
                                        timeout=30) as r:
                js = r.read().decode()
            self.assertIn("site.list", js)
            # the page's own RPC path masks the same way
            req = urllib.request.Request(url + "/rpc", method="POST", headers={
                "Content-Type": "application/json", **auth},
                data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "site.list"}).encode())
            with urllib.request.urlopen(req, timeout=30) as r:
                body = r.read().decode()
            self.assertIn("members.example", body)
            self.assertNotIn(HSECRET, body)

    def test_config_keys(self):
        with Daemon(config="hide_consent = false\nblocked_retries = 3\n") as d:
            self.assertEqual(d.call("site.list")["defaults"], {"hide_consent": False, "blocked_retries": 3})
            # both change live on SIGHUP
            with open(os.path.join(os.path.dirname(d.socket), "linksnapd.conf"), "w") as f:
                f.write("hide_consent = true\nblocked_retries = 1\n")
            d.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 30
            while d.call("site.list")["defaults"]["blocked_retries"] != 1:
                self.assertLess(time.monotonic(), deadline, "SIGHUP did not reload")
                time.sleep(0.05)
            self.assertEqual(d.call("site.list")["defaults"], {"hide_consent": True, "blocked_retries": 1})
        with Daemon() as d:
            self.assertEqual(d.call("site.list")["defaults"], {"hide_consent": True, "blocked_retries": 0})
        for bad, says in (("blocked_retries = 11\n", "blocked_retries"),
                          ("blocked_retries = -1\n", "blocked_retries"),
                          ("hide_consent = maybe\n", "hide_consent")):
            d = Daemon(config=bad)
            with self.assertRaises(RuntimeError) as cm:
                d.start()
            self.assertIn(says, str(cm.exception))

    def test_blocked_snapshot_in_jobs_and_ls(self):
        with Daemon() as d:
            link = d.call("link.add", {"url": "https://wall.example/", "capture": True})["link"]
            # what the capture engine writes for a wall (test_fidelity.py captures real
            # walls): here straight into the file, to check every view of the state
            d.stop()
            db = sqlite3.connect(d.db_path, timeout=30)
            with db:
                db.execute("UPDATE snapshots SET state = 'blocked', http_status = 403, error = "
                           "'blocked: Cloudflare challenge (cf-mitigated: challenge)', finished_at = ? "
                           "WHERE link_id = ?", (int(time.time() * 1000), link["id"]))
                db.execute("UPDATE jobs SET state = 'failed', error = 'blocked: Cloudflare "
                           "challenge (cf-mitigated: challenge)' WHERE link_id = ?", (link["id"],))
            db.close()
            d.start()
            got = d.call("link.get", {"id": link["id"]})["link"]
            self.assertEqual(got["last_snapshot"]["state"], "blocked")
            r = d.cli("ls")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("blocked", r.stdout)
            r = d.cli("jobs")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Cloudflare", r.stdout)
            # the outcomes chart has a blocked series (and only then: no other test's
            # chart grew a legend entry)
            r = d.call("chart.render", {"kind": "outcomes", "format": "svg", "days": 7, "inline": True})
            svg = base64.b64decode(r["data"]).decode()
            self.assertIn(">blocked 1</text>", svg)
            self.assertIn("1 captures", svg)


if __name__ == "__main__":
    main()

"""test_watch -- schedules against the real linksnapd and its store file: watch.set's bad
input (every 0, negative, over a year, under the minimum, unknown link or tag) answered
-32602 with the reason; a link's watch beating its tag's; a scheduled run queued behind a
person's job (priority) and never twice; the next run unchanged across a clean restart and
a kill -9; and the catch-up after downtime spread over the interval by link id, each run
once. One daemon state dir for all of it; no browser (--no-capture keeps jobs queued).
A second daemon with the scripted browser (tests/lib/fakecdp.c) checks per_host_jobs from
the job events, a 429's Retry-After holding back its host's queued job, and a new limit
taken on SIGHUP. A third checks retention: a watched link's captures beyond keep_last
pruned after each capture, rows and files (screenshot, thumbnail, MHTML, diff overlay)
gone, the newest and its baseline kept, snapshot.deleted published, daemon.status
counting them, and bad keep_last / keep_mb refused."""
import os
import signal
import sqlite3
import time

from linksnap_test import Daemon, TestCase, main, wait_until
from test_engine_fake import FAKE, FakeBrowser

CONFIG = "watch_min_interval_s = 2\n"
RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


def spread(link_id, every_s):
    """store_watch_spread: the catch-up offset of a link within its interval (ms)."""
    return ((link_id * 2654435761) & 0xffffffff) % (every_s * 1000)


def write(d, query, args=()):
    """A committed change to the store file (Daemon.sql reads)."""
    db = sqlite3.connect(d.db_path, timeout=30)
    try:
        with db:
            db.execute(query, args)
    finally:
        db.close()


class WatchTest(TestCase):
    def test_schedules(self):
        with Daemon(config=CONFIG) as d:
            c = d.client()
            a = c.call("link.add", {"url": "http://a.test/1", "tags": ["news"], "capture": False})["link"]["id"]
            b = c.call("link.add", {"url": "http://a.test/2", "tags": ["news"], "capture": False})["link"]["id"]
            # bad input: each a -32602 that says what is wrong
            for params, words in [
                ({"link_id": a, "every": 0}, "every must be from 2 s"),
                ({"link_id": a, "every": -5}, "every must be from 2 s"),
                ({"link_id": a, "every": "400d"}, "to a year"),
                ({"link_id": a, "every": "6x"}, "duration such as"),
                ({"link_id": 99999, "every": "6h"}, "link 99999"),
                ({"tag": "nosuch", "every": "6h"}, "no tag named 'nosuch'"),
                ({"link_id": a, "tag": "news", "every": "6h"}, "either 'link_id' or 'tag'"),
                ({"link_id": a}, "'every' is required"),
            ]:
                e = self.assertRpcError(-32602, c.call, "watch.set", params)
                self.assertIn(words, e.message, params)
            w = c.call("watch.set", {"tag": "News", "every": "1d"})["watch"]
            self.assertEqual((w["tag"], w["every"], w["jitter"], w["links"]), ("news", 86400, 8640, 2))
            own = c.call("watch.set", {"link_id": a, "every": 3600, "jitter": 0})["watch"]
            self.assertEqual(own["links"], 1)
            self.assertIsNone(own["last_run"])   # no run made yet
            ws = c.call("watch.list")["watches"]
            self.assertEqual([(x.get("link_id"), x.get("tag"), x["links"]) for x in ws],
                             [(a, None, 1), (None, "news", 1)])
            st = c.call("daemon.status")["watches"]
            self.assertEqual((st["watches"], st["links"]), (2, 2))
            # times as the rest of the protocol writes them: RFC 3339 UTC, null for none
            for x in ws + [w, own]:
                for k in ("created_at", "updated_at", "next_run"):
                    self.assertRegex(x[k], RFC3339, (k, x))
            self.assertRegex(st["next_run"], RFC3339)
            # a person's job and a scheduled one: the person's is first in claim order
            b_job = c.call("snapshot.request", {"link_id": b})["job_id"]
            write(d, "UPDATE watch_runs SET next_run = 0 WHERE link_id = ?", (a,))
            c.call("watch.set", {"link_id": a, "every": 3600, "jitter": 0})   # wakes the scheduler
            wait_until(lambda: d.sql("SELECT count(*) FROM jobs WHERE link_id = ? AND priority = 1", (a,))[0][0] == 1,
                       10, "the scheduled job")
            self.assertRegex(c.call("watch.list")["watches"][0]["last_run"], RFC3339)   # the web page's "last run"
            order = [r[0] for r in d.sql("SELECT link_id FROM jobs WHERE state = 'queued' "
                                         "ORDER BY priority, not_before, id")]
            self.assertEqual(order[:2], [b, a])
            self.assertEqual(d.sql("SELECT priority, host FROM jobs WHERE id = ?", (b_job,)), [(0, "a.test")])
            # the next run is kept across a clean stop and a kill -9
            nr = d.sql("SELECT next_run FROM watch_runs WHERE link_id = ?", (a,))[0][0]
            self.assertGreater(nr, 0)
            c.close()
            d.stop()
            d.start()
            self.assertEqual(d.sql("SELECT next_run FROM watch_runs WHERE link_id = ?", (a,))[0][0], nr)
            d.kill9()
            d.start()
            self.assertEqual(d.sql("SELECT next_run FROM watch_runs WHERE link_id = ?", (a,))[0][0], nr)
            self.assertEqual(d.sql("SELECT count(*) FROM jobs WHERE link_id = ? AND state = 'queued'", (a,))[0][0], 1)
            # downtime: three more links on an hourly tag watch, all overdue at the start
            c = d.client()
            ids = [c.call("link.add", {"url": "http://c%d.test/" % i, "tags": ["hourly"],
                                       "capture": False})["link"]["id"] for i in range(3)]
            c.call("watch.set", {"tag": "hourly", "every": 3600})
            c.close()
            d.stop()
            write(d, "UPDATE watch_runs SET next_run = 1000 WHERE link_id IN (%s)" % ",".join(map(str, ids)))
            d.start()
            wait_until(lambda: min(r[0] for r in d.sql("SELECT next_run FROM watch_runs WHERE link_id IN (%s)"
                                                       % ",".join(map(str, ids)))) > 1000, 10, "the catch-up")
            runs = dict(d.sql("SELECT link_id, next_run FROM watch_runs WHERE link_id IN (%s)"
                              % ",".join(map(str, ids))))
            # one writer call set them all from the same now: they differ by the offsets
            starts = {runs[i] - spread(i, 3600) for i in ids if spread(i, 3600) > 0}
            self.assertEqual(len(starts), 1, runs)
            self.assertEqual(len(set(runs.values())), 3)
            # deleting a link takes its watch along
            c = d.client()
            c.call("link.delete", {"id": a})
            self.assertEqual([x.get("tag") for x in c.call("watch.list")["watches"]], ["hourly", "news"])
            self.assertEqual(c.call("watch.delete", {"tag": "hourly"}), {"deleted": True})
            self.assertEqual(c.call("watch.delete", {"tag": "hourly"}), {"deleted": False})
            c.close()
            self.assertTrue(d.integrity_check())
            self.assertEqual(d.sanitizer_report(), "")

    def test_per_host_jobs_with_the_scripted_browser(self):
        """jobs = 4, per_host_jobs = 2, slow pages on three hosts: the running count of a
        host (from job.started / job.finished / job.retry, in the order linksnapd sends
        them) never passes 2, and while a host is at its limit with jobs still queued,
        another host's job starts (the claim skips the busy host, it does not wait). A 429
        with Retry-After: 120 holds back that host's queued job for 120 s. The hosts are
        names under .test: the fake browser never connects, so linksnapd never looks them
        up (its resolver counts 0 queries)."""
        fake = FakeBrowser({"pages": [{"match": "h3.test/limited", "status": 429, "load_ms": 10,
                                       "headers": {"Retry-After": "120"}},
                                      {"match": "h4.test/", "load_ms": 300},
                                      {"match": ".test/", "load_ms": 1500}]})
        config = ("capture = on\nquiet_ms = 50\njobs = 4\nper_host_jobs = 2\njob_timeout = 20\nblocked_retries = 0\n"
                  "browser.path = %s\n" % FAKE)
        with Daemon(config=config, env=fake.env, capture=True) as d, d.client() as c:
            c.call("events.subscribe", {"topics": ["job"]})
            t0 = int(time.time() * 1000)
            urls = (["http://h1.test/%d" % i for i in range(4)] + ["http://h2.test/%d" % i for i in range(2)]
                    + ["http://h3.test/limited", "http://h3.test/slow", "http://h3.test/held"])
            host = {}
            for u in urls:
                host[c.call("link.add", {"url": u})["link"]["id"]] = u
            held = [i for i, u in host.items() if u.endswith("/held")][0]
            running = {"h1.test": 0, "h2.test": 0, "h3.test": 0}
            queued = {"h1.test": 4, "h2.test": 2, "h3.test": 3}
            most, skipped_busy, finished = 0, 0, set()
            while len(finished) < len(urls) - 1:   # all but the held one (the 429 one ends blocked)
                ev = c.wait_event(lambda e: e.get("topic") in ("job.started", "job.finished", "job.retry"), 60)
                h = host[ev["link_id"]].split("/")[2]
                if ev["topic"] == "job.started":
                    busy_elsewhere = [x for x in running if x != h and running[x] == 2 and queued[x] > 0]
                    skipped_busy += bool(busy_elsewhere)
                    running[h] += 1
                    queued[h] -= 1
                    self.assertLessEqual(running[h], 2, (ev, running))
                    most = max(most, sum(running.values()))
                else:
                    running[h] -= 1
                    if ev["topic"] == "job.retry":
                        queued[h] += 1
                    else:
                        finished.add(ev["link_id"])
                self.assertNotIn(held, finished, "the held job ran despite the 429")
            self.assertGreater(skipped_busy, 0, "no job started while another host was at its limit")
            # two hosts at their limit at once (post-processing runs beside the next
            # captures, so more than `jobs` may be running in the store)
            self.assertGreaterEqual(most, 4)
            # the 429's Retry-After holds the host's other queued job (not_before, ms)
            (state, not_before), = d.sql("SELECT state, not_before FROM jobs WHERE link_id = ?", (held,))
            self.assertEqual(state, "queued")
            self.assertGreaterEqual(not_before, t0 + 120000)
            self.assertEqual(c.call("daemon.status")["browser"]["dns"]["queries"], 0)
            # SIGHUP with per_host_jobs = 1: the next claims take one job of a host at a time
            with open(os.path.join(os.path.dirname(d.socket), "linksnapd.conf"), "w") as f:
                f.write(config.replace("per_host_jobs = 2", "per_host_jobs = 1"))
            d.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "per_host_jobs 2 -> 1" in d.read_log(), 10, "the reload")
            ids = [c.call("link.add", {"url": "http://h4.test/%d" % i})["link"]["id"] for i in range(3)]
            now, done = 0, 0
            while done < len(ids):
                ev = c.wait_event(lambda e: e.get("topic") in ("job.started", "job.finished")
                                  and e["link_id"] in ids, 60)
                now += 1 if ev["topic"] == "job.started" else -1
                done += ev["topic"] == "job.finished"
                self.assertLessEqual(now, 1, "h4.test ran two jobs at once after the reload")
        self.assertEqual(d.sanitizer_report(), "")

    def test_retention_prunes_a_watched_links_history(self):
        """keep_last 2 on a link's watch and five captures, each compared before the next:
        after the third, fourth and fifth the oldest one goes (the newest capture's coming
        baseline stays while its comparison runs), so the first three go, with every file
        they had and the diff overlay drawn between the first two; the last two stay, the
        newest's change naming the other. (Links no watch covers, keep_mb, thinning and
        history from before the upgrade: tests/store/test_retain.c.)"""
        from test_engine_fake import FakeBrowser
        fake = FakeBrowser({"pages": [{"match": ".test/", "noise": True, "height": 300, "width": 400,
                                       "text": "words"}]})
        # viewport: the page's own size (a 1280 x 800 noise shot cost seconds each under ASan)
        config = ("capture = on\nquiet_ms = 50\njobs = 1\njob_timeout = 20\nwatch_min_interval_s = 2\n"
                  "viewport = 400x300\nbrowser.path = %s\n" % FAKE)
        with Daemon(config=config, env=fake.env, capture=True) as d, d.client() as c:
            a = c.call("link.add", {"url": "http://kept.test/a", "capture": False})["link"]["id"]
            for params, words in [
                ({"keep_last": 0}, "'keep_last' must be from 1 to 10000, got 0"),
                ({"keep_last": 10001}, "'keep_last' must be from 1 to 10000"),
                ({"keep_last": "5"}, "'keep_last' must be an integer"),
                ({"keep_mb": 0}, "'keep_mb' must be from 1 to 1000000, got 0"),
                ({"keep_mb": 1000001}, "'keep_mb' must be from 1 to 1000000"),
                ({"keep_mb": 1.5}, "'keep_mb' must be an integer"),
            ]:
                params.update({"link_id": a, "every": "1h"})
                e = self.assertRpcError(-32602, c.call, "watch.set", params)
                self.assertIn(words, e.message, params)
            w = c.call("watch.set", {"link_id": a, "every": "1h", "keep_last": 2, "keep_mb": 50})["watch"]
            self.assertEqual((w["keep_last"], w["keep_mb"]), (2, 50))
            self.assertEqual(c.call("watch.list")["watches"][0]["keep_last"], 2)
            st = c.call("daemon.status")["watches"]
            self.assertEqual((st["pruned"], st["keep_last"], st["keep_mb"]), (0, 50, 200))
            c.call("events.subscribe", {"topics": ["job", "snapshot"]})

            def capture(link, compared):
                r = c.call("snapshot.request", {"link_id": link})
                ev = c.wait_event(lambda e: e.get("topic") == "job.finished" and e["job_id"] == r["job_id"], 60)
                sid = ev["snapshot"]["id"]
                self.assertEqual(ev["state"], "ok", ev)
                if compared:   # its change stored before the next capture starts
                    self.assertIsNotNone(d.wait_change(sid), sid)
                return sid

            ids, files = [], {}
            for i in range(5):
                ids.append(capture(a, i > 0))
                snap = d.sql("SELECT path, thumb_path, json_extract(files, '$.mhtml.path') FROM snapshots "
                             "WHERE id = ?", (ids[-1],))
                files[ids[-1]] = [f for f in snap[0] if f]
                if i == 1:   # a diff overlay between the first two, drawn and kept
                    overlay = c.call("snapshot.diff", {"from": ids[0], "to": ids[1]})["image"]["path"]
                    self.assertTrue(os.path.exists(overlay))
            # what went: the three oldest, each told by snapshot.deleted
            gone = []
            while len(gone) < 3:
                ev = c.wait_event(lambda e: e.get("topic") == "snapshot.deleted", 30)
                self.assertEqual((ev["link_id"], ev["reason"]), (a, "retention"))
                gone += ev["ids"]
            self.assertEqual(gone, ids[:3])
            left = [r[0] for r in d.sql("SELECT id FROM snapshots WHERE link_id = ? ORDER BY id", (a,))]
            self.assertEqual(left, ids[3:])
            self.assertEqual(d.call("snapshot.get", {"id": ids[4]})["snapshot"]["change"]["against"], ids[3])
            # their files leave the disk (off the loop, after the commit); the kept ones stay
            wait_until(lambda: not os.path.exists(overlay), 10, "the overlay removed")
            for sid in ids[3:]:
                self.assertTrue(files[sid] and all(os.path.exists(f) for f in files[sid]), files[sid])
            self.assertGreaterEqual(len(files[ids[0]]), 3)   # screenshot, thumbnail, MHTML
            for sid in ids[:3]:
                for f in files[sid]:
                    wait_until(lambda: not os.path.exists(f), 10, "%s removed" % f)
            self.assertEqual(c.call("daemon.status")["watches"]["pruned"], 3)
            self.assertTrue(d.integrity_check())
        self.assertEqual(d.sanitizer_report(), "")

    def test_bad_retention_defaults_refused(self):
        """watch_keep_last and watch_keep_mb out of range: linksnapd does not start and
        says which key and why."""
        import subprocess
        import tempfile
        from linksnap_test import LINKSNAPD
        with tempfile.TemporaryDirectory(prefix="linksnap-test-") as tmp:
            for kv, words in [("watch_keep_last=0", "watch_keep_last: expected a whole number from 1 to 10000"),
                              ("watch_keep_last=many", "watch_keep_last: expected a whole number"),
                              ("watch_keep_mb=1000001", "watch_keep_mb: expected a whole number from 1 to 1000000")]:
                r = subprocess.run([LINKSNAPD, "--state-dir", os.path.join(tmp, "s"), "--socket",
                                    os.path.join(tmp, "s.sock"), "--no-capture", "--set", kv],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(words, r.stderr)


if __name__ == "__main__":
    main()

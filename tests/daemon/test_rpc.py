"""test_rpc -- the JSON-RPC surface of the real linksnapd: framing, error codes, batches,
pipelining, many clients, hostile input, and the daemon's life (lock, stale socket,
SIGTERM). Each test asserts the daemon keeps serving afterwards."""
import json
import os
import random
import socket
import subprocess
import threading
import time

from linksnap_test import Client, Daemon, RpcError, TestCase, main, LINKSNAPD


def rpc_line(method, params=None, id=1):
    m = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        m["params"] = params
    return (json.dumps(m) + "\n").encode()


class RpcTests(TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def assertServing(self):
        self.assertEqual(self.d.call("daemon.ping"), {"pong": True})

    def test_ping_and_status(self):
        st = self.d.call("daemon.status")
        for key in ("version", "uptime_s", "links", "tags", "snapshots", "queue", "browser"):
            self.assertIn(key, st)
        self.assertEqual(set(st["queue"]), {"queued", "running"}, st)

    def test_unknown_method(self):
        e = self.assertRpcError(-32601, self.d.call, "no.such.method")
        self.assertIn("no.such.method", e.message)

    def test_parse_error_has_null_id(self):
        with self.d.client() as c:
            c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":\n')
            r = c.read_reply()
            self.assertIsNone(r["id"])
            self.assertEqual(r["error"]["code"], -32700)
        self.assertServing()

    def test_invalid_requests(self):
        cases = [
            b'42\n', b'"x"\n', b'{"id":1,"method":"daemon.ping"}\n',
            b'{"jsonrpc":"2.0","id":1,"method":7}\n',
            b'{"jsonrpc":"2.0","id":[1],"method":"daemon.ping"}\n',
            b'{"jsonrpc":"2.0","id":1,"method":"daemon.ping","params":"x"}\n',
        ]
        with self.d.client() as c:
            for raw in cases:
                c.send_raw(raw)
                r = c.read_reply()
                self.assertEqual(r["error"]["code"], -32600, raw)
        self.assertServing()

    def test_positional_params_refused(self):
        with self.d.client() as c:
            c.send_raw(b'{"jsonrpc":"2.0","id":5,"method":"daemon.status","params":[1]}\n')
            r = c.read_reply()
            self.assertEqual((r["id"], r["error"]["code"]), (5, -32602))

    def test_unknown_param_refused(self):
        e = self.assertRpcError(-32602, self.d.call, "daemon.status", {"bogus": 1})
        self.assertIn("bogus", e.message)

    def test_errors_carry_code_and_params(self):
        """error.data {code, params} beside the English message (docs/protocol.md, "Error
        codes"): what a page translates."""
        cases = [
            ("link.add", {"url": "hello world"}, -32602, "url_not_a_url", {"text": "hello world"}),
            ("link.add", {"url": "ftp://x.example/"}, -32602, "url_bad_scheme", {"scheme": "ftp"}),
            ("link.add", {"url": "https://code.example/", "tags": ["a,b"]}, -32602, "tag_comma",
             {"tag": "a,b"}),
            ("link.add", {}, -32602, "param_missing", {"param": "url"}),
            ("link.add", {"url": 7}, -32602, "param_type", {"param": "url"}),
            ("link.get", {"id": 987654}, -32001, "link_not_found", {"id": "987654"}),
            ("link.list", {"limit": 0}, -32602, "param_range",
             {"param": "limit", "min": "1", "max": "500", "got": "0"}),
            ("daemon.status", {"bogus": 1}, -32602, "param_unknown", {"param": "bogus"}),
            ("tag.rename", {"from": "no-such-tag", "to": "x"}, -32001, "tag_not_found",
             {"tag": "no-such-tag"}),
            ("site.set", {"match": "a b", "user_agent": "x"}, -32602, "site_match_space",
             {"param": "match"}),
            ("snapshot.get", {"id": 987654}, -32001, "snapshot_not_found", {"id": "987654"}),
        ]
        for method, params, code, ecode, eparams in cases:
            e = self.assertRpcError(code, self.d.call, method, params)
            self.assertEqual(e.data, {"code": ecode, "params": eparams}, (method, params, e.message))
            self.assertTrue(e.message and e.message[0].isascii(), e.message)   # the English stays
        # an error no code names carries no data, as before
        e = self.assertRpcError(-32601, self.d.call, "no.such.method")
        self.assertIsNone(e.data)
        self.assertServing()

    def test_batch_replies_carry_codes_per_url(self):
        with self.d.client() as c:
            batch = [{"jsonrpc": "2.0", "id": i, "method": "link.add",
                      "params": {"url": u, "capture": False}}
                     for i, u in enumerate(["https://batch-code.example/", "not-a-url", "mailto:x@y"])]
            c.send_raw((json.dumps(batch) + "\n").encode())
            r = c.read_reply()
        self.assertIn("result", r[0])
        self.assertEqual(r[1]["error"]["data"], {"code": "url_not_a_url", "params": {"text": "not-a-url"}})
        self.assertEqual(r[1]["error"]["message"], "not a URL: not-a-url (expected http:// or https://)")
        self.assertEqual(r[2]["error"]["data"], {"code": "url_bad_scheme", "params": {"scheme": "mailto"}})

    def test_batch(self):
        with self.d.client() as c:
            batch = [
                {"jsonrpc": "2.0", "id": "a", "method": "daemon.ping"},
                {"jsonrpc": "2.0", "method": "daemon.ping"},            # notification: no reply
                {"jsonrpc": "2.0", "id": "b", "method": "nope"},
                5,
            ]
            c.send_raw((json.dumps(batch) + "\n").encode())
            r = c.read_reply()
            self.assertIsInstance(r, list)
            self.assertEqual(len(r), 3)
            self.assertEqual(r[0], {"jsonrpc": "2.0", "id": "a", "result": {"pong": True}})
            self.assertEqual((r[1]["id"], r[1]["error"]["code"]), ("b", -32601))
            self.assertEqual((r[2]["id"], r[2]["error"]["code"]), (None, -32600))

    def test_empty_and_huge_batches(self):
        with self.d.client() as c:
            c.send_raw(b"[]\n")
            self.assertEqual(c.read_reply()["error"]["code"], -32600)
            big = [{"jsonrpc": "2.0", "id": i, "method": "daemon.ping"} for i in range(1001)]
            c.send_raw((json.dumps(big) + "\n").encode())
            self.assertEqual(c.read_reply()["error"]["code"], -32600)
            ok = [{"jsonrpc": "2.0", "id": i, "method": "daemon.ping"} for i in range(1000)]
            c.send_raw((json.dumps(ok) + "\n").encode())
            r = c.read_reply()
            self.assertEqual([x["id"] for x in r], list(range(1000)))

    def test_notifications_only_get_no_reply(self):
        with self.d.client() as c:
            c.send_raw(b'{"jsonrpc":"2.0","method":"daemon.ping"}\n')
            c.send_raw(b'[{"jsonrpc":"2.0","method":"daemon.ping"},{"jsonrpc":"2.0","method":"x"}]\n')
            c.send_raw(rpc_line("daemon.ping", id=99))
            self.assertEqual(c.read_reply()["id"], 99)

    def test_pipelining_keeps_order(self):
        with self.d.client() as c:
            n = 500
            c.send_raw(b"".join(rpc_line("daemon.ping", id=i) for i in range(n)))
            ids = [c.read_reply()["id"] for _ in range(n)]
            self.assertEqual(ids, list(range(n)))

    def test_half_close_still_answered(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.d.socket)
        s.sendall(b"".join(rpc_line("daemon.ping", id=i) for i in range(50)))
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertEqual(len(data.splitlines()), 50)

    def test_line_over_1mib_closes_connection_only(self):
        with self.d.client() as c:
            c.send_raw(rpc_line("daemon.ping", id=1))
            try:
                c.send_raw(b'{"jsonrpc":"2.0","id":2,"method":"daemon.ping","params":{"x":"' +
                           b"a" * (2 << 20) + b'"}}\n')
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.assertEqual(c.read_reply()["id"], 1)
            r = c.read_reply()
            self.assertEqual(r["error"]["code"], -32005)
            self.assertIsNone(c.read_line())
        self.assertServing()

    def test_hostile_bytes(self):
        rnd = random.Random(1234)
        for i in range(20):
            with self.d.client() as c:
                blob = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 5000)))
                c.send_raw(blob + b"\n")
                r = c.read_reply()
                self.assertIn(r["error"]["code"], (-32700, -32600))
        with self.d.client() as c:
            c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"daemon.ping","params":{"x":"\xe4\xb8"}}\n')
            self.assertEqual(c.read_reply()["error"]["code"], -32700)
            c.send_raw(b"[" * 10000 + b"]" * 10000 + b"\n")
            self.assertEqual(c.read_reply()["error"]["code"], -32700)
            c.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"daemon.ping","params":' +
                       b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}\n")
            self.assertEqual(c.read_reply()["error"]["code"], -32700)
        self.assertServing()

    def test_client_vanishing_mid_request(self):
        for _ in range(20):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.d.socket)
            s.sendall(b"".join(rpc_line("daemon.status", id=i) for i in range(100)))
            s.close()
        self.assertServing()

    def test_200_concurrent_clients(self):
        errors = []

        def worker(k):
            try:
                with self.d.client() as c:
                    for i in range(20):
                        r = c.call("daemon.ping")
                        if r != {"pong": True}:
                            errors.append(r)
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertServing()

    def test_events_subscribe_validation(self):
        self.assertEqual(self.d.call("events.subscribe", {"topics": ["link"]}), {"subscribed": ["link"]})
        self.assertEqual(self.d.call("events.subscribe", {}), {"subscribed": ["*"]})
        self.assertRpcError(-32602, self.d.call, "events.subscribe", {"topics": [1]})
        self.assertRpcError(-32602, self.d.call, "events.subscribe", {"topics": 5})


class LifeTests(TestCase):
    def test_second_daemon_on_same_state_dir_refused(self):
        with Daemon() as d:
            other = subprocess.run([LINKSNAPD, "--http-listen", "off", "--state-dir", d.state_dir, "--socket",
                                    d.socket + "2"], capture_output=True, text=True, timeout=30)
            self.assertNotEqual(other.returncode, 0)
            self.assertIn("another linksnapd", other.stderr)
            self.assertEqual(d.call("daemon.ping"), {"pong": True})

    def test_live_socket_not_stolen(self):
        with Daemon() as d:
            state2 = os.path.join(d.root, "state2")
            other = subprocess.run([LINKSNAPD, "--http-listen", "off", "--state-dir", state2, "--socket", d.socket],
                                   capture_output=True, text=True, timeout=30)
            self.assertNotEqual(other.returncode, 0)
            self.assertIn("already listening", other.stderr)
            self.assertEqual(d.call("daemon.ping"), {"pong": True})

    def test_stale_socket_replaced_after_kill9(self):
        d = Daemon().start()
        d.kill9()
        self.assertTrue(os.path.exists(d.socket))
        d.start()
        self.assertEqual(d.call("daemon.ping"), {"pong": True})
        d.close()

    def test_sigterm_exits_zero_and_removes_socket(self):
        d = Daemon().start()
        self.assertEqual(d.stop(), 0)
        self.assertFalse(os.path.exists(d.socket))
        self.assertIn("stopped", d.read_log())
        d.close()

    def test_state_dir_and_socket_modes(self):
        with Daemon() as d:
            self.assertEqual(os.stat(d.state_dir).st_mode & 0o777, 0o700)
            self.assertEqual(os.stat(d.socket).st_mode & 0o777, 0o660)

    def test_bad_config_refused_with_line(self):
        d = Daemon(config="jobs = many\n")
        with self.assertRaises(RuntimeError) as cm:
            d.start()
        self.assertIn("jobs", str(cm.exception))
        self.assertIn(":1:", str(cm.exception))

    def test_log_lines_carry_syslog_levels(self):
        with Daemon(keep=True) as d:
            pass
        lines = [l for l in d.read_log().splitlines() if l]
        self.assertTrue(lines)
        for l in lines:
            self.assertRegex(l, r"^<[0-7]>")


if __name__ == "__main__":
    main()

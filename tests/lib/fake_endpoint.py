"""fake_endpoint -- the scripted browser (tests/lib/fakecdp.c) as a remote DevTools
endpoint: `fakecdp --listen 127.0.0.1:0` with a scenario, a command log and a state dir.
Used by test_fakews (the fake itself), test_fleet (linksnapd's fleet of endpoints) and
bench/fleet."""
import json
import os
import shutil
import subprocess
import tempfile
import urllib.request

from linksnap_test import BUILD

FAKE = os.path.join(BUILD, "tests", "fakecdp")


class FakeEndpoint:
    """`fakecdp --listen 127.0.0.1:0` with a scenario, a command log and a state dir."""

    def __init__(self, scenario, args=(), port=0):
        self.dir = tempfile.mkdtemp(prefix="linksnap-fakews-")
        self.scenario = os.path.join(self.dir, "scenario.json")
        self.log = os.path.join(self.dir, "commands.jsonl")
        with open(self.scenario, "w") as f:
            json.dump(scenario, f)
        env = dict(os.environ, FAKECDP_SCENARIO=self.scenario, FAKECDP_LOG=self.log,
                   FAKECDP_STATE=self.dir)
        self.proc = subprocess.Popen([FAKE, "--listen", "127.0.0.1:%d" % port] + list(args), env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening "):
            raise AssertionError("fakecdp --listen said %r: %s" % (line, self.proc.stderr.read().decode()))
        self.port = int(line.split()[1])
        self.base = "http://127.0.0.1:%d" % self.port

    def version(self, headers=None, query=""):
        req = urllib.request.Request(self.base + "/json/version" + query, headers=headers or {})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())

    def ws_path(self):
        _, v = self.version(self.auth_headers)
        return "/" + v["webSocketDebuggerUrl"].split("/", 3)[3]

    auth_headers = {}

    def commands(self, method=None):
        out = []
        try:
            with open(self.log) as f:
                for line in f:
                    c = json.loads(line)
                    if method is None or c.get("method") == method:
                        out.append(c)
        except FileNotFoundError:
            pass
        return out

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

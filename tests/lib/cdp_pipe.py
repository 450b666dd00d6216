"""cdp_pipe -- a test's own Chromium driven over --remote-debugging-pipe, standard library
only: the browser reads NUL-terminated JSON commands on its fd 3 and writes replies and
events on fd 4, as linksnapd's own client does (capture/cdp.c). No TCP port is opened, so
no other local user can reach a browser a test starts either.

    b = Browser(["/usr/bin/chromium", "--headless", ...])
    sid = b.new_page()
    b.call("Page.navigate", {"url": u}, session=sid)
    b.close()
"""
import json
import os
import signal
import subprocess


class Browser:
    def __init__(self, argv, stderr=None):
        # ours -> fd 3 of the browser; fd 4 of the browser -> ours
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()

        def child_fds():
            # through fds no pipe end can hold, so one dup2 cannot overwrite the other's source;
            # subprocess closes every fd but pass_fds after this runs
            a, b = os.dup2(to_r, 200), os.dup2(from_w, 201)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(list(argv) + ["--remote-debugging-pipe"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=stderr, pass_fds=(3, 4),
                                     preexec_fn=child_fds, start_new_session=True)
        os.close(to_r)
        os.close(from_w)
        self.w = to_w
        self.r = from_r
        self.buf = b""
        self.next_id = 1
        self.events = []

    def send(self, method, params=None, session=None):
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.next_id += 1
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self.w, data)
            data = data[n:]
        return msg["id"]

    def read_msg(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise ConnectionError("the browser closed its pipe")
            self.buf += chunk
        one, self.buf = self.buf.split(b"\0", 1)
        return json.loads(one)

    def call(self, method, params=None, session=None):
        """Sends a command and returns its reply message (with 'result' or 'error');
        events that arrive meanwhile are kept in self.events."""
        want = self.send(method, params, session)
        while True:
            m = self.read_msg()
            if m.get("id") == want:
                return m
            if "method" in m:
                self.events.append(m)

    def new_page(self, url="about:blank"):
        """A new tab, attached with a flattened session; returns the session id."""
        t = self.call("Target.createTarget", {"url": url})["result"]["targetId"]
        return self.call("Target.attachToTarget", {"targetId": t, "flatten": True})["result"]["sessionId"]

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        for fd in (self.w, self.r):
            try:
                os.close(fd)
            except OSError:
                pass

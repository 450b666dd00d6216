"""debug_chromium -- a Chromium of a test's (or a benchmark's) own with a DevTools port, as
a remote browser endpoint is run: a fresh profile, its own process group (close() kills
the whole group), the port read from DevToolsActivePort. Used by test_egress_remote,
test_fleet_chromium and bench/fleet. Also: the TCP ports a process listens on, from /proc
(the egress proxy's listeners of linksnapd), for the tests that attack them."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

CHROMIUM = "/usr/lib/chromium/chromium" if os.path.exists("/usr/lib/chromium/chromium") else "chromium"
LOOPBACK_PORT = ["--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1"]


def chromium_args(profile, port_args, extra=()):
    args = [CHROMIUM, "--headless"] + list(port_args) + [
        "--user-data-dir=" + profile, "--no-first-run", "--disable-gpu"] + list(extra) + [
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp", "about:blank"]
    if os.geteuid() == 0:
        args.insert(1, "--no-sandbox")
    return args


def devtools_port(profile, proc, timeout=60):
    """The port Chromium wrote to DevToolsActivePort."""
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError("the Chromium exited with %s" % proc.returncode)
        try:
            with open(port_file) as f:
                return int(f.readline())
        except (OSError, ValueError):
            time.sleep(0.1)
    raise AssertionError("the Chromium did not open its DevTools port")


class DebugChromium:
    """prefix: a command to run it under (ip netns exec NS); port_args: how it listens
    (default: a port the system picks on 127.0.0.1); extra: more flags."""

    def __init__(self, prefix=(), port_args=None, extra=(), name="linksnap-chromium-"):
        self.profile = tempfile.mkdtemp(prefix=name)
        args = list(prefix) + chromium_args(self.profile, port_args or LOOPBACK_PORT, extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        try:
            self.port = devtools_port(self.profile, self.proc)
        except AssertionError:
            self.close()
            raise
        self.base = "http://127.0.0.1:%d" % self.port

    def kill9(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()

    def close(self):
        self.kill9()
        shutil.rmtree(self.profile, ignore_errors=True)


def listen_ports(pid, ip=None):
    """The TCP ports process pid listens on (its sockets' inodes against /proc/net/tcp and
    tcp6), only those bound to the IPv4 address ip when it is given."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:["):
            inodes.add(t[8:-1])
    want = "%08X" % int.from_bytes(socket.inet_aton(ip), "little") if ip else None
    ports = set()
    for name in ("/proc/net/tcp",) if ip else ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                addr, port = cols[1].rsplit(":", 1)
                if cols[3] == "0A" and cols[9] in inodes and (want is None or addr == want):
                    ports.add(int(port, 16))
    return ports

"""linksnapd_peer -- starts linksnapd as the capture benchmarks' peer (run.py and
cpu_by_thread.py): its own state dir and socket under root, --jobs conc, the formats
given, per_host_jobs = 0 (every bench page is on one host), quiet log, more --set
options from extra. Returns (Popen, socket path) once it answers daemon.ping; stops with
SystemExit (naming its log) if it exits first or never answers."""
import os
import subprocess

from linksnap_test import ping_until_ready


def start(linksnapd, root, conc, formats="png", extra=()):
    sock = os.path.join(root, "linksnapd.sock")
    log_path = os.path.join(root, "linksnapd.log")
    cmd = [linksnapd, "--state-dir", os.path.join(root, "state"), "--socket", sock,
           "--jobs", str(conc), "--set", "formats=" + formats, "--set", "per_host_jobs=0", "-q"]
    for kv in extra:
        cmd += ["--set", kv]
    with open(log_path, "ab") as log:
        p = subprocess.Popen(cmd, stdout=log, stderr=log)
    if ping_until_ready(p, sock, 30):
        return p, sock
    p.kill()
    p.wait()
    raise SystemExit("linksnapd did not start (see %s)" % log_path)

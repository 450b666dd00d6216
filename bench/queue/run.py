#!/usr/bin/env python3
"""bench/queue/run.py -- the capture queue's claim + finish rate through linksnapd's writer
(bench/queue/queue_bench.c), with and without a client reading from a real linksnapd on the
same database, beside this disk's fsync rate (the peer: what one commit per operation would
allow). Every run starts from a copy of one filled template (N links, each with a queued
capture); the configurations alternate, their order rotating each round; best + spread.

  bench/queue/run.py --build build-rel [--links 20000] [--rounds 3] [--seconds 8]
                     [--out bench/results/queue-DATE.json]

linksnapd runs with --no-capture on the run's state dir (nothing of it writes meanwhile)
in every run, so the runs differ only in the readers and the queue's settings."""
import argparse, json, os, shutil, signal, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "lib"))
import procstat  # noqa: E402

CONFIGS = [
    # name, slots, text bytes, readers, queue on
    ("queue_text", 64, 8200, 0, True),
    ("queue_text+readers", 64, 8200, 1, True),
    ("queue_notext", 64, 0, 0, True),
    ("queue_notext+readers", 64, 0, 1, True),
    ("readers_alone", 64, 8200, 1, False),
    ("queue_text_slots4", 4, 8200, 0, True),
]


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def cpu_of(pid):
    """utime + stime of a process, in seconds (it must be alive)."""
    s = procstat.cpu_s(pid)
    if s is None:
        raise OSError("process %d is gone" % pid)
    return s


def wait_socket(path, proc, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("linksnapd exited with %d" % proc.returncode)
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"daemon.ping","params":{}}\n')
            if s.recv(4096):
                s.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("linksnapd did not answer on " + path)


def one_run(a, work, tmpl, cfg):
    name, slots, text, readers, queue = cfg
    d = os.path.join(work, "run")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    shutil.copy(tmpl, os.path.join(d, "linksnap.db"))
    sock = os.path.join(d, "sock")
    daemon = subprocess.Popen(["nice", a.linksnapd, "--state-dir", d, "--socket", sock,
                               "--no-capture", "--http-listen", "off", "-q"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "daemon.log"), "a"))
    try:
        wait_socket(sock, daemon)
        la = load()
        dcpu = cpu_of(daemon.pid)
        binary = a.bench_before if name.endswith("_before_fix") else a.bench
        cmd = ["nice", binary, "run", "--db", os.path.join(d, "linksnap.db"), "--dir", d,
               "--socket", sock, "--seconds", str(a.seconds), "--slots", str(slots),
               "--text-bytes", str(text), "--readers", str(readers)]
        if not queue:
            cmd.append("--no-queue")
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=a.seconds * 20 + 60)
        if out.returncode != 0:
            raise RuntimeError("%s: %s" % (name, out.stderr.strip()))
        r = json.loads(out.stdout)
        r.update(config=name, queue=queue, load_before=la, load_after=load(),
                 daemon_cpu_s=round(cpu_of(daemon.pid) - dcpu, 3))
        if r["reader_requests"]:
            r["daemon_cpu_ms_per_request"] = round(1000 * r["daemon_cpu_s"] / r["reader_requests"], 3)
        return r
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(20)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def summary(values, lower_is_better=False):
    best, worst = max(values), min(values)
    if lower_is_better:
        best, worst = worst, best
    return {"best": best, "worst": worst, "runs": values,
            "spread_pct": round(100.0 * abs(best - worst) / best, 1) if best else 0.0}


def sizing(a, work):
    """Bytes per link (with its queued capture) and per finished capture, with and without
    its ~8 KB text in the full-text index: fill N links, measure, finish every capture,
    measure again (the file after a checkpoint; free pages counted)."""
    def size(db):
        return json.loads(subprocess.run([a.bench, "size", "--db", db], capture_output=True,
                                         text=True, check=True).stdout)
    out = {"links": a.sizing}
    for text in (8200, 0):
        db = os.path.join(work, "size-%d.db" % text)
        subprocess.run(["nice", a.bench, "fill", "--db", db, "--links", str(a.sizing)],
                       capture_output=True, check=True)
        filled = size(db)
        r = json.loads(subprocess.run(["nice", a.bench, "run", "--db", db, "--dir", work,
                                       "--seconds", "3600", "--jobs", str(a.sizing),
                                       "--text-bytes", str(text), "--readers", "0"],
                                      capture_output=True, text=True, check=True).stdout)
        done = size(db)
        used = lambda z: (z["page_count"] - z["freelist_count"]) * z["page_size"]
        out["text_%d" % text] = {
            "filled": filled, "finished": done, "run": r,
            "bytes_per_link_queued": round(used(filled) / a.sizing),
            "bytes_per_finished_capture": round((used(done) - used(filled)) / r["finished"]),
        }
        print("sizing text=%d: %d B a queued link, %d B a finished capture" %
              (text, out["text_%d" % text]["bytes_per_link_queued"],
               out["text_%d" % text]["bytes_per_finished_capture"]), file=sys.stderr)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--links", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--only", default="", help="comma-separated config names")
    ap.add_argument("--workdir", default="", help="on the disk to measure (default: a temp dir)")
    ap.add_argument("--out", default="")
    ap.add_argument("--sizing", type=int, default=0,
                    help="only measure the bytes per link and per capture over N links")
    ap.add_argument("--bench-before", default="",
                    help="a queue_bench built before a change: adds queue_text_before_fix")
    a = ap.parse_args()
    a.bench = os.path.abspath(os.path.join(a.build, "bench/queue/queue_bench"))
    a.linksnapd = os.path.abspath(os.path.join(a.build, "daemon/linksnapd"))
    configs = list(CONFIGS)
    if a.bench_before:
        a.bench_before = os.path.abspath(a.bench_before)
        configs.append(("queue_text_before_fix", 64, 8200, 0, True))
    configs = [c for c in configs if not a.only or c[0] in a.only.split(",")]
    work = tempfile.mkdtemp(prefix="queuebench-", dir=a.workdir or None)
    try:
        if a.sizing:
            res = sizing(a, work)
            if a.out:
                with open(a.out, "w") as f:
                    f.write(json.dumps(res, indent=1) + "\n")
            return
        tmpl = os.path.join(work, "template.db")
        fill = json.loads(subprocess.run(["nice", a.bench, "fill", "--db", tmpl, "--links",
                                          str(a.links)], capture_output=True, text=True,
                                         check=True).stdout)
        print("filled:", fill, file=sys.stderr)
        runs, fsyncs = [], []
        for rnd in range(a.rounds):
            k = rnd % len(configs)
            order = configs[k:] + configs[:k]
            for cfg in order:
                r = one_run(a, work, tmpl, cfg)
                r["round"] = rnd
                runs.append(r)
                print("round %d %-22s finish/s %7.1f  cpu ms/finish %6.2f  readers/s %7.1f  load %.1f" %
                      (rnd, cfg[0], r["finish_per_s"], r.get("queue_cpu_ms_per_finish", 0),
                       r["reader_per_s"], r["load_before"]),
                      file=sys.stderr)
            f = json.loads(subprocess.run(["nice", a.bench, "fsync", "--dir", work, "--seconds",
                                           "3"], capture_output=True, text=True,
                                          check=True).stdout)
            f["round"] = rnd
            f["load_before"] = load()
            fsyncs.append(f)
            print("round %d fsync/s %.1f" % (rnd, f["per_s"]), file=sys.stderr)
        res = {"links": a.links, "seconds": a.seconds, "fill": fill, "runs": runs,
               "fsync": fsyncs, "summary": {}}
        fs = summary([f["per_s"] for f in fsyncs])
        res["summary"]["fsync_per_s"] = fs
        for cfg in configs:
            rs = [r for r in runs if r["config"] == cfg[0]]
            s = {"reader_per_s": summary([r["reader_per_s"] for r in rs])}
            if cfg[4]:
                s["finish_per_s"] = summary([r["finish_per_s"] for r in rs])
                cpu = [r["queue_cpu_ms_per_finish"] for r in rs if "queue_cpu_ms_per_finish" in r]
                if cpu:   # the build before the fix does not report it
                    s["queue_cpu_ms_per_finish"] = summary(cpu, True)
                s["ratio_best_to_fsync_best"] = round(s["finish_per_s"]["best"] / fs["best"], 2)
            res["summary"][cfg[0]] = s
        text = json.dumps(res, indent=1)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text + "\n")
        print(json.dumps(res["summary"], indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""bench/charts/run.py -- our chart renderer against matplotlib (Debian's
python3-matplotlib: Figure API, Agg, no pyplot) drawing the same chart: 12 tags, two of
them Chinese, horizontal bars, 1200x440 px, PNG. Measured in one run, alternating ours
and theirs each round (and which goes first), repeated; best of each with the spread.

Ours: `chartbench render K` (in-process timings: build, draw, encode, total, CPU).
Theirs: K renders in this process, matplotlib already imported (figure build + savefig to
memory). Also: PNG encoder settings (`chartbench encoders`), throughput with 1 and 2
threads (`chartbench threads`), both PNGs written to docs/img/ for the side-by-side.

Run with Debian's Python (/usr/bin/python3), which has matplotlib:
    /usr/bin/python3 bench/charts/run.py --build build-rel [--rounds 10] [--per-round 20]
"""
import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--rounds", type=int, default=10)
ap.add_argument("--per-round", type=int, default=20)
ap.add_argument("--thread-seconds", type=float, default=3.0)
ap.add_argument("--img", default=os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img"))
args = ap.parse_args()
CHARTBENCH = os.path.join(os.path.abspath(args.build), "bench", "charts", "chartbench")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

# The same data as bench/charts/chartbench.c.
TAGS = [("linux", 1843), ("programming", 1502), ("rust", 1210), ("编程", 987),
        ("databases", 812), ("machine-learning", 640), ("networking", 533), ("机器学习", 421),
        ("security", 388), ("distributed-systems", 256), ("c", 97), ("web", 12)]


def mpl_render():
    """One chart with matplotlib's defaults where ours has no equivalent to copy."""
    fig = Figure(figsize=(12, 4.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    names = [n for n, _ in reversed(TAGS)]
    counts = [c for _, c in reversed(TAGS)]
    bars = ax.barh(names, counts, color="#4c78a8", height=0.72)
    ax.bar_label(bars, labels=[f"{c:,}" for c in counts], padding=4, fontsize=9)
    ax.set_title("Tags by number of links", loc="left", fontweight="bold")
    ax.set_title("12 tags · as of 2026-11-25 10:00 UTC", loc="right", fontsize=9, color="#6e7781")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(v):,}"))
    ax.grid(axis="x", color="#d8dee4")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.subplots_adjust(left=0.14, right=0.97, top=0.9, bottom=0.08)  # no tight_layout cost
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def theirs(n):
    wall, cpu, png = [], [], b""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph ... missing from current font"
        for _ in range(n):
            w0, c0 = time.perf_counter(), time.thread_time()
            png = mpl_render()
            cpu.append((time.thread_time() - c0) * 1e3)
            wall.append((time.perf_counter() - w0) * 1e3)
    return {"total_best": min(wall), "total_median": statistics.median(wall),
            "cpu_best": min(cpu), "cpu_median": statistics.median(cpu), "png_bytes": len(png)}, png


def ours(n, png_path=None):
    cmd = [CHARTBENCH, "render", str(n)] + (["--png", png_path] if png_path else [])
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def spread(rows, key):
    v = sorted(r[key] for r in rows)
    return {"best": v[0], "median": statistics.median(v), "worst": v[-1]}


def main():
    os.makedirs(args.img, exist_ok=True)
    print(f"# charts benchmark {time.strftime('%Y-%m-%d %H:%M')} on {os.uname().nodename}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, matplotlib {matplotlib.__version__}")
    ours(3, os.path.join(args.img, "chart-ours.png"))
    _, png = theirs(1)
    with open(os.path.join(args.img, "chart-matplotlib.png"), "wb") as f:
        f.write(png)

    mine, theirs_rows = [], []
    for r in range(args.rounds):
        order = ("ours", "theirs") if r % 2 == 0 else ("theirs", "ours")
        for who in order:
            if who == "ours":
                row = ours(args.per_round)
                mine.append(row)
            else:
                row, _ = theirs(args.per_round)
                theirs_rows.append(row)
            print(f"round {r + 1} {who}: {json.dumps(row)}", flush=True)

    print("\n# summary: per-round best of %d renders; best / median / worst over %d rounds (ms)"
          % (args.per_round, args.rounds))
    for key in ("build_best", "draw_best", "encode_best", "total_best", "cpu_best"):
        print(f"ours   {key:12s} {json.dumps(spread(mine, key))}")
    for key in ("total_best", "cpu_best"):
        print(f"theirs {key:12s} {json.dumps(spread(theirs_rows, key))}")
    print(f"png bytes: ours {mine[0]['png_bytes']}, matplotlib {theirs_rows[0]['png_bytes']}")
    ratio = spread(theirs_rows, "cpu_best")["best"] / spread(mine, "cpu_best")["best"]
    print(f"cpu best ratio matplotlib/ours: {ratio:.1f}x")

    print("\n# throughput (renders/s, wall), alternating 1 and 2 threads, 3 rounds")
    for r in range(3):
        for t in ((1, 2) if r % 2 == 0 else (2, 1)):
            out = subprocess.run([CHARTBENCH, "threads", str(t), str(args.thread_seconds)],
                                 check=True, capture_output=True, text=True).stdout.strip()
            print(f"round {r + 1} {out}", flush=True)

    print("\n# PNG encoder settings on the chart's pixels (CPU ms, best of 7)")
    out = subprocess.run([CHARTBENCH, "encoders", "7"], check=True, capture_output=True,
                         text=True).stdout
    sys.stdout.write(out)


if __name__ == "__main__":
    main()

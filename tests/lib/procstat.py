"""procstat -- what /proc says of a process or one of its threads, for the benchmarks that
count CPU (bench/capture, bench/egress, bench/fleet, bench/queue): the fields of its stat line, its CPU
seconds, and every process's parent."""
import os

TICK = os.sysconf("SC_CLK_TCK")


def stat(pid, tid=None):
    """(comm, fields) of /proc/PID/stat, or of /proc/PID/task/TID/stat; None if it is gone.
    fields are those after the (comm), which may hold spaces: [1] the parent, [11] and
    [12] utime and stime, [13] and [14] those of the children it has waited for (ticks)."""
    path = "/proc/%d/stat" % pid if tid is None else "/proc/%d/task/%d/stat" % (pid, tid)
    try:
        with open(path, "rb") as f:
            s = f.read()
    except OSError:
        return None
    end = s.rindex(b")")
    return s[s.index(b"(") + 1:end].decode("latin-1"), s[end + 2:].split()


def fields_cpu_s(f, reaped=False):
    """The CPU seconds in stat's fields (utime + stime; with reaped, plus the waited-for
    children's)."""
    return (int(f[11]) + int(f[12]) + ((int(f[13]) + int(f[14])) if reaped else 0)) / TICK


def cpu_s(pid, tid=None, reaped=False):
    """fields_cpu_s of a process (or thread) now; None if it is gone."""
    st = stat(pid, tid)
    return None if not st else fields_cpu_s(st[1], reaped)


def ppids():
    """{pid: parent pid} of every process now."""
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = stat(int(name))
            if st:
                out[int(name)] = int(st[1][1])
    return out


def children(ppid_of=None):
    """{pid: [its children]} from ppids() (or the map given)."""
    kids = {}
    for pid, pp in (ppid_of if ppid_of is not None else ppids()).items():
        kids.setdefault(pp, []).append(pid)
    return kids

"""procstat -- what /proc says of a process or one of its threads, for the benchmarks that
count CPU or memory (bench/capture, bench/egress, bench/fleet, bench/queue, bench/import,
bench/foundation, bench/search, bench/memory): the fields of its stat line, its CPU
seconds, the sizes in its status, every process's parent and a process tree."""
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


def descendants(roots, ppid_of=None):
    """The set of live processes in the trees rooted at roots (a pid or several; the roots
    themselves included when alive), from ppids() (or the map given)."""
    ppid_of = ppid_of if ppid_of is not None else ppids()
    kids = children(ppid_of)
    todo = [roots] if isinstance(roots, int) else list(roots)
    out = set()
    while todo:
        p = todo.pop()
        if p in out or (p not in ppid_of and p not in kids):
            continue
        out.add(p)
        todo.extend(kids.get(p, ()))
    return out


def status(pid):
    """{field: kB} of the sizes in /proc/PID/status (VmRSS, VmHWM, RssAnon, RssFile, ...);
    None if the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            lines = f.readlines()
    except OSError:
        return None
    out = {}
    for line in lines:
        k, _, v = line.partition(":")
        v = v.split()
        if len(v) == 2 and v[1] == "kB":
            out[k] = int(v[0])
    return out


def status_kb(pid, key):
    """One size of /proc/PID/status in kB (e.g. "VmHWM"); 0 if it or the process is gone."""
    return (status(pid) or {}).get(key, 0)

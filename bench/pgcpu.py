# Prints, every half second, the CPU seconds used in that interval by the
# PostgreSQL backends of one database and by the command's process, while
# the command runs: the launch window can then be summed from the series.
# With --backends first, it instead samples every 0.2 s and prints, when
# the command ends, each backend's CPU seconds while it was seen (with the
# statement it last ran), every other postgres process that used more
# than 0.05 s, and the command's own CPU as last sampled (session 15, "Where the launch's
# CPU goes").
#   python3 bench/pgcpu.py [--backends] DB COMMAND...
import os, subprocess, sys, time
per_backend = sys.argv[1] == '--backends'
args = sys.argv[2:] if per_backend else sys.argv[1:]
db = args[0]; cmd = args[1:]
tick = os.sysconf('SC_CLK_TCK')
def cpu(pid):
    try:
        f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick
    except Exception:
        return None
def backends():
    """The pids of db's backends, each with the start of its last statement."""
    out = subprocess.run(['psql', '-h', '127.0.0.1', '-U', 'postgres', '-tAc',
        f"select pid, left(coalesce(query, ''), 30) from pg_stat_activity where datname = '{db}'"],
        capture_output=True, text=True).stdout.splitlines()
    return [line.split('|', 1) for line in out if '|' in line]
others = {p: cpu(p) for p in subprocess.run(['pgrep', 'postgres'], capture_output=True, text=True).stdout.split()}
first, last = {}, {}
p = subprocess.Popen(cmd)
t0 = time.time(); prev_self = 0.0
while p.poll() is None:
    d = 0.0
    for pid, query in backends():
        c = cpu(pid)
        if c is None: continue
        if pid in last: d += c - last[pid][0]
        first.setdefault(pid, c); last[pid] = (c, query)
    me = cpu(p.pid) or prev_self
    if not per_backend:
        print(f"{time.time()-t0:6.1f} pg {d:5.2f} go {me-prev_self:5.2f}", file=sys.stderr, flush=True)
    prev_self = me
    time.sleep(0.2 if per_backend else 0.5)
if per_backend:
    for pid, (c, query) in last.items():
        print(f"backend {pid}: {c - first[pid]:.2f} s  {query}")
    for pid, before in others.items():
        c = cpu(pid)
        if c is not None and before is not None and c - before > 0.05 and pid not in last:
            print(f"other postgres {pid}: {c - before:.2f} s")
    # As last sampled: up to 0.2 s before the command ended.
    print(f"command: {prev_self:.2f} s")

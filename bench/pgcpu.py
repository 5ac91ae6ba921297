# Prints, every half second, the CPU seconds used in that interval by the
# PostgreSQL backends of one database and by the command's process, while
# the command runs: the launch window can then be summed from the series.
import os, subprocess, sys, time
db = sys.argv[1]; cmd = sys.argv[2:]
tick = os.sysconf('SC_CLK_TCK')
def cpu(pid):
    try:
        f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick
    except Exception:
        return None
last = {}
p = subprocess.Popen(cmd)
t0 = time.time(); prev_self = 0.0
while p.poll() is None:
    out = subprocess.run(['psql', '-h', '127.0.0.1', '-U', 'postgres', '-tAc',
        f"select pid from pg_stat_activity where datname = '{db}'"], capture_output=True, text=True).stdout.split()
    d = 0.0
    for pid in out:
        c = cpu(pid)
        if c is None: continue
        if pid in last: d += c - last[pid]
        last[pid] = c
    me = cpu(p.pid) or prev_self
    print(f"{time.time()-t0:6.1f} pg {d:5.2f} go {me-prev_self:5.2f}", file=sys.stderr, flush=True)
    prev_self = me
    time.sleep(0.5)

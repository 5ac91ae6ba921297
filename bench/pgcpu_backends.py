# Like pgcpu.py, but per process: runs the command and prints, when it
# ends, the CPU seconds each PostgreSQL backend of one database used while
# it was seen (with the statement it last ran), and every other postgres
# process that used more than 0.05 s. Session 15, "Where the launch's CPU
# goes": python3 bench/pgcpu_backends.py DB ./store.test -test.bench ...
import os, subprocess, sys, time
db = sys.argv[1]; cmd = sys.argv[2:]
tick = os.sysconf('SC_CLK_TCK')
def cpu(pid):
    try:
        f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
        return (int(f[11]) + int(f[12])) / tick
    except Exception:
        return None
first, last = {}, {}
allpg = subprocess.run(['pgrep', '-f', 'postgres'], capture_output=True, text=True).stdout.split()
base = {p: cpu(p) for p in allpg}
p = subprocess.Popen(cmd)
while p.poll() is None:
    out = subprocess.run(['psql', '-h', '127.0.0.1', '-U', 'postgres', '-tAc',
        f"select pid, left(coalesce(query,''),30) from pg_stat_activity where datname = '{db}'"], capture_output=True, text=True).stdout.splitlines()
    for line in out:
        pid, q = line.split('|', 1)
        c = cpu(pid)
        if c is None: continue
        first.setdefault(pid, (c, q)); last[pid] = (c, q)
    time.sleep(0.2)
for pid in last:
    print(f"backend {pid}: {last[pid][0]-first[pid][0]:.2f} s  {last[pid][1]}")
for pp, b in base.items():
    c = cpu(pp)
    if c is not None and b is not None and c - b > 0.05: print(f"other pg {pp}: {c-b:.2f} s")

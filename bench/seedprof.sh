#!/bin/bash
# usage: bench/seedprof.sh CANDOR_BINARY CUSTOMERS [extra seed args, e.g. --timings]
# (docs/benchmarks.md, "Seeding 1M (issue 17, session 6)")
# A fresh database, candor migrate, candor seed; prints wall/CPU of candor and
# the CPU of the PostgreSQL backend that served it (polled from ps).
set -e
bin=$1; n=$2; shift 2
db=candor_seedprof_$$
psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $db" >/dev/null
trap 'psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
export CANDOR_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
export CANDOR_REDIS_URL="${CANDOR_REDIS_URL:-redis://127.0.0.1:6379/5}" # only binaries before session 6 need it
export CANDOR_SECRET_KEY="${CANDOR_SECRET_KEY:-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb}"
export CANDOR_LOG_LEVEL=info
"$bin" migrate >/dev/null 2>&1
tmp=$(mktemp -d); out=$tmp/out
( while true; do ps -eo pid=,times=,args= | grep "postgres: .* $db " | grep -v grep | awk "{print \$1, \$2}" >> $out.ps; sleep 0.5; done ) &
poller=$!
load0=$(cut -d' ' -f1-3 /proc/loadavg)
/usr/bin/time -f "candor_wall %e candor_user %U candor_sys %S candor_maxrss_kb %M" "$bin" seed --customers "$n" "$@" >$out.stdout 2>$out.stderr || { cat $out.stderr; kill $poller; exit 1; }
kill $poller
load1=$(cut -d' ' -f1-3 /proc/loadavg)
cat $out.stdout
grep -E "table loaded|candor_wall" $out.stderr | sed -e 's/^time=[^ ]* //'
echo "pg_backend_cpu_s $(sort -k1,1 -k2,2n $out.ps | awk "{m[\$1]=\$2} END {for (p in m) printf \"%s:%s \", p, m[p]}")"
echo "load_before $load0 load_after $load1"
rm -rf "$tmp"

#!/bin/sh
# Times one seed on a fresh PostgreSQL database, for side-by-side runs of two
# candor binaries (docs/benchmarks.md, "Seeding"):
#   farm-bench -n 3 --warmup 0 --timeout 580 --vs 'bench/seedrun.sh OLD 50000' -- bench/seedrun.sh NEW 50000
# usage: seedrun.sh CANDOR_BINARY CUSTOMERS
set -e
db=candor_seedrun_$$
psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $db" >/dev/null
trap 'psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE $db" >/dev/null' EXIT
export CANDOR_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
export CANDOR_REDIS_URL="redis://127.0.0.1:6379/5"
export CANDOR_SECRET_KEY="${CANDOR_SECRET_KEY:-0123456789abcdef0123456789abcdef0123456789abcdef}"
"$1" migrate >/dev/null 2>&1
"$1" seed --customers "$2" >/dev/null 2>&1

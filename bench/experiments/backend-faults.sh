#!/bin/sh
# Session 17, "The first launch of a process is its slowest, and why": in
# one psql session, the same COPY of 352,000 launch-like deliveries twice
# (each rolled back, the table vacuumed between), printing the backend's
# minor page faults and CPU (from /proc, so PostgreSQL on this host) and
# each COPY's time. A new server process faults in shared memory as it
# first touches it: the first COPY takes several times the faults of the
# second. Needs a seeded database (candor seed --customers 1000000) and a
# superuser.
#   bench/experiments/backend-faults.sh 'postgres://postgres@127.0.0.1:5432/candor_x?sslmode=disable'
set -eu
DB=$1
COLS=campaign_id,customer_id,channel,locale,content_id,content_version,scheduled_at,status,reason,generation,created_at,updated_at,preference_version
ROWS=$(mktemp)
SQL=$(mktemp)
trap 'rm -f "$ROWS" "$SQL"' EXIT
psql -X -q -v ON_ERROR_STOP=1 "$DB" -c "\copy (SELECT -1, c.id, 'email', 'en', -1, 1, now() + (c.id % 43200) * interval '1 minute', 'planned', '', 1, now(), now(), 0 FROM customers c ORDER BY c.id LIMIT 352000) TO '$ROWS'"
stat='\! awk '"'"'{print "backend: minor faults", $10, "CPU-s", ($14+$15)/100}'"'"' /proc/$BP/stat'
{
	printf '%s\n' 'SELECT pg_backend_pid() AS bp \gset'
	printf '%s\n' '\setenv BP :bp'
	printf '%s\n' "$stat"
	for i in 1 2; do
		printf '%s\n' '\timing on'
		printf '%s\n' 'BEGIN;'
		printf '%s\n' "\\copy deliveries ($COLS) FROM '$ROWS'"
		printf '%s\n' 'ROLLBACK;'
		printf '%s\n' '\timing off'
		printf '%s\n' "$stat"
		printf '%s\n' 'VACUUM deliveries;'
	done
} > "$SQL"
psql -X -q -v ON_ERROR_STOP=1 "$DB" -f "$SQL" | grep -E 'backend|^Time: [0-9]{4}'

#!/bin/sh
# Issue 17's own reference on this machine: "COPY of the same 1M rows into
# deliveries: 7.0-8.9 s; with only the primary key: 2.0-2.2 s". Makes
# 1,000,000 launch-like delivery rows from the customers of a seeded
# database (candor seed --customers 1000000), then three times each, after
# a CHECKPOINT: \copy into a table of deliveries' columns with only the
# primary key, and into deliveries itself in a transaction rolled back.
# It tells whether a host writes like the issue's machine (session 16).
#   bench/experiments/issue17-reference.sh 'postgres://postgres@127.0.0.1:5432/candor_x?sslmode=disable'
set -eu
DB=$1
P() { psql -X -q -v ON_ERROR_STOP=1 "$DB" "$@"; }
COLS=campaign_id,customer_id,channel,locale,content_id,content_version,scheduled_at,status,reason,generation,created_at,updated_at,preference_version
ROWS=$(mktemp)
trap 'rm -f "$ROWS"; P -c "DROP TABLE IF EXISTS issue17_pk_only"' EXIT
trap 'exit 130' INT TERM
P -c "\copy (SELECT -1, c.id, 'email', 'en', -1, 1, now() + (c.id % 43200) * interval '1 minute', 'planned', '', 1, now(), now(), 0 FROM customers c ORDER BY c.id LIMIT 1000000) TO '$ROWS'"
echo "$(wc -l < "$ROWS") rows"
P -c "DROP TABLE IF EXISTS issue17_pk_only" \
   -c "CREATE TABLE issue17_pk_only (LIKE deliveries INCLUDING DEFAULTS INCLUDING IDENTITY)" \
   -c "ALTER TABLE issue17_pk_only ADD PRIMARY KEY (id)"
for i in 1 2 3; do
	P -c checkpoint
	# Captured first: set -e then stops on a failed psql (ON_ERROR_STOP),
	# which a pipeline's last command would hide.
	out=$(P -c '\timing on' -c "\copy issue17_pk_only ($COLS) FROM '$ROWS'")
	echo "primary key only: $(echo "$out" | grep '^Time')"
	P -c 'TRUNCATE issue17_pk_only' -c checkpoint
	out=$(P -c '\timing on' -c begin -c "\copy deliveries ($COLS) FROM '$ROWS'" -c rollback)
	echo "into deliveries:  $(echo "$out" | grep '^Time' | sed -n 2p)"
	P -c 'VACUUM deliveries'
done

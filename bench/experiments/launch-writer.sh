#!/bin/sh
# Session 16's psql experiments on what a launch's writes cost, on a
# seeded database (candor seed --customers 1000000), each in a transaction
# rolled back after a CHECKPOINT, then a VACUUM, three rounds (ROUNDS=n):
#   analyze  the launch's old ANALYZE (both tables whole) against
#            launchAnalyze, in a transaction holding 333,333 deliveries
#            and 666,667 exclusions;
#   one      333,333 deliveries in one INSERT against 130;
#   seq      130 INSERTs into each table, one table after the other,
#            against alternating (as a launch's batches do);
#   trigger  the 333,333-row INSERT with the report trigger on and off;
#   busy     the same INSERT alone and beside a busy loop on the other core.
#   bench/experiments/launch-writer.sh 'postgres://postgres@127.0.0.1:5432/candor_x?sslmode=disable' [analyze one seq trigger busy]
set -eu
DB=$1; shift
P() { psql -X -q -v ON_ERROR_STOP=1 "$DB" "$@"; }
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"; kill $(jobs -p) 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
DCOLS="campaign_id, customer_id, channel, locale, content_id, content_version, scheduled_at, status, generation, created_at, updated_at, preference_version"
# ins FROM TO: the launch-like deliveries of customers FROM < id <= TO
ins() { echo "INSERT INTO deliveries ($DCOLS) SELECT 999, id, 'email', 'en', 1, 1, now() + (id % 1000) * interval '1 min', 'planned', 1, now(), now(), 1 FROM customers WHERE id % 3 = 0 AND id > $1 AND id <= $2;"; }
exc() { echo "INSERT INTO campaign_exclusions (campaign_id, customer_id, reason) SELECT 999, id, 'no_consent' FROM customers WHERE id % 3 <> 0 AND id > $1 AND id <= $2;"; }
# timed NAME: runs the statements on stdin in one transaction, rolled back
timed() {
	{ echo "BEGIN;"; echo "SELECT clock_timestamp() AS t0 \\gset"; cat; echo "SELECT '$1 ' || (clock_timestamp() - :'t0'::timestamptz);"; echo "ROLLBACK;"; } > "$DIR/$1.sql"
	P -c checkpoint
	P -At -f "$DIR/$1.sql"
	P -c 'VACUUM deliveries' -c 'VACUUM campaign_exclusions'
}
run() {
	case $1 in
	analyze)
		{ ins 0 1000000; exc 0 1000000
		  echo "SELECT clock_timestamp() AS a0 \\gset"; echo "ANALYZE deliveries; ANALYZE campaign_exclusions;"
		  echo "SELECT 'both tables whole ' || (clock_timestamp() - :'a0'::timestamptz);"
		  echo "SELECT clock_timestamp() AS a0 \\gset"; echo "ANALYZE deliveries (campaign_id, customer_id, content_id, status, scheduled_at);"
		  echo "SELECT 'launchAnalyze ' || (clock_timestamp() - :'a0'::timestamptz);"; } | timed analyze ;;
	one)
		ins 0 1001000 | timed one-statement
		i=0; while [ $i -lt 130 ]; do ins $((i*7700)) $(((i+1)*7700)); i=$((i+1)); done | timed 130-statements ;;
	seq)
		{ i=0; while [ $i -lt 130 ]; do ins $((i*7700)) $(((i+1)*7700)); i=$((i+1)); done
		  i=0; while [ $i -lt 130 ]; do exc $((i*7700)) $(((i+1)*7700)); i=$((i+1)); done; } | timed one-table-after-the-other
		i=0; while [ $i -lt 130 ]; do ins $((i*7700)) $(((i+1)*7700)); exc $((i*7700)) $(((i+1)*7700)); i=$((i+1)); done | timed alternating ;;
	trigger)
		ins 0 1000000 | timed trigger-on
		{ echo "ALTER TABLE deliveries DISABLE TRIGGER deliveries_report_insert;"; ins 0 1000000; } | timed trigger-off ;;
	busy)
		ins 0 1000000 | timed alone
		sh -c 'while :; do :; done' & busy=$!
		ins 0 1000000 | timed beside-a-busy-loop
		kill $busy ;;
	*) echo "unknown experiment $1" >&2; exit 2 ;;
	esac
}
[ $# -gt 0 ] || set -- analyze one seq trigger busy
round=0
while [ $round -lt "${ROUNDS:-3}" ]; do
	for e in "$@"; do run "$e"; done
	round=$((round+1))
done

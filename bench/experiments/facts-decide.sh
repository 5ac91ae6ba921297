#!/bin/sh
# Session 18, lever (a): the planning statement with every column (as
# explain reads it) against the one a launch or preview now reads, the
# profile only where the consent is opted_in (factsDecide), on a seeded 1M
# database (candor seed --customers 1000000). Prints each one's binary
# COPY size as the client receives it and, three times each, its backend
# time with COPY to /dev/null (needs a superuser).
#   bench/experiments/facts-decide.sh 'postgres://postgres@127.0.0.1:5432/candor_x?sslmode=disable'
set -eu
DB=$1
P() { psql -X -q -v ON_ERROR_STOP=1 "$DB" "$@"; }
only() { echo "CASE WHEN co.status = 'opted_in' THEN $1 END"; }
FROM="FROM (SELECT * FROM customers c WHERE c.attributes @> '{\"plan\": \"free\"}' OR c.attributes @> '{\"plan\": \"pro\"}'
	OR c.attributes @> '{\"plan\": \"enterprise\"}') c LEFT JOIN consents co ON co.customer_id = c.id AND co.topic = 'product-roadmap' ORDER BY c.id"
CONSENT="c.preference_version, c.suppressed, c.erased_at, co.status, co.source, co.seq, co.key_id, co.event_hash, co.mac, false, NULL::timestamptz[]"
FULL="SELECT c.id, c.external_id, c.email, c.phone, c.locale, c.timezone, c.preferred_channel,
	c.preferred_windows_text, c.cadence_text, $CONSENT $FROM"
DECIDE="SELECT c.id, $(only c.external_id), $(only c.email), $(only c.phone), $(only c.locale), $(only c.timezone),
	c.preferred_channel, $(only c.preferred_windows_text), $(only c.cadence_text), $CONSENT $FROM"
for q in FULL DECIDE; do
	eval "sql=\$$q"
	echo "$q bytes: $(P -c "COPY ($sql) TO STDOUT (FORMAT binary)" | wc -c)"
done
for i in 1 2 3; do
	for q in FULL DECIDE; do
		eval "sql=\$$q"
		echo "$q backend: $(P -c '\timing on' -c "COPY ($sql) TO '/dev/null' (FORMAT binary)" | grep '^Time')"
	done
done

#!/bin/bash
# Session 15: the launch's rows (a launch kept in candor_l15 as campaign 50) COPYed in
# text, CSV and binary format into deliveries, rolled back, alternating.
DB=candor_l15; C=50
P="psql -h 127.0.0.1 -U postgres -X -q $DB"
COLS='campaign_id,customer_id,channel,locale,content_id,content_version,scheduled_at,status,reason,generation,created_at,updated_at,preference_version'
SEL="SELECT -1::bigint, customer_id, channel, locale, -1::bigint, content_version, scheduled_at, status, reason, generation, created_at, updated_at, preference_version FROM deliveries WHERE campaign_id = $C ORDER BY id"
$P -c "COPY ($SEL) TO '/tmp/r.txt'" -c "COPY ($SEL) TO '/tmp/r.csv' WITH (FORMAT csv)" -c "COPY ($SEL) TO '/tmp/r.bin' WITH (FORMAT binary)"
for i in 1 2 3 4; do
 for f in "txt|" "csv|WITH (FORMAT csv)" "bin|WITH (FORMAT binary)"; do
  ext=${f%%|*}; opt=${f#*|}
  $P -c checkpoint
  echo -n "$ext: "; $P -c '\timing on' -c begin -c "COPY deliveries ($COLS) FROM '/tmp/r.$ext' $opt" -c rollback | grep Time | sed -n 2p
  $P -c 'VACUUM deliveries'
 done
done

#!/usr/bin/env bash
# Replays the send's two delivery updates (claim, outcome) on 100,000
# planned rows in a copy of deliveries, as it is and as a claim that
# changes no indexed column would be at a given fillfactor, and prints
# each run's time, HOT updates and heap size (docs/benchmarks.md,
# "Session 13", "What a HOT claim would buy").
#
#   bench/experiments/hot-claim.sh 'postgres://postgres@127.0.0.1:5432/candor_db?sslmode=disable'
#
# The database must be migrated (candor migrate); the script makes and
# drops its own tables hot_as_is and hot_kept.
set -euo pipefail
db=$1
psql() { command psql -q -v ON_ERROR_STOP=1 "$db" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; psql -c "DROP TABLE IF EXISTS hot_as_is, hot_kept" 2>/dev/null' EXIT
ev() { printf '%s' "events = events || '[{\"to\":\"$1\",\"at\":\"2026-12-02T10:00:00Z\",\"worker\":\"w\"}]'"; }
snap="updated_at = now(), lease_owner = 'w', attempts = attempts + 1, sent_at = now(), address_fingerprint = '0123456789abcdef0123456789abcdef', send_timezone = 'Europe/Berlin', send_window = 1, send_local = '2026-12-02T10:00', preference_version = 1, $(ev sending)"
for x in $(seq 1 300 100000); do
  range="id BETWEEN $x AND $((x + 299))"
  out="UPDATE %s SET status = 'sent', reason = '', updated_at = now(), lease_until = NULL, lease_owner = '', provider_id = 'p' || id, $(ev sent) WHERE $range AND status <> 'sent';"
  echo "UPDATE hot_as_is SET status = 'sending', lease_until = now() + interval '1 minute', $snap WHERE $range AND status = 'planned';" >> "$tmp/as_is.sql"
  printf "$out\n" hot_as_is >> "$tmp/as_is.sql"
  echo "UPDATE hot_kept SET claimed_until = now() + interval '1 minute', $snap WHERE $range AND status = 'planned';" >> "$tmp/kept.sql"
  printf "$out\n" hot_kept >> "$tmp/kept.sql"
done
run() { # table, storage option, script
  psql -c "DROP TABLE IF EXISTS $1" -c "CREATE TABLE $1 (LIKE deliveries INCLUDING ALL) $2" \
    -c "ALTER TABLE $1 ADD COLUMN claimed_until timestamptz" \
    -c "INSERT INTO $1 (campaign_id, customer_id, channel, locale, content_id, content_version, scheduled_at, status, created_at, updated_at)
        SELECT 1, g, 'webhook', 'en', 1, 1, now(), 'planned', now(), now() FROM generate_series(1, 100000) g" \
    -c "VACUUM ANALYZE $1" -c "CHECKPOINT"
  # The kept claim writes no lease_until: its index goes.
  [ "$1" = hot_kept ] && psql -c "DROP INDEX hot_kept_lease_until_idx"
  start=$(date +%s.%N)
  psql -f "$3"
  end=$(date +%s.%N)
  echo "$1 $2: $(echo "$end - $start" | bc) s; updates, HOT, heap: $(psql -Atc "SELECT n_tup_upd, n_tup_hot_upd, pg_size_pretty(pg_relation_size('$1')) FROM pg_stat_user_tables WHERE relname = '$1'")"
}
run hot_as_is "" "$tmp/as_is.sql"
for ff in 80 50 35; do
  run hot_kept "WITH (fillfactor = $ff)" "$tmp/kept.sql"
done

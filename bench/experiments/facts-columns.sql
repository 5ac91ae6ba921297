-- Session 15, "The wishes read as text": where the planning statement's
-- backend CPU goes, each a server-side binary COPY of a growing select list
-- on a seeded 1M database (psql -f; needs a superuser for COPY TO a file).
\timing on
SET jit = off;
-- join only
COPY (SELECT c.id, pc.status FROM (SELECT c.id FROM customers c WHERE c.attributes->>'plan' = ANY('{free,pro,enterprise}')) c LEFT JOIN consents pc ON pc.customer_id = c.id AND pc.topic = 'product-roadmap' ORDER BY c.id) TO '/dev/null' WITH (FORMAT binary);
-- customer columns, no jsonb casts, no consent MAC fields
COPY (SELECT c.id, c.external_id, c.email, c.phone, c.locale, c.timezone, c.preferred_channel, c.preference_version, c.suppressed, c.erased_at, pc.status FROM (SELECT * FROM customers c WHERE c.attributes->>'plan' = ANY('{free,pro,enterprise}')) c LEFT JOIN consents pc ON pc.customer_id = c.id AND pc.topic = 'product-roadmap' ORDER BY c.id) TO '/dev/null' WITH (FORMAT binary);
-- plus jsonb as text
COPY (SELECT c.id, c.external_id, c.email, c.phone, c.locale, c.timezone, c.preferred_channel, c.preferred_windows::text, c.cadence::text, c.preference_version, c.suppressed, c.erased_at, pc.status FROM (SELECT * FROM customers c WHERE c.attributes->>'plan' = ANY('{free,pro,enterprise}')) c LEFT JOIN consents pc ON pc.customer_id = c.id AND pc.topic = 'product-roadmap' ORDER BY c.id) TO '/dev/null' WITH (FORMAT binary);
-- plus jsonb binary instead
COPY (SELECT c.id, c.external_id, c.email, c.phone, c.locale, c.timezone, c.preferred_channel, c.preferred_windows, c.cadence, c.preference_version, c.suppressed, c.erased_at, pc.status FROM (SELECT * FROM customers c WHERE c.attributes->>'plan' = ANY('{free,pro,enterprise}')) c LEFT JOIN consents pc ON pc.customer_id = c.id AND pc.topic = 'product-roadmap' ORDER BY c.id) TO '/dev/null' WITH (FORMAT binary);

-- the statement as planning read it before migration 00032
COPY (SELECT c.id, c.external_id, c.email, c.phone, c.locale, c.timezone, c.preferred_channel, c.preferred_windows::text, c.cadence::text, c.preference_version, c.suppressed, c.erased_at, pc.status, pc.source, pc.seq, pc.key_id, pc.event_hash, pc.mac, false, NULL::timestamptz[]
 FROM (SELECT c.id, c.external_id, c.email, c.phone, c.locale, c.timezone, c.preferred_channel, c.preferred_windows, c.cadence, c.preference_version, c.suppressed, c.erased_at FROM customers c WHERE c.attributes->>'plan' = ANY('{free,pro,enterprise}')) c
 LEFT JOIN consents pc ON pc.customer_id = c.id AND pc.topic = 'product-roadmap' ORDER BY c.id) TO '/dev/null' WITH (FORMAT binary);

-- +goose Up
-- Issue 13: a campaign report over 1,000,000 deliveries answers in under
-- a second. Counting the campaign's deliveries when the report is asked
-- reads every row (12 s of CPU at 1,000,000 for the respect groups):
-- this table keeps the counts as the deliveries change instead, so a
-- report reads a few rows per status and per respect group whatever the
-- campaign's size (store/report_counts.go).
--
-- One row per campaign, shard and group key: status, reason, channel and,
-- (planned, queued and sending are one status here, 'planned' with no
-- reason: the report shows them as pending, and the worker's dispatches
-- and claims then change no count)
-- for sent deliveries, what the respect check reads (the same key the
-- grouped query of store/report_respect.go groups by, which stays as the
-- audit): whether the local time has the planner's strict form and the
-- wishes in force at the send are known, those wishes' zone and windows,
-- the snapshot's zone, window and local minute, the UTC minute, whether
-- the seconds agree, and the hours. '' stands for "none" in the text
-- keys. n counts the deliveries, on_channel those of a known group sent
-- on the wishes' channel (the only ones the check reads it of);
-- first/last_sent_at bound the sends (never shrunk: they only bound
-- searches).
--
-- Triggers keep it: every path that writes deliveries (launch COPY, the
-- worker's batched moves, erasure, cancel, a direct UPDATE) adds to it in
-- its own transaction. On PostgreSQL they run once per statement over
-- its transition tables, so a batch of outcomes costs one grouped upsert
-- per group, not one per delivery; shard (the backend's pid modulo 4)
-- keeps concurrent workers off each other's rows, and the report sums
-- the shards. The wishes in force at a send do not change afterwards
-- (a later change copies them into preference_history), except that an
-- erasure forgets them: a trigger on customers moves the customer's sent
-- deliveries to "unknown" before the history goes.
CREATE TABLE campaign_report_counts (
    campaign_id   BIGINT NOT NULL,
    shard         INTEGER NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    channel       TEXT NOT NULL,
    fast          BOOLEAN NOT NULL,
    known         BOOLEAN NOT NULL,
    w_timezone    TEXT NOT NULL,
    w_windows     TEXT NOT NULL,
    send_timezone TEXT NOT NULL,
    send_window   TEXT NOT NULL,
    local_minute  TEXT NOT NULL,
    utc_minute    TEXT NOT NULL,
    second_ok     BOOLEAN NOT NULL,
    utc_hour      TEXT NOT NULL,
    local_hour    TEXT NOT NULL,
    n             BIGINT NOT NULL,
    on_channel    BIGINT NOT NULL,
    first_sent_at TIMESTAMPTZ,
    last_sent_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX campaign_report_counts_key ON campaign_report_counts (campaign_id, status, reason, channel,
    fast, known, w_timezone, w_windows, send_timezone, send_window, local_minute, utc_minute, second_ok,
    utc_hour, local_hour, shard);

-- +goose StatementBegin
-- campaign_report_sql is the statement that adds sign times the
-- deliveries of source (a table or a parenthesised query with the
-- columns of deliveries) to the counts; unknown counts sent ones as if
-- their wishes were not known (an erasure).
CREATE FUNCTION campaign_report_sql(source TEXT, sign INTEGER, unknown BOOLEAN) RETURNS TEXT AS $$
SELECT format($q$
WITH d AS (SELECT campaign_id, customer_id, CASE WHEN status IN ('planned', 'queued', 'sending') THEN 'planned' ELSE status END AS status,
        CASE WHEN status IN ('planned', 'queued', 'sending') THEN '' ELSE reason END AS reason, channel, sent_at, send_local,
        send_timezone, send_window, preference_version FROM %1$s AS src),
    s AS (
        SELECT d.*, COALESCE(d.sent_at IS NOT NULL AND ((length(d.send_local) = 20 AND substr(d.send_local, 20, 1) = 'Z') OR
                (length(d.send_local) = 25 AND substr(d.send_local, 20, 1) IN ('+', '-') AND substr(d.send_local, 23, 1) = ':')), FALSE) AS fast,
            NOT %3$L AND COALESCE((CASE WHEN h.version IS NOT NULL THEN h.version WHEN c.erased_at IS NULL THEN c.preference_version END)
                = d.preference_version, FALSE) AS known,
            CASE WHEN h.version IS NOT NULL THEN h.preferred_channel ELSE c.preferred_channel END AS w_channel,
            CASE WHEN h.version IS NOT NULL THEN h.timezone ELSE c.timezone END AS w_timezone,
            CASE WHEN h.version IS NOT NULL THEN CAST(h.preferred_windows AS TEXT) ELSE CAST(c.preferred_windows AS TEXT) END AS w_windows
        FROM d
        LEFT JOIN customers c ON c.id = d.customer_id
        LEFT JOIN LATERAL (SELECT p.version, p.preferred_channel, p.timezone, p.preferred_windows FROM preference_history p
            WHERE p.customer_id = d.customer_id AND p.replaced_at > d.sent_at ORDER BY p.replaced_at, p.id LIMIT 1) h ON TRUE
        WHERE d.status = 'sent'),
    k AS (
        SELECT campaign_id, status, reason, channel, FALSE AS fast, FALSE AS known, '' AS w_timezone, '' AS w_windows,
            '' AS send_timezone, '' AS send_window, '' AS local_minute, '' AS utc_minute, FALSE AS second_ok,
            '' AS utc_hour, '' AS local_hour, 0 AS on_channel, CAST(NULL AS TIMESTAMPTZ) AS sent_at
        FROM d WHERE d.status <> 'sent'
        UNION ALL
        SELECT campaign_id, status, reason, channel, fast, fast AND known,
            CASE WHEN fast AND known THEN w_timezone ELSE '' END,
            CASE WHEN fast AND known THEN w_windows ELSE '' END,
            CASE WHEN fast AND known THEN send_timezone ELSE '' END,
            CASE WHEN fast AND known THEN COALESCE(CAST(send_window AS TEXT), '') ELSE '' END,
            CASE WHEN fast AND known THEN substr(send_local, 1, 17) || '00' || substr(send_local, 20) ELSE '' END,
            CASE WHEN fast AND known THEN to_char(sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') ELSE '' END,
            COALESCE(fast AND known AND to_char(sent_at AT TIME ZONE 'UTC', 'SS') = substr(send_local, 18, 2), FALSE),
            CASE WHEN send_local <> '' THEN COALESCE(CAST(CAST(EXTRACT(HOUR FROM sent_at AT TIME ZONE 'UTC') AS INTEGER) AS TEXT), '') ELSE '' END,
            CASE WHEN send_local <> '' THEN substr(send_local, 12, 2) ELSE '' END,
            CASE WHEN fast AND known AND channel <> '' AND channel = w_channel THEN 1 ELSE 0 END, sent_at
        FROM s)
INSERT INTO campaign_report_counts AS r (campaign_id, shard, status, reason, channel, fast, known, w_timezone, w_windows,
    send_timezone, send_window, local_minute, utc_minute, second_ok, utc_hour, local_hour, n, on_channel, first_sent_at, last_sent_at)
SELECT campaign_id, pg_backend_pid() %% 4, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone,
    send_window, local_minute, utc_minute, second_ok, utc_hour, local_hour, %2$s * COUNT(*), %2$s * SUM(on_channel),
    MIN(sent_at), MAX(sent_at)
FROM k
GROUP BY campaign_id, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
    local_minute, utc_minute, second_ok, utc_hour, local_hour
-- One order for every writer, so two transactions on one shard cannot
-- lock the same rows in opposite orders.
ORDER BY campaign_id, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
    local_minute, utc_minute, second_ok, utc_hour, local_hour
ON CONFLICT (campaign_id, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
    local_minute, utc_minute, second_ok, utc_hour, local_hour, shard)
DO UPDATE SET n = r.n + EXCLUDED.n, on_channel = r.on_channel + EXCLUDED.on_channel,
    first_sent_at = LEAST(r.first_sent_at, EXCLUDED.first_sent_at),
    last_sent_at = GREATEST(r.last_sent_at, EXCLUDED.last_sent_at)
$q$, source, sign, unknown)
$$ LANGUAGE sql IMMUTABLE;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION campaign_report_count() RETURNS trigger AS $$
DECLARE
    -- The moved rows of an UPDATE, after their select list.
    moved CONSTANT TEXT := $m$ FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.campaign_id, CASE WHEN o.status IN ('planned', 'queued', 'sending') THEN 'planned' ELSE o.status END,
               CASE WHEN o.status IN ('planned', 'queued', 'sending') THEN '' ELSE o.reason END, o.channel,
               CASE WHEN o.status = 'sent' THEN o.customer_id END, CASE WHEN o.status = 'sent' THEN o.sent_at END,
               CASE WHEN o.status = 'sent' THEN o.send_local END, CASE WHEN o.status = 'sent' THEN o.send_timezone END,
               CASE WHEN o.status = 'sent' THEN o.send_window END, CASE WHEN o.status = 'sent' THEN o.preference_version END)
            IS DISTINCT FROM (n.campaign_id, CASE WHEN n.status IN ('planned', 'queued', 'sending') THEN 'planned' ELSE n.status END,
               CASE WHEN n.status IN ('planned', 'queued', 'sending') THEN '' ELSE n.reason END, n.channel,
               CASE WHEN n.status = 'sent' THEN n.customer_id END, CASE WHEN n.status = 'sent' THEN n.sent_at END,
               CASE WHEN n.status = 'sent' THEN n.send_local END, CASE WHEN n.status = 'sent' THEN n.send_timezone END,
               CASE WHEN n.status = 'sent' THEN n.send_window END, CASE WHEN n.status = 'sent' THEN n.preference_version END))$m$;
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE campaign_report_sql('new_rows', 1, FALSE);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE campaign_report_sql('old_rows', -1, FALSE);
    -- Most moves change nothing the counts read: a dispatch or a claim
    -- (planned, queued and sending are all pending, and only a sent
    -- delivery's snapshot, instant and customer are read), a lease, an
    -- attempt, an appended event. This check is static SQL, planned once
    -- per session; only a batch that changes a key builds the upserts.
    ELSIF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.campaign_id, CASE WHEN o.status IN ('planned', 'queued', 'sending') THEN 'planned' ELSE o.status END,
               CASE WHEN o.status IN ('planned', 'queued', 'sending') THEN '' ELSE o.reason END, o.channel,
               CASE WHEN o.status = 'sent' THEN o.customer_id END, CASE WHEN o.status = 'sent' THEN o.sent_at END,
               CASE WHEN o.status = 'sent' THEN o.send_local END, CASE WHEN o.status = 'sent' THEN o.send_timezone END,
               CASE WHEN o.status = 'sent' THEN o.send_window END, CASE WHEN o.status = 'sent' THEN o.preference_version END)
            IS DISTINCT FROM (n.campaign_id, CASE WHEN n.status IN ('planned', 'queued', 'sending') THEN 'planned' ELSE n.status END,
               CASE WHEN n.status IN ('planned', 'queued', 'sending') THEN '' ELSE n.reason END, n.channel,
               CASE WHEN n.status = 'sent' THEN n.customer_id END, CASE WHEN n.status = 'sent' THEN n.sent_at END,
               CASE WHEN n.status = 'sent' THEN n.send_local END, CASE WHEN n.status = 'sent' THEN n.send_timezone END,
               CASE WHEN n.status = 'sent' THEN n.send_window END, CASE WHEN n.status = 'sent' THEN n.preference_version END)) THEN
        EXECUTE campaign_report_sql('(SELECT o.*' || moved, -1, FALSE);
        EXECUTE campaign_report_sql('(SELECT n.*' || moved, 1, FALSE);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER deliveries_report_insert AFTER INSERT ON deliveries
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_report_count();
CREATE TRIGGER deliveries_report_update AFTER UPDATE ON deliveries
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_report_count();
CREATE TRIGGER deliveries_report_delete AFTER DELETE ON deliveries
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_report_count();

-- +goose StatementBegin
-- An erasure forgets the wishes (the history trigger of 00015 deletes
-- them after this runs): the customer's sent deliveries move to unknown.
CREATE FUNCTION campaign_report_erase() RETURNS trigger AS $$
BEGIN
    EXECUTE campaign_report_sql('(SELECT * FROM deliveries WHERE customer_id = $1 AND status = ''sent'')', -1, FALSE) USING OLD.id;
    EXECUTE campaign_report_sql('(SELECT * FROM deliveries WHERE customer_id = $1 AND status = ''sent'')', 1, TRUE) USING OLD.id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER customers_report_erase BEFORE UPDATE ON customers
    FOR EACH ROW WHEN (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL)
    EXECUTE FUNCTION campaign_report_erase();

-- +goose StatementBegin
-- The deliveries written before this migration.
DO $$ BEGIN EXECUTE campaign_report_sql('deliveries', 1, FALSE); END $$;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER customers_report_erase ON customers;
DROP FUNCTION campaign_report_erase();
DROP TRIGGER deliveries_report_delete ON deliveries;
DROP TRIGGER deliveries_report_update ON deliveries;
DROP TRIGGER deliveries_report_insert ON deliveries;
DROP FUNCTION campaign_report_count();
DROP FUNCTION campaign_report_sql(TEXT, INTEGER, BOOLEAN);
DROP TABLE campaign_report_counts;

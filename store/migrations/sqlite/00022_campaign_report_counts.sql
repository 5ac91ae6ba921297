-- +goose Up
-- The counts a campaign report reads, kept as deliveries change (see the
-- PostgreSQL migration of the same number for the reasoning). SQLite has
-- no statement triggers: these run per row (only for a change of what
-- the counts read: planned, queued and sending are all 'planned'), and one writer at a time
-- means no shards (shard is always 0).
CREATE TABLE campaign_report_counts (
    campaign_id   INTEGER NOT NULL,
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
    n             INTEGER NOT NULL,
    on_channel    INTEGER NOT NULL,
    first_sent_at DATETIME,
    last_sent_at  DATETIME
);
CREATE UNIQUE INDEX campaign_report_counts_key ON campaign_report_counts (campaign_id, status, reason, channel,
    fast, known, w_timezone, w_windows, send_timezone, send_window, local_minute, utc_minute, second_ok,
    utc_hour, local_hour, shard);

-- Each delivery's group key (the time expressions are those of
-- store/report_respect.go's sentExprs for SQLite: the driver writes
-- sent_at as "2006-01-02 15:04:05.999999999+00:00").
CREATE VIEW campaign_report_keys AS
SELECT id, customer_id, campaign_id, CASE WHEN status IN ('planned', 'queued', 'sending') THEN 'planned' ELSE status END AS status,
    CASE WHEN status IN ('planned', 'queued', 'sending') THEN '' ELSE reason END AS reason, channel, fast, fast AND known AS known,
    CASE WHEN fast AND known THEN w_timezone ELSE '' END AS w_timezone,
    CASE WHEN fast AND known THEN w_windows ELSE '' END AS w_windows,
    CASE WHEN fast AND known THEN send_timezone ELSE '' END AS send_timezone,
    CASE WHEN fast AND known THEN COALESCE(CAST(send_window AS TEXT), '') ELSE '' END AS send_window,
    CASE WHEN fast AND known THEN substr(send_local, 1, 17) || '00' || substr(send_local, 20) ELSE '' END AS local_minute,
    CASE WHEN fast AND known THEN substr(sent_at, 1, 10) || 'T' || substr(sent_at, 12, 5) ELSE '' END AS utc_minute,
    COALESCE(fast AND known AND substr(sent_at, 18, 2) = substr(send_local, 18, 2), 0) AS second_ok,
    CASE WHEN sent AND send_local <> '' THEN COALESCE(CAST(CAST(strftime('%H', sent_at) AS INTEGER) AS TEXT), '') ELSE '' END AS utc_hour,
    CASE WHEN sent AND send_local <> '' THEN COALESCE(CAST(CAST(substr(send_local, 12, 2) AS INTEGER) AS TEXT), '') ELSE '' END AS local_hour,
    CASE WHEN fast AND known AND channel <> '' AND channel = w_channel THEN 1 ELSE 0 END AS on_channel,
    CASE WHEN sent THEN sent_at END AS sent_at
FROM (
    SELECT d.id, d.customer_id, d.campaign_id, d.status, d.reason, d.channel, d.sent_at, d.send_local, d.send_timezone,
        d.send_window, d.status = 'sent' AS sent,
        d.status = 'sent' AND COALESCE(typeof(d.sent_at) = 'text' AND d.sent_at LIKE '____-__-__ __:__:__%'
            AND substr(d.sent_at, -6) = '+00:00' AND (length(d.sent_at) = 25 OR substr(d.sent_at, 20, 1) = '.')
            AND ((length(d.send_local) = 20 AND substr(d.send_local, 20, 1) = 'Z') OR
                (length(d.send_local) = 25 AND substr(d.send_local, 20, 1) IN ('+', '-') AND substr(d.send_local, 23, 1) = ':')), 0) AS fast,
        COALESCE((CASE WHEN h.id IS NOT NULL THEN h.version WHEN c.erased_at IS NULL THEN c.preference_version END)
            = d.preference_version, 0) AS known,
        CASE WHEN h.id IS NOT NULL THEN h.preferred_channel ELSE c.preferred_channel END AS w_channel,
        CASE WHEN h.id IS NOT NULL THEN h.timezone ELSE c.timezone END AS w_timezone,
        CASE WHEN h.id IS NOT NULL THEN CAST(h.preferred_windows AS TEXT) ELSE CAST(c.preferred_windows AS TEXT) END AS w_windows
    FROM deliveries d
    LEFT JOIN customers c ON d.status = 'sent' AND c.id = d.customer_id
    LEFT JOIN preference_history h ON d.status = 'sent' AND h.id = (SELECT p.id FROM preference_history p
        WHERE p.customer_id = d.customer_id AND p.replaced_at > d.sent_at ORDER BY p.replaced_at, p.id LIMIT 1)
);

-- +goose StatementBegin
CREATE TRIGGER deliveries_report_insert AFTER INSERT ON deliveries
BEGIN
    INSERT INTO campaign_report_counts (campaign_id, shard, status, reason, channel, fast, known, w_timezone, w_windows,
        send_timezone, send_window, local_minute, utc_minute, second_ok, utc_hour, local_hour, n, on_channel, first_sent_at, last_sent_at)
    SELECT campaign_id, 0, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, 1, on_channel, sent_at, sent_at
    FROM campaign_report_keys WHERE id = NEW.id
    ON CONFLICT (campaign_id, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, shard)
    DO UPDATE SET n = n + excluded.n, on_channel = on_channel + excluded.on_channel,
        first_sent_at = COALESCE(min(first_sent_at, excluded.first_sent_at), first_sent_at, excluded.first_sent_at),
        last_sent_at = COALESCE(max(last_sent_at, excluded.last_sent_at), last_sent_at, excluded.last_sent_at);
END;
-- +goose StatementEnd

-- A move takes the delivery out of its old group before the UPDATE and
-- into its new one after it.
-- +goose StatementBegin
CREATE TRIGGER deliveries_report_update_old BEFORE UPDATE OF campaign_id, customer_id, status, reason, channel, sent_at, send_local, send_timezone, send_window, preference_version ON deliveries
    WHEN OLD.campaign_id IS NOT NEW.campaign_id OR OLD.channel IS NOT NEW.channel
      OR (CASE WHEN OLD.status IN ('planned', 'queued', 'sending') THEN 'planned' ELSE OLD.status END) IS NOT
        (CASE WHEN NEW.status IN ('planned', 'queued', 'sending') THEN 'planned' ELSE NEW.status END)
      OR (CASE WHEN OLD.status IN ('planned', 'queued', 'sending') THEN '' ELSE OLD.reason END) IS NOT
        (CASE WHEN NEW.status IN ('planned', 'queued', 'sending') THEN '' ELSE NEW.reason END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.customer_id END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.customer_id END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.sent_at END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.sent_at END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.send_local END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.send_local END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.send_timezone END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.send_timezone END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.send_window END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.send_window END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.preference_version END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.preference_version END)
BEGIN
    INSERT INTO campaign_report_counts (campaign_id, shard, status, reason, channel, fast, known, w_timezone, w_windows,
        send_timezone, send_window, local_minute, utc_minute, second_ok, utc_hour, local_hour, n, on_channel, first_sent_at, last_sent_at)
    SELECT campaign_id, 0, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, -1, -on_channel, sent_at, sent_at
    FROM campaign_report_keys WHERE id = OLD.id
    ON CONFLICT (campaign_id, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, shard)
    DO UPDATE SET n = n + excluded.n, on_channel = on_channel + excluded.on_channel,
        first_sent_at = COALESCE(min(first_sent_at, excluded.first_sent_at), first_sent_at, excluded.first_sent_at),
        last_sent_at = COALESCE(max(last_sent_at, excluded.last_sent_at), last_sent_at, excluded.last_sent_at);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER deliveries_report_update_new AFTER UPDATE OF campaign_id, customer_id, status, reason, channel, sent_at, send_local, send_timezone, send_window, preference_version ON deliveries
    WHEN OLD.campaign_id IS NOT NEW.campaign_id OR OLD.channel IS NOT NEW.channel
      OR (CASE WHEN OLD.status IN ('planned', 'queued', 'sending') THEN 'planned' ELSE OLD.status END) IS NOT
        (CASE WHEN NEW.status IN ('planned', 'queued', 'sending') THEN 'planned' ELSE NEW.status END)
      OR (CASE WHEN OLD.status IN ('planned', 'queued', 'sending') THEN '' ELSE OLD.reason END) IS NOT
        (CASE WHEN NEW.status IN ('planned', 'queued', 'sending') THEN '' ELSE NEW.reason END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.customer_id END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.customer_id END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.sent_at END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.sent_at END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.send_local END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.send_local END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.send_timezone END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.send_timezone END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.send_window END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.send_window END)
      OR (CASE WHEN OLD.status = 'sent' THEN OLD.preference_version END) IS NOT (CASE WHEN NEW.status = 'sent' THEN NEW.preference_version END)
BEGIN
    INSERT INTO campaign_report_counts (campaign_id, shard, status, reason, channel, fast, known, w_timezone, w_windows,
        send_timezone, send_window, local_minute, utc_minute, second_ok, utc_hour, local_hour, n, on_channel, first_sent_at, last_sent_at)
    SELECT campaign_id, 0, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, 1, on_channel, sent_at, sent_at
    FROM campaign_report_keys WHERE id = NEW.id
    ON CONFLICT (campaign_id, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, shard)
    DO UPDATE SET n = n + excluded.n, on_channel = on_channel + excluded.on_channel,
        first_sent_at = COALESCE(min(first_sent_at, excluded.first_sent_at), first_sent_at, excluded.first_sent_at),
        last_sent_at = COALESCE(max(last_sent_at, excluded.last_sent_at), last_sent_at, excluded.last_sent_at);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER deliveries_report_delete BEFORE DELETE ON deliveries
BEGIN
    INSERT INTO campaign_report_counts (campaign_id, shard, status, reason, channel, fast, known, w_timezone, w_windows,
        send_timezone, send_window, local_minute, utc_minute, second_ok, utc_hour, local_hour, n, on_channel, first_sent_at, last_sent_at)
    SELECT campaign_id, 0, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, -1, -on_channel, sent_at, sent_at
    FROM campaign_report_keys WHERE id = OLD.id
    ON CONFLICT (campaign_id, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, shard)
    DO UPDATE SET n = n + excluded.n, on_channel = on_channel + excluded.on_channel,
        first_sent_at = COALESCE(min(first_sent_at, excluded.first_sent_at), first_sent_at, excluded.first_sent_at),
        last_sent_at = COALESCE(max(last_sent_at, excluded.last_sent_at), last_sent_at, excluded.last_sent_at);
END;
-- +goose StatementEnd

-- An erasure forgets the wishes (the history trigger of 00015 deletes
-- them after the UPDATE): the customer's sent deliveries move to unknown.
-- +goose StatementBegin
CREATE TRIGGER customers_report_erase BEFORE UPDATE OF erased_at ON customers
    WHEN OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL
BEGIN
    INSERT INTO campaign_report_counts (campaign_id, shard, status, reason, channel, fast, known, w_timezone, w_windows,
        send_timezone, send_window, local_minute, utc_minute, second_ok, utc_hour, local_hour, n, on_channel, first_sent_at, last_sent_at)
    SELECT campaign_id, 0, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, -1, -on_channel, sent_at, sent_at
    FROM campaign_report_keys WHERE customer_id = OLD.id AND status = 'sent'
    ON CONFLICT (campaign_id, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, shard)
    DO UPDATE SET n = n + excluded.n, on_channel = on_channel + excluded.on_channel,
        first_sent_at = COALESCE(min(first_sent_at, excluded.first_sent_at), first_sent_at, excluded.first_sent_at),
        last_sent_at = COALESCE(max(last_sent_at, excluded.last_sent_at), last_sent_at, excluded.last_sent_at);
    INSERT INTO campaign_report_counts (campaign_id, shard, status, reason, channel, fast, known, w_timezone, w_windows,
        send_timezone, send_window, local_minute, utc_minute, second_ok, utc_hour, local_hour, n, on_channel, first_sent_at, last_sent_at)
    SELECT campaign_id, 0, status, reason, channel, fast, 0, '', '', '', '', '', '', 0, utc_hour, local_hour, 1, 0, sent_at, sent_at
    FROM campaign_report_keys WHERE customer_id = OLD.id AND status = 'sent'
    ON CONFLICT (campaign_id, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
        local_minute, utc_minute, second_ok, utc_hour, local_hour, shard)
    DO UPDATE SET n = n + excluded.n, on_channel = on_channel + excluded.on_channel,
        first_sent_at = COALESCE(min(first_sent_at, excluded.first_sent_at), first_sent_at, excluded.first_sent_at),
        last_sent_at = COALESCE(max(last_sent_at, excluded.last_sent_at), last_sent_at, excluded.last_sent_at);
END;
-- +goose StatementEnd

-- The deliveries written before this migration.
INSERT INTO campaign_report_counts (campaign_id, shard, status, reason, channel, fast, known, w_timezone, w_windows,
        send_timezone, send_window, local_minute, utc_minute, second_ok, utc_hour, local_hour, n, on_channel, first_sent_at, last_sent_at)
SELECT campaign_id, 0, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window,
    local_minute, utc_minute, second_ok, utc_hour, local_hour, COUNT(*), SUM(on_channel), MIN(sent_at), MAX(sent_at)
FROM campaign_report_keys
GROUP BY campaign_id, status, reason, channel, fast, known, w_timezone, w_windows, send_timezone, send_window, local_minute, utc_minute, second_ok, utc_hour, local_hour;

-- +goose Down
DROP TRIGGER customers_report_erase;
DROP TRIGGER deliveries_report_delete;
DROP TRIGGER deliveries_report_update_new;
DROP TRIGGER deliveries_report_update_old;
DROP TRIGGER deliveries_report_insert;
DROP VIEW campaign_report_keys;
DROP TABLE campaign_report_counts;

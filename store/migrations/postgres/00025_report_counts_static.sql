-- +goose Up
-- The report counts' UPDATE trigger (00022) built its two upserts with
-- EXECUTE, so PostgreSQL planned them again for every statement: for each
-- batch of sent outcomes about 6.5 ms of planning, 65 us of PostgreSQL
-- CPU a message (pg_stat_statements, 100,000 webhook messages,
-- docs/benchmarks.md "Session 8"). A statement of up to 1,000 moved rows
-- (the worker's batches) now runs the same upserts as static SQL, which
-- PL/pgSQL plans once per session and keeps; a larger one (a cancel or a
-- re-plan of a whole campaign, an erasure) still plans its upserts for its
-- own size. The upserts' text is still made by campaign_report_sql alone:
-- this migration writes it into the function once.
-- +goose StatementBegin
DO $do$
DECLARE
    -- The moved rows of an UPDATE, after their select list (as in 00022).
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
    EXECUTE format($f$
CREATE OR REPLACE FUNCTION campaign_report_count() RETURNS trigger AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE campaign_report_sql('new_rows', 1, FALSE);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE campaign_report_sql('old_rows', -1, FALSE);
    -- Most moves change nothing the counts read: a claim (planned,
    -- queued and sending are all pending, and only a sent delivery's
    -- snapshot, instant and customer are read), a lease, an attempt, an
    -- appended event.
    -- (moved ends with the parenthesis that closes EXISTS.)
    ELSIF NOT EXISTS (SELECT 1 %1$s THEN
        NULL;
    ELSIF (SELECT count(*) FROM new_rows) <= 1000 THEN
        %2$s;
        %3$s;
    ELSE
        EXECUTE campaign_report_sql(%4$L, -1, FALSE);
        EXECUTE campaign_report_sql(%5$L, 1, FALSE);
    END IF;
    RETURN NULL;
END;
$body$ LANGUAGE plpgsql
$f$, moved, campaign_report_sql('(SELECT o.*' || moved, -1, FALSE), campaign_report_sql('(SELECT n.*' || moved, 1, FALSE),
        '(SELECT o.*' || moved, '(SELECT n.*' || moved);
END
$do$;
-- +goose StatementEnd

-- +goose Down
-- 00022's function, as it was.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION campaign_report_count() RETURNS trigger AS $$
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

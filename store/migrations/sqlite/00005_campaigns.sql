-- +goose Up
-- See the PostgreSQL migration for the reasoning; JSON lives in TEXT and
-- times in DATETIME, as in 00001.
-- A campaign targets a segment or, for a correction, the recipients of
-- other content. segment_id becomes NULL when a segment no longer used by
-- an active campaign is deleted (active ones make the delete a 409).
CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL,
    content_id      INTEGER NOT NULL REFERENCES content (id),
    content_version INTEGER NOT NULL DEFAULT 0,
    segment_id      INTEGER REFERENCES segments (id) ON DELETE SET NULL,
    recipients_of   INTEGER REFERENCES content (id),
    not_before      DATETIME NOT NULL,
    not_after       DATETIME NOT NULL,
    spread          BOOLEAN NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('draft', 'scheduled', 'running', 'completed', 'paused', 'cancelled')),
    excluded        TEXT NOT NULL DEFAULT '{}',
    planned_count   INTEGER NOT NULL DEFAULT 0,
    moved_count     INTEGER NOT NULL DEFAULT 0,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    launched_at     DATETIME,
    CHECK (segment_id IS NULL OR recipients_of IS NULL),
    CHECK (not_before < not_after)
);
CREATE INDEX campaigns_segment_idx ON campaigns (segment_id);

-- One row per planned message. Postgres is the source of truth: Redis
-- only ever holds deliveries that are due soon.
-- The same keys as on PostgreSQL (see there for why two are triggers).
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id     INTEGER NOT NULL,
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
    locale          TEXT NOT NULL,
    content_id      INTEGER NOT NULL,
    content_version INTEGER NOT NULL,
    scheduled_at    DATETIME NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('planned', 'queued', 'sending', 'sent', 'failed',
                                                    'unknown', 'skipped', 'expired', 'cancelled')),
    reason          TEXT NOT NULL DEFAULT '',
    generation      INTEGER NOT NULL DEFAULT 1,
    sent_at         DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    UNIQUE (campaign_id, customer_id)
);
-- Content dedup that holds under concurrency: a customer has at most one
-- delivery of a piece of content that may reach or reached them.
CREATE UNIQUE INDEX deliveries_customer_content_idx ON deliveries (customer_id, content_id)
    WHERE status IN ('planned', 'queued', 'sending', 'sent', 'unknown');
-- The dispatcher's question: what is due soon?
CREATE INDEX deliveries_due_idx ON deliveries (status, scheduled_at);
-- Cadence counts and a customer's delivery list.
CREATE INDEX deliveries_customer_idx ON deliveries (customer_id, scheduled_at);

-- +goose StatementBegin
CREATE TRIGGER campaigns_keep_launched BEFORE DELETE ON campaigns
WHEN OLD.state <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'launched campaigns are never deleted');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER content_versions_keep BEFORE DELETE ON content_versions
BEGIN
    SELECT RAISE(ABORT, 'approved content versions are never deleted');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER content_versions_keep;
DROP TRIGGER campaigns_keep_launched;
DROP TABLE deliveries;
DROP TABLE campaigns;

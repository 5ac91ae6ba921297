-- +goose Up
-- See the PostgreSQL migration for the reasoning.
ALTER TABLE deliveries ADD COLUMN queued_at DATETIME;
ALTER TABLE deliveries ADD COLUMN task_id TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN lease_until DATETIME;
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN address_fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN send_timezone TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN send_window INTEGER;
ALTER TABLE deliveries ADD COLUMN send_local TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN preference_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN events TEXT NOT NULL DEFAULT '[]';

CREATE INDEX deliveries_open_idx ON deliveries (campaign_id) WHERE status IN ('planned', 'queued', 'sending');
CREATE INDEX deliveries_lease_idx ON deliveries (lease_until) WHERE status = 'sending';
CREATE INDEX deliveries_queued_idx ON deliveries (queued_at) WHERE status = 'queued';

CREATE TABLE outbox_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL UNIQUE,
    campaign_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT '',
    html        TEXT NOT NULL DEFAULT '',
    headers     TEXT NOT NULL DEFAULT '{}',
    raw         BLOB,
    created_at  DATETIME NOT NULL
);
CREATE INDEX outbox_messages_customer_idx ON outbox_messages (customer_id, id);
CREATE INDEX outbox_messages_campaign_idx ON outbox_messages (campaign_id, id);

CREATE TABLE worker_leases (
    name        TEXT NOT NULL PRIMARY KEY,
    owner       TEXT NOT NULL,
    until       DATETIME NOT NULL
);

-- +goose Down
DROP TABLE worker_leases;
DROP TABLE outbox_messages;
DROP INDEX deliveries_queued_idx;
DROP INDEX deliveries_lease_idx;
DROP INDEX deliveries_open_idx;
ALTER TABLE deliveries DROP COLUMN events;
ALTER TABLE deliveries DROP COLUMN preference_version;
ALTER TABLE deliveries DROP COLUMN send_local;
ALTER TABLE deliveries DROP COLUMN send_window;
ALTER TABLE deliveries DROP COLUMN send_timezone;
ALTER TABLE deliveries DROP COLUMN address_fingerprint;
ALTER TABLE deliveries DROP COLUMN provider_id;
ALTER TABLE deliveries DROP COLUMN attempts;
ALTER TABLE deliveries DROP COLUMN lease_owner;
ALTER TABLE deliveries DROP COLUMN lease_until;
ALTER TABLE deliveries DROP COLUMN queued_at;
ALTER TABLE deliveries DROP COLUMN task_id;

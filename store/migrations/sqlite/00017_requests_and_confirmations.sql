-- +goose Up
-- Issue 12: content on request and double opt-in (see the PostgreSQL
-- migration of the same number for the reasoning).
ALTER TABLE campaigns ADD COLUMN kind TEXT NOT NULL DEFAULT 'campaign' CHECK (kind IN ('campaign', 'request'));
ALTER TABLE campaigns ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX campaigns_request_key_idx ON campaigns (request_key) WHERE request_key IS NOT NULL;

ALTER TABLE topics ADD COLUMN double_opt_in BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE consent_confirmations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    topic        TEXT NOT NULL REFERENCES topics (key),
    consent_seq  INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('planned', 'sending', 'sent', 'failed', 'skipped', 'unknown', 'confirmed', 'expired')),
    reason       TEXT NOT NULL DEFAULT '',
    channel      TEXT NOT NULL DEFAULT '',
    scheduled_at DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_until  DATETIME,
    provider_id  TEXT NOT NULL DEFAULT '',
    sent_at      DATETIME,
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL,
    UNIQUE (customer_id, consent_seq)
);
CREATE INDEX consent_confirmations_due_idx ON consent_confirmations (scheduled_at) WHERE status IN ('planned', 'sending');
CREATE INDEX consent_confirmations_expiry_idx ON consent_confirmations (expires_at)
    WHERE status IN ('planned', 'sending', 'sent', 'failed', 'skipped', 'unknown');

-- +goose Down
DROP TABLE consent_confirmations;
ALTER TABLE topics DROP COLUMN double_opt_in;
DROP INDEX campaigns_request_key_idx;
ALTER TABLE campaigns DROP COLUMN request_key;
ALTER TABLE campaigns DROP COLUMN kind;

-- +goose Up
-- The keyed consent ledger (issue 15); see the PostgreSQL migration.
ALTER TABLE consent_events ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_events ADD COLUMN global_seq INTEGER;
ALTER TABLE consent_events ADD COLUMN global_prev TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_events ADD COLUMN seal TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_events ADD COLUMN text_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_events ADD COLUMN form_version_digest TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX consent_events_global_seq_idx ON consent_events (global_seq);

ALTER TABLE consents ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN event_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN mac TEXT NOT NULL DEFAULT '';

CREATE TABLE ledger_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seq        INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    mac        TEXT NOT NULL,
    updated_at DATETIME NOT NULL
);
INSERT INTO ledger_head (id, seq, hash, key_id, mac, updated_at) VALUES (1, 0, '', '', '', strftime('%Y-%m-%d %H:%M:%f', 'now'));

-- +goose Down
DROP TABLE ledger_head;
ALTER TABLE consents DROP COLUMN mac;
ALTER TABLE consents DROP COLUMN event_hash;
ALTER TABLE consents DROP COLUMN key_id;
DROP INDEX consent_events_global_seq_idx;
ALTER TABLE consent_events DROP COLUMN form_version_digest;
ALTER TABLE consent_events DROP COLUMN text_digest;
ALTER TABLE consent_events DROP COLUMN seal;
ALTER TABLE consent_events DROP COLUMN global_prev;
ALTER TABLE consent_events DROP COLUMN global_seq;
ALTER TABLE consent_events DROP COLUMN key_id;

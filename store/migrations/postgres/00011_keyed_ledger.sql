-- +goose Up
-- The keyed consent ledger (issue 15, docs/ledger.md). Each event is
-- sealed with a ledger key named by key_id; global_seq and global_prev
-- chain every customer's events together, and ledger_head holds the last
-- one under a MAC. Events written before this migration keep their
-- unkeyed hash and have key_id '' and no global_seq until
-- `candor ledger adopt` seals them (seal) and appends them to the global
-- chain: SQL cannot do it, it has no key.
ALTER TABLE consent_events ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_events ADD COLUMN global_seq BIGINT;
ALTER TABLE consent_events ADD COLUMN global_prev TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_events ADD COLUMN seal TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_events ADD COLUMN text_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE consent_events ADD COLUMN form_version_digest TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX consent_events_global_seq_idx ON consent_events (global_seq);

-- A consent row carries the hash of the event it reflects and a MAC over
-- both, so planning can trust it without reading the ledger.
ALTER TABLE consents ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN event_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE consents ADD COLUMN mac TEXT NOT NULL DEFAULT '';

-- The one row every consent write updates last in its transaction: it
-- serialises appends to the global chain.
CREATE TABLE ledger_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    mac        TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
INSERT INTO ledger_head (id, seq, hash, key_id, mac, updated_at) VALUES (1, 0, '', '', '', now());

-- +goose Down
DROP TABLE ledger_head;
ALTER TABLE consents DROP COLUMN mac, DROP COLUMN event_hash, DROP COLUMN key_id;
DROP INDEX consent_events_global_seq_idx;
ALTER TABLE consent_events DROP COLUMN form_version_digest, DROP COLUMN text_digest, DROP COLUMN seal,
    DROP COLUMN global_prev, DROP COLUMN global_seq, DROP COLUMN key_id;

-- +goose Up
-- Times are DATETIME so the driver parses them back into time.Time; the
-- store always writes UTC at microsecond precision, so text order is time
-- order. JSON lives in TEXT: a column declared JSON would get NUMERIC
-- affinity and turn '5' into 5. AUTOINCREMENT keeps ids from ever being
-- reused, which the events outbox cursor relies on.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME
);

-- external_id is NULL after erasure, which frees it for a new customer
-- while the erased row keeps the consent ledger's foreign keys valid.
CREATE TABLE customers (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id        TEXT UNIQUE,
    email              TEXT NOT NULL DEFAULT '',
    phone              TEXT NOT NULL DEFAULT '',
    name               TEXT NOT NULL DEFAULT '',
    locale             TEXT NOT NULL DEFAULT '',
    timezone           TEXT NOT NULL DEFAULT '',
    preferred_channel  TEXT NOT NULL DEFAULT '',
    preferred_windows  TEXT NOT NULL DEFAULT '[]',
    cadence            TEXT,
    attributes         TEXT NOT NULL DEFAULT '{}',
    preference_version INTEGER NOT NULL DEFAULT 1,
    suppressed         BOOLEAN NOT NULL DEFAULT 0,
    consent_seq        INTEGER NOT NULL DEFAULT 0,
    erased_at          DATETIME,
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL
);

-- Keyed hashes of erased addresses; never the addresses themselves.
CREATE TABLE suppressions (
    fingerprint TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
    created_at  DATETIME NOT NULL
);

CREATE TABLE topics (
    key         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);

-- The format matches what the driver writes for a UTC time.Time.
INSERT INTO topics (key, name, description, created_at, updated_at) VALUES
    ('product-roadmap', 'Product roadmap',
     'What we are building next and why, including what we decided not to build.',
     strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ('competitor-comparisons', 'Competitor comparisons',
     'Honest comparisons with other products, including where they do better.',
     strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ('pricing-guides', 'Pricing guides',
     'Unbiased guides to what things cost and how to pay less.',
     strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')),
    ('technology-alternatives', 'Technology alternatives',
     'Other ways to solve the same problem, with or without us.',
     strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'), strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'));

-- The ledger is append-only. UNIQUE (customer_id, seq) is the backstop
-- that keeps concurrent writers from forking a customer's hash chain.
CREATE TABLE consent_events (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id           INTEGER NOT NULL REFERENCES customers (id),
    seq                   INTEGER NOT NULL,
    topic                 TEXT NOT NULL REFERENCES topics (key),
    status                TEXT NOT NULL,
    source                TEXT NOT NULL,
    evidence_text         TEXT NOT NULL DEFAULT '',
    evidence_form_version TEXT NOT NULL DEFAULT '',
    evidence_ip           TEXT,
    evidence_user_agent   TEXT,
    evidence_salt         TEXT,
    ip_digest             TEXT NOT NULL DEFAULT '',
    user_agent_digest     TEXT NOT NULL DEFAULT '',
    created_at            DATETIME NOT NULL,
    prev_hash             TEXT NOT NULL,
    hash                  TEXT NOT NULL,
    UNIQUE (customer_id, seq)
);
CREATE INDEX consent_events_topic_idx ON consent_events (topic);

-- Current state per (customer, topic), written in the same transaction as
-- the event, so eligibility never has to replay the ledger.
CREATE TABLE consents (
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    topic       TEXT NOT NULL REFERENCES topics (key),
    status      TEXT NOT NULL,
    source      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    updated_at  DATETIME NOT NULL,
    PRIMARY KEY (customer_id, topic)
);
CREATE INDEX consents_topic_status_idx ON consents (topic, status);

-- Transactional outbox: rows are written with the change they describe.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    type        TEXT NOT NULL,
    customer_id INTEGER REFERENCES customers (id),
    data        TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE INDEX events_customer_idx ON events (customer_id, id);

-- +goose Down
DROP TABLE events;
DROP TABLE consents;
DROP TABLE consent_events;
DROP TABLE topics;
DROP TABLE suppressions;
DROP TABLE customers;
DROP TABLE api_keys;

-- +goose Up
-- On SQLite a PRIMARY KEY other than INTEGER PRIMARY KEY accepts NULL (a
-- quirk kept for backwards compatibility); on PostgreSQL it implies NOT
-- NULL. The three tables keyed by text are rebuilt with NOT NULL so both
-- dialects refuse the same rows (found by store/migrations_parity_test.go).
-- The store never writes a NULL key, so no row is lost: one would make the
-- copy fail and the migration roll back.
--
-- topics is referenced by consents, consent_events and content. Dropping
-- it with foreign keys on deletes its rows first, which would break those
-- references: deferred to the commit, they are mended when the rows are
-- inserted into the new topics table under the same name.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE topics_copy AS SELECT key, name, description, created_at, updated_at FROM topics;
DROP TABLE topics;
CREATE TABLE topics (
    key         TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
INSERT INTO topics (key, name, description, created_at, updated_at)
    SELECT key, name, description, created_at, updated_at FROM topics_copy;
DROP TABLE topics_copy;

CREATE TABLE suppressions_new (
    fingerprint TEXT NOT NULL PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
    created_at  DATETIME NOT NULL
);
INSERT INTO suppressions_new (fingerprint, kind, created_at)
    SELECT fingerprint, kind, created_at FROM suppressions;
DROP TABLE suppressions;
ALTER TABLE suppressions_new RENAME TO suppressions;

CREATE TABLE key_material_new (
    purpose    TEXT NOT NULL PRIMARY KEY,
    sealed     BLOB NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
INSERT INTO key_material_new (purpose, sealed, created_at, updated_at)
    SELECT purpose, sealed, created_at, updated_at FROM key_material;
DROP TABLE key_material;
ALTER TABLE key_material_new RENAME TO key_material;

-- +goose Down
-- The NOT NULL constraints stay: they refuse nothing the store writes.
SELECT 1;

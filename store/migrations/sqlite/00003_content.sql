-- +goose Up
-- See the PostgreSQL migration for the reasoning; JSON lives in TEXT and
-- times in DATETIME, as in 00001.
CREATE TABLE content (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL CHECK (kind IN ('roadmap', 'competitor_comparison', 'pricing_guide',
                                                   'alternatives', 'education', 'correction')),
    topic            TEXT NOT NULL REFERENCES topics (key),
    corrects         INTEGER REFERENCES content (id),
    state            TEXT NOT NULL CHECK (state IN ('draft', 'in_review', 'approved', 'retired')),
    version          INTEGER NOT NULL,
    approved_version INTEGER NOT NULL DEFAULT 0,
    revision         INTEGER NOT NULL,
    body             TEXT NOT NULL,
    expires_at       DATETIME,
    edited_by        INTEGER NOT NULL REFERENCES api_keys (id),
    reject_reason    TEXT NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL
);
CREATE INDEX content_topic_idx ON content (topic);

CREATE TABLE content_versions (
    content_id            INTEGER NOT NULL REFERENCES content (id),
    version               INTEGER NOT NULL,
    body                  TEXT NOT NULL,
    edited_by             INTEGER NOT NULL REFERENCES api_keys (id),
    approved_by           INTEGER NOT NULL REFERENCES api_keys (id),
    acknowledged_warnings TEXT NOT NULL DEFAULT '[]',
    approved_at           DATETIME NOT NULL,
    PRIMARY KEY (content_id, version),
    CHECK (approved_by <> edited_by)
);

-- Immutability is enforced by the database too, not only by the store.
-- +goose StatementBegin
CREATE TRIGGER content_versions_immutable BEFORE UPDATE ON content_versions
BEGIN
    SELECT RAISE(ABORT, 'approved content versions are immutable');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER content_versions_immutable;
DROP TABLE content_versions;
DROP TABLE content;

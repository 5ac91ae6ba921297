-- +goose Up
-- See the PostgreSQL migration for the reasoning.
ALTER TABLE api_keys ADD COLUMN owner_name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN owner_email TEXT NOT NULL DEFAULT '';
UPDATE api_keys SET owner_name = name, owner_email = 'key-' || id || '@legacy.invalid';
CREATE INDEX api_keys_owner_idx ON api_keys (owner_email);

-- The owners (emails, a JSON array) who edited the current version of each
-- content item: none of them may approve it. Existing content starts with
-- the owner of its last editor.
ALTER TABLE content ADD COLUMN editor_owners TEXT NOT NULL DEFAULT '[]';
UPDATE content SET editor_owners = '["' || (SELECT owner_email FROM api_keys WHERE api_keys.id = content.edited_by) || '"]';

CREATE TABLE audit (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            DATETIME NOT NULL,
    actor_name    TEXT NOT NULL,
    actor_email   TEXT NOT NULL,
    actor_key_id  INTEGER REFERENCES api_keys (id),
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_actor_idx ON audit (actor_email, id);
CREATE INDEX audit_action_idx ON audit (action, id);
CREATE INDEX audit_resource_idx ON audit (resource_type, resource_id, id);
CREATE INDEX audit_at_idx ON audit (at);

-- +goose StatementBegin
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_no_delete;
DROP TRIGGER audit_no_update;
DROP TABLE audit;
ALTER TABLE content DROP COLUMN editor_owners;
DROP INDEX api_keys_owner_idx;
ALTER TABLE api_keys DROP COLUMN owner_email;
ALTER TABLE api_keys DROP COLUMN owner_name;

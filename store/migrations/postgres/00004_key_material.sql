-- +goose Up
-- Keys that must outlive a rotation of CANDOR_SECRET_KEY (the suppression
-- fingerprint key), sealed with the rotatable encryption subkey.
CREATE TABLE key_material (
    purpose    TEXT PRIMARY KEY,
    sealed     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE key_material;

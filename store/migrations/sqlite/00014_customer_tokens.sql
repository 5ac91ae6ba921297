-- +goose Up
-- See the PostgreSQL migration for the reasoning.
ALTER TABLE customers ADD COLUMN token_epoch INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE customers DROP COLUMN token_epoch;

-- +goose Up
-- The erased customers, for skipErased at the end of every launch (see the
-- PostgreSQL migration of the same number).
CREATE INDEX customers_erased_idx ON customers (id) WHERE erased_at IS NOT NULL;

-- +goose Down
DROP INDEX customers_erased_idx;

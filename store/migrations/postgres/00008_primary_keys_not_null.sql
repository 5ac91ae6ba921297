-- +goose Up
-- Nothing to do on PostgreSQL, where a PRIMARY KEY implies NOT NULL: the
-- SQLite migration of the same number adds the NOT NULL it lacked. The
-- file keeps both dialects at the same version numbers (see migrate.go).
SELECT 1;

-- +goose Down
SELECT 1;

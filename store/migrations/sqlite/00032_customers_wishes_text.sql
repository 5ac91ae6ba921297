-- +goose Up
-- PostgreSQL keeps the customers' windows and cadence as text beside
-- their jsonb for its planning statement (postgres/00032). SQLite stores
-- JSON as text already; this version exists so that both dialects report
-- the same schema version.
SELECT 1;

-- +goose Down
SELECT 1;

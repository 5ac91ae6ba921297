-- +goose Up
-- The PostgreSQL migration of the same number records, on each index of
-- deliveries, the query that needs it (issue 17). SQLite has no comments
-- on indexes; its indexes are the same and serve the same queries.
SELECT 1;

-- +goose Down
SELECT 1;

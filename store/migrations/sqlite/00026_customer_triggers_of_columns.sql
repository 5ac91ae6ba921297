-- +goose Up
-- PostgreSQL's customer triggers are now limited to the columns they
-- watch (see there). SQLite's history trigger is kept as it is: SQLite
-- compiles its triggers into the statement, so there is nothing per
-- statement to skip, and its erasure trigger already names erased_at.
SELECT 1;

-- +goose Down
SELECT 1;

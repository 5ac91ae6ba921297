-- +goose Up
-- PostgreSQL dropped the foreign key from events to customers (its row
-- lock of the customer per event cost the send path; see there). SQLite
-- keeps it: dropping a key means rebuilding the table, and SQLite's check
-- takes no row lock. Both dialects refuse to delete a customer through the
-- customers_keep trigger of 00007, which is what keeps events' customer ids
-- pointing at a row.
SELECT 1;

-- +goose Down
SELECT 1;

-- +goose Up
-- The outbox's foreign key from events to customers was checked row by row
-- on every event written: an index probe of customers and a FOR KEY SHARE
-- lock of the customer's row (a write to its tuple) for each message the
-- send path records as sent, about a tenth of that statement's time
-- (docs/benchmarks.md, Sending, session 7). What it guarded is kept as in
-- 00007 for deliveries: every writer of an event takes the customer id from
-- a customer row it has just read or locked, and customers are never
-- deleted (erasure keeps the row and clears its PII), which the
-- customers_keep trigger of 00007 enforces.
ALTER TABLE events DROP CONSTRAINT events_customer_id_fkey;

-- +goose Down
ALTER TABLE events ADD CONSTRAINT events_customer_id_fkey
    FOREIGN KEY (customer_id) REFERENCES customers (id);

-- +goose Up
-- Planning reads every customer's windows and cadence as text (the Go
-- side decodes each distinct text once, store/campaign_facts_scan.go).
-- Printed from jsonb for each row read, they cost the reading backend
-- 0.52 s of its 2.1 s for a 1M audience: jsonb's output function walks
-- the binary value and builds the text again every time. These columns
-- keep that text, computed once when a customer's wishes are written;
-- the launch and preview statement (pgFactsQuery) reads them: a 1M
-- preview went from 2.15 s to 1.54 s and a launch from 4.54 s to 4.20 s
-- (docs/benchmarks.md, "Session 15"). They are what `::text` prints, so
-- decisions do not change. Adding them rewrites the customers table once
-- (5 s at 1M customers here), under an exclusive lock: run it when no
-- launch or preview is reading customers (docs/operations.md,
-- "Processes"). Every insert and update of a customer computes them
-- (a BEFORE UPDATE trigger on customers keeps PostgreSQL from skipping
-- the unchanged ones): the PUT and batch figures are measured with them.
ALTER TABLE customers
    ADD COLUMN preferred_windows_text TEXT GENERATED ALWAYS AS (CAST(preferred_windows AS TEXT)) STORED,
    ADD COLUMN cadence_text TEXT GENERATED ALWAYS AS (CAST(cadence AS TEXT)) STORED;

-- +goose Down
ALTER TABLE customers DROP COLUMN preferred_windows_text, DROP COLUMN cadence_text;

-- +goose Up
-- Each verification record keeps the hash of the head it verified
-- (sealed with the rest, models.LedgerVerificationMAC v2): a later
-- verification finds that very event at that place, so a ledger cut back
-- below a verified head and grown past it again by new events shows
-- (store/ledger_verify.go). Records written before this migration keep
-- '' and remain floors by length only.
-- A binary from before this migration checks the records written since
-- with the MAC without the hash and would report each as forged: the down
-- step unseals them (they count for nothing there), see docs/operations.md.
ALTER TABLE ledger_verifications ADD COLUMN head_hash TEXT NOT NULL DEFAULT '';

-- +goose Down
UPDATE ledger_verifications SET mac = '' WHERE head_hash <> '';
ALTER TABLE ledger_verifications DROP COLUMN head_hash;

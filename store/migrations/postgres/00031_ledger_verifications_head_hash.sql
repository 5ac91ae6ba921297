-- +goose Up
-- Each verification record keeps the hash of the head it verified
-- (sealed with the rest, models.LedgerVerificationMAC v2): a later
-- verification finds that very event at that place, so a ledger cut back
-- below a verified head and grown past it again by new events shows
-- (store/ledger_verify.go). Records written before this migration keep
-- '' and remain floors by length only.
ALTER TABLE ledger_verifications ADD COLUMN head_hash TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE ledger_verifications DROP COLUMN head_hash;

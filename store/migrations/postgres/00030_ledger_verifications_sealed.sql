-- +goose Up
-- Each verification record is sealed under the ledger key
-- (models.LedgerVerificationMAC): a record whose MAC does not verify
-- neither postpones the next verification nor sets the head a later one
-- must reach, and one altered after it was written is reported as a
-- break (store/ledger_verify.go). Rows written before this migration
-- have no MAC and count for nothing; the next verification writes a
-- sealed one.
ALTER TABLE ledger_verifications ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_verifications ADD COLUMN mac TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE ledger_verifications DROP COLUMN mac;
ALTER TABLE ledger_verifications DROP COLUMN key_id;

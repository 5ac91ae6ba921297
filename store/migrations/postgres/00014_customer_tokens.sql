-- +goose Up
-- A customer's link tokens carry the epoch they were issued in; revoking
-- them (DELETE /v1/customers/{id}/links) increases it, so every link issued
-- before stops verifying while new ones work. Existing links carry no
-- epoch and count as epoch 0.
ALTER TABLE customers ADD COLUMN token_epoch integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE customers DROP COLUMN token_epoch;

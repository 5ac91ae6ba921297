-- +goose Up
-- One row per customer a launch left out, with the reason, so explain can
-- report the launch's decision (guarantee 7) instead of re-deciding it
-- against today's data. Written in the launch's transaction with COPY,
-- like deliveries. The primary key is explain's lookup; there are no
-- foreign keys for the same reason deliveries have none on campaign_id
-- (00005): a launch writes these rows for the campaign it has locked, a
-- launched campaign is never deleted, and customers are never deleted
-- (erasure keeps the row).
CREATE TABLE campaign_exclusions (
    campaign_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason <> ''),
    PRIMARY KEY (campaign_id, customer_id)
);

-- +goose Down
DROP TABLE campaign_exclusions;

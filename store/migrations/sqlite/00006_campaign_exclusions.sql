-- +goose Up
-- See the PostgreSQL migration for the reasoning. WITHOUT ROWID stores the
-- rows in the primary key's b-tree, so the key is the table's one index.
CREATE TABLE campaign_exclusions (
    campaign_id INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    reason      TEXT NOT NULL CHECK (reason <> ''),
    PRIMARY KEY (campaign_id, customer_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE campaign_exclusions;

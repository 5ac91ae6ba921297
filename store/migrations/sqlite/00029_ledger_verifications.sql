-- +goose Up
-- Every completed verification of the consent ledger; see the PostgreSQL
-- migration of the same number.
CREATE TABLE ledger_verifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    finished_at DATETIME NOT NULL,
    head_seq    INTEGER NOT NULL,
    customers   INTEGER NOT NULL,
    events      INTEGER NOT NULL,
    problems    INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    worker      TEXT NOT NULL
);

-- +goose Down
DROP TABLE ledger_verifications;

package store

import (
	"context"

	"github.com/candor/candor/models"
)

// The head of the global chain, locked for a whole ChainLedger load (every
// consent write waits for the load, as it waits for the reserved ids) and
// moved once at its end.
const (
	bulkHeadLock         = "UPDATE ledger_head SET seq = seq WHERE id = 1 RETURNING seq, hash, key_id, mac"
	bulkHeadMovePG       = "UPDATE ledger_head SET seq = $1, hash = $2, key_id = $3, mac = $4, updated_at = $5 WHERE id = 1"
	bulkHeadMoveSQLite   = "UPDATE ledger_head SET seq = ?, hash = ?, key_id = ?, mac = ?, updated_at = ? WHERE id = 1"
	unverifiedHeadPrefix = "unverified-head:"
)

// rowScanner is the one method of *sql.Row and pgx.Row the head needs.
type rowScanner interface{ Scan(dest ...any) error }

// openBulkLedger reads the locked head into the position a load continues.
// A head whose MAC does not verify is not trusted as a link: the first
// loaded event then links to "unverified-head:<hash>", as adoption and
// consent writes do, so verification reports the break where it is.
func (s *Store) openBulkLedger(row rowScanner) (*BulkLedger, error) {
	var head ledgerHeadRow
	if err := row.Scan(&head.Seq, &head.Hash, &head.KeyID, &head.Mac); err != nil {
		return nil, err
	}
	kid, key := s.keys.Ledger().CurrentLedgerKey()
	prev := head.Hash
	if !s.headVerifies(head.Seq, head) {
		prev = unverifiedHeadPrefix + head.Hash
	}
	return &BulkLedger{KeyID: kid, Key: key, Seq: head.Seq, Prev: prev}, nil
}

// closeBulkLedger moves the head to where the load ended, sealed under
// the load's key; a load that appended nothing leaves it as it was.
func (s *Store) closeBulkLedger(ctx context.Context, l *BulkLedger, exec func(ctx context.Context, q string, args ...any) error) error {
	if l == nil || !l.ended {
		return nil
	}
	q := bulkHeadMoveSQLite
	if s.dialect == DialectPostgres {
		q = bulkHeadMovePG
	}
	mac := models.LedgerHeadMAC(l.Key, l.KeyID, l.endSeq, l.endHash)
	return exec(ctx, q, l.endSeq, l.endHash, l.KeyID, mac, s.now())
}

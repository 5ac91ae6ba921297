package store

import (
	"context"
	"errors"
	"maps"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/candor/candor/models"
)

// customersPerTx bounds the items PutCustomers writes in one transaction
// (the API sends at most 1,000), which also keeps every statement under
// SQLite's 32,766 parameters: 17 columns a customer row.
const customersPerTx = 1000

// batchPut is one valid item of PutCustomers: its index in the input and
// its normalized input.
type batchPut struct {
	at int
	in models.CustomerInput
}

// PutCustomers implements models.CustomerService. Each transaction locks
// the batch's existing customers with one query, reads the suppressions
// of all its addresses with another, decides every item with decidePut
// (the same decision as PutCustomer), and writes the new rows, the
// changed rows and the outbox events with one multi-row statement each.
// Should that transaction fail for a reason other than the database
// being unavailable (a row the database refuses), the items are written
// one by one instead, so the bad one fails alone.
func (s *Store) PutCustomers(ctx context.Context, ins []*models.CustomerInput) ([]models.CustomerPut, error) {
	out := make([]models.CustomerPut, len(ins))
	items := validBatchItems(ins, out)
	for len(items) > 0 {
		chunk := items[:min(len(items), customersPerTx)]
		items = items[len(chunk):]
		var results []models.CustomerPut
		err := s.tx(ctx, true, func(tx *gorm.DB) error {
			var err error
			results, err = s.putCustomersTx(tx, chunk)
			return err
		})
		switch {
		case err == nil:
			for i, it := range chunk {
				out[it.at] = results[i]
			}
		case ctx.Err() != nil || isUnavailable(err) || errors.Is(err, context.Canceled):
			return nil, mapError(err, "Customer")
		default:
			s.log.Warn("batch of customers failed as a whole; writing its items one by one", "items", len(chunk), "error", err.Error())
			s.putCustomersOneByOne(ctx, chunk, out)
		}
	}
	return out, nil
}

// validBatchItems normalizes and validates ins, records each failure in
// out and returns the items to write. An external id an earlier item
// already used is EINVALID: which of two profiles was meant cannot be
// known, and one statement cannot write a row twice.
func validBatchItems(ins []*models.CustomerInput, out []models.CustomerPut) []batchPut {
	items := make([]batchPut, 0, len(ins))
	first := make(map[string]int, len(ins))
	for i, in := range ins {
		if in == nil {
			out[i].Err = models.Errorf(models.EINVALID, "A customer is required.")
			continue
		}
		it := batchPut{at: i, in: *in}
		it.in.Normalize()
		if err := it.in.Validate(); err != nil {
			out[i].Err = err
			continue
		}
		if j, dup := first[it.in.ExternalID]; dup {
			var p models.Problems
			p.Add("/external_id", "unique_in_batch", "repeats the external_id of item %d; send each customer once per batch", j)
			out[i].Err = p.Err()
			continue
		}
		first[it.in.ExternalID] = i
		items = append(items, it)
	}
	return items
}

// putCustomersTx writes items inside tx and returns their results in
// order. Concurrent batches lock their rows in id order, so they queue
// instead of deadlocking; two batches creating one external id collide
// on the unique index and the loser's retry (s.tx) updates instead.
func (s *Store) putCustomersTx(tx *gorm.DB, items []batchPut) ([]models.CustomerPut, error) {
	ids := make([]string, len(items))
	for i := range items {
		ids[i] = items[i].in.ExternalID
	}
	var rows []customerRow
	if err := s.forUpdate(tx).Where("external_id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	stored := make(map[string]*customerRow, len(rows))
	for i := range rows {
		stored[*rows[i].ExternalID] = &rows[i]
	}
	hits, err := s.suppressedAddresses(tx, items)
	if err != nil {
		return nil, err
	}
	now := s.now()
	results := make([]models.CustomerPut, len(items))
	var created, updated []*customerRow
	changes := make([]customerChange, 0, len(items))
	for i := range items {
		in := &items[i].in
		ch, err := decidePut(stored[in.ExternalID], in, hits[i], now)
		if err != nil {
			return nil, err
		}
		results[i] = models.CustomerPut{Created: ch.created, Changed: ch.changed}
		switch {
		case !ch.changed:
			continue
		case ch.created:
			created = append(created, ch.row)
		default:
			updated = append(updated, ch.row)
		}
		changes = append(changes, ch)
	}
	if len(created) > 0 {
		if err := tx.Create(created).Error; err != nil {
			return nil, err
		}
	}
	if len(updated) > 0 {
		// An upsert on the primary key updates rows that exist (they are
		// locked above) with one statement; consent_seq is not among the
		// columns it sets, since it belongs to the consent ledger.
		upsert := clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns(customerWritable)}
		if err := tx.Clauses(upsert).Create(updated).Error; err != nil {
			return nil, err
		}
	}
	events := make([]eventRow, 0, len(changes))
	for i := range changes {
		events = changes[i].events(events)
	}
	return results, s.writeEvents(tx, events)
}

// suppressedAddresses reports for each item whether one of its
// addresses is suppressed, with one query.
func (s *Store) suppressedAddresses(tx *gorm.DB, items []batchPut) ([]bool, error) {
	owners := make(map[string][]int, 2*len(items)) // fingerprint -> items
	for i := range items {
		for fp := range s.fingerprints(items[i].in.Email, items[i].in.Phone) {
			owners[fp] = append(owners[fp], i)
		}
	}
	hits := make([]bool, len(items))
	if len(owners) == 0 {
		return hits, nil
	}
	var found []string
	if err := tx.Model(&suppressionRow{}).Where("fingerprint IN ?", slices.Collect(maps.Keys(owners))).Pluck("fingerprint", &found).Error; err != nil {
		return nil, err
	}
	for _, fp := range found {
		for _, i := range owners[fp] {
			hits[i] = true
		}
	}
	return hits, nil
}

// putCustomersOneByOne is the fallback of a batch the database refused as
// a whole: each item in its own transaction, so only the bad one fails.
func (s *Store) putCustomersOneByOne(ctx context.Context, items []batchPut, out []models.CustomerPut) {
	for _, it := range items {
		_, created, changed, err := s.putCustomer(ctx, &it.in)
		out[it.at] = models.CustomerPut{Created: created, Changed: changed, Err: err}
	}
}

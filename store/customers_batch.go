package store

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

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
	valid := validBatchItems(ins, out)
	for items := valid; len(items) > 0; {
		chunk := items[:min(len(items), customersPerTx)]
		items = items[len(chunk):]
		results, err := s.putCustomersChunk(ctx, chunk)
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
	for _, it := range valid {
		out[it.at].ExternalID = it.in.ExternalID
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
		out[i].ExternalID = it.in.ExternalID
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

// putCustomersChunk writes items in one transaction and returns their
// results in order: with pgx on PostgreSQL (putCustomersPostgres), with
// gorm on SQLite. Two batches creating one external id collide on the
// unique index and the loser's retry updates instead.
func (s *Store) putCustomersChunk(ctx context.Context, items []batchPut) ([]models.CustomerPut, error) {
	var results []models.CustomerPut
	var err error
	if s.dialect == DialectPostgres {
		err = s.pipelined(ctx, true, func(t *pipeTx) error {
			results, err = s.putCustomersPostgres(t, items)
			return err
		})
	} else {
		err = s.tx(ctx, true, func(tx *gorm.DB) error {
			results, err = s.putCustomersTx(tx, items)
			return err
		})
	}
	return results, err
}

// putCustomersTx writes items inside tx (gorm) and returns their results
// in order.
func (s *Store) putCustomersTx(tx *gorm.DB, items []batchPut) ([]models.CustomerPut, error) {
	ids := make([]string, len(items))
	for i := range items {
		ids[i] = items[i].in.ExternalID
	}
	var rows []customerRow
	if err := s.forUpdate(tx).Where("external_id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	owners := s.fingerprintOwners(items)
	var found []string
	if len(owners) > 0 {
		err := tx.Model(&suppressionRow{}).Where("fingerprint IN ?", slices.Collect(maps.Keys(owners))).Pluck("fingerprint", &found).Error
		if err != nil {
			return nil, err
		}
	}
	d, err := decideBatch(items, rows, suppressionHits(len(items), owners, found), s.now())
	if err != nil {
		return nil, err
	}
	if len(d.created) > 0 {
		if err := tx.Create(d.created).Error; err != nil {
			return nil, err
		}
	}
	if len(d.updated) > 0 {
		// An upsert on the primary key updates rows that exist (they are
		// locked above) with one statement; consent_seq is not among the
		// columns it sets, since it belongs to the consent ledger.
		upsert := clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns(customerWritable)}
		if err := tx.Clauses(upsert).Create(d.updated).Error; err != nil {
			return nil, err
		}
	}
	events := make([]eventRow, 0, len(d.changes))
	for i := range d.changes {
		events = d.changes[i].events(events)
	}
	return d.results, s.writeEvents(tx, events)
}

// batchDecision is what decideBatch decided for the items of a batch.
type batchDecision struct {
	results          []models.CustomerPut
	created, updated []*customerRow
	// changes are the written items' changes, in item order.
	changes []customerChange
}

// decideBatch decides every item with decidePut (the decision of
// PutCustomer) over rows, the stored customers among the items, with
// hits[i] telling whether item i's addresses are suppressed.
func decideBatch(items []batchPut, rows []customerRow, hits []bool, now time.Time) (batchDecision, error) {
	stored := make(map[string]*customerRow, len(rows))
	for i := range rows {
		stored[*rows[i].ExternalID] = &rows[i]
	}
	d := batchDecision{results: make([]models.CustomerPut, len(items)), changes: make([]customerChange, 0, len(items))}
	for i := range items {
		in := &items[i].in
		ch, err := decidePut(stored[in.ExternalID], in, hits[i], now)
		if err != nil {
			return d, err
		}
		d.results[i] = models.CustomerPut{Created: ch.created, Changed: ch.changed}
		switch {
		case !ch.changed:
			continue
		case ch.created:
			d.created = append(d.created, ch.row)
		default:
			d.updated = append(d.updated, ch.row)
		}
		d.changes = append(d.changes, ch)
	}
	return d, nil
}

// fingerprintOwners maps the fingerprint of every address of items to
// the items that have it.
func (s *Store) fingerprintOwners(items []batchPut) map[string][]int {
	owners := make(map[string][]int, 2*len(items))
	for i := range items {
		for fp := range s.fingerprints(items[i].in.Email, items[i].in.Phone) {
			owners[fp] = append(owners[fp], i)
		}
	}
	return owners
}

// suppressionHits reports for each of n items whether one of its
// addresses is among found, the suppressed fingerprints.
func suppressionHits(n int, owners map[string][]int, found []string) []bool {
	hits := make([]bool, n)
	for _, fp := range found {
		for _, i := range owners[fp] {
			hits[i] = true
		}
	}
	return hits
}

// putCustomersOneByOne is the fallback of a batch the database refused as
// a whole: each item in its own transaction, so only the bad one fails.
func (s *Store) putCustomersOneByOne(ctx context.Context, items []batchPut, out []models.CustomerPut) {
	for _, it := range items {
		_, created, changed, err := s.putCustomer(ctx, &it.in)
		out[it.at] = models.CustomerPut{Created: created, Changed: changed, Err: err}
	}
}

package store

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// Consents implements models.ConsentService.
func (s *Store) Consents(ctx context.Context, externalID string) (*models.ConsentLedger, error) {
	db := s.db.WithContext(ctx)
	cust, err := liveCustomer(db, externalID)
	if err != nil {
		return nil, err
	}
	return s.ledger(db, cust.ID)
}

// ConsentLedger returns the ledger of a customer by internal id, erased or
// not: erasure removes PII, not the proof of what was agreed, so an audit
// can still verify the chain. ENOTFOUND if there never was such a customer.
func (s *Store) ConsentLedger(ctx context.Context, customerID int64) (*models.ConsentLedger, error) {
	db := s.db.WithContext(ctx)
	var n int64
	if err := db.Model(&customerRow{}).Where("id = ?", customerID).Count(&n).Error; err != nil {
		return nil, mapError(err, "Customer")
	}
	if n == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "Customer not found.")
	}
	return s.ledger(db, customerID)
}

func (s *Store) ledger(tx *gorm.DB, customerID int64) (*models.ConsentLedger, error) {
	keys, err := allTopicKeys(tx)
	if err != nil {
		return nil, mapError(err, "Topics")
	}
	var current []consentRow
	if err := tx.Where("customer_id = ?", customerID).Find(&current).Error; err != nil {
		return nil, mapError(err, "Consents")
	}
	var events []consentEventRow
	if err := tx.Where("customer_id = ?", customerID).Order("seq").Find(&events).Error; err != nil {
		return nil, mapError(err, "Consents")
	}
	byTopic := make(map[string]*consentRow, len(current))
	for i := range current {
		byTopic[current[i].Topic] = &current[i]
	}
	l := &models.ConsentLedger{Current: make([]models.Consent, 0, len(keys)), History: make([]models.ConsentEvent, 0, len(events))}
	for _, k := range keys {
		if r, ok := byTopic[k]; ok {
			l.Current = append(l.Current, *r.model())
		} else {
			l.Current = append(l.Current, models.Consent{Topic: k, Status: models.ConsentNone})
		}
	}
	for i := range events {
		l.History = append(l.History, events[i].model())
	}
	l.Chain = models.VerifyChain(l.History, s.keys.Ledger())
	if l.Chain.Verified {
		l.Chain = checkCurrent(l.Chain, current, l.History, s.consentVerifier())
	}
	if l.Chain.Verified {
		l.Chain, err = checkTail(tx, customerID, l.Chain, events)
		if err != nil {
			return nil, mapError(err, "Consents")
		}
	}
	return l, nil
}

// checkTail looks for events cut off the end of the customer's chain: the
// customer's own count of events (consent_seq) must match, and the last
// event must be the global head or be followed in the global chain. Only
// `candor ledger verify` proves the whole ledger complete (VerifyLedger).
func checkTail(tx *gorm.DB, customerID int64, st models.ChainStatus, events []consentEventRow) (models.ChainStatus, error) {
	var cust customerRow
	if err := tx.Select("id, consent_seq").Where("id = ?", customerID).Take(&cust).Error; err != nil {
		return st, err
	}
	if cust.ConsentSeq != int64(len(events)) {
		return models.ChainStatus{Length: st.Length, BrokenAt: int64(len(events)) + 1,
			Reason: fmt.Sprintf("the customer's ledger should hold %d events, it holds %d", cust.ConsentSeq, len(events))}, nil
	}
	if len(events) == 0 {
		return st, nil
	}
	last := events[len(events)-1]
	if last.GlobalSeq == nil {
		return models.ChainStatus{Length: st.Length, BrokenAt: last.Seq, Reason: "event is not anchored in the global chain"}, nil
	}
	var head ledgerHeadRow
	if err := tx.Where("id = 1").Take(&head).Error; err != nil {
		return st, err
	}
	if head.Seq == *last.GlobalSeq && head.Hash == last.Hash {
		return st, nil
	}
	var n int64
	err := tx.Model(&consentEventRow{}).Where("global_seq = ? AND global_prev = ?", *last.GlobalSeq+1, last.Hash).Count(&n).Error
	if err != nil {
		return st, err
	}
	if n == 0 {
		return models.ChainStatus{Length: st.Length, BrokenAt: last.Seq,
			Reason: "the global chain does not continue after the customer's last event: later events were removed"}, nil
	}
	return st, nil
}

// checkCurrent extends the chain check to the consents table: each
// current row must equal the last ledger event of its topic, and each
// topic in the ledger must have a row. Sending decisions read that table,
// so an edit there must show as loudly as an edit of the ledger itself.
func checkCurrent(st models.ChainStatus, current []consentRow, history []models.ConsentEvent, verified func(*consentRow) bool) models.ChainStatus {
	// lastOf is the topic's last event: a customer has a few topics, so a
	// scan from the end beats a map per customer (VerifyLedger runs this
	// for every customer).
	lastOf := func(topic string) (models.ConsentEvent, bool) {
		for i := len(history) - 1; i >= 0; i-- {
			if history[i].Topic == topic {
				return history[i], true
			}
		}
		return models.ConsentEvent{}, false
	}
	for i := range current {
		r := &current[i]
		e, ok := lastOf(r.Topic)
		if !ok || e.Seq != r.Seq || string(e.Status) != r.Status || string(e.Source) != r.Source || e.Hash != r.EventHash || !verified(r) {
			return models.ChainStatus{Length: st.Length, BrokenAt: r.Seq,
				Reason: fmt.Sprintf("current state of topic %q does not match the ledger", r.Topic)}
		}
	}
	// Every topic of the ledger has a current row; from the end, so a
	// missing topic is reported at its last event.
	for i := len(history) - 1; i >= 0; i-- {
		e := history[i]
		if !slices.ContainsFunc(current, func(r consentRow) bool { return r.Topic == e.Topic }) {
			return models.ChainStatus{Length: st.Length, BrokenAt: e.Seq,
				Reason: fmt.Sprintf("topic %q has ledger events but no current state", e.Topic)}
		}
	}
	return st
}

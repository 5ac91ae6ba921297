package store

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"fmt"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// Page sizes of VerifyLedger: they bound its memory and the length of
// each statement (the statement timeout applies to each).
const (
	verifyGlobalPage   = 20000
	verifyCustomerPage = 2000
)

// VerifyLedger checks the whole consent ledger against the keyring, in
// one read snapshot and in pages, so its memory stays bounded whatever
// the size of the ledger: the head's MAC, the global chain (every event
// numbered 1..head without a gap, each linked to the one before, the
// last one the head), and every customer's chain (each event's MAC, seq
// and links, the customer's count of events, each current consent row
// sealed and equal to the last event of its topic). progress, if set, is
// called after each page. A broken ledger is a report with problems, not
// an error; errors are the database's (EUNAVAILABLE and the like).
func (s *Store) VerifyLedger(ctx context.Context, progress func(models.LedgerProgress)) (*models.LedgerReport, error) {
	if progress == nil {
		progress = func(models.LedgerProgress) {}
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == DialectPostgres {
		// One snapshot for the head and every page.
		opts.Isolation = sql.LevelRepeatableRead
	}
	rep := &models.LedgerReport{Problems: []models.LedgerProblem{}}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var head ledgerHeadRow
		if err := tx.Where("id = 1").Take(&head).Error; err != nil {
			return err
		}
		rep.HeadSeq, rep.HeadHash = head.Seq, head.Hash
		if !s.headVerifies(head.Seq, head) {
			rep.Add(models.LedgerProblem{GlobalSeq: head.Seq, Reason: "the ledger head's MAC does not verify"})
		}
		if err := verifyGlobal(tx, head, rep, progress); err != nil {
			return err
		}
		return s.verifyCustomers(tx, rep, progress)
	}, opts)
	if err != nil {
		return nil, mapError(err, "Consent ledger")
	}
	return rep, nil
}

// verifyGlobal walks the global chain in global_seq order.
func verifyGlobal(tx *gorm.DB, head ledgerHeadRow, rep *models.LedgerReport, progress func(models.LedgerProgress)) error {
	type link struct {
		GlobalSeq  int64
		GlobalPrev string
		Hash       string
		CustomerID int64
		Seq        int64
	}
	var after int64
	prev := ""
	for {
		var page []link
		err := tx.Model(&consentEventRow{}).Select("global_seq, global_prev, hash, customer_id, seq").
			Where("global_seq > ?", after).Order("global_seq").Limit(verifyGlobalPage).Scan(&page).Error
		if err != nil {
			return err
		}
		for _, l := range page {
			if l.GlobalSeq != after+1 {
				rep.Add(models.LedgerProblem{GlobalSeq: after + 1,
					Reason: fmt.Sprintf("events %d..%d of the global chain are missing", after+1, l.GlobalSeq-1)})
			} else if l.GlobalPrev != prev {
				rep.Add(models.LedgerProblem{CustomerID: l.CustomerID, Seq: l.Seq, GlobalSeq: l.GlobalSeq,
					Reason: "global_prev does not match the previous event of the global chain"})
			}
			after, prev = l.GlobalSeq, l.Hash
		}
		progress(models.LedgerProgress{Phase: "global", Done: after, Total: head.Seq})
		if len(page) < verifyGlobalPage {
			break
		}
	}
	switch {
	case after < head.Seq:
		rep.Add(models.LedgerProblem{GlobalSeq: after + 1,
			Reason: fmt.Sprintf("events %d..%d of the global chain are missing (its last events were removed)", after+1, head.Seq)})
	case after > head.Seq:
		rep.Add(models.LedgerProblem{GlobalSeq: head.Seq + 1,
			Reason: fmt.Sprintf("events %d..%d lie beyond the ledger head", head.Seq+1, after)})
	case !hmac.Equal([]byte(prev), []byte(head.Hash)):
		rep.Add(models.LedgerProblem{GlobalSeq: after, Reason: "the ledger head does not name the last event of the global chain"})
	}
	return nil
}

// verifyCustomers checks every customer's chain and current rows, a page
// of customers at a time.
func (s *Store) verifyCustomers(tx *gorm.DB, rep *models.LedgerReport, progress func(models.LedgerProgress)) error {
	var total int64
	if err := tx.Model(&customerRow{}).Count(&total).Error; err != nil {
		return err
	}
	var after int64
	for {
		var custs []customerRow
		if err := tx.Select("id, consent_seq").Where("id > ?", after).Order("id").Limit(verifyCustomerPage).Find(&custs).Error; err != nil {
			return err
		}
		if len(custs) == 0 {
			break
		}
		lo, hi := after, custs[len(custs)-1].ID
		var events []consentEventRow
		if err := tx.Where("customer_id > ? AND customer_id <= ?", lo, hi).Order("customer_id, seq").Find(&events).Error; err != nil {
			return err
		}
		var current []consentRow
		if err := tx.Where("customer_id > ? AND customer_id <= ?", lo, hi).Order("customer_id, topic").Find(&current).Error; err != nil {
			return err
		}
		ei, ci := 0, 0
		for _, c := range custs {
			ej := ei
			for ej < len(events) && events[ej].CustomerID == c.ID {
				ej++
			}
			cj := ci
			for cj < len(current) && current[cj].CustomerID == c.ID {
				cj++
			}
			s.verifyCustomer(c, events[ei:ej], current[ci:cj], rep)
			ei, ci = ej, cj
		}
		rep.Customers += int64(len(custs))
		rep.Events += int64(len(events))
		after = hi
		progress(models.LedgerProgress{Phase: "customers", Done: rep.Customers, Total: total, Events: rep.Events})
	}
	return nil
}

// verifyCustomer checks one customer's chain and current consent rows.
func (s *Store) verifyCustomer(c customerRow, rows []consentEventRow, current []consentRow, rep *models.LedgerReport) {
	events := make([]models.ConsentEvent, len(rows))
	for i := range rows {
		events[i] = rows[i].model()
		if rows[i].GlobalSeq == nil {
			rep.Add(models.LedgerProblem{CustomerID: c.ID, Seq: rows[i].Seq,
				Reason: "event is not anchored in the global chain (run candor ledger adopt once after upgrading)"})
			return
		}
	}
	if st := models.VerifyChain(events, s.keys.Ledger()); !st.Verified {
		var gs int64
		if st.BrokenAt >= 1 && st.BrokenAt <= int64(len(events)) {
			gs = events[st.BrokenAt-1].GlobalSeq
		}
		rep.Add(models.LedgerProblem{CustomerID: c.ID, Seq: st.BrokenAt, GlobalSeq: gs, Reason: st.Reason})
		return
	}
	if c.ConsentSeq != int64(len(events)) {
		rep.Add(models.LedgerProblem{CustomerID: c.ID, Seq: int64(len(events)) + 1,
			Reason: fmt.Sprintf("the customer's ledger should hold %d events, it holds %d", c.ConsentSeq, len(events))})
		return
	}
	if st := s.checkCurrent(models.ChainStatus{Verified: true, Length: len(events)}, current, events); !st.Verified {
		rep.Add(models.LedgerProblem{CustomerID: c.ID, Seq: st.BrokenAt, Reason: st.Reason})
	}
}

// RecordLedgerBroken writes a ledger.broken outbox event for a report
// with problems (internal ids and reasons only, never PII).
func (s *Store) RecordLedgerBroken(ctx context.Context, rep *models.LedgerReport) error {
	problems := rep.Problems
	if len(problems) > 20 {
		problems = problems[:20]
	}
	data := map[string]any{"broken": rep.Broken, "head_seq": rep.HeadSeq, "problems": problems}
	return mapError(s.writeEvent(s.db.WithContext(ctx), models.EventLedgerBroken, nil, data), "Event")
}

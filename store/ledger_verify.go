package store

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

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
// sealed and equal to the last event of its topic), and that no head an
// earlier verification found intact was rewound: known (heads kept outside
// the database: the caller's own memory, the anchor in Redis; nil for
// none) and those earlier verifications recorded
// (RecordLedgerVerification). progress, if set, is called after each
// page. A broken ledger is a report with problems, not an error; errors
// are the database's (EUNAVAILABLE and the like).
func (s *Store) VerifyLedger(ctx context.Context, known []models.LedgerFloor, progress func(models.LedgerProgress)) (*models.LedgerReport, error) {
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
		floors, err := s.verifiedFloors(tx, known, rep)
		if err != nil {
			return err
		}
		if err := verifyGlobal(tx, head, floors, rep, progress); err != nil {
			return err
		}
		return s.verifyCustomers(tx, rep, progress)
	}, opts)
	if err != nil {
		return nil, mapError(err, "Consent ledger")
	}
	return rep, nil
}

// verifiedFloors gathers the heads earlier verifications found intact:
// the records of ledger_verifications, and known, the heads kept outside
// the database (the caller's memory, the anchor in Redis), which the
// database writer the ledger guards against cannot delete as it can the
// records. A known head that names another first event than this
// ledger's (models.LedgerFloor.Genesis) is skipped with a warning. Only sealed records count: one without
// a MAC is ignored, and one whose MAC does not verify (altered or forged)
// is a problem of its own. A run that found problems does not count
// either: a forged head it saw would otherwise be the floor for ever after
// its repair. It reports a head shorter than the longest floor (the
// ledger's last events were cut off and the head replaced by an older
// one, which is consistent in itself and passes every other check) and
// returns, by place in the global chain, the floors whose event
// verifyGlobal checks. It reads every record (one a verification
// interval: a few thousand a year).
func (s *Store) verifiedFloors(tx *gorm.DB, known []models.LedgerFloor, rep *models.LedgerReport) (map[int64][]placeFloor, error) {
	var rows []ledgerVerificationRow
	if err := tx.Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	var genesis []string
	if err := tx.Raw("SELECT hash FROM consent_events WHERE global_seq = 1").Scan(&genesis).Error; err != nil {
		return nil, err
	}
	var floors []models.LedgerFloor
	for _, f := range known {
		// A floor kept outside the database for a ledger with another
		// first event: this database was recreated, or another
		// installation shares the Redis. An empty ledger keeps every
		// floor: cutting every event off is a rewind too.
		if f.Genesis != "" && len(genesis) == 1 && !hmac.Equal([]byte(f.Genesis), []byte(genesis[0])) {
			s.log.Warn("a ledger floor kept outside the database belongs to another ledger (another first event): it is no floor for this one",
				"source", f.Source, "seq", f.Seq)
			continue
		}
		floors = append(floors, f)
	}
	for i := range rows {
		switch r := &rows[i]; s.verificationSeal(r) {
		case models.SealValid:
			if r.Problems == 0 {
				floors = append(floors, models.LedgerFloor{Seq: r.HeadSeq, Hash: r.HeadHash,
					Source: fmt.Sprintf("verification %d by %s", r.ID, r.Worker)})
			}
		case models.SealBroken:
			rep.Add(models.LedgerProblem{Reason: fmt.Sprintf("the record of verification %d does not verify: it was altered or forged", r.ID)})
		}
	}
	var longest int64
	byPlace := map[int64][]placeFloor{}
	for _, f := range floors {
		longest = max(longest, f.Seq)
		if f.Hash == "" || f.Seq <= 0 {
			continue
		}
		i := slices.IndexFunc(byPlace[f.Seq], func(p placeFloor) bool { return p.hash == f.Hash })
		if i < 0 {
			byPlace[f.Seq] = append(byPlace[f.Seq], placeFloor{hash: f.Hash})
			i = len(byPlace[f.Seq]) - 1
		}
		byPlace[f.Seq][i].add(f.Source)
	}
	if rep.HeadSeq < longest {
		rep.Add(models.LedgerProblem{GlobalSeq: rep.HeadSeq,
			Reason: fmt.Sprintf("the ledger head went back from %d to %d events since an earlier verification", longest, rep.HeadSeq)})
	}
	return byPlace, nil
}

// placeFloor is one event (by hash) that earlier verifications found at a
// place of the global chain, and which of them did: every hourly run
// without a consent change in between finds the same head, and a rewind is
// one problem at its place, not one per verification.
type placeFloor struct {
	hash    string
	sources []string // the first few, for the report
	n       int
}

const placeSourcesNamed = 3

func (p *placeFloor) add(source string) {
	p.n++
	if len(p.sources) < placeSourcesNamed {
		p.sources = append(p.sources, source)
	}
}

func (p *placeFloor) describe() string {
	out := strings.Join(p.sources, ", ")
	if more := p.n - len(p.sources); more > 0 {
		out += fmt.Sprintf(" and %d more", more)
	}
	return out
}

// verifyGlobal walks the global chain in global_seq order; floors are the
// events earlier verifications found at their places.
func verifyGlobal(tx *gorm.DB, head ledgerHeadRow, floors map[int64][]placeFloor, rep *models.LedgerReport,
	progress func(models.LedgerProgress)) error {
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
		page := make([]link, 0, verifyGlobalPage)
		err := queryRows(tx, func(r rowScanner) error {
			var l link
			err := r.Scan(&l.GlobalSeq, &l.GlobalPrev, &l.Hash, &l.CustomerID, &l.Seq)
			page = append(page, l)
			return err
		}, "SELECT global_seq, global_prev, hash, customer_id, seq FROM consent_events WHERE global_seq > ? ORDER BY global_seq LIMIT ?",
			after, verifyGlobalPage)
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
			var other []string
			for _, f := range floors[l.GlobalSeq] {
				if !hmac.Equal([]byte(f.hash), []byte(l.Hash)) {
					other = append(other, f.describe())
				}
			}
			if l.GlobalSeq == 1 {
				rep.GenesisHash = l.Hash
			}
			if len(other) > 0 {
				rep.Add(models.LedgerProblem{GlobalSeq: l.GlobalSeq, Reason: fmt.Sprintf(
					"event %d of the global chain is not the one an earlier verification found there (%s): the ledger was rewound and written again",
					l.GlobalSeq, strings.Join(other, "; "))})
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
	v := ledgerVerifier{chain: models.NewChainVerifier(s.keys.Ledger()), consent: s.consentVerifier()}
	// Every id, not only the positive ones the database hands out: events
	// moved onto a customer row someone inserted with id -1 would
	// otherwise never have their MACs checked.
	after := int64(math.MinInt64)
	var custs []customerRow
	var events []models.ConsentEvent
	var current []consentRow
	for {
		custs, events, current = custs[:0], events[:0], current[:0]
		err := queryRows(tx, func(r rowScanner) error {
			var c customerRow
			err := r.Scan(&c.ID, &c.ConsentSeq)
			custs = append(custs, c)
			return err
		}, "SELECT id, consent_seq FROM customers WHERE id > ? ORDER BY id LIMIT ?", after, verifyCustomerPage)
		if err != nil {
			return err
		}
		if len(custs) == 0 {
			break
		}
		lo, hi := after, custs[len(custs)-1].ID
		err = queryRows(tx, func(r rowScanner) error {
			var row consentEventRow
			err := row.scan(r)
			events = append(events, row.model())
			return err
		}, "SELECT "+consentEventColumns+" FROM consent_events WHERE customer_id > ? AND customer_id <= ? ORDER BY customer_id, seq", lo, hi)
		if err != nil {
			return err
		}
		err = queryRows(tx, func(r rowScanner) error {
			var c consentRow
			err := r.Scan(&c.CustomerID, &c.Topic, &c.Status, &c.Source, &c.Seq, &c.UpdatedAt, &c.KeyID, &c.EventHash, &c.Mac)
			current = append(current, c)
			return err
		}, "SELECT customer_id, topic, status, source, seq, updated_at, key_id, event_hash, mac FROM consents "+
			"WHERE customer_id > ? AND customer_id <= ? ORDER BY customer_id, topic", lo, hi)
		if err != nil {
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
			v.customer(c, events[ei:ej], current[ci:cj], rep)
			ei, ci = ej, cj
		}
		rep.Customers += int64(len(custs))
		rep.Events += int64(len(events))
		after = hi
		progress(models.LedgerProgress{Phase: "customers", Done: rep.Customers, Total: total, Events: rep.Events})
	}
	// Each event's MAC is checked with its customer's chain: one that
	// belongs to no customer read above was never checked, and the global
	// chain's links alone do not seal it.
	var all int64
	if err := tx.Model(&consentEventRow{}).Count(&all).Error; err != nil {
		return err
	}
	if all != rep.Events {
		rep.Add(models.LedgerProblem{Reason: fmt.Sprintf("%d consent events belong to no customer: their MACs cannot be checked", all-rep.Events)})
	}
	return nil
}

// ledgerVerifier checks customers' chains for VerifyLedger, with one
// keyed HMAC per key for the whole run.
type ledgerVerifier struct {
	chain   *models.ChainVerifier
	consent func(*consentRow) bool
}

// customer checks one customer's chain and current consent rows.
func (v ledgerVerifier) customer(c customerRow, events []models.ConsentEvent, current []consentRow, rep *models.LedgerReport) {
	for i := range events {
		if events[i].GlobalSeq == 0 {
			rep.Add(models.LedgerProblem{CustomerID: c.ID, Seq: events[i].Seq,
				Reason: "event is not anchored in the global chain (run candor ledger adopt once after upgrading)"})
			return
		}
	}
	if st := v.chain.Chain(events); !st.Verified {
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
	if st := checkCurrent(models.ChainStatus{Verified: true, Length: len(events)}, current, events, v.consent); !st.Verified {
		rep.Add(models.LedgerProblem{CustomerID: c.ID, Seq: st.BrokenAt, Reason: st.Reason})
	}
}

// queryRows runs q (with gorm's placeholders) in tx and hands each row to
// scan. The verification reads every row of three tables, and gorm's
// reflection over each row was most of its CPU (docs/benchmarks.md,
// "Session 11").
func queryRows(tx *gorm.DB, scan func(rowScanner) error, q string, args ...any) error {
	rows, err := tx.Raw(q, args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
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

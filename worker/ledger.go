package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor/candor/models"
)

// LedgerStore is what the periodic ledger verification needs from
// storage (store.Store implements it).
type LedgerStore interface {
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	VerifyLedger(ctx context.Context, known []models.LedgerFloor, progress func(models.LedgerProgress)) (*models.LedgerReport, error)
	RecordLedgerBroken(ctx context.Context, rep *models.LedgerReport) error
	LastLedgerVerification(ctx context.Context) (*models.LedgerVerification, error)
	RecordLedgerVerification(ctx context.Context, v *models.LedgerVerification) error
}

// LedgerVerifierOptions configure the periodic ledger verification.
type LedgerVerifierOptions struct {
	Store LedgerStore
	// Worker names this process (lease owner).
	Worker string
	// Interval is how often the whole ledger is verified (zero: an hour);
	// Tick how often the lease is checked and renewed (zero: a minute).
	Interval, Tick time.Duration
	// Anchor, if set, keeps the longest head a verification found intact
	// outside the database, as a floor for later ones (nil: only the
	// database's records and this process's memory).
	Anchor HeadAnchor
	// Registerer receives the metrics (nil: none are exported).
	Registerer prometheus.Registerer
	Now        func() time.Time
	Logger     *slog.Logger
}

// LedgerVerifier verifies the consent ledger every Interval in the one
// worker process that holds its database lease, exports the outcome as
// metrics and writes a ledger.broken event when it fails. What the last
// verification saw is kept in the database (RecordLedgerVerification), so
// "every Interval" and "the head never goes back" hold across restarts
// and across the processes the lease moves between.
type LedgerVerifier struct {
	o         LedgerVerifierOptions
	published bool // the metrics hold a verification's outcome
	// longest is the longest head this process verified intact.
	longest                                       models.LedgerFloor
	verified, broken, headSeq, lastTime, duration prometheus.Gauge
}

// ledgerLease names the verification's lease; it outlives a run (a
// million customers take well under a minute, docs/benchmarks.md).
const (
	ledgerLease    = "ledger-verify"
	ledgerLeaseTTL = 10 * time.Minute
)

// NewLedgerVerifier returns a verifier; zero options get defaults. It
// fails when the metrics cannot be registered.
func NewLedgerVerifier(o LedgerVerifierOptions) (*LedgerVerifier, error) {
	if o.Interval <= 0 {
		o.Interval = time.Hour
	}
	if o.Tick <= 0 {
		o.Tick = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: "candor_ledger_" + name, Help: help})
	}
	v := &LedgerVerifier{o: o,
		verified: g("verified", "1 if the last full verification of the consent ledger found it intact, 0 if it found a break."),
		broken:   g("problems", "Problems the last verification of the consent ledger found."),
		headSeq:  g("head_seq", "Length of the global consent chain at the last verification; it never goes down in an intact ledger."),
		lastTime: g("last_verification_timestamp_seconds", "When the last verification of the consent ledger finished (Unix time)."),
		duration: g("verification_duration_seconds", "How long the last verification of the consent ledger took."),
	}
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{v.verified, v.broken, v.headSeq, v.lastTime, v.duration} {
			if err := o.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("register ledger metrics: %w", err)
			}
		}
	}
	return v, nil
}

// Run verifies every Interval while this process holds the lease, until
// ctx ends.
func (v *LedgerVerifier) Run(ctx context.Context) {
	t := time.NewTicker(v.o.Tick)
	defer t.Stop()
	for {
		held, err := v.o.Store.AcquireLease(ctx, ledgerLease, v.o.Worker, ledgerLeaseTTL)
		if err == nil && held {
			err = v.verifyIfDue(ctx)
		}
		if err != nil && ctx.Err() == nil {
			v.o.Logger.Warn("consent ledger verification failed to run", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// verifyIfDue verifies the ledger when it is due (due). Otherwise, the
// first time, it exports what the last recorded verification found, so a
// restarted lease holder does not report the ledger as never verified.
func (v *LedgerVerifier) verifyIfDue(ctx context.Context) error {
	last, err := v.lastVerification(ctx)
	if err != nil {
		return err
	}
	if !v.due(last) {
		if !v.published {
			v.publish(last)
		}
		return nil
	}
	_, err = v.VerifyOnce(ctx)
	return err
}

// due reports whether the ledger is to be verified now: nothing recorded
// yet; the last run Interval ago or more, or dated in the future (a clock
// ahead, or a row forged to silence the check); or the last run, by
// another process (candor ledger verify, another worker), found a break,
// so that this one's log line and ledger.broken event follow at once
// rather than an hour later.
func (v *LedgerVerifier) due(last *models.LedgerVerification) bool {
	if last == nil {
		return true
	}
	age := v.o.Now().Sub(last.FinishedAt)
	return age < 0 || age >= v.o.Interval || (last.Problems > 0 && last.Worker != v.o.Worker)
}

// lastVerification is the store's last verification, nil when none is
// recorded.
func (v *LedgerVerifier) lastVerification(ctx context.Context) (*models.LedgerVerification, error) {
	last, err := v.o.Store.LastLedgerVerification(ctx)
	if models.ErrorCode(err) == models.ENOTFOUND {
		return nil, nil
	}
	return last, err
}

// publish sets the metrics to what verification r found.
func (v *LedgerVerifier) publish(r *models.LedgerVerification) {
	v.published = true
	v.headSeq.Set(float64(r.HeadSeq))
	v.broken.Set(float64(r.Problems))
	v.lastTime.Set(float64(r.FinishedAt.Unix()))
	v.duration.Set(r.Duration.Seconds())
	if r.Problems == 0 {
		v.verified.Set(1)
	} else {
		v.verified.Set(0)
	}
}

// VerifyOnce verifies the whole ledger now: it updates the metrics, on a
// break logs it and writes a ledger.broken event, and then records the
// verification, so that a later one, in any process, reports a head that
// went back below this one's. The longest head this process verified,
// and the Anchor's, are floors too (VerifyLedger's known): the records
// are rows the same database writer could delete. An intact ledger
// raises the Anchor to its head. A failure to record or to anchor
// is logged, never put before the outcome. Errors are the store's.
func (v *LedgerVerifier) VerifyOnce(ctx context.Context) (*models.LedgerReport, error) {
	start := v.o.Now()
	rep, err := v.o.Store.VerifyLedger(ctx, v.floors(ctx), nil)
	if err != nil {
		return nil, err
	}
	head := models.LedgerFloor{Seq: rep.HeadSeq, Hash: rep.HeadHash, Genesis: rep.GenesisHash}
	if rep.OK() && v.o.Anchor != nil {
		if err := v.o.Anchor.Raise(ctx, head); err != nil {
			v.o.Logger.Warn("keeping the ledger head anchor failed", "error", err.Error())
		}
	}
	finished := v.o.Now()
	if rep.OK() && (head.Seq > v.longest.Seq || head.Genesis != v.longest.Genesis) {
		// A head seen by a run that found problems (a forged one, since
		// repaired) is no floor, as in the records and the anchor; a
		// clean run of another ledger (a recreated database) replaces
		// the floor of the old one.
		v.longest = head
		v.longest.Source = "this process's verification of " + finished.UTC().Format(time.RFC3339)
	}
	done := &models.LedgerVerification{FinishedAt: finished, HeadSeq: rep.HeadSeq, HeadHash: rep.HeadHash, Customers: rep.Customers, Events: rep.Events,
		Problems: rep.Broken, Worker: v.o.Worker}
	done.Duration = done.FinishedAt.Sub(start)
	v.publish(done)
	defer func() {
		if err := v.o.Store.RecordLedgerVerification(ctx, done); err != nil {
			v.o.Logger.Warn("recording the ledger verification failed", "error", err.Error())
		}
	}()
	if rep.OK() {
		v.o.Logger.Info("consent ledger verified", "customers", rep.Customers, "events", rep.Events, "head_seq", rep.HeadSeq,
			"seconds", done.Duration.Seconds())
		return rep, nil
	}
	first := rep.Problems[0]
	v.o.Logger.Error("consent ledger is broken", "problems", rep.Broken, "customer_id", first.CustomerID, "seq", first.Seq,
		"global_seq", first.GlobalSeq, "reason", first.Reason)
	return rep, v.o.Store.RecordLedgerBroken(ctx, rep)
}

// floors are the heads this verification must find again, besides the
// database's records: the longest this process verified, and the
// anchored one. An anchor that cannot be read or does not verify is
// logged and is no floor.
func (v *LedgerVerifier) floors(ctx context.Context) []models.LedgerFloor {
	var out []models.LedgerFloor
	if v.longest.Seq > 0 {
		out = append(out, v.longest)
	}
	if v.o.Anchor == nil {
		return out
	}
	anchored, err := v.o.Anchor.Head(ctx)
	if err != nil {
		v.o.Logger.Warn("the ledger head anchor is no floor for this verification", "error", err.Error())
	} else if anchored.Seq > 0 {
		out = append(out, anchored)
	}
	return out
}

// Verified is the candor_ledger_verified gauge (for tests and callers
// that serve it themselves).
func (v *LedgerVerifier) Verified() prometheus.Gauge { return v.verified }

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
	VerifyLedger(ctx context.Context, progress func(models.LedgerProgress)) (*models.LedgerReport, error)
	RecordLedgerBroken(ctx context.Context, rep *models.LedgerReport) error
}

// LedgerVerifierOptions configure the periodic ledger verification.
type LedgerVerifierOptions struct {
	Store LedgerStore
	// Worker names this process (lease owner).
	Worker string
	// Interval is how often the whole ledger is verified (zero: an hour);
	// Tick how often the lease is checked and renewed (zero: a minute).
	Interval, Tick time.Duration
	// Registerer receives the metrics (nil: none are exported).
	Registerer prometheus.Registerer
	Now        func() time.Time
	Logger     *slog.Logger
}

// LedgerVerifier verifies the consent ledger every Interval in the one
// worker process that holds its database lease, exports the outcome as
// metrics and writes a ledger.broken event when it fails.
type LedgerVerifier struct {
	o                                             LedgerVerifierOptions
	lastRun                                       time.Time
	lastHead                                      int64
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
		if err == nil && held && v.o.Now().Sub(v.lastRun) >= v.o.Interval {
			_, err = v.VerifyOnce(ctx)
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

// VerifyOnce verifies the whole ledger now: it updates the metrics, and on
// a break logs it and writes a ledger.broken event. A head shorter than
// the one this process verified before is a break too (events were cut
// off the end and the head rewound to an earlier state). Errors are the
// store's.
func (v *LedgerVerifier) VerifyOnce(ctx context.Context) (*models.LedgerReport, error) {
	start := v.o.Now()
	rep, err := v.o.Store.VerifyLedger(ctx, nil)
	if err != nil {
		return nil, err
	}
	v.lastRun = v.o.Now()
	if rep.HeadSeq < v.lastHead {
		rep.Add(models.LedgerProblem{GlobalSeq: rep.HeadSeq,
			Reason: fmt.Sprintf("the ledger head went back from %d to %d events since the last verification", v.lastHead, rep.HeadSeq)})
	} else {
		v.lastHead = rep.HeadSeq
	}
	v.headSeq.Set(float64(rep.HeadSeq))
	v.broken.Set(float64(rep.Broken))
	v.lastTime.Set(float64(v.lastRun.Unix()))
	v.duration.Set(v.lastRun.Sub(start).Seconds())
	if rep.OK() {
		v.verified.Set(1)
		v.o.Logger.Info("consent ledger verified", "customers", rep.Customers, "events", rep.Events, "head_seq", rep.HeadSeq,
			"seconds", v.lastRun.Sub(start).Seconds())
		return rep, nil
	}
	v.verified.Set(0)
	first := rep.Problems[0]
	v.o.Logger.Error("consent ledger is broken", "problems", rep.Broken, "customer_id", first.CustomerID, "seq", first.Seq,
		"global_seq", first.GlobalSeq, "reason", first.Reason)
	return rep, v.o.Store.RecordLedgerBroken(ctx, rep)
}

// Verified is the candor_ledger_verified gauge (for tests and callers
// that serve it themselves).
func (v *LedgerVerifier) Verified() prometheus.Gauge { return v.verified }

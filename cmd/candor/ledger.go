package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/candor/candor/configs"
	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
)

// errLedgerBroken makes `candor ledger verify` exit non-zero after it
// printed the problems.
var errLedgerBroken = errors.New("the consent ledger does not verify")

func newLedgerCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Verify the keyed consent ledger, or adopt data written before it was keyed",
	}
	var every time.Duration
	var anchored bool
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check every customer's consent chain and the global chain's head; exit 1 on any break",
		Long: "Reads the whole consent ledger in pages (bounded memory) in one read snapshot and checks, with\n" +
			"CANDOR_SECRET_KEY (and CANDOR_SECRET_KEY_PREVIOUS for events sealed before a rotation): the head's MAC,\n" +
			"the global chain (no event missing, each linked to the one before), each customer's chain and\n" +
			"current consent rows, and that no head an earlier verification found intact was rewound (the\n" +
			"database's records, and with CANDOR_REDIS_URL the head the workers anchored in Redis). Progress goes\n" +
			"to stderr; each problem names the customer (internal id) and the event. Exit status 0: intact;\n" +
			"1: broken (or the database failed).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := openApp(cmd.Context(), getenv, io.Discard, "ledger", configs.ModeDatabase, false)
			if err != nil {
				return err
			}
			defer a.Close()
			var floors []models.LedgerFloor
			if anchored {
				floors = a.anchoredFloors(cmd.Context(), cmd.ErrOrStderr())
			}
			return verifyLedger(cmd.Context(), a, floors, cmd.OutOrStdout(), cmd.ErrOrStderr(), every)
		},
	}
	verify.Flags().DurationVar(&every, "progress", 2*time.Second, "how often to report progress on stderr (0: never)")
	verify.Flags().BoolVar(&anchored, "anchor", true, "compare with the head the workers anchored in Redis (CANDOR_REDIS_URL); "+
		"--anchor=false to verify a copy or a restore of the database, which that head would report as rewound")
	adopt := &cobra.Command{
		Use:   "adopt",
		Short: "Seal consent events and rows written without the ledger key (once, after upgrading to the keyed ledger)",
		Long: "Events written before migration 00011 carry an unkeyed hash only. adopt seals each with the current\n" +
			"ledger key (their hash stays, so their links hold) and appends them to the global chain, and gives\n" +
			"current consent rows without a MAC one. It trusts the database as it is now: run it once, right after\n" +
			"`candor migrate` to 00011, not as a repair (it would also seal what a writer without the secret added).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := openApp(cmd.Context(), getenv, cmd.ErrOrStderr(), "ledger", configs.ModeDatabase, false)
			if err != nil {
				return err
			}
			defer a.Close()
			events, rows, err := a.store.AdoptLedger(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "adopted %d consent events and %d current consent rows into the keyed ledger\n", events, rows)
			return nil
		},
	}
	cmd.AddCommand(verify, adopt)
	return cmd
}

// verifyLedger runs a verification with readable progress and prints the
// outcome: a summary on stdout, one line per problem.
func verifyLedger(ctx context.Context, a *app, floors []models.LedgerFloor, out, progressOut io.Writer, every time.Duration) error {
	start := time.Now()
	last := start
	rep, err := a.store.VerifyLedger(ctx, floors, func(p models.LedgerProgress) {
		if every <= 0 || time.Since(last) < every {
			return
		}
		last = time.Now()
		pct := 100.0
		if p.Total > 0 {
			pct = 100 * float64(p.Done) / float64(p.Total)
		}
		switch p.Phase {
		case "global":
			fmt.Fprintf(progressOut, "global chain: %d/%d events (%.0f%%), %.0fs\n", p.Done, p.Total, pct, time.Since(start).Seconds())
		default:
			fmt.Fprintf(progressOut, "customers: %d/%d (%.0f%%), %d events, %.0fs\n", p.Done, p.Total, pct, p.Events, time.Since(start).Seconds())
		}
	})
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(out, "BROKEN customer %d event %d (global %d): %s\n", p.CustomerID, p.Seq, p.GlobalSeq, p.Reason)
	}
	if rep.Broken > int64(len(rep.Problems)) {
		fmt.Fprintf(out, "... and %d more problems\n", rep.Broken-int64(len(rep.Problems)))
	}
	status := "intact"
	if !rep.OK() {
		status = fmt.Sprintf("BROKEN (%d problems)", rep.Broken)
	}
	// The first event's hash names the ledger: an anchor kept outside
	// the database (worker.RedisHeadAnchor) is a floor only for the
	// ledger that starts with it, so an operator comparing a restore with
	// an anchor reads it here.
	genesis := rep.GenesisHash
	if genesis == "" {
		genesis = "none"
	}
	fmt.Fprintf(out, "consent ledger %s: %d customers, %d events, head %d (%s), first event %s, verified in %.1fs\n",
		status, rep.Customers, rep.Events, rep.HeadSeq, rep.HeadHash, genesis, time.Since(start).Seconds())
	// Recorded like the worker's hourly run, after the outcome is out: a
	// later verification, here or in a worker, reports a head that went
	// back below this one's. A database that refuses the write (a
	// read-only standby) still gets its verification.
	done := &models.LedgerVerification{FinishedAt: time.Now(), HeadSeq: rep.HeadSeq, HeadHash: rep.HeadHash, Customers: rep.Customers, Events: rep.Events,
		Problems: rep.Broken, Duration: time.Since(start), Worker: "candor ledger verify"}
	if err := a.store.RecordLedgerVerification(ctx, done); err != nil {
		fmt.Fprintf(progressOut, "warning: this verification was not recorded: %v\n", err)
	}
	if !rep.OK() {
		return errLedgerBroken
	}
	return nil
}

// anchoredFloors returns the head the workers anchored in Redis
// (worker.RedisHeadAnchor) when CANDOR_REDIS_URL is set, so that the
// command reports a rewind whose database records were deleted, as a
// restarted worker does. The embedded mode's Redis lives in the `candor
// run` process and is not reachable from here. An anchor that cannot be
// read, or does not verify, is no floor: a warning says so on warn and
// the verification runs without it, after at most 5 s. The command never
// raises the anchor; the worker's clean runs do.
func (a *app) anchoredFloors(ctx context.Context, warn io.Writer) []models.LedgerFloor {
	if a.cfg.RedisURL == "" { // embedded, or a database-only set-up
		return nil
	}
	if a.redis == nil {
		if err := a.openRedis(); err != nil {
			fmt.Fprintf(warn, "warning: the ledger head anchored in Redis is no floor for this verification: %v\n", err)
			return nil
		}
	}
	// As pingRedis: go-redis applies its own read timeout rather than the
	// context's deadline, so the read runs aside and the deadline wins.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	type read struct {
		head models.LedgerFloor
		err  error
	}
	done := make(chan read, 1)
	go func() {
		head, err := worker.NewRedisHeadAnchor(a.redis, a.keys.Ledger()).Head(ctx)
		done <- read{head, err}
	}()
	var head models.LedgerFloor
	var err error
	select {
	case r := <-done:
		head, err = r.head, r.err
	case <-ctx.Done():
		err = fmt.Errorf("reading it took too long: %w", ctx.Err())
	}
	if err != nil {
		fmt.Fprintf(warn, "warning: the ledger head anchored in Redis is no floor for this verification: %v\n", err)
		return nil
	}
	if head.Seq == 0 {
		return nil
	}
	return []models.LedgerFloor{head}
}

// runLedgerVerifier starts the worker's periodic ledger verification,
// under its own database lease, until ctx ends; its metrics go to reg.
func (a *app) runLedgerVerifier(ctx context.Context, reg prometheus.Registerer) error {
	v, err := worker.NewLedgerVerifier(worker.LedgerVerifierOptions{Store: a.store, Worker: workerName(), Registerer: reg,
		Anchor: worker.NewRedisHeadAnchor(a.redis, a.keys.Ledger()), Logger: a.log.With("component", "ledger")})
	if err != nil {
		return err
	}
	go v.Run(ctx)
	return nil
}

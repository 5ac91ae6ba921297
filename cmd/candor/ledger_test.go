package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/candor/candor/configs"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/worker"
)

func TestLedgerVerifyExitsNonZeroNamingTheBrokenCustomer(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			e := backendEnv(t, backend)
			if code, _, stderr := run(t, e, "migrate"); code != 0 {
				t.Fatalf("migrate exit %d: %s", code, stderr)
			}
			if code, _, stderr := run(t, e, "seed", "--customers", "30", "--seed", "5"); code != 0 {
				t.Fatalf("seed exit %d: %s", code, stderr)
			}
			code, stdout, stderr := run(t, e, "ledger", "verify")
			if code != 0 || !strings.Contains(stdout, "consent ledger intact: 30 customers") {
				t.Fatalf("verify of a seeded ledger: exit %d, stdout %q, stderr %s", code, stdout, stderr)
			}
			// The summary names the ledger by its first event's hash.
			var genesis string
			if err := genesisOf(t, e, &genesis); err != nil || genesis == "" || !strings.Contains(stdout, "first event "+genesis+",") {
				t.Errorf("the summary %q does not name the first event's hash %q (%v)", stdout, genesis, err)
			}

			a, err := openApp(context.Background(), e.get, io.Discard, "ledger", configs.ModeEmbedded, false)
			if err != nil {
				t.Fatal(err)
			}
			var id int64
			db := a.store.DB()
			err = db.Raw("SELECT customer_id FROM consent_events WHERE status = 'opted_out' ORDER BY id LIMIT 1").Scan(&id).Error
			if err == nil && id > 0 {
				err = db.Exec("UPDATE consent_events SET status = 'opted_in' WHERE customer_id = ? AND status = 'opted_out'", id).Error
			}
			a.Close()
			if err != nil || id == 0 {
				t.Fatalf("tamper: customer %d, %v", id, err)
			}

			code, stdout, _ = run(t, e, "ledger", "verify")
			if code != 1 || !strings.Contains(stdout, fmt.Sprintf("BROKEN customer %d ", id)) || !strings.Contains(stdout, "consent ledger BROKEN") {
				t.Errorf("verify of a rewritten ledger: exit %d, stdout %q; want 1 naming customer %d", code, stdout, id)
			}
		})
	}
}

// TestLedgerVerifyReadsTheHeadAnchoredInRedis: a writer who rewinds the
// ledger can delete the database's records of earlier verifications; the
// command, like a restarted worker, still compares the ledger with the
// head the workers anchored in Redis. Only with PostgreSQL and Redis: the
// embedded mode's Redis lives inside `candor run`.
func TestLedgerVerifyReadsTheHeadAnchoredInRedis(t *testing.T) {
	if !slices.Contains(testenv.Backends(), "postgres") {
		t.Skip("needs CANDOR_TEST_DATABASE_URL and CANDOR_TEST_REDIS_URL: the embedded Redis is not reachable from a command")
	}
	e := backendEnv(t, "postgres")
	if code, _, stderr := run(t, e, "migrate"); code != 0 {
		t.Fatalf("migrate exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, e, "seed", "--customers", "20", "--seed", "5"); code != 0 {
		t.Fatalf("seed exit %d: %s", code, stderr)
	}
	a, err := openApp(context.Background(), e.get, io.Discard, "ledger", configs.ModeDatabase, true)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	rep, err := a.store.VerifyLedger(ctx, nil, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("a seeded ledger: %+v, %v", rep, err)
	}
	anchor := worker.NewRedisHeadAnchor(a.redis, a.keys.Ledger())
	tests := []struct {
		name   string
		anchor models.LedgerFloor
		want   string
	}{
		{"a ledger shorter than the anchored head is a rewind", models.LedgerFloor{Seq: rep.HeadSeq + 5},
			fmt.Sprintf("the ledger head went back from %d to %d events", rep.HeadSeq+5, rep.HeadSeq)},
		{"another event at the anchored place is a rewind", models.LedgerFloor{Seq: rep.HeadSeq, Hash: "not-" + rep.HeadHash},
			"is not the one an earlier verification found there (the head anchored in Redis)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := a.redis.Del(ctx, "candor:ledger:head-anchor").Err(); err != nil {
				t.Fatal(err)
			}
			if err := anchor.Raise(ctx, tt.anchor); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := run(t, e, "ledger", "verify")
			if code != 1 || !strings.Contains(stdout, tt.want) {
				t.Errorf("verify: exit %d, stdout %q, stderr %s; want 1 and %q", code, stdout, stderr, tt.want)
			}
			// A copy or a restore is verified against its own records only.
			if code, stdout, stderr := run(t, e, "ledger", "verify", "--anchor=false"); code != 0 {
				t.Errorf("verify --anchor=false: exit %d, stdout %q, stderr %s; want 0", code, stdout, stderr)
			}
		})
	}
	t.Run("a Redis that never answers is no floor after 5 s, and the verification still runs", func(t *testing.T) {
		// Accepts connections and never replies: go-redis alone would
		// wait its own read timeout and retry.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			var held []net.Conn
			defer func() {
				for _, c := range held {
					c.Close()
				}
			}()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				held = append(held, c)
			}
		}()
		silent := maps.Clone(e)
		silent["CANDOR_REDIS_URL"] = "redis://" + ln.Addr().String() + "/0"
		code, stdout, stderr := run(t, silent, "ledger", "verify")
		if code != 0 || !strings.Contains(stderr, "warning: the ledger head anchored in Redis is no floor for this verification: reading it took too long") {
			t.Errorf("verify: exit %d, stdout %q, stderr %q; want 0 and the warning that reading took too long", code, stdout, stderr)
		}
	})
	t.Run("the anchor of the head as it is lets the ledger verify", func(t *testing.T) {
		if err := a.redis.Del(ctx, "candor:ledger:head-anchor").Err(); err != nil {
			t.Fatal(err)
		}
		if err := anchor.Raise(ctx, models.LedgerFloor{Seq: rep.HeadSeq, Hash: rep.HeadHash}); err != nil {
			t.Fatal(err)
		}
		// The rows of the two broken runs above are no floor; only
		// their presence is left.
		if code, stdout, stderr := run(t, e, "ledger", "verify"); code != 0 {
			t.Errorf("verify: exit %d, stdout %q, stderr %s; want 0", code, stdout, stderr)
		}
	})
}

// genesisOf reads the hash of the first event of the global chain of the
// database e names into out.
func genesisOf(t *testing.T, e env, out *string) error {
	t.Helper()
	a, err := openApp(context.Background(), e.get, io.Discard, "ledger", configs.ModeEmbedded, false)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.store.DB().Raw("SELECT hash FROM consent_events WHERE global_seq = 1").Scan(out).Error
}

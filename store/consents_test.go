package store_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/candor/candor/models"
)

func TestSetConsent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)
		mustPutCustomer(t, s, customerInput("cus"))

		optIn := &models.ConsentInput{Status: models.ConsentOptedIn, Source: models.SourceCRM,
			Evidence: models.Evidence{Text: "Yes, send me pricing guides", FormVersion: "f-2", IP: "2001:db8::1", UserAgent: "Mozilla/5.0"}}
		steps := []struct {
			name        string
			topic       string
			in          *models.ConsentInput
			wantChanged bool
			wantStatus  models.ConsentStatus
		}{
			{"a first opt-in is recorded", "pricing-guides", optIn, true, models.ConsentOptedIn},
			{"repeating the same status changes nothing", "pricing-guides", optIn, false, models.ConsentOptedIn},
			{"an opt-out is recorded", "pricing-guides", &models.ConsentInput{Status: models.ConsentOptedOut}, true, models.ConsentOptedOut},
			{"another topic gets its own record", "product-roadmap", optIn, true, models.ConsentOptedIn},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				clk.Advance(time.Second)
				c, changed, err := s.SetConsent(ctx, "cus", st.topic, st.in)
				if err != nil {
					t.Fatal(err)
				}
				if changed != st.wantChanged || c.Status != st.wantStatus || c.Topic != st.topic {
					t.Errorf("got %+v changed=%v, want status %s changed=%v", c, changed, st.wantStatus, st.wantChanged)
				}
			})
		}

		l, err := s.Consents(ctx, "cus")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("current state lists every topic, none where there is no record", func(t *testing.T) {
			var got []string
			for _, c := range l.Current {
				got = append(got, c.Topic+"="+string(c.Status)+"/"+string(c.Source))
			}
			want := []string{
				"competitor-comparisons=none/",
				"pricing-guides=opted_out/api",
				"product-roadmap=opted_in/crm",
				"technology-alternatives=none/",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("current (-want +got):\n%s", diff)
			}
		})
		t.Run("history keeps every change in seq order with sealed evidence", func(t *testing.T) {
			want := []models.ConsentEvent{
				{Seq: 1, Topic: "pricing-guides", Status: models.ConsentOptedIn, Source: models.SourceCRM,
					Evidence: models.Evidence{Text: "Yes, send me pricing guides", FormVersion: "f-2", IP: "2001:db8::1", UserAgent: "Mozilla/5.0"}},
				{Seq: 2, Topic: "pricing-guides", Status: models.ConsentOptedOut, Source: models.SourceAPI},
				{Seq: 3, Topic: "product-roadmap", Status: models.ConsentOptedIn, Source: models.SourceCRM,
					Evidence: models.Evidence{Text: "Yes, send me pricing guides", FormVersion: "f-2", IP: "2001:db8::1", UserAgent: "Mozilla/5.0"}},
			}
			ignore := cmpopts.IgnoreFields(models.ConsentEvent{}, "ID", "CustomerID", "CreatedAt", "PrevHash", "Hash",
				"KeyID", "GlobalSeq", "GlobalPrev")
			ignoreSeal := cmpopts.IgnoreFields(models.Evidence{}, "Salt", "IPDigest", "UserAgentDigest", "TextDigest", "FormVersionDigest")
			if diff := cmp.Diff(want, l.History, ignore, ignoreSeal); diff != "" {
				t.Errorf("history (-want +got):\n%s", diff)
			}
			if l.History[0].Evidence.IPDigest == "" || l.History[0].Evidence.Salt == "" {
				t.Errorf("evidence was not sealed: %+v", l.History[0].Evidence)
			}
			// Steps ran one second apart; seq 2 came from the third step.
			if want := clk.Now().Add(-time.Second).Truncate(time.Microsecond); !l.History[1].CreatedAt.Equal(want) {
				t.Errorf("seq 2 created_at = %v, want %v (the unchanged call wrote nothing)", l.History[1].CreatedAt, want)
			}
			if diff := cmp.Diff(models.ChainStatus{Verified: true, Length: 3}, l.Chain); diff != "" {
				t.Errorf("chain (-want +got):\n%s", diff)
			}
		})
		t.Run("each change writes a consent.changed event without PII", func(t *testing.T) {
			evs, err := s.Events(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []map[string]any
			for _, e := range evs {
				if e.Type != models.EventConsentChanged {
					continue
				}
				var d map[string]any
				if err := json.Unmarshal(e.Data, &d); err != nil {
					t.Fatal(err)
				}
				got = append(got, d)
			}
			want := []map[string]any{
				{"external_id": "cus", "topic": "pricing-guides", "status": "opted_in", "source": "crm"},
				{"external_id": "cus", "topic": "pricing-guides", "status": "opted_out", "source": "api"},
				{"external_id": "cus", "topic": "product-roadmap", "status": "opted_in", "source": "crm"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("consent events (-want +got):\n%s", diff)
			}
		})

		errCases := []struct {
			name       string
			externalID string
			topic      string
			in         *models.ConsentInput
			code       string
		}{
			{"an unknown customer is not found", "nobody", "pricing-guides", optIn, models.ENOTFOUND},
			{"an unknown topic is not found", "cus", "no-such-topic", optIn, models.ENOTFOUND},
			{"status none cannot be recorded", "cus", "pricing-guides", &models.ConsentInput{Status: models.ConsentNone}, models.EINVALID},
			{"an unknown source is invalid", "cus", "pricing-guides", &models.ConsentInput{Status: models.ConsentOptedIn, Source: "telepathy"}, models.EINVALID},
			{"a bad evidence ip is invalid", "cus", "pricing-guides", &models.ConsentInput{Status: models.ConsentOptedIn, Evidence: models.Evidence{IP: "not-an-ip"}}, models.EINVALID},
		}
		for _, tt := range errCases {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := s.SetConsent(ctx, tt.externalID, tt.topic, tt.in)
				wantCode(t, err, tt.code)
			})
		}
	})
}

func TestConsentChainDetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper string
		args   func() []any
	}{
		{"a changed status is detected", "UPDATE consent_events SET status = 'opted_in' WHERE customer_id = ? AND seq = 2", nil},
		{"a changed timestamp is detected", "UPDATE consent_events SET created_at = ? WHERE customer_id = ? AND seq = 2",
			func() []any { return []any{time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)} }},
		{"a changed evidence text is detected", "UPDATE consent_events SET evidence_text = 'I never said that' WHERE customer_id = ? AND seq = 2", nil},
		{"a replaced raw ip is detected", "UPDATE consent_events SET evidence_ip = '198.51.100.1' WHERE customer_id = ? AND seq = 2", nil},
		{"a deleted event is detected", "DELETE FROM consent_events WHERE customer_id = ? AND seq = 2", nil},
		{"a current state edited away from the ledger is detected",
			"UPDATE consents SET status = 'opted_in' WHERE customer_id = ? AND topic = 'pricing-guides'", nil},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				s := mustOpen(t, backend)
				c := mustPutCustomer(t, s, customerInput("victim"))
				mustSetConsent(t, s, "victim", "pricing-guides", models.ConsentOptedIn)
				mustSetConsent(t, s, "victim", "pricing-guides", models.ConsentOptedOut)
				mustSetConsent(t, s, "victim", "product-roadmap", models.ConsentOptedIn)

				var args []any
				if tt.args != nil {
					args = tt.args()
				}
				args = append(args, c.ID)
				res := s.DB().Exec(tt.tamper, args...)
				if res.Error != nil || res.RowsAffected != 1 {
					t.Fatalf("tamper: rows=%d err=%v", res.RowsAffected, res.Error)
				}
				l, err := s.Consents(ctx, "victim")
				if err != nil {
					t.Fatal(err)
				}
				if l.Chain.Verified {
					t.Fatalf("tampered chain verifies: %+v", l.Chain)
				}
				wantBroken := int64(2)
				if tt.tamper[:6] == "DELETE" {
					wantBroken = 3 // the event after the gap is the first out of place
				}
				if l.Chain.BrokenAt != wantBroken {
					t.Errorf("broken at %d, want %d (%s)", l.Chain.BrokenAt, wantBroken, l.Chain.Reason)
				}
			})
		}
	})
}

func TestErasureKeepsTheChainVerifiable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		c := mustPutCustomer(t, s, customerInput("e"))
		mustSetConsent(t, s, "e", "pricing-guides", models.ConsentOptedIn)
		mustSetConsent(t, s, "e", "product-roadmap", models.ConsentOptedIn)
		if err := s.EraseCustomer(ctx, "e"); err != nil {
			t.Fatal(err)
		}
		// Consents needs a live customer; the ledger of an erased one is
		// read as an auditor would, through the raw rows' digests.
		var n int64
		s.DB().Raw("SELECT count(*) FROM consent_events WHERE customer_id = ? AND ip_digest <> ''", c.ID).Scan(&n)
		if n != 2 {
			t.Fatalf("digests kept = %d, want 2", n)
		}
		l, err := s.ConsentLedger(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(models.ChainStatus{Verified: true, Length: 2}, l.Chain); diff != "" {
			t.Errorf("chain after erasure (-want +got):\n%s", diff)
		}
		for _, e := range l.History {
			if e.Evidence.IP != "" || e.Evidence.UserAgent != "" || e.Evidence.Salt != "" {
				t.Errorf("seq %d keeps raw evidence: %+v", e.Seq, e.Evidence)
			}
		}
		_, _, err = s.SetConsent(ctx, "e", "pricing-guides", &models.ConsentInput{Status: models.ConsentOptedOut})
		wantCode(t, err, models.ENOTFOUND)
	})
}

func TestConcurrentConsentWritersKeepOneChain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		mustPutCustomer(t, s, customerInput("busy"))
		topics := []string{"pricing-guides", "product-roadmap"}
		const writers = 20
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				status := models.ConsentOptedIn
				if i%2 == 1 {
					status = models.ConsentOptedOut
				}
				_, _, err := s.SetConsent(ctx, "busy", topics[i%4/2], &models.ConsentInput{Status: status, Evidence: models.Evidence{IP: "192.0.2.1"}})
				errs <- err
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent SetConsent: %v", err)
			}
		}
		l, err := s.Consents(ctx, "busy")
		if err != nil {
			t.Fatal(err)
		}
		if !l.Chain.Verified || l.Chain.Length == 0 {
			t.Fatalf("chain = %+v", l.Chain)
		}
		for i, e := range l.History {
			if e.Seq != int64(i+1) {
				t.Fatalf("history[%d].Seq = %d", i, e.Seq)
			}
		}
		// Current state must be the last event of each topic.
		last := map[string]models.ConsentStatus{}
		for _, e := range l.History {
			last[e.Topic] = e.Status
		}
		for _, c := range l.Current {
			if want, ok := last[c.Topic]; ok && c.Status != want {
				t.Errorf("current %s = %s, last event says %s", c.Topic, c.Status, want)
			}
		}
	})
}

func TestSuppressedCustomersCannotBeOptedInInBulk(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		mustPutCustomer(t, s, customerInput("old"))
		if err := s.EraseCustomer(ctx, "old"); err != nil {
			t.Fatal(err)
		}
		in := customerInput("new")
		in.Email = "old@example.com"
		if c := mustPutCustomer(t, s, in); !c.Suppressed {
			t.Fatal("re-imported address not suppressed")
		}
		tests := []struct {
			name    string
			status  models.ConsentStatus
			source  models.ConsentSource
			code    string
			changed bool
		}{
			{"an api opt-in conflicts", models.ConsentOptedIn, models.SourceAPI, models.ECONFLICT, false},
			{"a crm opt-in conflicts", models.ConsentOptedIn, models.SourceCRM, models.ECONFLICT, false},
			{"an import opt-in conflicts", models.ConsentOptedIn, models.SourceImport, models.ECONFLICT, false},
			{"an opt-out from the api is recorded", models.ConsentOptedOut, models.SourceAPI, "", true},
			{"the customer's own opt-in is recorded", models.ConsentOptedIn, models.SourcePreferenceCenter, "", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, changed, err := s.SetConsent(ctx, "new", "pricing-guides", &models.ConsentInput{Status: tt.status, Source: tt.source})
				wantCode(t, err, tt.code)
				if changed != tt.changed {
					t.Errorf("changed = %v, want %v", changed, tt.changed)
				}
			})
		}
		l, err := s.Consents(ctx, "new")
		if err != nil {
			t.Fatal(err)
		}
		if len(l.History) != 2 || !l.Chain.Verified {
			t.Errorf("history = %d events, chain %+v; want 2 and verified (refusals write nothing)", len(l.History), l.Chain)
		}
	})
}

func TestOptOutAll(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		c := mustPutCustomer(t, s, customerInput("leaver"))
		mustSetConsent(t, s, "leaver", "pricing-guides", models.ConsentOptedIn)
		mustSetConsent(t, s, "leaver", "product-roadmap", models.ConsentOptedOut)
		ev := models.Evidence{Text: "List-Unsubscribe=One-Click"}

		tests := []struct {
			name string
			want int
		}{
			{"the first call opts out of every topic not yet opted out, recorded or not", 3},
			{"a second call changes nothing", 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				n, err := s.OptOutAll(ctx, c.ID, models.SourceOneClick, ev)
				if err != nil || n != tt.want {
					t.Fatalf("changed %d (err %v), want %d", n, err, tt.want)
				}
				l, err := s.Consents(ctx, "leaver")
				if err != nil {
					t.Fatal(err)
				}
				for _, cur := range l.Current {
					if cur.Status != models.ConsentOptedOut {
						t.Errorf("%s = %s, want opted_out", cur.Topic, cur.Status)
					}
				}
				if len(l.History) != 5 || !l.Chain.Verified {
					t.Errorf("history %d events, chain %+v; want 5 and verified", len(l.History), l.Chain)
				}
			})
		}
		t.Run("an unknown or erased customer is not found", func(t *testing.T) {
			_, err := s.OptOutAll(ctx, c.ID+1000, models.SourceOneClick, ev)
			wantCode(t, err, models.ENOTFOUND)
			if err := s.EraseCustomer(ctx, "leaver"); err != nil {
				t.Fatal(err)
			}
			_, err = s.OptOutAll(ctx, c.ID, models.SourceOneClick, ev)
			wantCode(t, err, models.ENOTFOUND)
		})
	})
}

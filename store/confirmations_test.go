package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/candor/candor/models"
)

const doiTopic = "doi-letters"

// doiFixture is a delivery fixture with a topic that requires double
// opt-in.
func newDOIFixture(t *testing.T, backend string) *deliveryFixture {
	t.Helper()
	f := newDeliveryFixture(t, backend)
	if _, err := f.s.CreateTopic(f.ctx, &models.TopicInput{Key: doiTopic, Name: "Letters", Description: "A monthly letter.", DoubleOptIn: true}); err != nil {
		t.Fatal(err)
	}
	return f
}

// optIn asks for ext's opt-in to the double opt-in topic, as a CRM would.
func (f *deliveryFixture) optIn(ext string) (*models.Consent, bool) {
	f.t.Helper()
	c, changed, err := f.s.SetConsent(f.ctx, ext, doiTopic, &models.ConsentInput{Status: models.ConsentOptedIn, Source: models.SourceCRM})
	if err != nil {
		f.t.Fatalf("opt in %s: %v", ext, err)
	}
	return c, changed
}

// doiConsent returns ext's current consent and last ledger event for the
// double opt-in topic, failing unless the ledger verifies.
func (f *deliveryFixture) doiConsent(ext string) (models.ConsentStatus, models.ConsentEvent) {
	f.t.Helper()
	l, err := f.s.Consents(f.ctx, ext)
	if err != nil || !l.Chain.Verified {
		f.t.Fatalf("ledger of %s: %v, chain %+v", ext, err, l.Chain)
	}
	var st models.ConsentStatus
	for _, c := range l.Current {
		if c.Topic == doiTopic {
			st = c.Status
		}
	}
	var last models.ConsentEvent
	for _, e := range l.History {
		if e.Topic == doiTopic {
			last = e
		}
	}
	return st, last
}

func TestDoubleOptIn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDOIFixture(t, backend)
		c := f.add("reader", "g", nil)

		var claimed []*models.ClaimedConfirmation
		t.Run("an opt-in from a CRM is recorded as pending and plans one confirmation", func(t *testing.T) {
			got, changed := f.optIn("reader")
			if !changed || got.Status != models.ConsentPending {
				t.Fatalf("consent = %+v (changed %v), want pending", got, changed)
			}
			if _, changed := f.optIn("reader"); changed {
				t.Error("asking again changed the pending consent")
			}
			claimed, _ = f.s.ClaimConfirmations(f.ctx, 10, "w1", claimLease, f.planner)
			if len(claimed) != 1 || claimed[0].Decision.Channel != models.ChannelEmail || claimed[0].Decision.Address != "reader@example.com" {
				t.Fatalf("claimed %+v, want one confirmation by email", claimed)
			}
		})
		t.Run("a sent confirmation writes its event", func(t *testing.T) {
			err := f.s.RecordConfirmations(f.ctx, []models.ConfirmationOutcome{{ID: claimed[0].Confirmation.ID, Status: models.ConfirmationSent, ProviderID: "p1"}})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(f.events(models.EventConfirmation)); n != 1 {
				t.Errorf("%d consent.confirmation events, want 1", n)
			}
			again, err := f.s.ClaimConfirmations(f.ctx, 10, "w1", claimLease, f.planner)
			if err != nil || len(again) != 0 {
				t.Errorf("claimed %d again (%v), want none", len(again), err)
			}
		})
		seq := claimed[0].Confirmation.ConsentSeq
		t.Run("a stale seq is refused and changes nothing", func(t *testing.T) {
			_, err := f.s.ConfirmConsent(f.ctx, c.ID, doiTopic, seq+7, models.Evidence{})
			wantCode(t, err, models.ECONFLICT)
			if st, _ := f.doiConsent("reader"); st != models.ConsentPending {
				t.Errorf("consent is %s, want still pending", st)
			}
		})
		t.Run("the confirmation makes it opted_in through the ledger", func(t *testing.T) {
			got, err := f.s.ConfirmConsent(f.ctx, c.ID, doiTopic, seq, models.Evidence{Text: "link used", FormVersion: models.DoubleOptInFormVersion})
			if err != nil || got.Status != models.ConsentOptedIn {
				t.Fatalf("confirm = %+v, %v", got, err)
			}
			st, last := f.doiConsent("reader")
			if st != models.ConsentOptedIn || last.Source != models.SourceDoubleOptIn || last.Evidence.FormVersion != models.DoubleOptInFormVersion {
				t.Errorf("consent %s, last event %+v; want opted_in by double_opt_in", st, last)
			}
			_, err = f.s.ConfirmConsent(f.ctx, c.ID, doiTopic, seq, models.Evidence{})
			wantCode(t, err, models.ENOTFOUND)
			if _, changed := f.optIn("reader"); changed {
				t.Error("a CRM's repeated opt-in put a confirmed consent back to pending")
			}
		})
		t.Run("an unconfirmed opt-in lapses into opted_out after the expiry", func(t *testing.T) {
			late := f.add("late", "g", nil)
			f.optIn("late")
			_, last := f.doiConsent("late")
			f.clk.Advance(models.DefaultConfirmationExpiry + time.Minute)
			n, err := f.s.ExpireConfirmations(f.ctx, 10)
			if err != nil || n != 1 {
				t.Fatalf("expired %d (%v), want 1", n, err)
			}
			st, lapsed := f.doiConsent("late")
			if st != models.ConsentOptedOut || lapsed.Source != models.SourceDoubleOptIn {
				t.Errorf("consent %s by %s, want opted_out by double_opt_in", st, lapsed.Source)
			}
			_, err = f.s.ConfirmConsent(f.ctx, late.ID, doiTopic, last.Seq, models.Evidence{})
			wantCode(t, err, models.ENOTFOUND)
		})
	})
}

func TestConfirmationsWaitForTheCustomersWindow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDOIFixture(t, backend)
		f.add("reader", "g", nil)
		f.clk.Advance(2 * 24 * time.Hour) // Wednesday: the Mon/Tue windows are closed
		f.optIn("reader")
		if got, err := f.s.ClaimConfirmations(f.ctx, 10, "w1", claimLease, f.planner); err != nil || len(got) != 0 {
			t.Fatalf("claimed %d (%v) outside the window, want none", len(got), err)
		}
		f.clk.Advance(5 * 24 * time.Hour) // the next Monday, 09:30 London
		got, err := f.s.ClaimConfirmations(f.ctx, 10, "w1", claimLease, f.planner)
		if err != nil || len(got) != 1 {
			t.Fatalf("claimed %d (%v) inside the next window, want 1", len(got), err)
		}
	})
}

// A pending consent never makes anyone eligible: launch and explain
// decide on opted_in only.
func TestPendingConsentIsNotEligible(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDOIFixture(t, backend)
		pending := f.add("pending", "g", nil)
		confirmed := f.add("confirmed", "g", nil)
		f.optIn("pending")
		f.optIn("confirmed")
		cs, err := f.s.ClaimConfirmations(f.ctx, 10, "w1", claimLease, f.planner)
		if err != nil || len(cs) != 2 {
			t.Fatalf("claimed %d confirmations (%v), want 2", len(cs), err)
		}
		for _, cc := range cs {
			if cc.Customer.ID == confirmed.ID {
				if _, err := f.s.ConfirmConsent(f.ctx, confirmed.ID, doiTopic, cc.Confirmation.ConsentSeq, models.Evidence{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		in := sendContentInput()
		in.Topic = doiTopic
		camp := f.campaign(f.approved(in), f.segment("g"))

		x, err := f.s.ExplainCampaign(f.ctx, camp.ID, "pending", f.planner)
		if err != nil {
			t.Fatal(err)
		}
		if x.Eligible || x.Reason != models.ReasonNoConsent {
			t.Errorf("explain pending: eligible %v, reason %s; want no_consent", x.Eligible, x.Reason)
		}
		launched, err := f.s.LaunchCampaign(f.ctx, camp.ID, f.planner)
		if err != nil {
			t.Fatal(err)
		}
		if launched.Planned != 1 || launched.Excluded[models.ReasonNoConsent] != 1 {
			t.Errorf("launch planned %d, excluded %v; want the confirmed customer only", launched.Planned, launched.Excluded)
		}
		ds := f.deliveries(camp.ID)
		if len(ds) != 1 || ds[0].CustomerID != confirmed.ID {
			t.Errorf("deliveries %+v, want only %d's", ds, confirmed.ID)
		}
		_ = pending
	})
}

// A confirmation whose sender died mid-send (its lease ran out) may have
// reached the customer: it becomes unknown, is never sent again on its
// own, and says so to integrations.
func TestAConfirmationWhoseSenderDiedBecomesUnknown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDOIFixture(t, backend)
		f.add("reader", "g", nil)
		f.optIn("reader")
		if got, err := f.s.ClaimConfirmations(f.ctx, 10, "w1", claimLease, f.planner); err != nil || len(got) != 1 {
			t.Fatalf("claimed %d (%v), want 1", len(got), err)
		}
		f.clk.Advance(claimLease + time.Second)
		if got, err := f.s.ClaimConfirmations(f.ctx, 10, "w2", claimLease, f.planner); err != nil || len(got) != 0 {
			t.Fatalf("claimed %d (%v) after the lease ran out, want none", len(got), err)
		}
		evs := f.events(models.EventConfirmation)
		var data struct{ Status string }
		if len(evs) != 1 || json.Unmarshal(evs[0].Data, &data) != nil || data.Status != "unknown" {
			t.Errorf("%d events, the first with status %q; want one consent.confirmation with status unknown", len(evs), data.Status)
		}
	})
}

// An address that bounced hard is not sent a confirmation, as it is not
// sent a delivery: the confirmation is skipped as no_address.
func TestAConfirmationToABouncedAddressIsSkipped(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDOIFixture(t, backend)
		f.add("bounced", "g", nil)
		if _, err := f.s.RecordChannelFeedback(f.ctx, &models.ChannelFeedback{Kind: models.FeedbackHardBounce,
			Channel: models.ChannelEmail, Address: "bounced@example.com", OccurredAt: f.now()}); err != nil {
			t.Fatal(err)
		}
		f.optIn("bounced")
		if got, err := f.s.ClaimConfirmations(f.ctx, 10, "w1", claimLease, f.planner); err != nil || len(got) != 0 {
			t.Fatalf("claimed %d (%v) for a bounced address, want none", len(got), err)
		}
		evs := f.events(models.EventConfirmation)
		var data struct{ Status, Reason string }
		if len(evs) != 1 || json.Unmarshal(evs[0].Data, &data) != nil || data.Status != "skipped" || data.Reason != string(models.ReasonNoAddress) {
			t.Errorf("%d events, the first %+v; want one skipped no_address", len(evs), data)
		}
	})
}

// A CRM that sends the same opt-in again after the customer let the first
// confirmation lapse does not make Candor ask again within the quiet
// period: the new pending consent gets no message and lapses in turn.
func TestABulkOptInAsksAtMostOncePerQuietPeriod(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDOIFixture(t, backend)
		f.add("quiet", "g", nil)
		f.optIn("quiet")
		cs, err := f.s.ClaimConfirmations(f.ctx, 10, "w1", claimLease, f.planner)
		if err != nil || len(cs) != 1 {
			t.Fatalf("claimed %d (%v), want 1", len(cs), err)
		}
		if err := f.s.RecordConfirmations(f.ctx, []models.ConfirmationOutcome{{ID: cs[0].Confirmation.ID, Status: models.ConfirmationSent}}); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(models.DefaultConfirmationExpiry + time.Hour)
		if n, err := f.s.ExpireConfirmations(f.ctx, 10); err != nil || n != 1 {
			t.Fatalf("lapsed %d (%v), want 1", n, err)
		}
		if got, changed := f.optIn("quiet"); !changed || got.Status != models.ConsentPending {
			t.Fatalf("second opt-in = %+v (changed %v), want pending", got, changed)
		}
		if again, err := f.s.ClaimConfirmations(f.ctx, 10, "w1", claimLease, f.planner); err != nil || len(again) != 0 {
			t.Errorf("claimed %d (%v): the customer was asked again within the quiet period", len(again), err)
		}
	})
}

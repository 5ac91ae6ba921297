package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

func TestOptOutAllSkipsPendingDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		leaving := f.add("crm-leaving", "g", nil)
		f.add("crm-staying", "g", nil)
		first := f.launch(nil, "g")
		for _, d := range f.deliveries(first.ID) {
			// Queued, as a retry leaves them.
			if err := f.s.DB().Exec("UPDATE deliveries SET status = 'queued' WHERE id = ?", d.ID).Error; err != nil {
				t.Fatal(err)
			}
		}
		second := f.launch(nil, "g") // planned

		n, err := f.s.OptOutAll(f.ctx, leaving.ID, models.SourceOneClick, models.Evidence{Text: "one-click unsubscribe"})
		if err != nil || n == 0 {
			t.Fatalf("OptOutAll = %d, %v; want topics changed", n, err)
		}
		type row struct {
			Customer string
			Status   models.DeliveryStatus
			Reason   models.Reason
		}
		var got []row
		for _, camp := range []int64{first.ID, second.ID} {
			for _, d := range f.deliveries(camp) {
				got = append(got, row{d.ExternalID, d.Status, d.Reason})
			}
		}
		want := []row{
			{"crm-leaving", models.DeliverySkipped, models.ReasonConsentWithdrawn},
			{"crm-staying", models.DeliveryQueued, ""},
			{"crm-leaving", models.DeliverySkipped, models.ReasonConsentWithdrawn},
			{"crm-staying", models.DeliveryPlanned, ""},
		}
		t.Run("the customer's queued and planned deliveries are skipped, nobody else's", func(t *testing.T) {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("deliveries (-want +got):\n%s", diff)
			}
		})
		t.Run("the skip is recorded with the consent source as actor", func(t *testing.T) {
			d := f.delivery(f.deliveries(second.ID)[0].ID)
			last := d.Events[len(d.Events)-1]
			if last.Worker != string(models.SourceOneClick) || last.To != models.DeliverySkipped {
				t.Errorf("last event = %+v, want a skip by one_click", last)
			}
		})
	})
}

// TestOptOutAllLeavesAPlannedDeliveryAClaimHolds: a claim locks planned
// deliveries before their customers, and OptOutAll holds the customer
// while it skips their deliveries, so waiting for the claim's row would
// deadlock (PostgreSQL only: SQLite runs one writer at a time). The
// delivery the claim holds is left to it; the claim sees the withdrawn
// consent once the opt-out commits.
func TestOptOutAllLeavesAPlannedDeliveryAClaimHolds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		if backend != store.DialectPostgres {
			t.Skip("needs concurrent writers")
		}
		f := newDeliveryFixture(t, backend)
		leaving := f.add("crm-leaving", "g", nil)
		camp := f.launch(nil, "g")
		d := f.deliveries(camp.ID)[0]
		claim := f.s.DB().Begin()
		defer claim.Rollback()
		if err := claim.Exec("SELECT id FROM deliveries WHERE id = ? FOR UPDATE", d.ID).Error; err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := f.s.OptOutAll(ctx, leaving.ID, models.SourceOneClick, models.Evidence{Text: "one-click"}); err != nil {
			t.Fatalf("OptOutAll while a claim holds the delivery: %v", err)
		}
		claim.Rollback()
		if got := f.delivery(d.ID); got.Status != models.DeliveryPlanned {
			t.Errorf("status = %s, want planned: left to the claim", got.Status)
		}
		if got := f.claim(d.ID); len(got) != 0 {
			t.Errorf("claimed %d, want none: consent was withdrawn", len(got))
		}
		if got := f.delivery(d.ID); got.Status != models.DeliverySkipped || got.Reason != models.ReasonConsentWithdrawn {
			t.Errorf("after the claim: %s/%s, want skipped/consent_withdrawn", got.Status, got.Reason)
		}
	})
}

func TestRevokeCustomerLinks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		s := mustOpen(t, backend)
		ctx := t.Context()
		c := mustPutCustomer(t, s, customerInput("crm-1"))
		t.Run("each revocation starts a new token epoch", func(t *testing.T) {
			for want := uint32(1); want <= 2; want++ {
				got, err := s.RevokeCustomerLinks(ctx, "crm-1")
				if err != nil || got.TokenEpoch != want {
					t.Fatalf("RevokeCustomerLinks = epoch %v, %v; want %d", got, err, want)
				}
			}
			read, err := s.CustomerByID(ctx, c.ID)
			if err != nil || read.TokenEpoch != 2 {
				t.Errorf("CustomerByID epoch = %v, %v; want 2", read, err)
			}
		})
		t.Run("a profile replay keeps the epoch", func(t *testing.T) {
			in := customerInput("crm-1")
			in.Name = "Someone Else"
			if got := mustPutCustomer(t, s, in); got.TokenEpoch != 2 {
				t.Errorf("epoch after PUT = %d, want 2", got.TokenEpoch)
			}
		})
		t.Run("an unknown customer is not found", func(t *testing.T) {
			_, err := s.RevokeCustomerLinks(ctx, "crm-unknown")
			wantCode(t, err, models.ENOTFOUND)
		})
	})
}

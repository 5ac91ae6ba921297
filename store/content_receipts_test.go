package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestContentReceipts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		reader := f.add("crm-reader", "g", nil)
		f.add("crm-new", "other", nil)
		camp := f.launch(nil, "g")
		original := camp.ContentID
		sentAt := f.now()
		if err := f.s.DB().Exec("UPDATE deliveries SET status = 'sent', sent_at = ? WHERE customer_id = ?", sentAt, reader.ID).Error; err != nil {
			t.Fatal(err)
		}
		expired := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC) // before the fixture clock
		gone := sendContentInput()
		gone.Title, gone.ExpiresAt = "Expired guide", &expired
		f.approved(gone)

		t.Run("a customer who received the content is told when and how", func(t *testing.T) {
			got, err := f.s.ContentReceipt(f.ctx, "crm-reader", original)
			if err != nil {
				t.Fatal(err)
			}
			want := &models.ContentReceipt{ContentID: original, Version: 1, ReceivedAt: &sentAt, Channel: models.ChannelEmail}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
		})
		t.Run("a customer who did not receive it gets the current version only", func(t *testing.T) {
			got, err := f.s.ContentReceipt(f.ctx, "crm-new", original)
			if err != nil || got.ReceivedAt != nil || got.Version != 1 {
				t.Errorf("receipt = %+v, %v; want version 1, not received", got, err)
			}
		})
		f.clk.Advance(24 * time.Hour)
		fixIn := sendContentInput()
		fixIn.Kind, fixIn.Corrects, fixIn.Title, fixIn.Summary = models.KindCorrection, &original, "Correction: bank transfers", "The fee is 1 EUR, not 2 EUR."
		fix := f.approved(fixIn)
		t.Run("a correction approved after receipt says what changed", func(t *testing.T) {
			got, err := f.s.ContentReceipt(f.ctx, "crm-reader", original)
			if err != nil || got.CorrectedSince == nil {
				t.Fatalf("receipt = %+v, %v; want a correction", got, err)
			}
			if c := got.CorrectedSince; c.ContentID != fix || c.Summary != "The fee is 1 EUR, not 2 EUR." {
				t.Errorf("corrected_since = %+v", c)
			}
		})
		t.Run("unknown customers and content are not found", func(t *testing.T) {
			_, err := f.s.ContentReceipt(f.ctx, "crm-nobody", original)
			wantCode(t, err, models.ENOTFOUND)
			_, err = f.s.ContentReceipt(f.ctx, "crm-reader", original+1000)
			wantCode(t, err, models.ENOTFOUND)
		})
		t.Run("offers list unexpired approved content on the topics, with receipts", func(t *testing.T) {
			offers, err := f.s.ContentOffers(f.ctx, reader.ID, []string{campaignTopic}, f.now())
			if err != nil {
				t.Fatal(err)
			}
			type row struct {
				ID       int64
				Received bool
			}
			var got []row
			for _, o := range offers {
				got = append(got, row{o.ContentID, o.Receipt.ReceivedAt != nil})
			}
			if diff := cmp.Diff([]row{{fix, false}, {original, true}}, got); diff != "" {
				t.Errorf("offers (-want +got):\n%s", diff)
			}
			if none, err := f.s.ContentOffers(f.ctx, reader.ID, []string{"pricing-guides"}, f.now()); err != nil || len(none) != 0 {
				t.Errorf("offers on another topic = %v, %v; want none", none, err)
			}
		})
	})
}

// On SQLite a launch writes its deliveries in steps before its campaign
// leaves draft (store/campaign_launch_sqlite.go), and a launch that died
// halfway leaves them so: the customer must not be told of a send that
// no launched campaign plans, as every other reader of deliveries
// already ignores such rows (launchedOnly).
func TestContentReceiptIgnoresACampaignNeverLaunched(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		if backend != "sqlite" {
			t.Skip("only a SQLite launch writes deliveries before its campaign is scheduled")
		}
		f := newDeliveryFixture(t, backend)
		f.add("half", "g", nil)
		camp := f.launch(nil, "g")
		// The state a launch that died after writing its rows leaves.
		if err := f.s.DB().Exec("UPDATE campaigns SET state = 'draft', launched_at = NULL WHERE id = ?", camp.ID).Error; err != nil {
			t.Fatal(err)
		}
		got, err := f.s.ContentReceipt(f.ctx, "half", camp.ContentID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Pending != nil || got.ReceivedAt != nil {
			t.Errorf("receipt = %+v, want nothing pending or received from a campaign never launched", got)
		}
	})
}

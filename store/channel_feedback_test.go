package store_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestChannelFeedback(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		t.Run("an address that bounced hard since planning skips the delivery as no_address", func(t *testing.T) {
			f := newDeliveryFixture(t, backend)
			c := f.add("a", "g", nil)
			camp := f.launch(nil, "g")
			d := f.deliveries(camp.ID)[0]
			f.dispatch()
			ids, err := f.s.RecordChannelFeedback(f.ctx, &models.ChannelFeedback{Kind: models.FeedbackHardBounce,
				Channel: models.ChannelEmail, Address: "A@EXAMPLE.COM", OccurredAt: f.now()})
			if err != nil || !cmp.Equal(ids, []int64{c.ID}) {
				t.Fatalf("RecordChannelFeedback = %v, %v; want customer %d", ids, err, c.ID)
			}
			if claimed := f.claim(d.ID); len(claimed) != 0 {
				t.Errorf("claimed %d deliveries to a bounced address", len(claimed))
			}
			if got := f.delivery(d.ID); got.Status != models.DeliverySkipped || got.Reason != models.ReasonNoAddress {
				t.Errorf("delivery = %s %s, want skipped no_address", got.Status, got.Reason)
			}
		})

		t.Run("a soft bounce is recorded and changes nothing else", func(t *testing.T) {
			f := newDeliveryFixture(t, backend)
			f.add("a", "g", nil)
			camp := f.launch(nil, "g")
			d := f.deliveries(camp.ID)[0]
			f.dispatch()
			fb := &models.ChannelFeedback{Kind: models.FeedbackSoftBounce, Channel: models.ChannelEmail, ExternalID: "a", OccurredAt: f.now()}
			for range 2 { // a replayed report is recorded once
				if _, err := f.s.RecordChannelFeedback(f.ctx, fb); err != nil {
					t.Fatal(err)
				}
			}
			if claimed := f.claim(d.ID); len(claimed) != 1 {
				t.Errorf("claimed %d deliveries after a soft bounce, want 1", len(claimed))
			}
			var n int64
			if err := f.s.DB().Raw("SELECT COUNT(*) FROM channel_feedback WHERE kind = 'soft_bounce'").Row().Scan(&n); err != nil || n != 1 {
				t.Errorf("%d soft bounces recorded (%v), want 1", n, err)
			}
		})

		t.Run("a bounce naming a delivery marks the address the message went to", func(t *testing.T) {
			f := newDeliveryFixture(t, backend)
			f.add("a", "g", nil)
			camp := f.launch(nil, "g")
			d := f.deliveries(camp.ID)[0]
			f.dispatch()
			sent := f.claim(d.ID)
			if len(sent) != 1 {
				t.Fatalf("claimed %d", len(sent))
			}
			if _, err := f.s.RecordChannelFeedback(f.ctx, &models.ChannelFeedback{Kind: models.FeedbackHardBounce, DeliveryID: d.ID, OccurredAt: f.now()}); err != nil {
				t.Fatal(err)
			}
			var n int64
			fp := sent[0].Delivery.Snapshot.AddressFingerprint
			if err := f.s.DB().Raw("SELECT COUNT(*) FROM bounced_addresses WHERE fingerprint = ? AND channel = 'email'", fp).Row().Scan(&n); err != nil || n != 1 || fp == "" {
				t.Errorf("bounced fingerprint %q recorded %d times (%v), want once", fp, n, err)
			}
		})

		t.Run("a report naming nobody is not found", func(t *testing.T) {
			f := newDeliveryFixture(t, backend)
			_, err := f.s.RecordChannelFeedback(f.ctx, &models.ChannelFeedback{Kind: models.FeedbackComplaint, Channel: models.ChannelEmail,
				Address: "nobody@example.com", OccurredAt: f.now()})
			if models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("err = %v, want not_found", err)
			}
		})
	})
}

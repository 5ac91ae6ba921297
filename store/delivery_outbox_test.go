package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestOutbox(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		f.add("a", "g", nil)
		f.add("b", "g", nil)
		first, second := f.launch(nil, "g"), f.launch(nil, "g")
		var all []*models.Delivery
		for _, c := range []int64{first.ID, second.ID} {
			all = append(all, f.deliveries(c)...)
		}
		add := func(d *models.Delivery, text string) {
			t.Helper()
			m := &models.OutboxMessage{DeliveryID: d.ID, Channel: d.Channel, Recipient: d.ExternalID + "@example.com",
				Subject: "Hello", Text: text, Headers: map[string]string{"Message-ID": "<m@candor>"}, Raw: "raw " + text}
			if err := f.s.AddOutboxMessage(f.ctx, m); err != nil {
				t.Fatalf("add outbox message: %v", err)
			}
		}
		for _, d := range all {
			add(d, "first")
		}
		list := func(t *testing.T, filter models.OutboxFilter, limit int) [][]int64 {
			t.Helper()
			var pages [][]int64
			page := models.Page{Limit: limit}
			for {
				items, next, err := f.s.OutboxMessages(f.ctx, filter, page)
				if err != nil {
					t.Fatal(err)
				}
				var p []int64
				for _, m := range items {
					p = append(p, m.DeliveryID)
				}
				pages = append(pages, p)
				if next == "" {
					return pages
				}
				page.Cursor = next
			}
		}
		byExt := map[string][]int64{}
		byCampaign := map[int64][]int64{}
		for _, d := range all {
			byExt[d.ExternalID] = append(byExt[d.ExternalID], d.ID)
			byCampaign[d.CampaignID] = append(byCampaign[d.CampaignID], d.ID)
		}
		t.Run("adding a message for a delivery that has one changes nothing", func(t *testing.T) {
			add(all[0], "second")
			items, _, err := f.s.OutboxMessages(f.ctx, models.OutboxFilter{}, models.Page{})
			if err != nil || len(items) != len(all) || items[0].Text != "first" {
				t.Fatalf("outbox = %d messages (%v), first text %q", len(items), err, items[0].Text)
			}
			want := &models.OutboxMessage{ID: items[0].ID, DeliveryID: all[0].ID, CampaignID: first.ID, ExternalID: all[0].ExternalID,
				Channel: models.ChannelEmail, Recipient: all[0].ExternalID + "@example.com", Subject: "Hello", Text: "first",
				Headers: map[string]string{"Message-ID": "<m@candor>"}, Raw: "raw first", CreatedAt: f.now()}
			if diff := cmp.Diff(want, items[0]); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
		tests := []struct {
			name   string
			filter models.OutboxFilter
			want   [][]int64
		}{
			{"the whole outbox pages by id", models.OutboxFilter{}, [][]int64{{all[0].ID}, {all[1].ID}, {all[2].ID}, {all[3].ID}}},
			{"one customer's messages by external id", models.OutboxFilter{ExternalID: "b"}, [][]int64{{byExt["b"][0]}, {byExt["b"][1]}}},
			{"one campaign's messages", models.OutboxFilter{CampaignID: second.ID}, [][]int64{{byCampaign[second.ID][0]}, {byCampaign[second.ID][1]}}},
			{"one customer's messages of one campaign", models.OutboxFilter{ExternalID: "a", CampaignID: second.ID}, [][]int64{byExt["a"][1:]}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if diff := cmp.Diff(tt.want, list(t, tt.filter, 1)); diff != "" {
					t.Errorf("pages (-want +got):\n%s", diff)
				}
			})
		}
		t.Run("an unknown customer is not found", func(t *testing.T) {
			_, _, err := f.s.OutboxMessages(f.ctx, models.OutboxFilter{ExternalID: "nobody"}, models.Page{})
			wantCode(t, err, models.ENOTFOUND)
		})
		t.Run("a message for an unknown delivery is not found", func(t *testing.T) {
			err := f.s.AddOutboxMessage(f.ctx, &models.OutboxMessage{DeliveryID: 999999, Channel: models.ChannelEmail})
			wantCode(t, err, models.ENOTFOUND)
		})
		t.Run("an erased customer's messages still list", func(t *testing.T) {
			if err := f.s.EraseCustomer(f.ctx, "a"); err != nil {
				t.Fatal(err)
			}
			items, _, err := f.s.OutboxMessages(f.ctx, models.OutboxFilter{}, models.Page{})
			if err != nil || len(items) != len(all) {
				t.Errorf("outbox = %d messages (%v)", len(items), err)
			}
		})
	})
}

func TestDeliveryReturnsEventsOldestFirst(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		id := f.dueOne("a")
		f.clk.Advance(time.Second)
		t1 := f.now()
		f.claim(id)
		f.clk.Advance(time.Second)
		t2 := f.now()
		f.record(models.SendOutcome{DeliveryID: id, Status: models.DeliverySent, ProviderID: "p"})
		d := f.delivery(id)
		// Handing a planned delivery to the queue does not change it: the
		// claim takes it from planned.
		want := []models.DeliveryEvent{
			{At: t1, From: models.DeliveryPlanned, To: models.DeliverySending, Worker: "w1"},
			{At: t2, From: models.DeliverySending, To: models.DeliverySent, Worker: "w1"},
		}
		if diff := cmp.Diff(want, d.Events); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
		if d.ExternalID != "a" {
			t.Errorf("external id = %q, want a", d.ExternalID)
		}
		_, err := f.s.Delivery(f.ctx, id+1000)
		wantCode(t, err, models.ENOTFOUND)
	})
}

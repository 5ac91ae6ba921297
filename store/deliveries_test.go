package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// deliveryIDs pages through list with limit and returns "id status" of
// every delivery, failing on a page that overlaps or goes backwards.
func deliveryIDs(t *testing.T, limit int, list func(models.Page) ([]*models.Delivery, string, error)) []string {
	t.Helper()
	var out []string
	var last int64
	page := models.Page{Limit: limit}
	for {
		items, next, err := list(page)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		for _, d := range items {
			if d.ID <= last {
				t.Fatalf("delivery %d after %d", d.ID, last)
			}
			last = d.ID
			out = append(out, fmt.Sprintf("%d %s", d.ID, d.Status))
		}
		if next == "" {
			return out
		}
		page.Cursor = next
	}
}

func TestDeliveriesFilterByStatuses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		for i := range 5 {
			f.customer(fmt.Sprintf("c%d", i), "main", true, nil)
		}
		camp := f.campaign(f.approved(contentInput()), f.segment(""))
		if _, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil {
			t.Fatal(err)
		}
		planned, _, err := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{})
		if err != nil || len(planned) != 5 {
			t.Fatalf("planned %d deliveries (%v), want 5", len(planned), err)
		}
		// Give the five deliveries, in id order, these statuses.
		var fixture []string // "id status"
		for i, st := range []models.DeliveryStatus{models.DeliveryQueued, models.DeliverySent, models.DeliveryFailed, models.DeliveryPlanned, models.DeliveryPlanned} {
			if err := store.SetDeliveryStatus(f.s, planned[i].ID, st); err != nil {
				t.Fatal(err)
			}
			fixture = append(fixture, fmt.Sprintf("%d %s", planned[i].ID, st))
		}
		// only keeps the fixture entries of the statuses, in id order.
		only := func(statuses ...string) []string {
			var out []string
			for _, e := range fixture {
				for _, st := range statuses {
					if strings.HasSuffix(e, " "+st) {
						out = append(out, e)
					}
				}
			}
			return out
		}
		// first is the customer of the first delivery; it has no other.
		first := planned[0].ExternalID
		tests := []struct {
			name         string
			statuses     []models.DeliveryStatus
			want         []string
			wantCustomer []string
		}{
			{"no status lists every delivery", nil, fixture, fixture[:1]},
			{"one status lists its deliveries", []models.DeliveryStatus{models.DeliveryPlanned}, only("planned"), nil},
			{"several statuses list any of them in id order", []models.DeliveryStatus{models.DeliveryPlanned, models.DeliveryQueued},
				only("queued", "planned"), fixture[:1]},
			{"final statuses together", []models.DeliveryStatus{models.DeliveryFailed, models.DeliverySent}, only("sent", "failed"), nil},
			{"a status no delivery has lists nothing", []models.DeliveryStatus{models.DeliveryExpired}, nil, nil},
		}
		for _, tt := range tests {
			for _, limit := range []int{1, 2, 50} {
				t.Run(fmt.Sprintf("%s, %d per page", tt.name, limit), func(t *testing.T) {
					got := deliveryIDs(t, limit, func(p models.Page) ([]*models.Delivery, string, error) {
						return f.s.CampaignDeliveries(ctx, camp.ID, p, tt.statuses...)
					})
					if diff := cmp.Diff(tt.want, got); diff != "" {
						t.Errorf("campaign deliveries (-want +got):\n%s", diff)
					}
					got = deliveryIDs(t, limit, func(p models.Page) ([]*models.Delivery, string, error) {
						return f.s.CustomerDeliveries(ctx, first, p, tt.statuses...)
					})
					if diff := cmp.Diff(tt.wantCustomer, got); diff != "" {
						t.Errorf("customer deliveries (-want +got):\n%s", diff)
					}
				})
			}
		}
		t.Run("an unknown status is refused", func(t *testing.T) {
			_, _, err := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{}, []models.DeliveryStatus{models.DeliveryPlanned, "lost"}...)
			wantCode(t, err, models.EINVALID)
			_, _, err = f.s.CustomerDeliveries(ctx, first, models.Page{}, []models.DeliveryStatus{"lost"}...)
			wantCode(t, err, models.EINVALID)
		})
		t.Run("an unknown campaign or customer is not found", func(t *testing.T) {
			_, _, err := f.s.CampaignDeliveries(ctx, camp.ID+100, models.Page{})
			wantCode(t, err, models.ENOTFOUND)
			_, _, err = f.s.CustomerDeliveries(ctx, "nobody", models.Page{})
			wantCode(t, err, models.ENOTFOUND)
		})
	})
}

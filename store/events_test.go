package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEventsPageByID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		for i := 0; i < 5; i++ {
			mustPutCustomer(t, s, customerInput(fmt.Sprintf("ev%d", i)))
		}
		all, err := s.Events(ctx, 0, 0)
		if err != nil || len(all) != 5 {
			t.Fatalf("events = %d (err %v), want 5", len(all), err)
		}
		tests := []struct {
			name    string
			afterID int64
			limit   int
			want    []int64
		}{
			{"a limit caps the page", 0, 2, []int64{all[0].ID, all[1].ID}},
			{"afterID resumes after the last processed event", all[1].ID, 2, []int64{all[2].ID, all[3].ID}},
			{"past the end is empty", all[4].ID, 10, []int64{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				evs, err := s.Events(ctx, tt.afterID, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				got := []int64{}
				for _, e := range evs {
					got = append(got, e.ID)
					if e.CustomerID == nil || e.CreatedAt.IsZero() || e.CreatedAt.Location().String() != "UTC" {
						t.Errorf("event %d: customer %v created %v", e.ID, e.CustomerID, e.CreatedAt)
					}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
			})
		}
	})
}

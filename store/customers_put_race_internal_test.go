package store

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// Concurrent PUTs of one customer that each change its preferences all
// count: every one bumps the preference version once and writes one
// customer.updated event, none is lost to another's write. On PostgreSQL
// a PUT first writes without a lock, only over the row version it read,
// and decides again on a locked read when another PUT wrote in between
// (issue 17); this is the race that path must survive.
func TestConcurrentPreferenceChangesOfOneCustomerAllCount(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			s := openInternal(t, backend)
			ctx := context.Background()
			put := func(tz string) error {
				_, _, err := s.PutCustomer(ctx, &models.CustomerInput{ExternalID: "race", Email: "race@example.com",
					Timezone: tz, PreferredChannel: models.ChannelEmail})
				return err
			}
			if err := put("UTC"); err != nil {
				t.Fatal(err)
			}
			zones := []string{"Europe/London", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Africa/Cairo"}
			const writers, each = 6, 5
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						// No two writers send the same zone, and each
						// alternates between two of its own, so nearly
						// every PUT changes the preferences.
						tz := zones[w]
						if i%2 == 1 {
							tz = "Etc/GMT+" + fmt.Sprint(w+1)
						}
						errs <- put(tz)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			c, err := s.Customer(ctx, "race")
			if err != nil {
				t.Fatal(err)
			}
			var updates int64
			if err := s.db.Table("events").Where("customer_id = ? AND type = ?", c.ID, models.EventCustomerUpdated).Count(&updates).Error; err != nil {
				t.Fatal(err)
			}
			// A PUT that finds its zone already stored (its own previous
			// write, when no other came between) changes nothing: every
			// written change is one event and one version bump.
			if int64(c.PreferenceVersion) != 1+updates {
				t.Errorf("preference version %d after %d update events, want %d", c.PreferenceVersion, updates, 1+updates)
			}
			if updates < writers {
				t.Errorf("%d update events from %d writers", updates, writers)
			}
		})
	}
}

package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/seed"
	"github.com/candor/candor/store"
)

// BenchmarkClaimAndRecord measures the database side of sending: dispatch
// due deliveries, claim them in batches of 100 with the send-time check,
// and record them sent, with parallel "workers" as in production. It
// reports deliveries per second; the channels and the queue are left out,
// so this is the ceiling the store puts on send throughput.
//
//	go test ./store -run '^$' -bench ClaimAndRecord -benchtime 1x
//	CANDOR_TEST_DATABASE_URL=... go test ./store -run '^$' -bench ClaimAndRecord/postgres -benchtime 1x
func BenchmarkClaimAndRecord(b *testing.B) {
	for _, backend := range testenv.Backends() {
		b.Run(backend, func(b *testing.B) {
			const customers, batch, workers = 20_000, 100, 8
			ctx := context.Background()
			s := mustOpenWith(b, backend, nil)
			planner := campaigns.NewPlanner(models.PlanSettings{Channels: models.Channels})
			for b.Loop() {
				b.StopTimer()
				camp := benchSendCampaign(b, s, customers, planner)
				b.StartTimer()
				due, err := s.DueDeliveries(ctx, models.DueCursor{}, time.Now().Add(time.Minute), customers)
				if err != nil {
					b.Fatal(err)
				}
				work := make(chan models.SendBatch, len(due)/batch+1)
				for start := 0; start < len(due); start += batch {
					bt := models.SendBatch{}
					for _, d := range due[start:min(start+batch, len(due))] {
						bt.IDs = append(bt.IDs, d.ID)
					}
					work <- bt
				}
				close(work)
				var wg sync.WaitGroup
				errs := make(chan error, workers)
				for range workers {
					wg.Go(func() {
						for bt := range work {
							claimed, err := s.ClaimDeliveries(ctx, bt.IDs, "bench", time.Minute, planner)
							if err != nil {
								errs <- err
								return
							}
							out := make([]models.SendOutcome, len(claimed))
							for i, c := range claimed {
								out[i] = models.SendOutcome{DeliveryID: c.Delivery.ID, Status: models.DeliverySent, ProviderID: "p"}
							}
							if err := s.RecordOutcomes(ctx, "bench", out); err != nil {
								errs <- err
								return
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				var sent int64
				if err := s.DB().Raw("SELECT COUNT(*) FROM deliveries WHERE campaign_id = ? AND status = 'sent'", camp).Scan(&sent).Error; err != nil || sent != customers {
					b.Fatalf("sent %d of %d (%v)", sent, customers, err)
				}
				b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "deliveries/s")
				b.StartTimer()
			}
		})
	}
}

// benchSendCampaign seeds n customers (a new seed each call) whose every
// window is open now on email, opts them in and launches a campaign to
// them; it returns the campaign id.
func benchSendCampaign(b *testing.B, s *store.Store, n int, planner *campaigns.Planner) int64 {
	b.Helper()
	ctx := context.Background()
	res, err := seed.Load(ctx, s, seed.Options{Customers: n, Seed: uint64(time.Now().UnixNano())})
	if err != nil {
		b.Fatal(err)
	}
	group := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	open, _ := json.Marshal([]models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "00:00", End: "24:00"}})
	attrs, _ := json.Marshal(map[string]any{"group": group})
	db := s.DB()
	err = db.Exec("UPDATE customers SET preferred_channel = 'email', timezone = 'UTC', preferred_windows = ?, cadence = NULL, attributes = ? "+
		"WHERE id > (SELECT MAX(id) FROM customers) - ?", string(open), string(attrs), res.Customers).Error
	if err == nil {
		err = db.Exec("INSERT INTO consents (customer_id, topic, status, source, seq, updated_at) "+
			"SELECT id, ?, 'opted_in', 'api', 0, ? FROM customers WHERE id > (SELECT MAX(id) FROM customers) - ? "+
			"ON CONFLICT (customer_id, topic) DO UPDATE SET status = 'opted_in', mac = ''", campaignTopic, time.Now().UTC(), res.Customers).Error
	}
	if err == nil {
		_, _, err = s.AdoptLedger(ctx) // seal the rows written by SQL
	}
	if err != nil {
		b.Fatal(err)
	}
	editor, admin := mustKey(b, s, "e-"+group, models.RoleEditor), mustKey(b, s, "a-"+group, models.RoleAdmin)
	c, err := s.CreateContent(ctx, contentInput(), editor)
	if err == nil {
		_, err = s.SubmitContent(ctx, c.ID)
	}
	if err == nil {
		_, err = s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: admin}, checks())
	}
	if err != nil {
		b.Fatal(err)
	}
	seg, err := s.CreateSegment(ctx, &models.SegmentInput{Name: group, Rule: json.RawMessage(`{"field":"attributes.group","op":"eq","value":"` + group + `"}`)})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	spread := false
	camp, err := s.CreateCampaign(ctx, &models.CampaignInput{Name: group, ContentID: c.ID, SegmentID: &seg.ID, Spread: &spread,
		Window: models.CampaignWindow{NotBefore: now, NotAfter: now.Add(24 * time.Hour)}})
	if err != nil {
		b.Fatal(err)
	}
	launched, err := s.LaunchCampaign(ctx, camp.ID, planner)
	if err != nil || launched.Planned != int64(n) {
		b.Fatalf("launch planned %+v (%v), want %d", launched, err, n)
	}
	return camp.ID
}

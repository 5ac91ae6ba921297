package store_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/internal/benchdata"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// BenchmarkCampaignReport measures GET /v1/campaigns/{id}/report's work
// on a campaign of reportBenchSize deliveries, all sent with their
// snapshots, a hundredth of whose customers then changed their cadence
// (so the history and the downgrade query have rows). Set
// CANDOR_BENCH_REPORT_SIZE to change the size.
//
//	go test ./store -run '^$' -bench CampaignReport -benchtime 5x
//	CANDOR_TEST_DATABASE_URL=... go test ./store -run '^$' -bench CampaignReport/postgres -benchtime 5x
func BenchmarkCampaignReport(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("CANDOR_BENCH_REPORT_SIZE")); err == nil && v > 0 {
		n = v
	}
	for _, backend := range testenv.Backends() {
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			s := mustOpenWith(b, backend, nil)
			planner := campaigns.NewPlanner(models.PlanSettings{Channels: models.Channels})
			camp := benchdata.SendCampaign(b, s, n, models.ChannelEmail, planner)
			sentAt := time.Now().UTC().Truncate(time.Second)
			db := s.DB()
			err := db.Exec(`UPDATE deliveries SET status = 'sent', sent_at = ?, send_timezone = 'UTC', send_window = 0,
				send_local = ?, address_fingerprint = 'fp' WHERE campaign_id = ?`, sentAt, sentAt.Format(time.RFC3339), camp.ID).Error
			if err == nil {
				err = db.Exec(`UPDATE customers SET cadence = '{"max":1,"per":"30d"}', preference_version = preference_version + 1,
					updated_at = ? WHERE id IN (SELECT customer_id FROM deliveries WHERE campaign_id = ? AND customer_id % 100 = 0)`,
					sentAt.Add(time.Hour), camp.ID).Error
			}
			if err == nil && backend == "postgres" && os.Getenv("CANDOR_BENCH_REPORT_STALE_STATS") == "" {
				// Autovacuum analyzes a table after a bulk change like the
				// sends above within a minute; without it the planner
				// believes the campaign has no sent delivery (rows=1) and
				// probes indexes once per delivery. Set
				// CANDOR_BENCH_REPORT_STALE_STATS=1 to measure that case.
				err = db.Exec("ANALYZE deliveries, customers, consent_events, preference_history, events").Error
			}
			if err != nil {
				b.Fatal(err)
			}
			svc := report.NewService(s, models.PlanSettings{})
			b.ResetTimer()
			for b.Loop() {
				r, err := svc.CampaignReport(ctx, camp.ID)
				if err != nil {
					b.Fatal(err)
				}
				if r.Funnel.Sent != int64(n) || r.Respect.Respected != int64(n) || r.Reaction.CadenceLowered.Count == 0 {
					b.Fatalf("report = %+v", r)
				}
			}
			b.ReportMetric(float64(n), "deliveries")
			b.StopTimer()
			reportStepTimes(b, s, camp.ID)
		})
	}
}

// reportStepTimes reports, once after the loop, how long each storage
// step of a report took: the grouped counts, the stream of sent records
// (read, not judged) and the stream of preference changes. It says where
// a report's time goes as the campaign grows.
func reportStepTimes(b *testing.B, s *store.Store, id int64) {
	ctx := context.Background()
	steps := []struct {
		unit string
		run  func() error
	}{
		{"facts-ms", func() error { _, err := s.CampaignReportFacts(ctx, id); return err }},
		{"records-ms", func() error {
			return s.SentRecords(ctx, id, func(*models.SentRecord) error { return nil })
		}},
		{"changes-ms", func() error {
			return s.PreferenceChanges(ctx, id, func(*models.PreferenceChange) error { return nil })
		}},
	}
	for _, st := range steps {
		start := time.Now()
		if err := st.run(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, st.unit)
	}
}

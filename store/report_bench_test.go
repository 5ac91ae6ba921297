package store_test

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/internal/benchdata"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// BenchmarkCampaignReport measures GET /v1/campaigns/{id}/report's work
// (report.Service.CampaignReport: everything but HTTP) on a campaign to
// CANDOR_BENCH_REPORT_SIZE recipients (default 100,000) written by
// benchdata.SentCampaign: seeded customers (the seed's zones, windows and
// channels), sends placed by the planner and spread inside each
// customer's window over three days around Europe's spring change, with
// the worker's snapshots and status history; 97 % sent, a hundredth of
// the recipients lowered their cadence after (history rows and a
// downgrade), a thousandth complained. Sub-benchmarks:
// report is the whole report (from the counts migration 00022 keeps);
// recount is the same report counted from the deliveries by the grouped
// queries (CampaignReportFactsRecounted: the report before 00022); audit is its respect figure judged record by
// record (AuditRespect, the way every report computed it before the
// grouped query), on the same data. After the loops it checks that both
// figures agree and reports the number of groups the report judged and
// each storage step's time. The fixture takes minutes at 1,000,000 on
// PostgreSQL, most of it seeding.
//
//	go test ./store -run '^$' -bench CampaignReport -benchtime 5x
//	CANDOR_TEST_DATABASE_URL=... CANDOR_BENCH_REPORT_SIZE=1000000 \
//	  go test ./store -run '^$' -bench CampaignReport/postgres -benchtime 5x -timeout 60m
func BenchmarkCampaignReport(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("CANDOR_BENCH_REPORT_SIZE")); err == nil && v > 0 {
		n = v
	}
	for _, backend := range testenv.Backends() {
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			s := mustOpenWith(b, backend, nil)
			camp, sent := benchdata.SentCampaign(b, s, n)
			svc := report.NewService(s, models.PlanSettings{})
			var got *models.CampaignReport
			b.Run("report", func(b *testing.B) {
				cpu := startCPU(b, s)
				for b.Loop() {
					r, err := svc.CampaignReport(ctx, camp.ID)
					if err != nil {
						b.Fatal(err)
					}
					got = r
				}
				cpu.report(b)
				b.ReportMetric(float64(sent), "sent")
				if got.Funnel.Sent != sent || got.Respect.Respected != sent || got.Reaction.CadenceLowered.Count == 0 ||
					got.Reaction.Complaints.Count == 0 {
					b.Fatalf("report = %+v, want %d sent, all respected, downgrades and complaints", got, sent)
				}
				reportStepTimes(b, s, camp.ID)
			})
			// recount is the report as it was before migration 00022:
			// its funnel, hours and respect groups counted from the
			// deliveries by the grouped queries, on the same data.
			b.Run("recount", func(b *testing.B) {
				old := report.NewService(recountStore{s}, models.PlanSettings{})
				cpu := startCPU(b, s)
				var r *models.CampaignReport
				for b.Loop() {
					var err error
					if r, err = old.CampaignReport(ctx, camp.ID); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
				b.ReportMetric(float64(sent), "sent")
				if got != nil && !reflect.DeepEqual(r, got) {
					b.Fatalf("the recounted report %+v differs from the kept counts' %+v", r, got)
				}
			})
			b.Run("audit", func(b *testing.B) {
				var audit models.ReportRespect
				for b.Loop() {
					r, err := svc.AuditRespect(ctx, camp.ID)
					if err != nil {
						b.Fatal(err)
					}
					audit = r
				}
				b.ReportMetric(float64(sent), "sent")
				if got != nil && !reflect.DeepEqual(audit, got.Respect) {
					b.Fatalf("the report's respect %+v differs from its audit %+v", got.Respect, audit)
				}
			})
		})
	}
}

// reportStepTimes reports, once after the loops, how long each storage
// step of a report took: the grouped counts with the groups of sent
// records (read, not judged; and how many groups), the audit's stream of
// sent records (read, not judged) and the stream of preference changes.
// It says where a report's time goes as the campaign grows.
func reportStepTimes(b *testing.B, s *store.Store, id int64) {
	ctx := context.Background()
	steps := []struct {
		unit string
		run  func() error
	}{
		{"facts-ms", func() error {
			groups := 0
			_, err := s.CampaignReportFacts(ctx, id, func(*models.SentGroup) error { groups++; return nil },
				func(*models.PreferenceChange) error { return nil })
			b.ReportMetric(float64(groups), "groups")
			return err
		}},
		{"counts-ms", func() error {
			// What the report reads of the kept counts (migration 00022):
			// its rows, then the groups summed over the shards.
			var rows, groups int64
			if err := s.DB().Raw("SELECT COUNT(*) FROM campaign_report_counts WHERE campaign_id = ?", id).Scan(&rows).Error; err != nil {
				return err
			}
			b.ReportMetric(float64(rows), "kept-rows")
			return s.DB().Raw(`SELECT COUNT(*) FROM (SELECT 1 FROM campaign_report_counts WHERE campaign_id = ?
				GROUP BY status, reason, fast, known, w_timezone, w_windows, send_timezone, send_window, local_minute,
				utc_minute, second_ok, utc_hour, local_hour) g`, id).Scan(&groups).Error
		}},
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

package store_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// benchCampaign creates, in the benchmark database, approved content on
// product-roadmap with email, sms and webhook variants, a segment of every
// customer and a 30-day draft campaign. The rows stay (they are small);
// the deliveries a launch writes are deleted by the caller.
func benchCampaign(b *testing.B, s *store.Store) *models.Campaign {
	b.Helper()
	ctx := context.Background()
	editor := mustKey(b, s, "bench editor", models.RoleEditor)
	admin := mustKey(b, s, "bench admin", models.RoleAdmin)
	in := contentInput()
	in.Topic, in.ExpiresAt = "product-roadmap", nil
	in.Variants = []models.Variant{
		{Locale: "en", Channel: models.ChannelEmail, Subject: "What we build next", Text: "Hello."},
		{Locale: "en", Channel: models.ChannelSMS, Text: "Hello."},
		{Locale: "en", Channel: models.ChannelWebhook, Title: "Roadmap", Text: "Hello."},
	}
	c, err := s.CreateContent(ctx, in, editor)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.SubmitContent(ctx, c.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: admin}, checks()); err != nil {
		b.Fatal(err)
	}
	seg, err := s.CreateSegment(ctx, &models.SegmentInput{Name: "everyone",
		Rule: json.RawMessage(`{"field":"attributes.plan","op":"in","value":["free","pro","enterprise"]}`)})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	camp, err := s.CreateCampaign(ctx, &models.CampaignInput{Name: "bench", ContentID: c.ID, SegmentID: &seg.ID,
		Window: models.CampaignWindow{NotBefore: now, NotAfter: now.Add(30 * 24 * time.Hour)}})
	if err != nil {
		b.Fatal(err)
	}
	return camp
}

// benchSettings are the defaults of a real deployment with every channel
// configured: 50 emails/s, 10 SMS/s, 50 webhooks/s.
var benchSettings = models.PlanSettings{
	Channels:       models.Channels,
	SendsPerMinute: map[models.Channel]int{models.ChannelEmail: 3000, models.ChannelSMS: 600, models.ChannelWebhook: 3000},
}

// peakRSSMB reads the process's peak resident set (VmHWM) in MB.
func peakRSSMB(b *testing.B) float64 {
	b.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkCampaignPreview previews a campaign to every customer of the
// benchmark database (1,000,000 with CANDOR_BENCH_DATABASE_URL).
func BenchmarkCampaignPreview(b *testing.B) {
	s := benchmarkStore(b)
	camp := benchCampaign(b, s)
	var p *models.CampaignPreview
	for b.Loop() {
		var err error
		if p, err = s.PreviewCampaign(context.Background(), camp.ID, campaigns.NewPlanner(benchSettings)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Eligible), "eligible")
	b.ReportMetric(peakRSSMB(b), "peakRSS-MB")
}

// BenchmarkCampaignLaunch launches (plans and writes) a campaign to every
// customer of the benchmark database, then deletes what it wrote. Besides
// the mean (ns/op) it reports the first and the median launch: without
// huge pages the first of a process was often much the slowest (session
// 17: it runs on new PostgreSQL server processes), and the suite compares
// the median with the median of its ceiling copies.
func BenchmarkCampaignLaunch(b *testing.B) {
	s := benchmarkStore(b)
	var planned, excluded int64
	var took []time.Duration
	for b.Loop() {
		b.StopTimer()
		camp := benchCampaign(b, s)
		// Each launch starts after a checkpoint, as each of the suite's
		// ceiling copies does: a checkpoint that starts inside a timed
		// write costs it full-page images of every page it then touches.
		if s.Dialect() == store.DialectPostgres {
			if err := s.DB().Exec("CHECKPOINT").Error; err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		c, err := s.LaunchCampaign(context.Background(), camp.ID, campaigns.NewPlanner(benchSettings))
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		planned, excluded = c.Planned, 0
		for _, n := range c.Excluded {
			excluded += n
		}
		b.StopTimer()
		// Saved before the clean-up, which runs whatever happens.
		saveErr := saveLaunchRows(s, camp.ID)
		for _, table := range []string{"deliveries", "campaign_exclusions"} {
			if err := s.DB().Exec("DELETE FROM "+table+" WHERE campaign_id = ?", camp.ID).Error; err != nil {
				b.Fatal(err)
			}
			// Without it the next launch meets a million dead rows and
			// an autovacuum working through them, which no real launch
			// after a real one does.
			if s.Dialect() == store.DialectPostgres {
				if err := s.DB().Exec("VACUUM " + table).Error; err != nil {
					b.Fatal(err)
				}
			}
		}
		if saveErr != nil {
			b.Fatal(saveErr)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(planned), "planned")
	// The exclusion records written beside the deliveries (the suite's
	// ceiling copies the very rows, CANDOR_BENCH_LAUNCH_ROWS).
	b.ReportMetric(float64(excluded), "excluded")
	b.ReportMetric(peakRSSMB(b), "peakRSS-MB")
	b.ReportMetric(took[0].Seconds(), "first-s")
	slices.Sort(took)
	b.ReportMetric(took[len(took)/2].Seconds(), "median-s")
}

// BenchmarkCampaignLaunchBusy launches a second campaign to the same
// audience while a first one's deliveries are still planned: every page
// then also runs the cadence and dedup queries, and capacity starts from
// the first campaign's minutes. The first campaign is launched once, not
// timed, and its deliveries are deleted at the end.
func BenchmarkCampaignLaunchBusy(b *testing.B) {
	s := benchmarkStore(b)
	first := benchCampaign(b, s)
	if _, err := s.LaunchCampaign(context.Background(), first.ID, campaigns.NewPlanner(benchSettings)); err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, table := range []string{"deliveries", "campaign_exclusions"} {
			if err := s.DB().Exec("DELETE FROM "+table+" WHERE campaign_id = ?", first.ID).Error; err != nil {
				b.Fatal(err)
			}
		}
	}()
	var c *models.Campaign
	for b.Loop() {
		b.StopTimer()
		camp := benchCampaign(b, s)
		b.StartTimer()
		var err error
		if c, err = s.LaunchCampaign(context.Background(), camp.ID, campaigns.NewPlanner(benchSettings)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		for _, table := range []string{"deliveries", "campaign_exclusions"} {
			if err := s.DB().Exec("DELETE FROM "+table+" WHERE campaign_id = ?", camp.ID).Error; err != nil {
				b.Fatal(err)
			}
			if s.Dialect() == store.DialectPostgres {
				if err := s.DB().Exec("VACUUM " + table).Error; err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(c.Planned), "planned")
	b.ReportMetric(float64(c.Excluded[models.ReasonCadenceCap]), "cadence_cap")
	b.ReportMetric(peakRSSMB(b), "peakRSS-MB")
}

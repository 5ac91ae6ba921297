package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/models"
)

// healthFixture is a deliveryFixture whose sent messages are written
// straight into deliveries: content health reads only what was sent,
// when, and of which version, so no launch or send is needed.
type healthFixture struct {
	*deliveryFixture
	customers    []int64
	nextCampaign int64
}

func newHealthFixture(t *testing.T, backend string, customers int) *healthFixture {
	t.Helper()
	h := &healthFixture{deliveryFixture: newDeliveryFixture(t, backend), nextCampaign: 9000}
	for i := range customers {
		h.customers = append(h.customers, mustPutCustomer(t, h.s, customerInput("h"+string(rune('a'+i%26))+string(rune('a'+i/26)))).ID)
	}
	return h
}

// approve creates content from in and approves it, acknowledging warnings.
func (h *healthFixture) approve(in *models.ContentInput, warnings ...string) int64 {
	h.t.Helper()
	var findings []models.Finding
	for _, w := range warnings {
		findings = append(findings, models.Finding{Rule: w, Severity: models.SeverityWarning, Message: w, Location: "/title"})
	}
	c, err := h.s.CreateContent(h.ctx, in, h.editor)
	if err == nil {
		_, err = h.s.SubmitContent(h.ctx, c.ID)
	}
	if err == nil {
		_, err = h.s.ApproveContent(h.ctx, c.ID, &models.Approval{ApprovedBy: h.admin, AcknowledgedWarnings: warnings}, checks(findings...))
	}
	if err != nil {
		h.t.Fatalf("approve content: %v", err)
	}
	return c.ID
}

// sent writes a sent delivery of version 1 of content to the customer at
// index i, at instant at (each in a campaign of its own).
func (h *healthFixture) sent(content int64, i int, at time.Time) {
	h.t.Helper()
	h.nextCampaign++
	if err := h.s.DB().Exec(`INSERT INTO deliveries (campaign_id, customer_id, channel, locale, content_id, content_version,
		scheduled_at, status, sent_at, created_at, updated_at) VALUES (?, ?, 'email', 'en', ?, 1, ?, 'sent', ?, ?, ?)`,
		h.nextCampaign, h.customers[i], content, at.UTC(), at.UTC(), at.UTC(), at.UTC()).Error; err != nil {
		h.t.Fatalf("sent delivery: %v", err)
	}
}

// complained writes a complaint about the customer at index i at at.
func (h *healthFixture) complained(i int, at time.Time) {
	h.t.Helper()
	if err := h.s.DB().Exec("INSERT INTO events (type, customer_id, data, created_at) VALUES (?, ?, ?, ?)",
		string(models.EventChannelComplained), h.customers[i], `{}`, at.UTC()).Error; err != nil {
		h.t.Fatalf("complaint: %v", err)
	}
}

func (h *healthFixture) trust(p models.ReportPeriod) *models.TrustReport {
	h.t.Helper()
	r, err := report.NewService(h.s, sendSettings).TrustReport(h.ctx, p)
	if err != nil {
		h.t.Fatalf("trust report: %v", err)
	}
	return r
}

func day(y int, m time.Month, d, hour int) time.Time {
	return time.Date(y, m, d, hour, 0, 0, 0, time.UTC)
}

// TestContentHealthOnASeededScenario: on 10 March 2025 (the fixture's
// clock) three items are approved: "Old prices" as of 2024-12-08 with two
// warnings acknowledged, "Fresh" as of 2025-03-01, and a correction of
// "Old prices" with one. Sent in March: "Old prices" to customers 0-2 on
// 10 March (92 days after its as_of: stale) and to customer 3 on
// 2025-03-08 (90 days: not yet stale, the limit is more than 90), "Fresh"
// to 0 and 1, the correction to 0, 1 and 2. So 3 stale sends of one
// version, 3 approvals, 2 with warnings, 3 warnings acknowledged, 3
// corrections sent of 1 correction; of two scheduled campaigns, the one
// pinning "Old prices" uses stale content.
func TestContentHealthOnASeededScenario(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHealthFixture(t, backend, 4)
		old := contentInput()
		old.Title, old.AsOf = "Old prices", "2024-12-08"
		oldID := h.approve(old, "language.hype", "readability.score")
		fresh := contentInput()
		fresh.Title = "Fresh"
		freshID := h.approve(fresh)
		fix := contentInput()
		fix.Kind, fix.Corrects, fix.Title, fix.AsOf = models.KindCorrection, &oldID, "Correction", "2025-03-10"
		fixID := h.approve(fix, "language.hype")
		for i := range 3 {
			h.sent(oldID, i, day(2025, 3, 10, 12))
			h.sent(fixID, i, day(2025, 3, 11, 12))
		}
		h.sent(oldID, 3, day(2025, 3, 8, 23))
		h.sent(freshID, 0, day(2025, 3, 10, 12))
		h.sent(freshID, 1, day(2025, 3, 10, 12))
		// Two campaigns still scheduled: one pins "Old prices" (114 days
		// past its as_of on 1 April), the other "Fresh".
		var active []int64
		for _, content := range []int64{oldID, freshID} {
			camp := h.campaign(content, h.segment("h"))
			if err := h.s.DB().Exec("UPDATE campaigns SET state = 'scheduled', content_version = 1 WHERE id = ?", camp.ID).Error; err != nil {
				t.Fatal(err)
			}
			active = append(active, camp.ID)
		}

		got := h.trust(models.ReportPeriod{From: day(2025, 3, 1, 0), To: day(2025, 4, 1, 0)}).ContentHealth
		want := models.ContentHealth{StaleAfterDays: 90, StaleSends: 3,
			Stale:     []models.StaleContent{{ContentID: oldID, Version: 1, Title: "Old prices", AsOf: "2024-12-08", Sends: 3}},
			Approvals: 3, ApprovalsWithWarnings: 2, WarningsAcknowledged: 3,
			WarningsByRule:  map[string]int64{"language.hype": 2, "readability.score": 1},
			CorrectionsSent: 3, CorrectionItems: 1,
			ActiveStale: []models.ActiveContent{{CampaignID: active[0], State: models.CampaignScheduled, ContentID: oldID, Version: 1,
				Title: "Old prices", AsOf: "2024-12-08"}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("content health (-want +got):\n%s", diff)
		}
		t.Run("a period without sends or approvals is empty", func(t *testing.T) {
			got := h.trust(models.ReportPeriod{From: day(2025, 1, 1, 0), To: day(2025, 2, 1, 0)}).ContentHealth
			// On 1 February "Old prices" is 55 days past its as_of: not stale yet.
			want := models.ContentHealth{StaleAfterDays: 90, Stale: []models.StaleContent{}, WarningsByRule: map[string]int64{},
				ActiveStale: []models.ActiveContent{}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("content health (-want +got):\n%s", diff)
			}
		})
	})
}

// TestTrustIndexOnTheSeededScenario reads the trust index of the campaign
// scenario over March 2025 (TestTrustReportOnASeededScenario has its
// figures). Weeks from Monday 24 February to Monday 24 March. In the week
// of 10 March: 3 sent, none stale, 6 opt-ins, 7 opt-outs, 1 complaint; at
// its end 3 customers messaged in 30 days and 1 (c) at their cadence's
// limit. So reaction = 100 x (1 - (7 + 10) x 1000 / 3 / 20), below 0: 0;
// consent = 600 / 13; pressure = 200 / 3; content = 100; index = (40 x 0
// + 20 x 600/13 + 20 x 200/3 + 20 x 100) / 100 = 42.564... The two weeks
// after have only pressure (200 / 3); the two before nothing.
func TestTrustIndexOnTheSeededScenario(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		sc := newReportScenario(t, backend)
		period := models.ReportPeriod{From: day(2025, 3, 1, 0), To: day(2025, 3, 31, 0)}
		got, err := report.NewService(sc.f.s, sendSettings).TrustReport(sc.f.ctx, period)
		if err != nil {
			t.Fatal(err)
		}
		busy := models.TrustFigures{Sent: 3, OptIns: 6, OptOuts: 7, Complaints: 1, Messaged: 3, AtLimit: 1}
		index := (20*600.0/13 + 20*200.0/3 + 20*100) / 100
		busyScores := models.TrustScores{Reaction: pct(0), Consent: pct(600.0 / 13), Pressure: pct(200.0 / 3), Content: pct(100), Index: pct(index)}
		quiet := models.TrustFigures{Messaged: 3, AtLimit: 1}
		quietScores := models.TrustScores{Pressure: pct(200.0 / 3), Index: pct(200.0 / 3)}
		want := models.TrustTrend{TrustFigures: busy, TrustScores: busyScores, Weeks: []models.TrustWeek{
			{Week: day(2025, 2, 24, 0)},
			{Week: day(2025, 3, 3, 0)},
			{Week: day(2025, 3, 10, 0), TrustFigures: busy, TrustScores: busyScores},
			{Week: day(2025, 3, 17, 0), TrustFigures: quiet, TrustScores: quietScores},
			{Week: day(2025, 3, 24, 0), TrustFigures: quiet, TrustScores: quietScores},
		}}
		if diff := cmp.Diff(want, got.Trust, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("trust (-want +got):\n%s", diff)
		}
	})
}

// TestTrustIndexWorkedExample is the worked example of docs/trust.md.
func TestTrustIndexWorkedExample(t *testing.T) {
	got := models.ComputeTrust(models.TrustFigures{Sent: 10000, StaleSends: 500, OptIns: 120, OptOuts: 30,
		Complaints: 2, Messaged: 8000, AtLimit: 400})
	want := models.TrustScores{Reaction: pct(75), Consent: pct(80), Pressure: pct(95), Content: pct(95), Index: pct(84)}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("worked example (-want +got):\n%s", diff)
	}
}

package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/models"
)

// reportScenario is a campaign driven through launch, send and the
// reactions after it, whose report is computed by hand below:
//
//   - group r: a, b, c, d, e opted in; x opted out (excluded at launch);
//   - e withdraws consent before the send (skipped, consent_withdrawn);
//   - a, b, c are sent on Monday 09:30 London = 09:30 UTC; d is rejected;
//   - a day later a opts out of the topic; b unsubscribes with one click
//     and complains; c lowers cadence and moves to sms (a downgrade of
//     two kinds, counted once as a downgrade);
//   - nine days later a narrows windows: outside the 7-day window.
type reportScenario struct {
	f    *deliveryFixture
	camp *models.Campaign
	id   map[string]int64 // delivery id by external id
}

func newReportScenario(t *testing.T, backend string) *reportScenario {
	t.Helper()
	f := newDeliveryFixture(t, backend)
	for _, ext := range []string{"a", "b", "c", "d", "e", "x"} {
		f.add(ext, "r", nil)
	}
	mustSetConsent(t, f.s, "x", campaignTopic, models.ConsentOptedOut)
	camp := f.launch(nil, "r")
	sc := &reportScenario{f: f, camp: camp, id: map[string]int64{}}
	for _, d := range f.deliveries(camp.ID) {
		sc.id[d.ExternalID] = d.ID
	}
	mustSetConsent(t, f.s, "e", campaignTopic, models.ConsentOptedOut)
	f.dispatch()
	if got := f.claim(ids(f.deliveries(camp.ID))...); len(got) != 4 {
		t.Fatalf("claimed %d, want 4", len(got))
	}
	f.record(
		models.SendOutcome{DeliveryID: sc.id["a"], Status: models.DeliverySent, ProviderID: "p-a"},
		models.SendOutcome{DeliveryID: sc.id["b"], Status: models.DeliverySent, ProviderID: "p-b"},
		models.SendOutcome{DeliveryID: sc.id["c"], Status: models.DeliverySent, ProviderID: "p-c"},
		models.SendOutcome{DeliveryID: sc.id["d"], Status: models.DeliveryFailed, Reason: models.ReasonRejected},
	)
	f.clk.Advance(24 * time.Hour)
	mustSetConsent(t, f.s, "a", campaignTopic, models.ConsentOptedOut)
	b := mustCustomer(t, f, "b")
	if _, err := f.s.OptOutAll(f.ctx, b.ID, models.SourceOneClick, models.Evidence{Text: "List-Unsubscribe=One-Click"}); err != nil {
		t.Fatalf("one-click: %v", err)
	}
	if err := f.s.DB().Exec("INSERT INTO events (type, customer_id, data, created_at) VALUES (?, ?, ?, ?)",
		string(models.EventChannelComplained), b.ID, `{"external_id":"b"}`, f.now()).Error; err != nil {
		t.Fatalf("complaint: %v", err)
	}
	f.change("c", func(in *models.CustomerInput) {
		in.Cadence = &models.Cadence{Max: 1, Per: "30d"}
		in.PreferredChannel = models.ChannelSMS
	})
	f.clk.Advance(9 * 24 * time.Hour)
	f.change("a", func(in *models.CustomerInput) {
		in.PreferredWindows = []models.Window{{Days: []string{"mon"}, Start: "10:00", End: "11:00"}}
	})
	return sc
}

func mustCustomer(t *testing.T, f *deliveryFixture, ext string) *models.Customer {
	t.Helper()
	c, err := f.s.Customer(f.ctx, ext)
	if err != nil {
		t.Fatalf("customer %s: %v", ext, err)
	}
	return c
}

func (sc *reportScenario) report(t *testing.T) *models.CampaignReport {
	t.Helper()
	r, err := report.NewService(sc.f.s, sendSettings).CampaignReport(sc.f.ctx, sc.camp.ID)
	if err != nil {
		t.Fatalf("campaign report: %v", err)
	}
	return r
}

func pct(v float64) *float64 { return &v }

func TestCampaignReportOnASeededScenario(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		sc := newReportScenario(t, backend)
		got := sc.report(t)
		third := 1000.0 / 3
		var utc, local [24]int64
		utc[9], local[9] = 3, 3
		want := &models.CampaignReport{
			CampaignID: sc.camp.ID, State: models.CampaignCompleted,
			Funnel: models.ReportFunnel{SegmentSize: 6, Excluded: map[models.Reason]int64{models.ReasonNoConsent: 1},
				Planned: 5, Sent: 3, Skipped: map[models.Reason]int64{models.ReasonConsentWithdrawn: 1},
				Failed: map[models.Reason]int64{models.ReasonRejected: 1}, Expired: map[models.Reason]int64{}},
			Respect: models.ReportRespect{Sent: 3, Verifiable: 3, InWindow: 3, OnPreferredChannel: 3, Respected: 3,
				InWindowShare: pct(100), ChannelShare: pct(100), Share: pct(100)},
			Reaction: models.ReportReaction{WithinDays: 7,
				TopicOptOuts: models.Rate{Count: 1, PerThousand: third}, Unsubscribes: models.Rate{Count: 1, PerThousand: third},
				Downgrades: models.Rate{Count: 1, PerThousand: third}, CadenceLowered: models.Rate{Count: 1, PerThousand: third},
				ChannelChanged: models.Rate{Count: 1, PerThousand: third}, Complaints: models.Rate{Count: 1, PerThousand: third}},
			Timing: models.ReportTiming{UTCHours: utc, LocalHours: local},
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
	})
}

func TestCampaignReportRespectDropsWhenARecordBreaksTheWishes(t *testing.T) {
	tests := []struct {
		name             string
		set              string
		args             []any
		inWindow, onChan int64
	}{
		{"a local time outside the window counts against the window", "send_local = ?", []any{"2025-03-10T20:30:00Z"}, 2, 3},
		{"a local time that is not the send instant counts against the window", "send_local = ?", []any{"2025-03-10T10:30:00Z"}, 2, 3},
		{"a zone other than the customer's counts against the window", "send_timezone = ?", []any{"Europe/Paris"}, 2, 3},
		{"a window the customer does not have counts against the window", "send_window = ?", []any{3}, 2, 3},
		{"another channel than the preferred one counts against the channel", "channel = ?", []any{"sms"}, 3, 2},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sc := newReportScenario(t, backend)
				if err := sc.f.s.DB().Exec("UPDATE deliveries SET "+tt.set+" WHERE id = ?", append(tt.args, sc.id["b"])...).Error; err != nil {
					t.Fatal(err)
				}
				got := sc.report(t).Respect
				want := models.ReportRespect{Sent: 3, Verifiable: 3, InWindow: tt.inWindow, OnPreferredChannel: tt.onChan, Respected: 2,
					InWindowShare: pct(float64(tt.inWindow) * 100 / 3), ChannelShare: pct(float64(tt.onChan) * 100 / 3), Share: pct(200.0 / 3)}
				if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
					t.Errorf("respect (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestCampaignReportOfAnErasedRecipientIsUnverifiableNotDisrespected(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		sc := newReportScenario(t, backend)
		if err := sc.f.s.EraseCustomer(sc.f.ctx, "c"); err != nil {
			t.Fatal(err)
		}
		got := sc.report(t).Respect
		want := models.ReportRespect{Sent: 3, Verifiable: 2, Unverifiable: 1, InWindow: 2, OnPreferredChannel: 2, Respected: 2,
			InWindowShare: pct(100), ChannelShare: pct(100), Share: pct(100)}
		if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("respect (-want +got):\n%s", diff)
		}
	})
}

func TestCampaignReportOfAnUnknownCampaignIsNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		_, err := report.NewService(f.s, sendSettings).CampaignReport(f.ctx, 424242)
		wantCode(t, err, models.ENOTFOUND)
	})
}

// TestTrustReportOnASeededScenario reads the program report of the
// campaign scenario over March 2025. Consent (all in the week of Monday
// 10 March): six opt-ins to the campaign's topic at the start; opt-outs
// of it by x and e (Monday), a and b's one-click (Tuesday); b's one-click
// also opts out of the three other topics. Pressure: a, b and c received
// one message each in the 30 days before 31 March; c lowered their
// cadence to 1 in 30 days, so c is at their limit (a and b allow 4).
func TestTrustReportOnASeededScenario(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		sc := newReportScenario(t, backend)
		period := models.ReportPeriod{From: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)}
		got, err := report.NewService(sc.f.s, sendSettings).TrustReport(sc.f.ctx, period)
		if err != nil {
			t.Fatal(err)
		}
		week := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		var consent []models.ConsentWeek
		growth := map[string]int64{}
		for _, topic := range []string{"competitor-comparisons", "pricing-guides", "product-roadmap", "technology-alternatives"} {
			w := models.ConsentWeek{Topic: topic, Week: week, OptOuts: 1, Net: -1}
			if topic == campaignTopic {
				w = models.ConsentWeek{Topic: topic, Week: week, OptIns: 6, OptOuts: 4, Net: 2}
			}
			consent = append(consent, w)
			growth[topic] = w.Net
		}
		want := &models.TrustReport{Period: period, Consent: consent, NetGrowth: growth,
			Pressure: models.Pressure{PeriodDays: 30, Customers: 3, P50: 1, P90: 1, Max: 1, AtCadenceLimit: 1}}
		// Content health and the index have tests of their own (report_health_test.go).
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(models.TrustReport{}, "ContentHealth", "Trust")); diff != "" {
			t.Errorf("trust report (-want +got):\n%s", diff)
		}
		t.Run("a cap of one a month holds every recipient at it", func(t *testing.T) {
			capped := sendSettings
			capped.GlobalCap = &models.Cadence{Max: 1, Per: "30d"}
			got, err := report.NewService(sc.f.s, capped).TrustReport(sc.f.ctx, period)
			if err != nil {
				t.Fatal(err)
			}
			if got.Pressure.AtCap != 3 || got.Pressure.AtCadenceLimit != 1 || got.Pressure.Cap == nil {
				t.Errorf("pressure = %+v, want 3 at the cap and 1 at their own limit", got.Pressure)
			}
		})
		t.Run("a period before anything happened is empty", func(t *testing.T) {
			got, err := report.NewService(sc.f.s, sendSettings).TrustReport(sc.f.ctx,
				models.ReportPeriod{From: period.From.AddDate(-1, 0, 0), To: period.From.AddDate(0, -1, 0)})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Consent) != 0 || got.Pressure.Customers != 0 || got.Pressure.P90 != 0 {
				t.Errorf("report = %+v, want no consent and no pressure", got)
			}
		})
	})
}

func TestDueBacklogCountsPlannedWorkWhoseTimePassed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		for _, ext := range []string{"a", "b"} {
			f.add(ext, "q", nil)
		}
		camp := f.launch(nil, "q")
		at := f.deliveries(camp.ID)[0].ScheduledAt
		n, oldest, err := f.s.DueBacklog(f.ctx, at.Add(-time.Second))
		if err != nil || n != 0 || !oldest.IsZero() {
			t.Errorf("before the send time: %d due, oldest %v (%v); want none", n, oldest, err)
		}
		n, oldest, err = f.s.DueBacklog(f.ctx, at.Add(time.Minute))
		if err != nil || n != 2 || !oldest.Equal(at) {
			t.Errorf("after the send time: %d due, oldest %v (%v); want 2, %v", n, oldest, err, at)
		}
	})
}

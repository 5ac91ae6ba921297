package report

import (
	"context"
	"sort"
	"time"

	"github.com/candor/candor/models"
)

// TrustReport implements models.ReportService: consent per topic and
// week with net growth, the pressure of the 30 days ending at the
// period's end against the service-wide cap, the customers at their
// cadence's limit (or the cap's) at that end, content health, and the
// trust index with its weekly trend. EUNAVAILABLE when storage is.
func (s *Service) TrustReport(ctx context.Context, p models.ReportPeriod) (*models.TrustReport, error) {
	days, err := s.store.ConsentActivity(ctx, p.From, p.To)
	if err != nil {
		return nil, err
	}
	buckets, err := s.store.SendPressure(ctx, p.To.Add(-models.PressurePeriod), p.To)
	if err != nil {
		return nil, err
	}
	r := &models.TrustReport{Period: p, Consent: consentWeeks(days), NetGrowth: map[string]int64{},
		Pressure: pressure(buckets, s.globalCap)}
	if r.Pressure.AtCadenceLimit, r.Pressure.AtCap, err = s.store.CadenceLimited(ctx, p.To, s.globalCap); err != nil {
		return nil, err
	}
	for _, w := range r.Consent {
		r.NetGrowth[w.Topic] += w.Net
	}
	sends, err := s.store.ContentSends(ctx, p.From, p.To)
	if err != nil {
		return nil, err
	}
	approvals, err := s.store.ContentApprovals(ctx, p.From, p.To)
	if err != nil {
		return nil, err
	}
	complaints, err := s.store.ComplaintActivity(ctx, p.From, p.To)
	if err != nil {
		return nil, err
	}
	active, err := s.store.ActiveCampaignContent(ctx)
	if err != nil {
		return nil, err
	}
	r.ContentHealth = contentHealth(sends, approvals)
	for _, a := range active {
		if a.StaleAt(p.To) {
			r.ContentHealth.ActiveStale = append(r.ContentHealth.ActiveStale, a)
		}
	}
	if r.Trust, err = s.trustTrend(ctx, p, days, sends, complaints, r.Pressure); err != nil {
		return nil, err
	}
	return r, nil
}

// consentWeeks sums days into weeks, ordered by topic then week.
func consentWeeks(days []models.ConsentDay) []models.ConsentWeek {
	type key struct {
		topic string
		week  time.Time
	}
	byWeek := map[key]*models.ConsentWeek{}
	for _, d := range days {
		k := key{d.Topic, models.WeekStart(d.Day)}
		w := byWeek[k]
		if w == nil {
			w = &models.ConsentWeek{Topic: d.Topic, Week: k.week}
			byWeek[k] = w
		}
		switch d.Status {
		case models.ConsentOptedIn:
			w.OptIns += d.Count
		case models.ConsentOptedOut:
			w.OptOuts += d.Count
		}
		w.Net = w.OptIns - w.OptOuts
	}
	out := make([]models.ConsentWeek, 0, len(byWeek))
	for _, w := range byWeek {
		out = append(out, *w)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Week.Before(out[j].Week)
	})
	return out
}

func pressure(buckets []models.CountBucket, limit *models.Cadence) models.Pressure {
	p := models.Pressure{PeriodDays: int(models.PressurePeriod / (24 * time.Hour)), Cap: limit,
		P50: models.Percentile(buckets, 50), P90: models.Percentile(buckets, 90)}
	for _, b := range buckets {
		p.Customers += b.Customers
		p.Max = max(p.Max, b.N)
	}
	return p
}

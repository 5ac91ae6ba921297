package report

import (
	"context"
	"time"

	"github.com/candor/candor/models"
)

// trustTrend computes the trust index of the period and of each of its
// weeks (docs/trust.md) from the day counts the report already read, and
// the pressure at each week's end (the period's own for the last week).
func (s *Service) trustTrend(ctx context.Context, p models.ReportPeriod, consent []models.ConsentDay,
	sends []models.ContentSendDay, complaints []models.DayCount, end models.Pressure) (models.TrustTrend, error) {
	var weeks []models.TrustWeek
	index := map[time.Time]int{}
	for w := models.WeekStart(p.From); w.Before(p.To); w = w.AddDate(0, 0, 7) {
		index[w] = len(weeks)
		weeks = append(weeks, models.TrustWeek{Week: w})
	}
	at := func(day time.Time) *models.TrustFigures {
		if i, ok := index[models.WeekStart(day)]; ok {
			return &weeks[i].TrustFigures
		}
		return &models.TrustFigures{} // outside the period: storage read [from, to) only
	}
	for _, d := range consent {
		switch d.Status {
		case models.ConsentOptedIn:
			at(d.Day).OptIns += d.Count
		case models.ConsentOptedOut:
			at(d.Day).OptOuts += d.Count
		}
	}
	for _, d := range sends {
		f := at(d.Day)
		f.Sent += d.Count
		if d.StaleOn() {
			f.StaleSends += d.Count
		}
	}
	for _, d := range complaints {
		at(d.Day).Complaints += d.Count
	}
	var t models.TrustTrend
	for i := range weeks {
		w := &weeks[i]
		weekEnd := w.Week.AddDate(0, 0, 7)
		if !weekEnd.Before(p.To) {
			w.Messaged, w.AtLimit = end.Customers, end.AtCadenceLimit
		} else {
			var err error
			if w.Messaged, w.AtLimit, err = s.pressureAt(ctx, weekEnd); err != nil {
				return t, err
			}
		}
		w.TrustScores = models.ComputeTrust(w.TrustFigures)
		t.Sent += w.Sent
		t.StaleSends += w.StaleSends
		t.OptIns += w.OptIns
		t.OptOuts += w.OptOuts
		t.Complaints += w.Complaints
	}
	t.Messaged, t.AtLimit = end.Customers, end.AtCadenceLimit
	t.TrustScores = models.ComputeTrust(t.TrustFigures)
	t.Weeks = weeks
	return t, nil
}

// pressureAt counts the customers messaged in the PressurePeriod ending
// at end, and those at their own cadence's limit at end.
func (s *Service) pressureAt(ctx context.Context, end time.Time) (messaged, atLimit int64, err error) {
	buckets, err := s.store.SendPressure(ctx, end.Add(-models.PressurePeriod), end)
	if err != nil {
		return 0, 0, err
	}
	for _, b := range buckets {
		messaged += b.Customers
	}
	atLimit, _, err = s.store.CadenceLimited(ctx, end, nil)
	return messaged, atLimit, err
}

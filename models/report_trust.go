package models

import (
	"sort"
	"time"
)

// MaxReportSpan bounds a program report's period, so its weekly series
// stays short.
const MaxReportSpan = 366 * 24 * time.Hour

// PressurePeriod is the rolling period of the pressure figures: messages
// per customer in the 30 days ending at the report's end.
const PressurePeriod = 30 * 24 * time.Hour

// ReportPeriod is [From, To) in UTC.
type ReportPeriod struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// ParseReportPeriod reads the from and to query parameters: RFC 3339
// instants or YYYY-MM-DD dates (midnight UTC). to defaults to now and
// from to twelve weeks before to. EINVALID naming "from" or "to" with
// rule "date" (unreadable), "after_from" (to not after from) or
// "max_span" (more than 366 days).
func ParseReportPeriod(from, to string, now time.Time) (ReportPeriod, error) {
	var p Problems
	read := func(field, raw string) (time.Time, bool) {
		if t, err := time.Parse(time.RFC3339, raw); err == nil {
			return t.UTC(), true
		}
		if t, err := time.Parse(time.DateOnly, raw); err == nil {
			return t, true
		}
		p.Add(field, "date", "must be an RFC 3339 instant such as 2026-01-31T00:00:00Z or a date such as 2026-01-31, got %q", raw)
		return time.Time{}, false
	}
	out := ReportPeriod{To: now.UTC()}
	okTo := true
	if to != "" {
		out.To, okTo = read("to", to)
	}
	out.From = out.To.Add(-12 * 7 * 24 * time.Hour)
	okFrom := true
	if from != "" {
		out.From, okFrom = read("from", from)
	}
	if okFrom && okTo {
		switch {
		case !out.To.After(out.From):
			p.Add("to", "after_from", "must be after from (%s)", out.From.Format(time.RFC3339))
		case out.To.Sub(out.From) > MaxReportSpan:
			p.Add("to", "max_span", "must be at most 366 days after from")
		}
	}
	return out, p.Err()
}

// TrustReport is the program's trust over a period: consent won and lost
// per topic and week, the pressure customers are under, the health of the
// content sent, and the trust index with its weekly trend.
type TrustReport struct {
	Period        ReportPeriod     `json:"period"`
	Consent       []ConsentWeek    `json:"consent"`
	NetGrowth     map[string]int64 `json:"net_growth"`
	Pressure      Pressure         `json:"pressure"`
	ContentHealth ContentHealth    `json:"content_health"`
	Trust         TrustTrend       `json:"trust"`
}

// ConsentWeek counts one topic's opt-ins and opt-outs recorded in one
// week (starting Monday 00:00 UTC; the first and last weeks may be cut
// by the period).
type ConsentWeek struct {
	Topic   string    `json:"topic"`
	Week    time.Time `json:"week"`
	OptIns  int64     `json:"opt_ins"`
	OptOuts int64     `json:"opt_outs"`
	Net     int64     `json:"net"`
}

// ConsentDay is a count of consent events of one topic and status on one
// UTC day, as storage aggregates them.
type ConsentDay struct {
	Topic  string
	Day    time.Time
	Status ConsentStatus
	Count  int64
}

// CountBucket is how many customers (Customers) received N messages.
type CountBucket struct {
	N         int64
	Customers int64
}

// Pressure is messages per customer sent (or possibly sent: unknown) in
// the PressurePeriod ending at the report's end, among the customers who
// received at least one, against the service-wide cap.
type Pressure struct {
	PeriodDays int      `json:"period_days"`
	Customers  int64    `json:"customers"`
	P50        int64    `json:"p50"`
	P90        int64    `json:"p90"`
	Max        int64    `json:"max"`
	Cap        *Cadence `json:"cap"`
	// AtCadenceLimit counts customers whose messages in their own
	// cadence's period ending at the report's end reached its maximum;
	// AtCap those that reached Cap's (0 without a cap).
	AtCadenceLimit int64 `json:"at_cadence_limit"`
	AtCap          int64 `json:"at_cap"`
}

// WeekStart is the Monday 00:00 UTC that starts t's week.
func WeekStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

// Percentile is the nearest-rank pct-th percentile (1-100) of the values
// the buckets describe: the smallest N such that at least pct percent of
// the customers received N or fewer. 0 for no customers.
func Percentile(buckets []CountBucket, pct int64) int64 {
	sorted := append([]CountBucket(nil), buckets...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].N < sorted[j].N })
	var total int64
	for _, b := range sorted {
		total += b.Customers
	}
	if total == 0 {
		return 0
	}
	// Nearest rank: ceil(pct * total / 100), in integers.
	rank := max((pct*total+99)/100, 1)
	var seen int64
	for _, b := range sorted {
		seen += b.Customers
		if seen >= rank {
			return b.N
		}
	}
	return sorted[len(sorted)-1].N
}

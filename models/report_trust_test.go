package models

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseReportPeriod(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, from, to string
		want           ReportPeriod
		errs           []string
	}{
		{"no bounds mean the twelve weeks up to now", "", "", ReportPeriod{now.AddDate(0, 0, -84), now}, nil},
		{"dates are midnight UTC", "2026-01-05", "2026-02-02", ReportPeriod{time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)}, nil},
		{"instants are read in their offset", "2026-01-05T01:00:00+01:00", "2026-01-06T00:00:00Z", ReportPeriod{time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)}, nil},
		{"an unreadable from names from", "yesterday", "", ReportPeriod{}, []string{"from date"}},
		{"an unreadable to names to", "", "2026-13-01", ReportPeriod{}, []string{"to date"}},
		{"a to not after from is refused", "2026-02-02", "2026-02-02", ReportPeriod{}, []string{"to after_from"}},
		{"a period over 366 days is refused", "2024-01-01", "2026-01-01", ReportPeriod{}, []string{"to max_span"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReportPeriod(tt.from, tt.to, now)
			var rules []string
			for _, fe := range ErrorFields(err) {
				rules = append(rules, fe.Field+" "+fe.Rule)
			}
			if diff := cmp.Diff(tt.errs, rules); diff != "" {
				t.Fatalf("problems (-want +got):\n%s (err %v)", diff, err)
			}
			if tt.errs == nil && !(got.From.Equal(tt.want.From) && got.To.Equal(tt.want.To)) {
				t.Errorf("period = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWeekStartIsTheMondayBefore(t *testing.T) {
	for d := range 14 {
		day := time.Date(2026, 3, 1+d, 23, 59, 0, 0, time.UTC)
		w := WeekStart(day)
		if w.Weekday() != time.Monday || w.After(day) || day.Sub(w) >= 7*24*time.Hour || w.Hour() != 0 {
			t.Errorf("WeekStart(%s) = %s", day, w)
		}
	}
}

// TestPercentileMatchesASortedOracle checks the bucketed nearest-rank
// percentile against sorting every customer's count.
func TestPercentileMatchesASortedOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 90))
	for i := range 2000 {
		var values []int64
		counts := map[int64]int64{}
		for range 1 + r.IntN(60) {
			v := int64(1 + r.IntN(1+r.IntN(30)))
			values = append(values, v)
			counts[v]++
		}
		var buckets []CountBucket
		for n, c := range counts {
			buckets = append(buckets, CountBucket{N: n, Customers: c})
		}
		slices.Sort(values)
		for _, pct := range []int64{1, 50, 90, 99, 100} {
			// Nearest rank: the value at 1-based position ceil(pct/100 * len).
			rank := (pct*int64(len(values)) + 99) / 100
			want := values[max(rank, 1)-1]
			if got := Percentile(buckets, pct); got != want {
				t.Fatalf("case %d: p%d of %v = %d, want %d", i, pct, values, got, want)
			}
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nobody = %d, want 0", got)
	}
}

package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

// TestTrustWeeksMatchAnOracleOfRandomSends writes random sends of four
// content items (two stale by the time of sending, one of them a
// correction) and random complaints over eight weeks, at random hours,
// and checks that the program report's weekly figures and content health
// for random periods agree with an oracle that walks the written rows one
// by one: a send is stale when its UTC date is more than 90 days after
// the as_of, it belongs to the week of its UTC date, and only rows inside
// [from, to) count.
func TestTrustWeeksMatchAnOracleOfRandomSends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		rng := rand.New(rand.NewPCG(13, uint64(len(backend))))
		h := newHealthFixture(t, backend, 12)
		type item struct {
			id   int64
			asOf time.Time
			fix  bool
		}
		var items []item
		for i, asOf := range []string{"2024-12-01", "2025-01-15", "2025-03-10", "2024-11-15"} {
			in := contentInput()
			in.Title, in.AsOf = fmt.Sprintf("item %d", i), asOf
			if i == 3 {
				in.Kind, in.Corrects = models.KindCorrection, &items[0].id
			}
			a, _ := models.ParseAsOf(asOf)
			items = append(items, item{id: h.approve(in), asOf: a, fix: i == 3})
		}
		type row struct {
			item int
			at   time.Time
		}
		var sends []row
		start := day(2025, 3, 3, 0)
		for c := range h.customers {
			for i := range items {
				if rng.IntN(3) == 0 {
					continue
				}
				at := start.Add(time.Duration(rng.Int64N(int64(8 * 7 * 24 * time.Hour))))
				h.sent(items[i].id, c, at)
				sends = append(sends, row{i, at})
			}
		}
		var complaints []time.Time
		for range 15 {
			at := start.Add(time.Duration(rng.Int64N(int64(8 * 7 * 24 * time.Hour))))
			h.complained(rng.IntN(len(h.customers)), at)
			complaints = append(complaints, at)
		}
		type weekFigures struct{ Sent, Stale, Complaints int64 }
		for run := range 12 {
			from := start.Add(time.Duration(rng.Int64N(int64(6*7*24)))*time.Hour - 7*24*time.Hour)
			to := from.Add(time.Duration(1+rng.Int64N(int64(6*7*24))) * time.Hour)
			p := models.ReportPeriod{From: from, To: to}
			in := func(at time.Time) bool { return !at.Before(from) && at.Before(to) }
			week := func(at time.Time) time.Time { return models.WeekStart(at) }
			want := map[time.Time]weekFigures{}
			wantHealth := struct{ stale, fixes int64 }{}
			for w := models.WeekStart(from); w.Before(to); w = w.AddDate(0, 0, 7) {
				want[w] = weekFigures{}
			}
			for _, s := range sends {
				if !in(s.at) {
					continue
				}
				f := want[week(s.at)]
				f.Sent++
				sentDay := time.Date(s.at.Year(), s.at.Month(), s.at.Day(), 0, 0, 0, 0, time.UTC)
				if sentDay.Sub(items[s.item].asOf) > 90*24*time.Hour {
					f.Stale++
					wantHealth.stale++
				}
				if items[s.item].fix {
					wantHealth.fixes++
				}
				want[week(s.at)] = f
			}
			for _, at := range complaints {
				if in(at) {
					f := want[week(at)]
					f.Complaints++
					want[week(at)] = f
				}
			}
			r := h.trust(p)
			got := map[time.Time]weekFigures{}
			for _, w := range r.Trust.Weeks {
				got[w.Week] = weekFigures{w.Sent, w.StaleSends, w.Complaints}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("run %d, [%s, %s): weeks (-oracle +report):\n%s", run, from, to, diff)
			}
			if r.ContentHealth.StaleSends != wantHealth.stale || r.ContentHealth.CorrectionsSent != wantHealth.fixes {
				t.Fatalf("run %d, [%s, %s): %d stale sends and %d corrections, oracle %d and %d", run, from, to,
					r.ContentHealth.StaleSends, r.ContentHealth.CorrectionsSent, wantHealth.stale, wantHealth.fixes)
			}
		}
	})
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type fakeBacklog struct {
	n      int64
	oldest time.Time
	err    error
}

func (f fakeBacklog) DueBacklog(context.Context, time.Time) (int64, time.Time, error) {
	return f.n, f.oldest, f.err
}

func TestBacklogMetrics(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		src  fakeBacklog
		want string
	}{
		{"due deliveries give the depth and the oldest's age", fakeBacklog{n: 42, oldest: now.Add(-90 * time.Second)},
			"candor_deliveries_due 42\ncandor_deliveries_oldest_due_age_seconds 90\n"},
		{"no due delivery reads zero for both", fakeBacklog{},
			"candor_deliveries_due 0\ncandor_deliveries_oldest_due_age_seconds 0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newBacklogCollector(tt.src)
			c.now = func() time.Time { return now }
			r := prometheus.NewRegistry()
			r.MustRegister(c)
			families, err := r.Gather()
			if err != nil {
				t.Fatal(err)
			}
			var values []string
			for _, f := range families {
				values = append(values, fmt.Sprintf("%s %g", f.GetName(), f.GetMetric()[0].GetGauge().GetValue()))
			}
			if joined := strings.Join(values, "\n") + "\n"; joined != tt.want {
				t.Errorf("metrics =\n%s\nwant\n%s", joined, tt.want)
			}
		})
	}
	t.Run("a database error fails the scrape instead of reading zero", func(t *testing.T) {
		r := prometheus.NewRegistry()
		r.MustRegister(newBacklogCollector(fakeBacklog{err: errors.New("down")}))
		if _, err := r.Gather(); err == nil {
			t.Error("collect succeeded with the database down")
		}
	})
}

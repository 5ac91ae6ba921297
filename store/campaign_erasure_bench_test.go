package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// startedPlanner is the real planner; it closes started when it decides
// about its first customer, that is once the launch is planning.
type startedPlanner struct {
	models.Planner
	started chan struct{}
	once    *sync.Once
}

func (p startedPlanner) Plan(t models.PlanTarget) models.CampaignPlan {
	return startedPlan{CampaignPlan: p.Planner.Plan(t), p: p}
}

type startedPlan struct {
	models.CampaignPlan
	p startedPlanner
}

func (p startedPlan) Decide(ctx context.Context, f *models.PlanFacts) (models.PlanDecision, error) {
	p.p.once.Do(func() { close(p.p.started) })
	return p.CampaignPlan.Decide(ctx, f)
}

// BenchmarkErasureDuringALaunch times one erasure sent while a launch to
// every customer of the benchmark database (20,000 on SQLite) plans
// (issue 15: an erasure waited 164 s behind a launch). Only the erasure
// is timed; launch-ms is the launches' own wall time, for scale.
func BenchmarkErasureDuringALaunch(b *testing.B) {
	s := benchmarkStore(b)
	ctx := context.Background()
	var (
		launches time.Duration
		n        int
	)
	for b.Loop() {
		b.StopTimer()
		camp := benchCampaign(b, s)
		ext := fmt.Sprintf("bench-erase-%d", n)
		mustPutCustomer(b, s, customerInput(ext))
		sp := startedPlanner{Planner: campaigns.NewPlanner(benchSettings), started: make(chan struct{}), once: &sync.Once{}}
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			_, err := s.LaunchCampaign(ctx, camp.ID, sp)
			done <- err
		}()
		<-sp.started
		b.StartTimer()
		err := s.EraseCustomer(ctx, ext)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		launches += time.Since(start)
		n++
		for _, table := range []string{"deliveries", "campaign_exclusions"} {
			if err := s.DB().Exec("DELETE FROM "+table+" WHERE campaign_id = ?", camp.ID).Error; err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(launches.Milliseconds())/float64(n), "launch-ms")
}

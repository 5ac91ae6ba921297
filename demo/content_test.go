package demo

import (
	"testing"
	"time"

	"github.com/candor/candor/campaigns/content"
)

func TestSampleContentPassesEveryCheck(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, in := range sampleContent(now) {
		t.Run(in.Title+" validates and has no finding to acknowledge", func(t *testing.T) {
			if err := in.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			for _, f := range content.CheckContent(in, content.CheckOptions{Now: now}) {
				t.Errorf("finding %s (%s) at %s: %s", f.Rule, f.Severity, f.Location, f.Message)
			}
		})
	}
}

package schedule_test

import (
	"testing"

	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

// BenchmarkNextSendTime measures one send-time computation across a DST
// change, the per-customer cost of preview and launch.
func BenchmarkNextSendTime(b *testing.B) {
	in := schedule.Input{
		Now: utc(b, "2026-10-23T12:00:00Z"), NotAfter: utc(b, "2026-11-10T00:00:00Z"),
		Location: mustZone(b, "Europe/Berlin"),
		Windows:  []models.Window{win("sun", "02:00", "03:00"), win("mon,wed", "18:00", "20:00")},
	}
	for b.Loop() {
		if _, ok := schedule.NextSendTime(in); !ok {
			b.Fatal("no slot")
		}
	}
}

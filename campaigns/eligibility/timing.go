package eligibility

import (
	"time"

	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

// Timing is where and when a customer takes messages: their own zone and
// windows, or the server's defaults (CANDOR_DEFAULT_TIMEZONE,
// CANDOR_DEFAULT_WINDOWS) where they have none. Planning, explain, resume
// and the send-time check all resolve it here, so a default is applied
// the same way everywhere.
type Timing struct {
	// Zone is the zone name used, "" when neither the customer nor the
	// server has one.
	Zone string
	// Location is Zone loaded; nil when Zone is not a usable IANA zone.
	Location *time.Location
	// Windows are the preferred windows used (none: no window).
	Windows          []models.Window
	ZoneDefaulted    bool
	WindowsDefaulted bool
}

// ResolveTiming resolves c's zone and windows against the defaults.
func ResolveTiming(c *models.Customer, defaultZone string, defaultWindows []models.Window) Timing {
	t := Timing{Zone: c.Timezone, Windows: c.PreferredWindows}
	if t.Zone == "" && defaultZone != "" {
		t.Zone, t.ZoneDefaulted = defaultZone, true
	}
	if len(t.Windows) == 0 && len(defaultWindows) > 0 {
		t.Windows, t.WindowsDefaulted = defaultWindows, true
	}
	if loc, err := schedule.LoadZone(t.Zone); err == nil {
		t.Location = loc
	}
	return t
}

// CanPlan reports whether a send time can be computed at all.
func (t Timing) CanPlan() bool { return t.Location != nil && len(t.Windows) > 0 }

// Input is the schedule input of a send between now and the campaign's
// window [notBefore, notAfter).
func (t Timing) Input(now, notBefore, notAfter time.Time) schedule.Input {
	return schedule.Input{Now: now, NotBefore: notBefore, NotAfter: notAfter, Location: t.Location, Windows: t.Windows}
}

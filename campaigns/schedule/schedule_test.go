package schedule_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the same zone rules on every machine

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

func mustZone(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func utc(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatalf("parse %s: %v", s, err)
	}
	return t.UTC()
}

func win(days, start, end string) models.Window {
	var ds []string
	for i := 0; i+3 <= len(days); i += 4 {
		ds = append(ds, days[i:i+3])
	}
	return models.Window{Days: ds, Start: start, End: end}
}

// slotWant is what a table case expects, in UTC RFC 3339.
type slotWant struct {
	At, Start, End string
	Window         int
}

func TestNextSendTime(t *testing.T) {
	tests := []struct {
		name     string
		zone     string
		windows  []models.Window
		now      string
		notAfter string
		want     *slotWant // nil: no slot
	}{
		{"a window opening in Berlin's skipped hour starts at the first instant after the gap",
			"Europe/Berlin", []models.Window{win("sun", "02:30", "04:00")}, "2026-03-28T12:00:00Z", "2026-04-10T00:00:00Z",
			&slotWant{"2026-03-29T01:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z", 0}},
		{"a window inside Berlin's skipped hour does not occur that day",
			"Europe/Berlin", []models.Window{win("sun", "02:00", "03:00")}, "2026-03-28T12:00:00Z", "2026-04-10T00:00:00Z",
			&slotWant{"2026-04-05T00:00:00Z", "2026-04-05T00:00:00Z", "2026-04-05T01:00:00Z", 0}},
		{"a window covering Berlin's repeated hour is one two-hour occurrence",
			"Europe/Berlin", []models.Window{win("sun", "02:00", "03:00")}, "2026-10-25T01:30:00Z", "2026-11-10T00:00:00Z",
			&slotWant{"2026-10-25T01:30:00Z", "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", 0}},
		{"a window inside Berlin's repeated hour is not used a second time",
			"Europe/Berlin", []models.Window{win("sun", "02:00", "02:30")}, "2026-10-25T00:45:00Z", "2026-11-10T00:00:00Z",
			&slotWant{"2026-11-01T01:00:00Z", "2026-11-01T01:00:00Z", "2026-11-01T01:30:00Z", 0}},
		{"a window inside New York's repeated hour is not used a second time",
			"America/New_York", []models.Window{win("sun", "01:00", "01:30")}, "2026-11-01T05:40:00Z", "2026-11-20T00:00:00Z",
			&slotWant{"2026-11-08T06:00:00Z", "2026-11-08T06:00:00Z", "2026-11-08T06:30:00Z", 0}},
		{"a midnight window in Santiago opens when the clock jumps from 24:00 to 01:00",
			"America/Santiago", []models.Window{win("sun", "00:00", "02:00")}, "2026-09-05T12:00:00Z", "2026-09-20T00:00:00Z",
			&slotWant{"2026-09-06T04:00:00Z", "2026-09-06T04:00:00Z", "2026-09-06T05:00:00Z", 0}},
		{"Santiago's repeated 23:00 hour keeps a late window open until the date changes",
			"America/Santiago", []models.Window{win("sat", "23:00", "24:00")}, "2026-04-04T12:00:00Z", "2026-04-20T00:00:00Z",
			&slotWant{"2026-04-05T02:00:00Z", "2026-04-05T02:00:00Z", "2026-04-05T04:00:00Z", 0}},
		{"a window inside Havana's skipped midnight hour waits a week",
			"America/Havana", []models.Window{win("sun", "00:00", "00:30")}, "2026-03-07T12:00:00Z", "2026-03-30T00:00:00Z",
			&slotWant{"2026-03-15T04:00:00Z", "2026-03-15T04:00:00Z", "2026-03-15T04:30:00Z", 0}},
		{"Havana's repeated midnight hour is not used a second time",
			"America/Havana", []models.Window{win("sun", "00:00", "00:30")}, "2026-11-01T04:45:00Z", "2026-11-30T00:00:00Z",
			&slotWant{"2026-11-08T05:00:00Z", "2026-11-08T05:00:00Z", "2026-11-08T05:30:00Z", 0}},
		{"Lord Howe's half-hour gap opens a 02:00 window at 02:30",
			"Australia/Lord_Howe", []models.Window{win("sun", "02:00", "03:00")}, "2026-10-03T00:00:00Z", "2026-10-20T00:00:00Z",
			&slotWant{"2026-10-03T15:30:00Z", "2026-10-03T15:30:00Z", "2026-10-03T16:00:00Z", 0}},
		{"Lord Howe's repeated half hour lengthens the occurrence that covers it",
			"Australia/Lord_Howe", []models.Window{win("sun", "01:30", "02:00")}, "2026-04-04T15:10:00Z", "2026-04-20T00:00:00Z",
			&slotWant{"2026-04-04T15:10:00Z", "2026-04-04T14:30:00Z", "2026-04-04T15:30:00Z", 0}},
		{"Kathmandu's +05:45 offset is honoured",
			"Asia/Kathmandu", []models.Window{win("mon", "09:00", "10:00")}, "2026-06-01T00:00:00Z", "2026-06-20T00:00:00Z",
			&slotWant{"2026-06-01T03:15:00Z", "2026-06-01T03:15:00Z", "2026-06-01T04:15:00Z", 0}},
		{"Chatham's 02:45 to 03:45 jump opens a 03:00 window at 03:45",
			"Pacific/Chatham", []models.Window{win("sun", "03:00", "04:00")}, "2026-09-26T00:00:00Z", "2026-10-20T00:00:00Z",
			&slotWant{"2026-09-26T14:00:00Z", "2026-09-26T14:00:00Z", "2026-09-26T14:15:00Z", 0}},
		{"a customer inside an open window is planned right now, seconds included",
			"UTC", []models.Window{win("mon,tue,wed,thu,fri,sat,sun", "00:00", "24:00")}, "2026-06-03T10:11:12Z", "2026-06-20T00:00:00Z",
			&slotWant{"2026-06-03T10:11:12Z", "2026-06-03T00:00:00Z", "2026-06-04T00:00:00Z", 0}},
		{"a window ending at 24:00 ends at the next midnight",
			"UTC", []models.Window{win("sat", "22:00", "24:00")}, "2026-06-01T00:00:00Z", "2026-06-20T00:00:00Z",
			&slotWant{"2026-06-06T22:00:00Z", "2026-06-06T22:00:00Z", "2026-06-07T00:00:00Z", 0}},
		{"the earliest of several windows wins whatever their order",
			"UTC", []models.Window{win("tue", "09:00", "10:00"), win("mon", "15:00", "16:00")}, "2026-06-01T08:00:00Z", "2026-06-20T00:00:00Z",
			&slotWant{"2026-06-01T15:00:00Z", "2026-06-01T15:00:00Z", "2026-06-01T16:00:00Z", 1}},
		{"a campaign ending exactly when the window opens has no slot",
			"UTC", []models.Window{win("mon", "09:00", "10:00")}, "2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z", nil},
		{"a campaign ending one second into the window has that second",
			"UTC", []models.Window{win("mon", "09:00", "10:00")}, "2026-06-01T08:00:00Z", "2026-06-01T09:00:01Z",
			&slotWant{"2026-06-01T09:00:00Z", "2026-06-01T09:00:00Z", "2026-06-01T10:00:00Z", 0}},
		{"a customer without windows has no slot",
			"UTC", nil, "2026-06-01T08:00:00Z", "2026-06-20T00:00:00Z", nil},
		{"a window that does not parse never matches",
			"UTC", []models.Window{win("mon", "10:00", "09:00")}, "2026-06-01T08:00:00Z", "2026-06-20T00:00:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			in := schedule.Input{Now: utc(t, tt.now), NotAfter: utc(t, tt.notAfter), Location: loc, Windows: tt.windows}
			got, ok := schedule.NextSendTime(in)
			if tt.want == nil {
				if ok {
					t.Fatalf("got slot %+v, want none", got)
				}
				return
			}
			if !ok {
				t.Fatal("got no slot")
			}
			gotWant := slotWant{got.At.Format(time.RFC3339), got.WindowStart.Format(time.RFC3339), got.WindowEnd.Format(time.RFC3339), got.Window}
			if diff := cmp.Diff(*tt.want, gotWant); diff != "" {
				t.Errorf("slot mismatch (-want +got):\n%s", diff)
			}
			if !got.Local.Equal(got.At) || got.Local.Location() != loc {
				t.Errorf("Local = %v, want %v in %s", got.Local, got.At, tt.zone)
			}
		})
	}
}

func TestNextSendTimeHonoursNotBefore(t *testing.T) {
	in := schedule.Input{
		Now:       utc(t, "2026-06-01T09:30:00Z"),
		NotBefore: utc(t, "2026-06-02T09:15:00Z"),
		NotAfter:  utc(t, "2026-06-20T00:00:00Z"),
		Location:  time.UTC,
		Windows:   []models.Window{win("mon,tue", "09:00", "10:00")},
	}
	got, ok := schedule.NextSendTime(in)
	if !ok || !got.At.Equal(in.NotBefore) {
		t.Fatalf("got %v (ok %t), want not_before %v", got.At, ok, in.NotBefore)
	}
}

func TestNextSendTimeWithoutZoneHasNoSlot(t *testing.T) {
	in := schedule.Input{Now: utc(t, "2026-06-01T09:30:00Z"), Windows: []models.Window{win("mon", "00:00", "24:00")}}
	if got, ok := schedule.NextSendTime(in); ok {
		t.Fatalf("got %+v, want no slot without a zone", got)
	}
}

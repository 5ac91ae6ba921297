package report

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestAlikeInMinuteTrustsWholeMinuteZonesOnly(t *testing.T) {
	always := []models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "00:00", End: "24:00"}}
	rec := func(zone string, at time.Time) *models.SentRecord {
		return &models.SentRecord{SentAt: at, Wishes: &models.Preferences{Timezone: zone, Windows: always}}
	}
	tests := []struct {
		name string
		rec  *models.SentRecord
		want bool
	}{
		{"a minute at London's spring change is alike", rec("Europe/London", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)), true},
		{"a zone a quarter hour off the hour is alike", rec("Asia/Kathmandu", time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)), true},
		{"Lord Howe's half-hour change is alike", rec("Australia/Lord_Howe", time.Date(2026, 4, 4, 15, 0, 0, 0, time.UTC)), true},
		{"Monrovia before 1972 (UTC-0:44:30) is not", rec("Africa/Monrovia", time.Date(1971, 6, 1, 9, 0, 0, 0, time.UTC)), false},
		{"Monrovia a day after its 1972 change to whole minutes is not", rec("Africa/Monrovia", time.Date(1972, 1, 7, 12, 0, 0, 0, time.UTC)), false},
		{"Monrovia today is", rec("Africa/Monrovia", time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)), true},
		{"a record without wishes is judged without its instant", &models.SentRecord{SentAt: time.Date(1971, 6, 1, 9, 0, 0, 0, time.UTC)}, true},
		{"a record without an instant is judged without it", &models.SentRecord{Wishes: &models.Preferences{Timezone: "Africa/Monrovia"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Judge{}).alikeInMinute(tt.rec); got != tt.want {
				t.Errorf("alikeInMinute = %v, want %v", got, tt.want)
			}
		})
	}
}

// groupStore returns one campaign whose sent records come as groups and,
// for the audit, one by one.
type groupStore struct {
	Store
	groups  []models.SentGroup
	records []models.SentRecord
	audited bool
}

func (g *groupStore) CampaignReportFacts(_ context.Context, id int64, sent func(*models.SentGroup) error,
	_ func(*models.PreferenceChange) error) (*models.CampaignReportFacts, error) {
	for i := range g.groups {
		if err := sent(&g.groups[i]); err != nil {
			return nil, err
		}
	}
	return &models.CampaignReportFacts{Campaign: &models.Campaign{ID: id}, Excluded: map[models.Reason]int64{}}, nil
}

func (g *groupStore) SentRecords(_ context.Context, _ int64, fn func(*models.SentRecord) error) error {
	g.audited = true
	for i := range g.records {
		if err := fn(&g.records[i]); err != nil {
			return err
		}
	}
	return nil
}

func TestCampaignReportFallsBackToTheAuditWhenAMinuteIsNotAlike(t *testing.T) {
	always := []models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "00:00", End: "24:00"}}
	group := func(zone string, at time.Time, n int64) models.SentGroup {
		return models.SentGroup{Minute: true, Count: n, Record: models.SentRecord{SentAt: at, Channel: models.ChannelEmail,
			Wishes: &models.Preferences{Channel: models.ChannelEmail, Timezone: zone, Windows: always}}}
	}
	// The audit's records say something else than the groups, so the
	// figure tells which was used.
	records := []models.SentRecord{{Channel: models.ChannelSMS, Wishes: &models.Preferences{Channel: models.ChannelEmail}}}
	tests := []struct {
		name      string
		groups    []models.SentGroup
		wantAudit bool
		wantSent  int64
	}{
		{"whole-minute zones are judged by group", []models.SentGroup{group("Europe/London", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), 7)}, false, 7},
		{"one group in a zone with second offsets sends the whole figure to the audit", []models.SentGroup{
			group("Europe/London", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), 7),
			group("Africa/Monrovia", time.Date(1971, 6, 1, 9, 0, 0, 0, time.UTC), 2)}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &groupStore{groups: tt.groups, records: records}
			r, err := NewService(st, models.PlanSettings{}).CampaignReport(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if st.audited != tt.wantAudit || r.Respect.Sent != tt.wantSent {
				t.Errorf("audited = %v, sent = %d; want %v, %d", st.audited, r.Respect.Sent, tt.wantAudit, tt.wantSent)
			}
			if !tt.wantAudit {
				return
			}
			want, err := NewService(st, models.PlanSettings{}).AuditRespect(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, r.Respect); diff != "" {
				t.Errorf("respect (-audit +report):\n%s", diff)
			}
		})
	}
}

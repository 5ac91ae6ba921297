package models_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestCampaignInputValidateAudience(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	open := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		change func(in *models.CampaignInput)
		want   []string
	}{
		{"a positive segment id is valid", func(in *models.CampaignInput) {}, nil},
		{"segment id 0 breaks the minimum, it is not an unknown segment", func(in *models.CampaignInput) { in.SegmentID = id(0) }, []string{"/segment_id min"}},
		{"a negative segment id breaks the minimum", func(in *models.CampaignInput) { in.SegmentID = id(-3) }, []string{"/segment_id min"}},
		{"neither segment nor audience is missing", func(in *models.CampaignInput) { in.SegmentID = nil }, []string{"/segment_id required"}},
		{"a positive recipients_of is valid", func(in *models.CampaignInput) {
			in.SegmentID, in.Audience = nil, &models.Audience{RecipientsOf: 7}
		}, nil},
		{"a negative recipients_of breaks the minimum", func(in *models.CampaignInput) {
			in.SegmentID, in.Audience = nil, &models.Audience{RecipientsOf: -1}
		}, []string{"/audience/recipients_of min"}},
		{"an omitted recipients_of is missing", func(in *models.CampaignInput) {
			in.SegmentID, in.Audience = nil, &models.Audience{}
		}, []string{"/audience/recipients_of required"}},
		{"segment and audience together are exclusive", func(in *models.CampaignInput) {
			in.Audience = &models.Audience{RecipientsOf: 7}
		}, []string{"/audience exclusive"}},
		{"a window in December 9999 is out of range: its local times would pass year 9999", func(in *models.CampaignInput) {
			end := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
			in.Window = models.CampaignWindow{NotBefore: end.Add(-time.Hour), NotAfter: end}
		}, []string{"/window/not_before range", "/window/not_after range"}},
		{"a window before 2000 is out of range", func(in *models.CampaignInput) {
			start := time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)
			in.Window = models.CampaignWindow{NotBefore: start, NotAfter: start.Add(48 * time.Hour)}
		}, []string{"/window/not_before range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := models.CampaignInput{Name: "Transfers", ContentID: 1, SegmentID: id(2),
				Window: models.CampaignWindow{NotBefore: open, NotAfter: open.Add(24 * time.Hour)}}
			tt.change(&in)
			var got []string
			for _, f := range models.ErrorFields(in.Validate()) {
				got = append(got, f.Field+" "+f.Rule)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

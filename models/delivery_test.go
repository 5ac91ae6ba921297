package models_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestParseDeliveryStatuses(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []models.DeliveryStatus
		fields []string
	}{
		{"no value means no filter", nil, nil, nil},
		{"an empty value means no filter", []string{""}, nil, nil},
		{"one status is kept", []string{"sent"}, []models.DeliveryStatus{models.DeliverySent}, nil},
		{"repeated values are all kept", []string{"planned", "queued"}, []models.DeliveryStatus{models.DeliveryPlanned, models.DeliveryQueued}, nil},
		{"a comma-separated list is split", []string{"planned,queued"}, []models.DeliveryStatus{models.DeliveryPlanned, models.DeliveryQueued}, nil},
		{"spaces, blanks and repeats are dropped", []string{" planned , ,queued", "planned"}, []models.DeliveryStatus{models.DeliveryPlanned, models.DeliveryQueued}, nil},
		{"an unknown status is an enum problem on the parameter", []string{"planned,lost"}, nil, []string{"status enum"}},
		{"statuses are case-sensitive", []string{"Sent"}, nil, []string{"status enum"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.ParseDeliveryStatuses(tt.values)
			var fields []string
			for _, f := range models.ErrorFields(err) {
				fields = append(fields, f.Field+" "+f.Rule)
			}
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("statuses (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestUnknownStatusProblemListsTheKnownOnes(t *testing.T) {
	err := models.ValidateDeliveryStatuses([]models.DeliveryStatus{"lost"})
	want := []models.FieldError{{Field: "status", Rule: "enum",
		Detail: `unknown status "lost": must be one of planned, queued, sending, sent, failed, unknown, skipped, expired, cancelled`}}
	if diff := cmp.Diff(want, models.ErrorFields(err)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

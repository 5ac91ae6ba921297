package models_test

import (
	"testing"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

func TestParseWindowsSpec(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		want    []models.Window
		wantErr bool
	}{
		{"a weekday range expands to its days", "mon-fri 09:00-17:00",
			[]models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "09:00", End: "17:00"}}, false},
		{"several windows are separated by semicolons", "sat,sun 10:00-12:00; mon 18:00-24:00",
			[]models.Window{{Days: []string{"sat", "sun"}, Start: "10:00", End: "12:00"}, {Days: []string{"mon"}, Start: "18:00", End: "24:00"}}, false},
		{"a backwards day range is rejected", "fri-mon 09:00-17:00", nil, true},
		{"an unknown day is rejected", "funday 09:00-17:00", nil, true},
		{"a missing time range is rejected", "mon", nil, true},
		{"a window ending before it starts is rejected", "mon 17:00-09:00", nil, true},
		{"an empty spec is rejected", " ; ", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.ParseWindowsSpec(tt.spec)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("windows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseCadenceSpec(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		want    *models.Cadence
		wantErr bool
	}{
		{"four per thirty days parses", "4/30d", &models.Cadence{Max: 4, Per: "30d"}, false},
		{"hours are accepted", "1/12h", &models.Cadence{Max: 1, Per: "12h"}, false},
		{"a missing slash is rejected", "4", nil, true},
		{"a zero count is rejected", "0/1d", nil, true},
		{"more than a year is rejected", "1/400d", nil, true},
		{"minutes are rejected", "1/30m", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := models.ParseCadenceSpec(tt.spec)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("cadence (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseWindowsSpec checks that any accepted spec yields windows that
// pass validation, and that no input panics.
func FuzzParseWindowsSpec(f *testing.F) {
	for _, s := range []string{"mon-fri 09:00-17:00", "sat 10:00-24:00; sun 00:00-01:00", "x", "mon 9-5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ws, err := models.ParseWindowsSpec(spec)
		if err != nil {
			return
		}
		var p models.Problems
		models.ValidateWindows(&p, "", ws)
		if len(p) > 0 {
			t.Fatalf("accepted %q but windows are invalid: %v", spec, p)
		}
	})
}

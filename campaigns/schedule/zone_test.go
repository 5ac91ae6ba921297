package schedule_test

import (
	"testing"

	"github.com/candor/candor/campaigns/schedule"
	"github.com/candor/candor/models"
)

func TestLoadZone(t *testing.T) {
	tests := []struct {
		name, zone string
		wantErr    bool
	}{
		{"an IANA zone loads", "Asia/Kathmandu", false},
		{"the empty name is not a zone, though time.LoadLocation says UTC", "", true},
		{"the server's Local zone is never a customer's", "Local", true},
		{"an unknown name is refused", "Europe/Atlantis", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := schedule.LoadZone(tt.zone)
			if (err != nil) != tt.wantErr {
				t.Fatalf("LoadZone(%q) error = %v, want error %t", tt.zone, err, tt.wantErr)
			}
			if err != nil && models.ErrorCode(err) != models.EINVALID {
				t.Errorf("error code %q, want %q", models.ErrorCode(err), models.EINVALID)
			}
			if err == nil && loc.String() != tt.zone {
				t.Errorf("got zone %s", loc)
			}
		})
	}
}

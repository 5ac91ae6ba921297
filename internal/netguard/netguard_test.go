package netguard_test

import (
	"errors"
	"testing"

	"github.com/candor/candor/internal/netguard"
)

// TestControlJudgesTheDialledAddress: the hook sees "ip:port" after DNS
// resolution; anything it cannot parse is refused too.
func TestControlJudgesTheDialledAddress(t *testing.T) {
	for _, tt := range []struct {
		address string
		refused bool
	}{
		{"127.0.0.1:443", true},
		{"[::1]:443", true},
		{"169.254.169.254:80", true},
		{"100.100.100.200:80", true},
		{"[::ffff:10.0.0.1]:443", true},
		{"not-an-address", true},
		{"93.184.216.34:443", false},
		{"[2606:4700:4700::1111]:443", false},
	} {
		t.Run(tt.address, func(t *testing.T) {
			err := netguard.Control("tcp", tt.address, nil)
			if got := errors.Is(err, netguard.ErrForbidden); got != tt.refused {
				t.Errorf("Control(%s) = %v, want refused %v", tt.address, err, tt.refused)
			}
		})
	}
}

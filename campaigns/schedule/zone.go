package schedule

import (
	"sync"
	"time"

	"github.com/candor/candor/models"
)

// zones caches loaded zones: time.LoadLocation reads and parses the
// zone file on every call, far too slow for a million customers. Only
// valid names are cached, so the cache holds at most the ~600 IANA zones.
var zones sync.Map

// LoadZone returns the IANA zone name, cached. EINVALID for "", "Local"
// (the server's zone is never a customer's) or an unknown name.
func LoadZone(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" {
		return nil, models.Errorf(models.EINVALID, "%q is not an IANA time zone", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, models.Errorf(models.EINVALID, "%q is not an IANA time zone", name)
	}
	zones.Store(name, loc)
	return loc, nil
}

package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// failingTopics is a store whose Topic lookups fail with err.
type failingTopics struct {
	Store
	err error
}

func (f failingTopics) Topic(context.Context, string) (*models.Topic, error) { return nil, f.err }

func TestStoreErrorsMapToStatuses(t *testing.T) {
	internal := errors.New("pq: password authentication failed for user candor at 10.0.0.5")
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantDetail string
	}{
		{"an uncoded error is a 500 with a generic detail", internal, 500, "Something went wrong on our side"},
		{"an unavailable backend is a 503", models.Errorf(models.EUNAVAILABLE, "The database is not reachable."), 503, "The database is not reachable."},
		{"a conflict is a 409", models.Errorf(models.ECONFLICT, "Busy."), 409, "Busy."},
		{"an unknown code is a 500", models.Errorf("weird", "internal detail"), 500, "Something went wrong on our side"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t, testenv.Backends()[0], func(o *Options) { o.Store = failingTopics{Store: o.Store, err: tt.err} })
			p := wantProblem(t, a.call(models.RoleViewer, http.MethodGet, "/v1/topics/pricing-guides", nil), tt.wantStatus)
			if !strings.HasPrefix(p.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want prefix %q", p.Detail, tt.wantDetail)
			}
			if strings.Contains(p.Detail, "10.0.0.5") || strings.Contains(p.Detail, "internal detail") {
				t.Errorf("detail leaks the error: %q", p.Detail)
			}
			if tt.wantStatus == 500 && !strings.Contains(a.logs.String(), p.RequestID) {
				t.Errorf("the 500 was not logged with its request id:\n%s", a.logs.String())
			}
		})
	}
}

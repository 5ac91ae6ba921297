package api

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestReplayingACustomerWritesNoEvent(t *testing.T) {
	tests := []struct {
		name   string
		replay func(a *testAPI, body map[string]any) int
	}{
		{"a repeated PUT answers 200 and writes no event", func(a *testAPI, body map[string]any) int {
			return a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1", body).Code
		}},
		{"a repeated batch item answers 200 and writes no event", func(a *testAPI, body map[string]any) int {
			rec := a.call(models.RoleEditor, http.MethodPost, "/v1/customers/batch", fmt.Sprintf(`{"customers":[%s]}`, mustJSON(a.tb, body)))
			wantStatus(a.tb, rec, http.StatusOK)
			return decodeBody[batchResponse](a.tb, rec).Results[0].Status
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, a *testAPI) {
				first := a.putCustomer("crm-1")
				if status := tt.replay(a, validCustomer("crm-1")); status != http.StatusOK {
					t.Fatalf("replay status = %d, want 200", status)
				}
				rec := a.call(models.RoleViewer, http.MethodGet, "/v1/customers/crm-1", nil)
				wantStatus(t, rec, http.StatusOK)
				if diff := cmp.Diff(first, decodeBody[*models.Customer](t, rec)); diff != "" {
					t.Errorf("the replay moved the customer (-before +after):\n%s", diff)
				}
				changed := validCustomer("crm-1")
				changed["name"] = "Ada King"
				if status := tt.replay(a, changed); status != http.StatusOK {
					t.Fatalf("change status = %d, want 200", status)
				}
				if diff := cmp.Diff([]string{"customer.created", "customer.updated"}, a.eventTypes()); diff != "" {
					t.Errorf("event types (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// eventTypes returns the types of all outbox events, oldest first.
func (a *testAPI) eventTypes() []string {
	a.tb.Helper()
	evs, err := a.store.Events(context.Background(), 0, models.MaxPageLimit)
	if err != nil {
		a.tb.Fatalf("events: %v", err)
	}
	types := []string{}
	for _, e := range evs {
		types = append(types, string(e.Type))
	}
	return types
}

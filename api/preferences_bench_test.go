package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

// BenchmarkPreferencesPage measures GET /p/{token} end to end through the
// router on each backend: token check, customer, ledger, topics, sent
// messages, rendering (about 30 KB of HTML, most of it the time zone list).
func BenchmarkPreferencesPage(b *testing.B) {
	for _, backend := range testenv.Backends() {
		b.Run(backend, func(b *testing.B) {
			a := newTestAPI(b, backend, nil)
			a.putCustomer("crm-1")
			for _, topic := range models.DefaultTopics[:2] {
				if rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/crm-1/consents/"+topic, map[string]any{"status": "opted_in"}); rec.Code != http.StatusOK {
					b.Fatalf("consent: %d", rec.Code)
				}
			}
			path := a.preferencesPath("crm-1")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				rec := httptest.NewRecorder()
				a.engine.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

package seed_test

import (
	"context"
	"testing"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
)

// TestMain gives the package its own PostgreSQL database when
// CANDOR_TEST_DATABASE_URL is set, and drops it at the end.
func TestMain(m *testing.M) { testenv.Main(m) }

// testSecret is fixed so fingerprints are stable within a test run.
const testSecret = "candor-seed-tests-fixed-secret-0123456789"

// testKeys returns the key set of the test secret.
func testKeys(tb testing.TB) *secrets.Keys {
	tb.Helper()
	keys, err := secrets.New(testSecret, "")
	if err != nil {
		tb.Fatal(err)
	}
	return keys
}

// mustOpen returns a migrated store on backend, closed when the test ends.
func mustOpen(tb testing.TB, backend string) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), store.Options{
		DatabaseURL: testenv.BackendURL(tb, backend),
		SQLitePath:  testenv.SQLitePath(tb),
		Keys:        testKeys(tb),
		Rules:       segment.Language{},
	})
	if err != nil {
		tb.Fatalf("open %s store: %v", backend, err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s store: %v", backend, err)
	}
	return s
}

// forEachBackend runs fn as a subtest per configured backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	t.Helper()
	for _, b := range testenv.Backends() {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

// customerInput returns a valid input for externalID.
func customerInput(externalID string) *models.CustomerInput {
	return &models.CustomerInput{
		ExternalID:       externalID,
		Email:            externalID + "@example.com",
		Phone:            "+14155550123",
		Name:             "Ada Lovelace",
		Locale:           "en-GB",
		Timezone:         "Europe/London",
		PreferredChannel: models.ChannelEmail,
		PreferredWindows: []models.Window{{Days: []string{"mon", "tue"}, Start: "09:00", End: "17:00"}},
		Cadence:          &models.Cadence{Max: 4, Per: "30d"},
		Attributes:       map[string]any{"plan": "pro", "seats": float64(12)},
	}
}

// mustPutCustomer creates or replaces a customer and fails the test on error.
func mustPutCustomer(tb testing.TB, s *store.Store, in *models.CustomerInput) *models.Customer {
	tb.Helper()
	c, _, err := s.PutCustomer(context.Background(), in)
	if err != nil {
		tb.Fatalf("put customer: %v", err)
	}
	return c
}

// wantCode fails the test unless err carries the coded error code.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := models.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

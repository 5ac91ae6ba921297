package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// testSecret is fixed so fingerprints are stable within a test run.
const testSecret = "candor-store-tests-fixed-secret-0123456789"

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 3, 10, 9, 30, 0, 123456789, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

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
	return mustOpenWith(tb, backend, nil)
}

// mustOpenWith is mustOpen with a clock (nil for the real one).
func mustOpenWith(tb testing.TB, backend string, now func() time.Time) *store.Store {
	tb.Helper()
	return mustOpenOptions(tb, backend, func(o *store.Options) { o.Now = now })
}

// mustOpenOptions is mustOpen with options that configure adjusts.
func mustOpenOptions(tb testing.TB, backend string, configure func(*store.Options)) *store.Store {
	tb.Helper()
	opts := store.Options{
		DatabaseURL: testenv.BackendURL(tb, backend),
		SQLitePath:  testenv.SQLitePath(tb),
		Keys:        testKeys(tb),
		Rules:       segment.Language{},
	}
	configure(&opts)
	s, err := store.Open(context.Background(), opts)
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

// customerInput returns a valid input for externalID that tests modify.
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

// mustSetConsent records a consent change and fails the test on error.
func mustSetConsent(tb testing.TB, s *store.Store, externalID, topic string, status models.ConsentStatus) {
	tb.Helper()
	in := &models.ConsentInput{Status: status, Source: models.SourceAPI,
		Evidence: models.Evidence{Text: "Send me pricing guides", FormVersion: "v1", IP: "203.0.113.7", UserAgent: "Mozilla/5.0"}}
	if _, _, err := s.SetConsent(context.Background(), externalID, topic, in); err != nil {
		tb.Fatalf("set consent %s/%s: %v", topic, status, err)
	}
}

// wantCode fails the test unless err carries the coded error code.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := models.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

// eventTypes returns the types of all outbox events, oldest first.
func eventTypes(tb testing.TB, s *store.Store) []string {
	tb.Helper()
	evs, err := s.Events(context.Background(), 0, models.MaxPageLimit)
	if err != nil {
		tb.Fatalf("events: %v", err)
	}
	out := []string{}
	for _, e := range evs {
		out = append(out, string(e.Type))
	}
	return out
}

package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/report"
	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/preferences"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
	"github.com/candor/candor/worker"
	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// testSecret is fixed so failures reproduce; it protects nothing real.
const testSecret = "api-test-secret-api-test-secret-0123456789"

// testAPI is the API on a real, migrated store, with one key per role.
type testAPI struct {
	tb     testing.TB
	engine *gin.Engine
	store  *store.Store
	keys   *secrets.Keys
	apiKey map[models.Role]string
	logs   *syncBuffer
	// faults is set when configure replaced the store with one that
	// injects errors: checkResponse then allows undocumented statuses.
	faults bool
}

// syncBuffer collects log output from concurrent handlers. It keeps the
// last logBufferKeep bytes or more once it holds logBufferMax: a benchmark
// logs every request, and an unbounded buffer grew for the whole run
// (about 1 % of the PUT benchmark's CPU went to growing it).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

const (
	logBufferMax  = 8 << 20
	logBufferKeep = 1 << 20
)

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > logBufferMax {
		b.buf.Next(b.buf.Len() - logBufferKeep)
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// forEachBackend runs fn once per database backend of this test run.
func forEachBackend(t *testing.T, fn func(t *testing.T, a *testAPI)) {
	t.Helper()
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			fn(t, newTestAPI(t, backend, nil))
		})
	}
}

// newTestAPI opens and migrates a store on backend and builds the API on
// it; configure, if set, adjusts the options first.
func newTestAPI(tb testing.TB, backend string, configure func(*Options)) *testAPI {
	tb.Helper()
	keys, err := secrets.New(testSecret, "")
	if err != nil {
		tb.Fatal(err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	st := openStore(tb, backend, keys, logger)
	opts := Options{Store: st, Keys: keys, PublicURL: "https://candor.example", Logger: logger, Version: "test",
		Campaigns: campaigns.NewService(st, campaigns.NewPlanner(models.PlanSettings{})), Deliveries: st,
		Preferences: testPreferences(st, keys), Reports: report.NewService(st, models.PlanSettings{})}
	if configure != nil {
		configure(&opts)
	}
	_, real := opts.Store.(*store.Store)
	engine, err := newEngine(opts)
	if err != nil {
		tb.Fatalf("newEngine: %v", err)
	}
	a := &testAPI{tb: tb, engine: engine, store: st, keys: keys, apiKey: map[models.Role]string{}, logs: logs, faults: !real}
	for _, role := range []models.Role{models.RoleViewer, models.RoleEditor, models.RoleAdmin} {
		_, plain, err := st.CreateAPIKey(context.Background(), &models.APIKeyInput{Name: "test " + string(role), Role: role, OwnerName: "test " + string(role), OwnerEmail: "test " + string(role) + "@example.com"})
		if err != nil {
			tb.Fatalf("create %s key: %v", role, err)
		}
		a.apiKey[role] = plain
	}
	return a
}

func openStore(tb testing.TB, backend string, keys *secrets.Keys, logger *slog.Logger) *store.Store {
	tb.Helper()
	ctx := context.Background()
	opts := store.Options{Keys: keys, Rules: segment.Language{}, Logger: logger, DatabaseURL: testenv.BackendURL(tb, backend)}
	if opts.DatabaseURL == "" {
		opts.SQLitePath = testenv.SQLitePath(tb)
	}
	st, err := store.Open(ctx, opts)
	if err != nil {
		tb.Fatalf("open %s store: %v", backend, err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		tb.Fatalf("migrate %s store: %v", backend, err)
	}
	return st
}

// call sends a request with the key of role ("" for none). A string or
// []byte body is sent as is; anything else is encoded as JSON. Both get
// Content-Type: application/json.
func (a *testAPI) call(role models.Role, method, path string, body any) *httptest.ResponseRecorder {
	a.tb.Helper()
	return a.callWithKey(a.apiKey[role], method, path, body)
}

// callWithKey is call with a given plain API key ("" for none).
func (a *testAPI) callWithKey(key, method, path string, body any) *httptest.ResponseRecorder {
	a.tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.tb.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return a.serve(req)
}

// serve runs a prepared request through the API and checks the answer
// against openapi.yaml (checkResponse): a drift fails the test.
func (a *testAPI) serve(req *http.Request) *httptest.ResponseRecorder {
	a.tb.Helper()
	rec := httptest.NewRecorder()
	a.engine.ServeHTTP(rec, req)
	checkResponse(a.tb, req, rec, a.faults)
	return rec
}

// decodeBody decodes a JSON response into a T, failing on any other body.
func decodeBody[T any](tb testing.TB, rec *httptest.ResponseRecorder) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		tb.Fatalf("decode response %d %q: %v", rec.Code, rec.Body.String(), err)
	}
	return v
}

// wantStatus fails unless the response has the status.
func wantStatus(tb testing.TB, rec *httptest.ResponseRecorder, status int) {
	tb.Helper()
	if rec.Code != status {
		tb.Fatalf("status = %d, want %d; body: %s", rec.Code, status, rec.Body.String())
	}
}

// wantProblem checks that the response is a problem document with the
// status and exactly the given "field rule" errors, and returns it.
func wantProblem(tb testing.TB, rec *httptest.ResponseRecorder, status int, fieldRules ...string) problem {
	tb.Helper()
	wantStatus(tb, rec, status)
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		tb.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	p := decodeBody[problem](tb, rec)
	var got []string
	for _, f := range p.Errors {
		got = append(got, f.Field+" "+f.Rule)
	}
	if diff := cmp.Diff(fieldRules, got); diff != "" {
		tb.Errorf("field errors mismatch (-want +got):\n%s\nproblem: %+v", diff, p)
	}
	if p.Status != status || p.RequestID == "" || !strings.HasPrefix(p.Type, problemTypeBase) {
		tb.Errorf("incomplete problem: %+v", p)
	}
	return p
}

// validCustomer is a complete, valid customer body.
func validCustomer(externalID string) map[string]any {
	return map[string]any{
		"external_id":       externalID,
		"email":             externalID + "@example.com",
		"name":              "Ada Lovelace",
		"locale":            "en-GB",
		"timezone":          "Europe/London",
		"preferred_channel": "email",
		"preferred_windows": []map[string]any{{"days": []string{"mon", "tue"}, "start": "09:00", "end": "12:00"}},
		"cadence":           map[string]any{"max": 2, "per": "7d"},
		"attributes":        map[string]any{"plan": "pro"},
	}
}

// putCustomer creates a customer and fails the test unless it worked.
func (a *testAPI) putCustomer(externalID string) *models.Customer {
	a.tb.Helper()
	rec := a.call(models.RoleEditor, http.MethodPut, "/v1/customers/"+externalID, validCustomer(externalID))
	if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
		a.tb.Fatalf("PUT customer %s: %d %s", externalID, rec.Code, rec.Body.String())
	}
	return decodeBody[*models.Customer](a.tb, rec)
}

// mustJSON encodes v, failing the test if it cannot.
func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(raw)
}

// testPreferences is the preference center over st, offering every
// channel (as embedded mode does, where each writes to the outbox).
func testPreferences(st *store.Store, keys *secrets.Keys) *preferences.Service {
	return preferences.New(st, models.Channels, preferences.Links(worker.CustomerLinks(keys, "https://candor.example")),
		campaigns.NewPlanner(models.PlanSettings{Channels: models.Channels}), keys)
}

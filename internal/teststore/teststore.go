// Package teststore opens migrated stores for tests outside the store
// package, on every backend testenv configures. (store's own tests keep
// their helpers: an internal test importing this package would be an
// import cycle.)
package teststore

import (
	"context"
	"testing"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
)

// Secret is fixed so fingerprints and tokens are stable within a run.
const Secret = "candor-tests-fixed-secret-0123456789abcdef"

// Keys returns the key set of Secret.
func Keys(tb testing.TB) *secrets.Keys {
	tb.Helper()
	keys, err := secrets.New(Secret, "")
	if err != nil {
		tb.Fatal(err)
	}
	return keys
}

// Open returns a migrated store on backend ("sqlite" or "postgres", see
// testenv.Backends), with the segment rule language and the fingerprint
// key installed; it is closed when the test ends. Any failure fails tb.
func Open(tb testing.TB, backend string) *store.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{
		DatabaseURL: testenv.BackendURL(tb, backend),
		SQLitePath:  testenv.SQLitePath(tb),
		Keys:        Keys(tb),
		Rules:       segment.Language{},
	})
	if err != nil {
		tb.Fatalf("open %s store: %v", backend, err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("migrate %s store: %v", backend, err)
	}
	if err := s.InstallFingerprintKey(ctx); err != nil {
		tb.Fatalf("install the fingerprint key: %v", err)
	}
	return s
}

// ForEachBackend runs fn as a subtest named after each configured backend.
func ForEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	t.Helper()
	for _, b := range testenv.Backends() {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
)

// TestErasedAddressesStaySuppressedAcrossSecretRotation follows the
// documented rotation: the old secret moves to CANDOR_SECRET_KEY_PREVIOUS,
// later it is dropped. An erased address must be recognised at every step.
func TestErasedAddressesStaySuppressedAcrossSecretRotation(t *testing.T) {
	const (
		oldSecret = "the-original-secret-key-0123456789abcdef"
		newSecret = "the-rotated-secret-key-0123456789abcdef!"
	)
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		url, path := "", testenv.SQLitePath(t)
		if backend == testenv.Postgres {
			url = testenv.BackendURL(t, backend)
		}
		open := func(secret, previous string) *store.Store {
			t.Helper()
			keys, err := secrets.New(secret, previous)
			if err != nil {
				t.Fatal(err)
			}
			s, err := store.Open(ctx, store.Options{DatabaseURL: url, SQLitePath: path, Keys: keys, Rules: segment.Language{}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.InstallFingerprintKey(ctx); err != nil {
				t.Fatal(err)
			}
			return s
		}
		reimport := func(s *store.Store, id string) bool {
			t.Helper()
			c, _, err := s.PutCustomer(ctx, &models.CustomerInput{ExternalID: id, Email: "Erased@Example.com", PreferredChannel: models.ChannelEmail})
			if err != nil {
				t.Fatal(err)
			}
			return c.Suppressed
		}

		s := open(oldSecret, "")
		if _, _, err := s.PutCustomer(ctx, &models.CustomerInput{ExternalID: "gone", Email: "erased@example.com", PreferredChannel: models.ChannelEmail}); err != nil {
			t.Fatal(err)
		}
		if err := s.EraseCustomer(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if !reimport(s, "before-rotation") {
			t.Error("re-import before rotation is not suppressed")
		}
		if !reimport(open(newSecret, oldSecret), "during-rotation") {
			t.Error("re-import with the old secret as previous is not suppressed")
		}
		if !reimport(open(newSecret, ""), "after-rotation") {
			t.Error("re-import after the previous secret was dropped is not suppressed")
		}

		keys, _ := secrets.New("an-unrelated-secret-key-0123456789abcdef", "")
		other, err := store.Open(ctx, store.Options{DatabaseURL: url, SQLitePath: path, Keys: keys, Rules: segment.Language{}})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := other.InstallFingerprintKey(ctx); err == nil || !strings.Contains(err.Error(), "CANDOR_SECRET_KEY") {
			t.Errorf("a wrong secret installed the key or failed unclearly: %v", err)
		}
	})
}

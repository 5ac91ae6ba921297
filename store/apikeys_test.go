package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
	"github.com/candor/candor/store"
)

func TestAPIKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)

		key, plain, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Name: "ci", Role: models.RoleEditor, OwnerName: "ci", OwnerEmail: "ci@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("the key is stored only as its hash", func(t *testing.T) {
			if !strings.HasPrefix(plain, secrets.APIKeyPrefix) || !strings.HasPrefix(plain, key.Prefix) {
				t.Fatalf("plain %q does not start with prefix %q", plain[:8], key.Prefix)
			}
			var n int64
			s.DB().Raw("SELECT count(*) FROM api_keys WHERE hash = ? AND name = 'ci'", secrets.HashAPIKey(plain)).Scan(&n)
			var leaked int64
			s.DB().Raw("SELECT count(*) FROM api_keys WHERE hash = ? OR prefix = ?", plain, plain).Scan(&leaked)
			if n != 1 || leaked != 0 {
				t.Errorf("hash rows = %d, plain rows = %d; want 1 and 0", n, leaked)
			}
		})

		t.Run("authentication records use at most once a minute", func(t *testing.T) {
			steps := []struct {
				advance  time.Duration
				wantUsed time.Duration // offset of last_used_at from the start
			}{
				{0, 0},
				{30 * time.Second, 0},
				{30 * time.Second, time.Minute},
				{10 * time.Second, time.Minute},
			}
			start := clk.Now().Truncate(time.Microsecond)
			for i, st := range steps {
				clk.Advance(st.advance)
				got, err := s.AuthenticateAPIKey(ctx, plain)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if got.Role != models.RoleEditor || got.ID != key.ID {
					t.Errorf("step %d: key = %+v", i, got)
				}
				keys, err := s.APIKeys(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if want := start.Add(st.wantUsed); keys[0].LastUsedAt == nil || !keys[0].LastUsedAt.Equal(want) {
					t.Errorf("step %d: stored last_used_at = %v, want %v", i, keys[0].LastUsedAt, want)
				}
			}
		})

		errCases := []struct {
			name string
			call func() error
			code string
		}{
			{"an unknown key is unauthorized", func() error {
				_, err := s.AuthenticateAPIKey(ctx, secrets.NewAPIKey())
				return err
			}, models.EUNAUTHORIZED},
			{"an empty key is unauthorized", func() error {
				_, err := s.AuthenticateAPIKey(ctx, "")
				return err
			}, models.EUNAUTHORIZED},
			{"an unknown role is invalid", func() error {
				_, _, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Name: "x", Role: "root", OwnerName: "x", OwnerEmail: "x@example.com"})
				return err
			}, models.EINVALID},
			{"a missing name is invalid", func() error {
				_, _, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Role: models.RoleViewer})
				return err
			}, models.EINVALID},
			{"revoking an unknown key is not found", func() error { return s.RevokeAPIKey(ctx, key.ID+1000) }, models.ENOTFOUND},
			{"ensuring an empty key is invalid", func() error { return s.EnsureAPIKey(ctx, "admin", "", models.RoleAdmin) }, models.EINVALID},
		}
		for _, tt := range errCases {
			t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
		}

		t.Run("a revoked key no longer authenticates and stays listed", func(t *testing.T) {
			if err := s.RevokeAPIKey(ctx, key.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.RevokeAPIKey(ctx, key.ID); err != nil {
				t.Fatalf("revoking twice: %v", err)
			}
			_, err := s.AuthenticateAPIKey(ctx, plain)
			wantCode(t, err, models.EUNAUTHORIZED)
			keys, err := s.APIKeys(ctx)
			if err != nil || len(keys) != 1 || keys[0].RevokedAt == nil {
				t.Fatalf("keys = %+v err=%v", keys, err)
			}
		})

		t.Run("ensure creates, then re-roles and un-revokes the same key", func(t *testing.T) {
			admin := secrets.NewAPIKey()
			if err := s.EnsureAPIKey(ctx, "admin", admin, models.RoleViewer); err != nil {
				t.Fatal(err)
			}
			got, err := s.AuthenticateAPIKey(ctx, admin)
			if err != nil || got.Role != models.RoleViewer {
				t.Fatalf("after first ensure: %+v err=%v", got, err)
			}
			if err := s.RevokeAPIKey(ctx, got.ID); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Hour)
			if err := s.EnsureAPIKey(ctx, "admin", admin, models.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			again, err := s.AuthenticateAPIKey(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			if again.ID != got.ID || again.Role != models.RoleAdmin || again.RevokedAt != nil {
				t.Errorf("after second ensure: %+v (first id %d)", again, got.ID)
			}
			keys, err := s.APIKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, k := range keys {
				names = append(names, k.Name)
			}
			if diff := cmp.Diff([]string{"admin", "ci"}, names); diff != "" {
				t.Errorf("keys newest first (-want +got):\n%s", diff)
			}
		})
	})
}

func TestTheLastActiveAdminKeyCannotBeRevoked(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		first, _, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Name: "first admin", Role: models.RoleAdmin, OwnerName: "first admin", OwnerEmail: "first.admin@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		second, _, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Name: "second admin", Role: models.RoleAdmin, OwnerName: "second admin", OwnerEmail: "second.admin@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAPIKey(ctx, first.ID); err != nil {
			t.Fatalf("revoking one of two admin keys: %v", err)
		}
		wantCode(t, s.RevokeAPIKey(ctx, second.ID), models.ECONFLICT)
		if _, _, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Name: "third admin", Role: models.RoleAdmin, OwnerName: "third admin", OwnerEmail: "third.admin@example.com"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAPIKey(ctx, second.ID); err != nil {
			t.Errorf("with a new admin key in place, revoking the old one: %v", err)
		}
	})
}

func TestARevokedAPIKeyStopsWorking(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		// Two processes on one database: this one revokes, the other has
		// just verified the key and cached it.
		url, path := testenv.BackendURL(t, backend), testenv.SQLitePath(t)
		open := func() *store.Store {
			s, err := store.Open(ctx, store.Options{DatabaseURL: url, SQLitePath: path, Keys: testKeys(t),
				Rules: segment.Language{}, Now: clk.Now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		here, there := open(), open()
		if err := here.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		key, plain, err := here.CreateAPIKey(ctx, &models.APIKeyInput{Name: "ci", Role: models.RoleEditor, OwnerName: "ci", OwnerEmail: "ci@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*store.Store{here, there} {
			if _, err := s.AuthenticateAPIKey(ctx, plain); err != nil {
				t.Fatal(err)
			}
		}
		if err := here.RevokeAPIKey(ctx, key.ID); err != nil {
			t.Fatal(err)
		}

		t.Run("the revoking process refuses the key at once", func(t *testing.T) {
			if _, err := here.AuthenticateAPIKey(ctx, plain); models.ErrorCode(err) != models.EUNAUTHORIZED {
				t.Fatalf("err = %v, want unauthorized", err)
			}
		})
		t.Run("another process trusts its own verification for less than the cache time", func(t *testing.T) {
			clk.Advance(store.APIKeyCacheTTL - time.Millisecond)
			if _, err := there.AuthenticateAPIKey(ctx, plain); err != nil {
				t.Fatalf("err = %v: the verification a moment ago should still hold (no query per request)", err)
			}
		})
		t.Run("another process refuses it once its cache entry expires", func(t *testing.T) {
			clk.Advance(time.Millisecond)
			if _, err := there.AuthenticateAPIKey(ctx, plain); models.ErrorCode(err) != models.EUNAUTHORIZED {
				t.Fatalf("err = %v after %s, want unauthorized", err, store.APIKeyCacheTTL)
			}
		})
		t.Run("a wrong key is never trusted from the cache", func(t *testing.T) {
			if _, err := there.AuthenticateAPIKey(ctx, plain+"x"); models.ErrorCode(err) != models.EUNAUTHORIZED {
				t.Fatalf("err = %v, want unauthorized", err)
			}
		})
	})
}

package store_test

import (
	"bytes"
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

func TestWebhookSources(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)

		t.Run("a new source's secret is a Standard Webhooks secret, shown once and stored sealed", func(t *testing.T) {
			src, secret, err := s.CreateWebhookSource(ctx, &models.WebhookSourceInput{Name: "hubspot"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 {
				t.Errorf("secret = %q, want whsec_ and 32 bytes of base64", secret)
			}
			var sealed []byte
			if err := s.DB().Raw("SELECT secret_sealed FROM webhook_sources WHERE id = ?", src.ID).Row().Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(sealed, []byte(secret)) || bytes.Contains(sealed, []byte(strings.TrimPrefix(secret, "whsec_"))) {
				t.Error("the secret is stored in clear")
			}
			got, err := s.WebhookSourceSecrets(ctx, src.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{secret}, got); diff != "" {
				t.Errorf("secrets (-want +got):\n%s", diff)
			}
		})

		t.Run("names are unique and checked", func(t *testing.T) {
			_, _, err := s.CreateWebhookSource(ctx, &models.WebhookSourceInput{Name: "hubspot"})
			if code := models.ErrorCode(err); code != models.ECONFLICT {
				t.Errorf("duplicate name: code %q, want conflict", code)
			}
			_, _, err = s.CreateWebhookSource(ctx, &models.WebhookSourceInput{Name: ""})
			if code := models.ErrorCode(err); code != models.EINVALID {
				t.Errorf("empty name: code %q, want invalid", code)
			}
		})

		t.Run("during a rotation both secrets verify, after the overlap only the new one", func(t *testing.T) {
			src, old, err := s.CreateWebhookSource(ctx, &models.WebhookSourceInput{Name: "salesforce"})
			if err != nil {
				t.Fatal(err)
			}
			rotated, fresh, err := s.RotateWebhookSource(ctx, src.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if fresh == old || rotated.PreviousSecretUntil == nil || !rotated.PreviousSecretUntil.Equal(clk.Now().UTC().Truncate(time.Microsecond).Add(time.Hour)) {
				t.Errorf("rotation: %+v, new secret equal to old: %v", rotated, fresh == old)
			}
			got, _ := s.WebhookSourceSecrets(ctx, src.ID)
			if diff := cmp.Diff([]string{fresh, old}, got); diff != "" {
				t.Errorf("secrets during overlap (-want +got):\n%s", diff)
			}
			clk.Advance(time.Hour + time.Second)
			got, _ = s.WebhookSourceSecrets(ctx, src.ID)
			if diff := cmp.Diff([]string{fresh}, got); diff != "" {
				t.Errorf("secrets after overlap (-want +got):\n%s", diff)
			}
			if after, _ := s.WebhookSource(ctx, src.ID); after.PreviousSecretUntil != nil {
				t.Errorf("an ended overlap is still shown: %v", after.PreviousSecretUntil)
			}
			third, err3 := rotateNow(s, src.ID)
			if err3 != nil {
				t.Fatal(err3)
			}
			got, _ = s.WebhookSourceSecrets(ctx, src.ID)
			if diff := cmp.Diff([]string{third}, got); diff != "" {
				t.Errorf("a rotation without overlap keeps an old secret (-want +got):\n%s", diff)
			}
		})

		t.Run("list, get and delete", func(t *testing.T) {
			items, next, err := s.WebhookSources(ctx, models.Page{Limit: 1})
			if err != nil || len(items) != 1 || items[0].Name != "hubspot" || next == "" {
				t.Fatalf("first page: %v %q %v", items, next, err)
			}
			items, next, err = s.WebhookSources(ctx, models.Page{Limit: 10, Cursor: next})
			if err != nil || len(items) != 1 || items[0].Name != "salesforce" || next != "" {
				t.Fatalf("second page: %v %q %v", items, next, err)
			}
			if err := s.DeleteWebhookSource(ctx, items[0].ID); err != nil {
				t.Fatal(err)
			}
			for name, err := range map[string]error{
				"get":     second(s.WebhookSource(ctx, items[0].ID)),
				"secrets": second(s.WebhookSourceSecrets(ctx, items[0].ID)),
				"delete":  s.DeleteWebhookSource(ctx, items[0].ID),
			} {
				if code := models.ErrorCode(err); code != models.ENOTFOUND {
					t.Errorf("%s after delete: code %q, want not_found", name, code)
				}
			}
		})

		t.Run("creation, rotation and deletion are audited", func(t *testing.T) {
			entries, _, err := s.AuditEntries(ctx, models.AuditFilter{ResourceType: "webhook_source"}, models.Page{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range entries {
				actions = append(actions, e.Action)
			}
			want := []string{"webhook_source.created", "webhook_source.created", "webhook_source.rotated", "webhook_source.rotated", "webhook_source.deleted"}
			if diff := cmp.Diff(want, actions); diff != "" {
				t.Errorf("audit (-want +got):\n%s", diff)
			}
		})
	})
}

func rotateNow(s interface {
	RotateWebhookSource(context.Context, int64, time.Duration) (*models.WebhookSource, string, error)
}, id int64) (string, error) {
	_, secret, err := s.RotateWebhookSource(context.Background(), id, 0)
	return secret, err
}

func second[T any](_ T, err error) error { return err }

// TestWebhookSecretsSurviveSecretKeyRotation follows the documented
// rotation of CANDOR_SECRET_KEY: a source's secret must open at every
// step, including after the previous key is dropped.
func TestWebhookSecretsSurviveSecretKeyRotation(t *testing.T) {
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
		src, want, err := open(oldSecret, "").CreateWebhookSource(ctx, &models.WebhookSourceInput{Name: "crm"})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct{ name, secret, previous string }{
			{"with the old key as previous", newSecret, oldSecret},
			{"after the old key is dropped", newSecret, ""},
		} {
			got, err := open(step.secret, step.previous).WebhookSourceSecrets(ctx, src.ID)
			if err != nil || len(got) != 1 || got[0] != want {
				t.Errorf("%s: secrets %d, %v; want the source's secret", step.name, len(got), err)
			}
		}
	})
}

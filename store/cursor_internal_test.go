package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// openInternal returns a migrated store on backend for tests inside the
// package, closed when the test ends.
func openInternal(t *testing.T, backend string) *Store {
	t.Helper()
	keys, err := secrets.New("candor-store-internal-tests-fixed-secret-0123456789", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), Options{
		DatabaseURL: testenv.BackendURL(t, backend),
		SQLitePath:  testenv.SQLitePath(t),
		Keys:        keys,
		Rules:       segment.Language{},
	})
	if err != nil {
		t.Fatalf("open %s store: %v", backend, err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s store: %v", backend, err)
	}
	return s
}

// readAll pages through a list with one limit and returns every key it
// got, in order, and the number of pages it took.
func readAll[K int64 | string](t *testing.T, limit int, page func(p models.Page) ([]K, string, error)) ([]K, int) {
	t.Helper()
	var got []K
	cursor, pages := "", 0
	for {
		items, next, err := page(models.Page{Limit: limit, Cursor: cursor})
		if err != nil {
			t.Fatalf("limit %d, page %d: %v", limit, pages+1, err)
		}
		pages++
		if len(items) > limit || (next != "" && len(items) != limit) {
			t.Fatalf("limit %d, page %d: %d items, next %q", limit, pages, len(items), next)
		}
		got = append(got, items...)
		if next == "" {
			return got, pages
		}
		if pages > 100 {
			t.Fatalf("limit %d: no last page after %d pages", limit, pages)
		}
		cursor = next
	}
}

func TestPageBy(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			s := openInternal(t, backend)
			ctx := context.Background()
			// Ids are paged among rows the query's own filter leaves out.
			var ids []int64
			for i := range 14 {
				row := eventRow{Type: "keep", Data: "{}", CreatedAt: time.Now().UTC()}
				if i%2 == 1 {
					row.Type = "skip"
				}
				if err := s.db.Create(&row).Error; err != nil {
					t.Fatal(err)
				}
				if row.Type == "keep" {
					ids = append(ids, row.ID)
				}
			}
			keys := []string{"alpha", "beta", "delta", "epsilon", "gamma", "zeta", "zz"}
			for i, k := range slices.Backward(keys) {
				row := topicRow{Key: k, Name: fmt.Sprint("Topic ", i), CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
				if err := s.db.Create(&row).Error; err != nil {
					t.Fatal(err)
				}
			}
			eventPage := func(p models.Page) ([]int64, string, error) {
				ks, err := idPage(p)
				if err != nil {
					return nil, "", err
				}
				q := s.db.WithContext(ctx).Where("type = ?", "keep")
				evs, next, err := pageBy(q, ks, "Events", func(r eventRow) int64 { return r.ID }, infallible((*eventRow).model))
				var out []int64
				for _, e := range evs {
					out = append(out, e.ID)
				}
				return out, next, err
			}
			topicPage := func(p models.Page) ([]string, string, error) {
				ks, err := keyPage("key", p)
				if err != nil {
					return nil, "", err
				}
				q := s.db.WithContext(ctx).Where("key IN ?", keys) // not the seeded topics
				ts, next, err := pageBy(q, ks, "Topics", func(r topicRow) string { return r.Key }, infallible((*topicRow).model))
				var out []string
				for _, tp := range ts {
					out = append(out, tp.Key)
				}
				return out, next, err
			}

			t.Run("every limit reads every row once, in order", func(t *testing.T) {
				for limit := 1; limit <= len(ids)+1; limit++ {
					got, pages := readAll(t, limit, eventPage)
					if !slices.Equal(got, ids) {
						t.Errorf("ids, limit %d = %v, want %v", limit, got, ids)
					}
					if want := max(1, (len(ids)+limit-1)/limit); pages != want {
						t.Errorf("ids, limit %d: %d pages, want %d", limit, pages, want)
					}
				}
				for limit := 1; limit <= len(keys)+1; limit++ {
					got, _ := readAll(t, limit, topicPage)
					if !slices.Equal(got, keys) {
						t.Errorf("keys, limit %d = %v, want %v", limit, got, keys)
					}
				}
			})

			t.Run("cursors are base64url of the last id or key", func(t *testing.T) {
				_, next, err := eventPage(models.Page{Limit: 2})
				if want := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(ids[1], 10))); err != nil || next != want {
					t.Errorf("id cursor = %q, %v; want %q", next, err, want)
				}
				_, next, err = topicPage(models.Page{Limit: 2})
				if want := base64.RawURLEncoding.EncodeToString([]byte("beta")); err != nil || next != want {
					t.Errorf("key cursor = %q, %v; want %q", next, err, want)
				}
			})

			t.Run("a bad cursor is EINVALID", func(t *testing.T) {
				b64 := base64.RawURLEncoding.EncodeToString
				for _, c := range []string{"!!", "=", b64([]byte("x")), b64([]byte("0")), b64([]byte("-3")), b64([]byte("1\x00"))} {
					_, _, err := eventPage(models.Page{Cursor: c})
					if models.ErrorCode(err) != models.EINVALID {
						t.Errorf("id cursor %q: err = %v, want EINVALID", c, err)
					}
				}
				for _, c := range []string{"!!", b64([]byte("a\x00")), b64([]byte{0xff})} {
					_, _, err := topicPage(models.Page{Cursor: c})
					if models.ErrorCode(err) != models.EINVALID {
						t.Errorf("key cursor %q: err = %v, want EINVALID", c, err)
					}
				}
			})
		})
	}
}

func TestPageLimits(t *testing.T) {
	for _, tt := range []struct{ asked, want int }{
		{0, models.DefaultPageLimit}, {-1, models.DefaultPageLimit}, {1, 1},
		{models.MaxPageLimit, models.MaxPageLimit}, {models.MaxPageLimit + 1, models.MaxPageLimit},
	} {
		ks, err := idPage(models.Page{Limit: tt.asked})
		if err != nil || ks.limit != tt.want || ks.after != 0 || ks.column != "id" {
			t.Errorf("idPage(limit %d) = %+v, %v; want limit %d", tt.asked, ks, err, tt.want)
		}
	}
}

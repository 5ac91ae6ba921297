package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// TestOwnersMigration upgrades a database with keys and content across
// 00010: each existing key gets an owner of its own derived from it, and
// existing content remembers its last editor's owner.
func TestOwnersMigration(t *testing.T) {
	for _, backend := range testenv.Backends() {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			keys, err := secrets.New("candor-store-tests-fixed-secret-0123456789", "")
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(ctx, Options{DatabaseURL: testenv.BackendURL(t, backend), SQLitePath: testenv.SQLitePath(t), Keys: keys, Rules: segment.Language{}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			p, err := s.migrationProvider(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 9); err != nil {
				t.Fatal(err)
			}
			db := s.db.WithContext(ctx)
			now := s.now()
			for i, name := range []string{"ops laptop", "reviewer"} {
				err := db.Exec("INSERT INTO api_keys (name, role, prefix, hash, created_at) VALUES (?, 'admin', 'cnd_x', ?, ?)",
					name, fmt.Sprintf("hash%d", i), now).Error
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Exec("INSERT INTO topics (key, name, description, created_at, updated_at) VALUES ('t', 'T', '', ?, ?)", now, now).Error; err != nil {
				t.Fatal(err)
			}
			err = db.Exec(`INSERT INTO content (kind, topic, state, version, approved_version, revision, body, edited_by, created_at, updated_at)
				VALUES ('education', 't', 'in_review', 1, 0, 1, '{}', 1, ?, ?)`, now, now).Error
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatal(err)
			}
			list, err := s.APIKeys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, k := range list {
				got[k.OwnerName] = k.OwnerEmail
			}
			want := map[string]string{"ops laptop": "key-1@legacy.invalid", "reviewer": "key-2@legacy.invalid"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("owners after 00010 = %v, want %v", got, want)
			}
			var owners string
			if err := db.Raw("SELECT editor_owners FROM content").Scan(&owners).Error; err != nil {
				t.Fatal(err)
			}
			if owners != `["key-1@legacy.invalid"]` {
				t.Errorf("editor_owners = %s", owners)
			}
			_, err = s.ApproveContent(ctx, 1, &models.Approval{ApprovedBy: 1}, func(*models.Content) []models.Finding { return nil })
			if models.ErrorCode(err) != models.EFORBIDDEN {
				t.Errorf("the legacy editor approving its own content: %v", err)
			}
		})
	}
}

package store

import (
	"context"
	"testing"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// TestSQLiteNotNullKeysMigration upgrades an SQLite database that holds
// customers, consents, content, a suppression and key material across
// 00008, which rebuilds the text-keyed tables, and checks that every row
// and every foreign key survives and that NULL keys are refused after it.
func TestSQLiteNotNullKeysMigration(t *testing.T) {
	ctx := context.Background()
	keys, err := secrets.New("candor-store-tests-fixed-secret-0123456789", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{SQLitePath: testenv.SQLitePath(t), Keys: keys, Rules: segment.Language{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.migrationProvider(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if err := s.InstallFingerprintKey(ctx); err != nil {
		t.Fatal(err)
	}
	in := &models.CustomerInput{ExternalID: "c1", Email: "c1@example.com", PreferredChannel: models.ChannelEmail}
	if _, _, err := s.PutCustomer(ctx, in); err != nil {
		t.Fatal(err)
	}
	// A consent, written directly: today's SetConsent writes the keyed
	// ledger of migration 00011, which this schema lacks.
	cust, err := liveCustomer(s.db, "c1")
	if err != nil {
		t.Fatal(err)
	}
	legacy := models.ConsentEvent{CustomerID: cust.ID, Seq: 1, Topic: "pricing-guides", Status: models.ConsentOptedIn,
		Source: models.SourceAPI, CreatedAt: s.now()}
	legacy.Hash = legacy.ComputeHash()
	err = s.db.Exec("INSERT INTO consent_events (customer_id, seq, topic, status, source, created_at, prev_hash, hash) VALUES (?, 1, 'pricing-guides', 'opted_in', 'api', ?, '', ?)",
		cust.ID, legacy.CreatedAt, legacy.Hash).Error
	if err == nil {
		err = s.db.Exec("UPDATE customers SET consent_seq = 1 WHERE id = ?", cust.ID).Error
	}
	if err == nil {
		err = s.db.Exec("INSERT INTO consents (customer_id, topic, status, source, seq, updated_at) VALUES (?, 'pricing-guides', 'opted_in', 'api', 1, ?)",
			cust.ID, s.now()).Error
	}
	if err != nil {
		t.Fatal(err)
	}
	// An erasure's suppression row, written directly: today's erasure
	// also touches columns of later migrations, which this schema lacks.
	if err := s.db.Exec("INSERT INTO suppressions (fingerprint, kind, created_at) VALUES (?, 'email', ?)",
		keys.Fingerprint("email", "c1@example.com"), s.now()).Error; err != nil {
		t.Fatal(err)
	}
	count := func(table string) int64 {
		t.Helper()
		var n int64
		if err := s.db.Raw("SELECT count(*) FROM " + table).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	tables := []string{"topics", "suppressions", "key_material", "consents", "consent_events", "customers"}
	before := map[string]int64{}
	for _, table := range tables {
		before[table] = count(table)
	}
	if before["suppressions"] == 0 || before["key_material"] == 0 || before["consents"] == 0 {
		t.Fatalf("the fixture should fill every rebuilt table: %v", before)
	}

	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate to the latest version: %v", err)
	}
	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"every row is still there", func(t *testing.T) {
			for _, table := range tables {
				if n := count(table); n != before[table] {
					t.Errorf("%s has %d rows, had %d", table, n, before[table])
				}
			}
		}},
		{"every foreign key still holds", func(t *testing.T) {
			var bad []map[string]any
			if err := s.db.Raw("PRAGMA foreign_key_check").Scan(&bad).Error; err != nil || len(bad) > 0 {
				t.Errorf("foreign_key_check = %v (err %v)", bad, err)
			}
		}},
		{"a NULL key is refused", func(t *testing.T) {
			for _, q := range []string{
				"INSERT INTO topics (key, name, created_at, updated_at) VALUES (NULL, 'x', '2026-01-01', '2026-01-01')",
				"INSERT INTO suppressions (fingerprint, kind, created_at) VALUES (NULL, 'email', '2026-01-01')",
				"INSERT INTO key_material (purpose, sealed, created_at, updated_at) VALUES (NULL, x'00', '2026-01-01', '2026-01-01')",
			} {
				if err := s.db.Exec(q).Error; err == nil {
					t.Errorf("%s: no error", q)
				}
			}
		}},
		{"the ledger verifies once adopted into the keyed ledger", func(t *testing.T) {
			if events, rows, err := s.AdoptLedger(ctx); err != nil || events != 1 || rows != 1 {
				t.Fatalf("AdoptLedger = %d events, %d rows, %v; want 1, 1", events, rows, err)
			}
			var id int64
			if err := s.db.Raw("SELECT id FROM customers").Scan(&id).Error; err != nil {
				t.Fatal(err)
			}
			l, err := s.ConsentLedger(ctx, id)
			if err != nil || !l.Chain.Verified {
				t.Errorf("ledger = %+v (err %v)", l, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}

package store

import (
	"context"
	"encoding/json"
	"testing"
)

// TestAdoptionSealsAPageWithoutScanningConsents: adoption runs right after
// rows were loaded without the ledger key, when PostgreSQL's statistics
// describe the table as it was before the load. Each page's UPDATE was then
// joined to a sequential scan of the whole consents table (a hash join, or
// a nested loop running the scan once per row): adoption read the table
// once per 2,000 rows, and the 100,000-customer send benchmark spent over
// ten minutes in it. The page's statement now reads only its own id range.
func TestAdoptionSealsAPageWithoutScanningConsents(t *testing.T) {
	onPostgres(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, q := range []string{
			// Autovacuum must not refresh the statistics behind the test's back.
			"ALTER TABLE consents SET (autovacuum_enabled = false)",
			"INSERT INTO topics (key, name, created_at, updated_at) VALUES ('adopt-plan', 'Adopt plan', now(), now())",
			"INSERT INTO customers (external_id, created_at, updated_at) SELECT 'plan-' || g, now(), now() FROM generate_series(1, 20000) g",
			// A few sealed rows when the statistics were taken...
			"INSERT INTO consents (customer_id, topic, status, source, seq, updated_at, mac) SELECT id, 'adopt-plan', 'opted_in', 'api', 0, now(), 'sealed' FROM customers ORDER BY id LIMIT 500",
			"ANALYZE consents",
			// ...then a bulk load without the key.
			"INSERT INTO consents (customer_id, topic, status, source, seq, updated_at) SELECT id, 'adopt-plan', 'opted_in', 'api', 0, now() FROM customers ORDER BY id OFFSET 500",
		} {
			if err := s.db.Exec(q).Error; err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var first int64
		if err := s.db.Raw("SELECT min(id) + 1000 FROM customers").Row().Scan(&first); err != nil {
			t.Fatal(err)
		}
		values := make([]string, adoptPage)
		args := make([]any, 0, 7*adoptPage)
		for i := range values {
			values[i] = "(?::bigint, ?, ?::bigint, ?, ?, ?, ?)"
			args = append(args, first+int64(i), "adopt-plan", int64(0), "opted_in", "k", "h", "m")
		}
		args = append(args, first, first+adoptPage-1)
		var raw string
		if err := s.db.Raw("EXPLAIN (FORMAT JSON) "+sealConsentsSQL(values), args...).Row().Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var plans []struct{ Plan adoptPlanNode }
		if err := json.Unmarshal([]byte(raw), &plans); err != nil {
			t.Fatal(err)
		}
		if plans[0].Plan.scansConsents() {
			t.Errorf("a page of adoption reads the whole consents table: %s", raw)
		}
		if err := s.analyzeForAdoption(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

type adoptPlanNode struct {
	Type     string          `json:"Node Type"`
	Relation string          `json:"Relation Name"`
	Plans    []adoptPlanNode `json:"Plans"`
}

// scansConsents reports a sequential scan of consents anywhere in the plan.
func (n *adoptPlanNode) scansConsents() bool {
	if n.Type == "Seq Scan" && n.Relation == "consents" {
		return true
	}
	for i := range n.Plans {
		if n.Plans[i].scansConsents() {
			return true
		}
	}
	return false
}

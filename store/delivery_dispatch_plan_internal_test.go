package store

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/internal/testenv"
)

// TestDispatchPageStartsAtItsPosition: every delivery of a campaign whose
// windows open at one minute shares one scheduled time, so the dispatcher's
// position within that time is the id. With an index on the time alone each
// page walked every entry of the time before the position, the row versions
// of deliveries claimed and sent since included (they stay in the index
// until a vacuum), and with the campaign's state in the statement the
// planner sorted every due delivery for each page: the 100,000-message
// send benchmark spent 16 s of PostgreSQL time in those reads. A page of
// 10 must cost what 10 rows cost, wherever it starts. (This fixture is
// too small to show the walk of the old index; the benchmark shows it.)
func TestDispatchPageStartsAtItsPosition(t *testing.T) {
	onPostgres(t, func(t *testing.T, s *Store) {
		db := s.db.WithContext(context.Background())
		now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		at := now.Add(time.Minute)
		planFixture(t, db, "dispatch", 5010, now, at)
		// A page of 10 from the start, nothing sent yet, and one after
		// the first 5,000 were handed on, claimed and sent.
		fresh := dispatchPageVisits(t, s, at, 0)
		if err := db.Exec(`UPDATE deliveries SET status = 'sent', sent_at = ?, updated_at = ?
			WHERE id IN (SELECT id FROM deliveries ORDER BY id LIMIT 5000)`, at, at).Error; err != nil {
			t.Fatal(err)
		}
		var last int64
		if err := db.Raw("SELECT id FROM deliveries ORDER BY id OFFSET 4999 LIMIT 1").Row().Scan(&last); err != nil {
			t.Fatal(err)
		}
		after := dispatchPageVisits(t, s, at, last)
		// Read in index order, a row costs a few buffer visits (index,
		// heap, campaign): 23 for either page. Before the fix the page
		// from the start visited 98: the statement filtered on the
		// campaign's state, the planner expected few rows to pass and
		// joined and sorted every due delivery.
		for _, c := range []struct {
			page   string
			visits int64
		}{{"from the start", fresh}, {"after 5,000 sent deliveries", after}} {
			if c.visits > 60 {
				t.Errorf("a page of 10 %s visited %d buffers, want at most 60", c.page, c.visits)
			}
		}
	})
}

// dispatchPageVisits runs the dispatcher's PostgreSQL read of 10 deliveries
// due at at after the position (at, id) and returns the buffers it visited.
func dispatchPageVisits(t *testing.T, s *Store, at time.Time, id int64) int64 {
	t.Helper()
	visits, rows := explainVisits(t, s.db, dueDeliveriesPostgres, at, at, id, 10)
	if rows != 10 {
		t.Fatalf("the page after delivery %d has %d rows, want 10", id, rows)
	}
	return visits
}

// onPostgres runs fn on a store of its own on PostgreSQL, and skips
// without one: the tests that use it ask about PostgreSQL's plans.
func onPostgres(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	if !slices.Contains(testenv.Backends(), testenv.Postgres) {
		t.Skip("a query plan question of PostgreSQL (" + testenv.EnvDatabaseURL + ")")
	}
	t.Run(testenv.Postgres, func(t *testing.T) { fn(t, openInternal(t, testenv.Postgres)) })
}

// explainVisits runs sql with args under EXPLAIN (ANALYZE, BUFFERS) on db
// and returns the buffers its plan visited and the rows it returned.
func explainVisits(t *testing.T, db *gorm.DB, sql string, args ...any) (visits, rows int64) {
	t.Helper()
	var raw string
	if err := db.Raw("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+sql, args...).Row().Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var plans []struct {
		Plan struct {
			Rows int64 `json:"Actual Rows"`
			Hit  int64 `json:"Shared Hit Blocks"`
			Read int64 `json:"Shared Read Blocks"`
		}
	}
	if err := json.Unmarshal([]byte(raw), &plans); err != nil {
		t.Fatal(err)
	}
	p := plans[0].Plan
	return p.Hit + p.Read, p.Rows
}

// planFixture writes what a launch of n deliveries due at at leaves on
// PostgreSQL (launchRows) and analyzes deliveries as a launch of 10,000 or
// more does (launchAnalyze): the statistics then say every delivery is
// planned, and the dispatcher's statements are planned on what a launch
// leaves.
func planFixture(t *testing.T, db *gorm.DB, name string, n int, now, at time.Time) {
	t.Helper()
	launchRows(t, db, name, n, now, at)
	if err := db.Exec(launchAnalyze).Error; err != nil {
		t.Fatal(err)
	}
}

// launchRows writes, on db, what a launch of n deliveries due at at writes
// on PostgreSQL, named after name (its topic, campaign and customers).
func launchRows(t *testing.T, db *gorm.DB, name string, n int, now, at time.Time) {
	t.Helper()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO api_keys (name, role, prefix, hash, created_at) VALUES (?, 'admin', ?, ?, ?)", []any{name, "cnd_" + name, "hash-" + name, now}},
		{"INSERT INTO topics (key, name, description, created_at, updated_at) VALUES (?, 'D', '', ?, ?)", []any{name + "-plan", now, now}},
		{`INSERT INTO content (kind, topic, state, version, approved_version, revision, body, edited_by, created_at, updated_at)
			SELECT 'education', ?, 'approved', 1, 1, 1, '{}', MIN(id), ?, ? FROM api_keys`, []any{name + "-plan", now, now}},
		{`INSERT INTO campaigns (name, content_id, content_version, not_before, not_after, spread, state, created_at, updated_at)
			SELECT ?, MAX(id), 1, ?, ?, FALSE, 'running', ?, ? FROM content`, []any{name, now, now.Add(24 * time.Hour), now, now}},
		{"INSERT INTO customers (external_id, created_at, updated_at) SELECT ? || g, ?, ? FROM generate_series(1, ?) g", []any{name + "-", now, now, n}},
		{`INSERT INTO deliveries (campaign_id, customer_id, channel, locale, content_id, content_version, scheduled_at, status, created_at, updated_at)
			SELECT (SELECT MAX(id) FROM campaigns), id, 'webhook', 'en', (SELECT MAX(id) FROM content), 1, ?, 'planned', ?, ?
			FROM customers WHERE external_id LIKE ? ORDER BY id`, []any{at, now, now, name + "-%"}},
	} {
		if err := db.Exec(q.sql, q.args...).Error; err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
}

package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// marker is written into every free-text field and the external id of
// the customer to erase; nothing may hold it afterwards.
const marker = "zq7marker"

// TestErasureLeavesNoMarkerInAFullDump reproduces issue 15's finding 4:
// evidence text and an external id that is an email address survived
// erasure. It fills every field a customer's data reaches (profile,
// consent evidence, outbox events, a delivery, an outbox message, the
// export's audit row), erases, dumps the whole database and looks for
// the marker.
func TestErasureLeavesNoMarkerInAFullDump(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		dbURL, path := testenv.BackendURL(t, backend), testenv.SQLitePath(t)
		clk := newClock()
		s, err := store.Open(ctx, store.Options{DatabaseURL: dbURL, SQLitePath: path, Keys: testKeys(t),
			Rules: segment.Language{}, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		f := &campaignFixture{t: t, s: s, clk: clk, editor: mustKey(t, s, "editor", models.RoleEditor), admin: mustKey(t, s, "admin", models.RoleAdmin)}
		ext := marker + ".crm@example.com"
		f.customer(ext, "g", false, func(in *models.CustomerInput) {
			in.Email, in.Name = marker+"@example.com", "Mallory "+marker
			in.Attributes = map[string]any{"group": "g", "main": "yes", "note": marker + " likes tea"}
			in.PreferredWindows = []models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "00:00", End: "24:00"}}
		})
		for _, status := range []models.ConsentStatus{models.ConsentOptedIn, models.ConsentOptedOut, models.ConsentOptedIn} {
			_, _, err := s.SetConsent(ctx, ext, campaignTopic, &models.ConsentInput{Status: status, Source: models.SourceCRM,
				Evidence: models.Evidence{Text: "Mallory " + marker + " <" + marker + "@example.com> ticked the box",
					FormVersion: marker + "-form", IP: "203.0.113.9", UserAgent: marker + "-agent/1.0"}})
			if err != nil {
				t.Fatal(err)
			}
		}
		camp := f.campaign(f.approved(contentInput()), f.segment("g"))
		if _, err := s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil {
			t.Fatal(err)
		}
		var deliveryID int64
		if err := s.DB().Raw("SELECT id FROM deliveries WHERE campaign_id = ?", camp.ID).Scan(&deliveryID).Error; err != nil || deliveryID == 0 {
			t.Fatalf("no delivery was planned (%v)", err)
		}
		err = s.AddOutboxMessage(ctx, &models.OutboxMessage{DeliveryID: deliveryID, Channel: models.ChannelEmail, Recipient: ext,
			Subject: "Hello Mallory " + marker, Text: "Dear " + marker, HTML: "<p>Dear " + marker + "</p>",
			Headers: map[string]string{"To": marker + "@example.com"}, Raw: "To: " + marker + "@example.com\r\n\r\nDear " + marker})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CustomerExport(ctx, ext); err != nil {
			t.Fatal(err)
		}
		if dump := dumpDatabase(t, s, dbURL, path); !strings.Contains(strings.ToLower(dump), marker) {
			t.Fatal("the marker is not in the dump before erasure: the dump does not see the data")
		}
		id := mustCustomerID(t, s, ext)

		if err := s.EraseCustomer(ctx, ext); err != nil {
			t.Fatal(err)
		}

		t.Run("no table holds the marker", func(t *testing.T) {
			dump := strings.ToLower(dumpDatabase(t, s, dbURL, path))
			if i := strings.Index(dump, marker); i >= 0 {
				t.Errorf("the dump still holds the marker: ...%s...", dump[max(0, i-200):min(len(dump), i+100)])
			}
		})
		t.Run("the erased customer's ledger still verifies", func(t *testing.T) {
			l, err := s.ConsentLedger(ctx, id)
			if err != nil || !l.Chain.Verified || len(l.History) != 3 {
				t.Fatalf("ledger chain %+v (%v)", l.Chain, err)
			}
			if ev := l.History[0].Evidence; ev.Text != "" || ev.TextDigest == "" || ev.FormVersionDigest == "" {
				t.Errorf("evidence after erasure = %+v, want only digests", ev)
			}
			if rep := verifyLedger(t, s); !rep.OK() {
				t.Errorf("ledger after erasure: %s", problemsOf(rep))
			}
		})
		t.Run("the events name the customer by the keyed pseudonym", func(t *testing.T) {
			evs, err := s.Events(ctx, 0, models.MaxPageLimit)
			if err != nil {
				t.Fatal(err)
			}
			want := s.ErasedPseudonym(ext)
			n := 0
			for _, e := range evs {
				if e.CustomerID != nil && *e.CustomerID == id {
					var data struct {
						ExternalID string `json:"external_id"`
					}
					if err := json.Unmarshal(e.Data, &data); err != nil || data.ExternalID != want {
						t.Errorf("%s event data %s, want %s", e.Type, e.Data, want)
					}
					n++
				}
			}
			if n < 5 {
				t.Errorf("%d events of the customer, want at least 5 (created, 3 consents, erased)", n)
			}
		})
	})
}

// dumpDatabase returns the whole database as text: pg_dump of the test's
// schema on PostgreSQL, the sqlite3 shell's .dump on SQLite, or, where the
// tool is not installed, every column of every row of every table read
// with SQL.
func dumpDatabase(t *testing.T, s *store.Store, dbURL, sqlitePath string) string {
	t.Helper()
	if dbURL != "" {
		if _, err := exec.LookPath("pg_dump"); err == nil {
			u, err := url.Parse(dbURL)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			schema := q.Get("search_path")
			q.Del("search_path")
			u.RawQuery = q.Encode()
			out, err := exec.Command("pg_dump", "--schema="+schema, "--no-owner", u.String()).Output()
			if err != nil {
				t.Fatalf("pg_dump: %v", err)
			}
			return string(out)
		}
	} else if _, err := exec.LookPath("sqlite3"); err == nil {
		out, err := exec.Command("sqlite3", sqlitePath, ".dump").Output()
		if err != nil {
			t.Fatalf("sqlite3 .dump: %v", err)
		}
		return string(out)
	}
	return sqlDump(t, s)
}

// sqlDump reads every column of every row of every table.
func sqlDump(t *testing.T, s *store.Store) string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if s.Dialect() == store.DialectPostgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	}
	var tables []string
	if err := s.DB().Raw(q).Scan(&tables).Error; err != nil || len(tables) == 0 {
		t.Fatalf("list tables: %v %v", tables, err)
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := s.DB().Raw(`SELECT * FROM "` + table + `"`).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if raw, ok := v.([]byte); ok {
					v = string(raw)
				}
				fmt.Fprintf(&b, "%v\t", v)
			}
			b.WriteString("\n")
		}
		rows.Close()
	}
	return b.String()
}

package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

func TestPutCustomer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)

		in := customerInput("cus-1")
		c, created, err := s.PutCustomer(ctx, in)
		if err != nil || !created {
			t.Fatalf("create: created=%v err=%v", created, err)
		}
		created0 := clk.Now().UTC().Truncate(time.Microsecond)
		want := &models.Customer{
			ID: c.ID, ExternalID: "cus-1", Email: "cus-1@example.com", Phone: "+14155550123",
			Name: "Ada Lovelace", Locale: "en-GB", Timezone: "Europe/London",
			PreferredChannel: models.ChannelEmail, PreferredWindows: in.PreferredWindows,
			Cadence: &models.Cadence{Max: 4, Per: "30d"}, Attributes: map[string]any{"plan": "pro", "seats": float64(12)},
			PreferenceVersion: 1, CreatedAt: created0, UpdatedAt: created0,
		}
		if diff := cmp.Diff(want, c); diff != "" {
			t.Fatalf("created customer (-want +got):\n%s", diff)
		}
		got, err := s.Customer(ctx, "cus-1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("read back (-want +got):\n%s", diff)
		}

		tests := []struct {
			name        string
			change      func(in *models.CustomerInput)
			wantVersion int
		}{
			{"a name change keeps the preference version", func(in *models.CustomerInput) { in.Name = "Ada King" }, 1},
			{"a channel change bumps the preference version", func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelSMS }, 2},
			{"a window change bumps the preference version", func(in *models.CustomerInput) {
				in.PreferredChannel = models.ChannelSMS
				in.PreferredWindows = []models.Window{{Days: []string{"sat"}, Start: "10:00", End: "24:00"}}
			}, 3},
			{"dropping the cadence bumps the preference version and clears omitted fields", func(in *models.CustomerInput) {
				in.PreferredChannel = models.ChannelSMS
				in.PreferredWindows = []models.Window{{Days: []string{"sat"}, Start: "10:00", End: "24:00"}}
				in.Cadence, in.Email, in.Attributes, in.Locale = nil, "", nil, ""
			}, 4},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				clk.Advance(time.Minute)
				in := customerInput("cus-1")
				tt.change(in)
				c, created, err := s.PutCustomer(ctx, in)
				if err != nil || created {
					t.Fatalf("update: created=%v err=%v", created, err)
				}
				if c.PreferenceVersion != tt.wantVersion {
					t.Errorf("preference version = %d, want %d", c.PreferenceVersion, tt.wantVersion)
				}
				got, err := s.Customer(ctx, "cus-1")
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(c, got); diff != "" {
					t.Errorf("read back differs from returned customer (-returned +read):\n%s", diff)
				}
				if !got.CreatedAt.Equal(created0) || !got.UpdatedAt.Equal(clk.Now().UTC().Truncate(time.Microsecond)) {
					t.Errorf("timestamps created=%v updated=%v", got.CreatedAt, got.UpdatedAt)
				}
				if in.Email == "" && (got.Email != "" || len(got.Attributes) != 0 || got.Cadence != nil || got.Locale != "") {
					t.Errorf("omitted fields were not cleared: %+v", got)
				}
			})
		}

		t.Run("each write leaves one outbox event without PII", func(t *testing.T) {
			evs, err := s.Events(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			types := []string{}
			for _, e := range evs {
				types = append(types, string(e.Type))
				if strings.Contains(string(e.Data), "@") || strings.Contains(string(e.Data), "Ada") {
					t.Errorf("event %s data holds PII: %s", e.Type, e.Data)
				}
			}
			wantTypes := []string{"customer.created", "customer.updated", "customer.updated", "customer.updated", "customer.updated"}
			if diff := cmp.Diff(wantTypes, types); diff != "" {
				t.Errorf("event types (-want +got):\n%s", diff)
			}
			var data map[string]any
			if err := json.Unmarshal(evs[len(evs)-1].Data, &data); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]any{"external_id": "cus-1", "preference_version": float64(4)}, data); diff != "" {
				t.Errorf("event data (-want +got):\n%s", diff)
			}
		})
	})
}

func TestPutCustomerRejectsInvalidInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		s := mustOpen(t, backend)
		tests := []struct {
			name  string
			in    *models.CustomerInput
			field string
		}{
			{"a missing input is invalid", nil, ""},
			{"an sms preference without a phone is invalid", func() *models.CustomerInput {
				in := customerInput("x")
				in.Phone, in.PreferredChannel = "", models.ChannelSMS
				return in
			}(), "/phone"},
			{"an unknown time zone is invalid", func() *models.CustomerInput {
				in := customerInput("x")
				in.Timezone = "Mars/Olympus"
				return in
			}(), "/timezone"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := s.PutCustomer(context.Background(), tt.in)
				wantCode(t, err, models.EINVALID)
				if tt.field != "" {
					fields := models.ErrorFields(err)
					if len(fields) == 0 || fields[0].Field != tt.field {
						t.Errorf("fields = %+v, want %s", fields, tt.field)
					}
				}
			})
		}
		if types := eventTypes(t, s); len(types) != 0 {
			t.Errorf("invalid input wrote events %v", types)
		}
	})
}

func TestConcurrentPutsOfANewCustomerAllSucceed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		s := mustOpen(t, backend)
		const n = 10
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			created int
			errs    []error
		)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				in := customerInput("racer")
				in.Name = fmt.Sprintf("Racer %d", i)
				_, c, err := s.PutCustomer(context.Background(), in)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				if c {
					created++
				}
			}(i)
		}
		wg.Wait()
		if len(errs) > 0 || created != 1 {
			t.Fatalf("created %d times, errors %v; want exactly one creation and no error", created, errs)
		}
		items, _, err := s.Customers(context.Background(), models.Page{})
		if err != nil || len(items) != 1 {
			t.Fatalf("customers = %d (err %v), want 1", len(items), err)
		}
	})
}

func TestCustomersPagination(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		for i := 1; i <= 5; i++ {
			mustPutCustomer(t, s, customerInput(fmt.Sprintf("c%d", i)))
		}
		if err := s.EraseCustomer(ctx, "c3"); err != nil {
			t.Fatal(err)
		}

		var pages [][]string
		cursor := ""
		for {
			items, next, err := s.Customers(ctx, models.Page{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range items {
				ids = append(ids, c.ExternalID)
			}
			pages = append(pages, ids)
			if next == "" {
				break
			}
			cursor = next
			if len(pages) > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if diff := cmp.Diff([][]string{{"c1", "c2"}, {"c4", "c5"}}, pages); diff != "" {
			t.Errorf("pages skip erased customers and end with an empty cursor (-want +got):\n%s", diff)
		}

		tests := []struct {
			name   string
			cursor string
		}{
			{"a cursor that is not base64url is rejected", "%%%"},
			{"a cursor that is not an id is rejected", "YWJj"},
			{"a negative id cursor is rejected", "LTE"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := s.Customers(ctx, models.Page{Cursor: tt.cursor})
				wantCode(t, err, models.EINVALID)
				want := []models.FieldError{{Field: "cursor", Rule: "cursor"}}
				if diff := cmp.Diff(want, models.ErrorFields(err), cmpopts.IgnoreFields(models.FieldError{}, "Detail")); diff != "" {
					t.Errorf("field errors (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestEraseCustomer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		orig := mustPutCustomer(t, s, customerInput("gone"))
		mustSetConsent(t, s, "gone", "pricing-guides", models.ConsentOptedIn)

		if err := s.EraseCustomer(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		t.Run("the erased customer is not found by external id or id", func(t *testing.T) {
			_, err := s.Customer(ctx, "gone")
			wantCode(t, err, models.ENOTFOUND)
			_, err = s.CustomerByID(ctx, orig.ID)
			wantCode(t, err, models.ENOTFOUND)
			wantCode(t, s.EraseCustomer(ctx, "gone"), models.ENOTFOUND)
		})
		t.Run("no PII remains in the customer row or the evidence", func(t *testing.T) {
			var row struct {
				ExternalID *string
				Email      string
				Phone      string
				Name       string
				Attributes string
			}
			if err := s.DB().Raw("SELECT external_id, email, phone, name, attributes FROM customers WHERE id = ?", orig.ID).Scan(&row).Error; err != nil {
				t.Fatal(err)
			}
			if row.ExternalID != nil || row.Email != "" || row.Phone != "" || row.Name != "" || row.Attributes != "{}" {
				t.Errorf("erased row still holds data: %+v", row)
			}
			var raw int64
			if err := s.DB().Raw("SELECT count(*) FROM consent_events WHERE customer_id = ? AND (evidence_ip IS NOT NULL OR evidence_user_agent IS NOT NULL OR evidence_salt IS NOT NULL)", orig.ID).Scan(&raw).Error; err != nil {
				t.Fatal(err)
			}
			if raw != 0 {
				t.Errorf("%d consent events keep raw evidence PII", raw)
			}
		})
		t.Run("re-importing the address starts suppressed with no consent", func(t *testing.T) {
			in := customerInput("back")
			in.Email = "GONE@example.com" // fingerprints compare emails case-insensitively
			in.Phone = ""
			c, created, err := s.PutCustomer(ctx, in)
			if err != nil || !created {
				t.Fatalf("re-import: created=%v err=%v", created, err)
			}
			if !c.Suppressed {
				t.Error("re-imported customer is not suppressed")
			}
			l, err := s.Consents(ctx, "back")
			if err != nil {
				t.Fatal(err)
			}
			for _, cur := range l.Current {
				if cur.Status != models.ConsentNone {
					t.Errorf("topic %s status %s, want none", cur.Topic, cur.Status)
				}
			}
		})
		t.Run("the external id is free again and an unrelated address is not suppressed", func(t *testing.T) {
			in := customerInput("gone")
			in.Email, in.Phone = "fresh@example.com", "+14155550999"
			c, created, err := s.PutCustomer(ctx, in)
			if err != nil || !created || c.Suppressed || c.ID == orig.ID {
				t.Fatalf("reuse: created=%v suppressed=%v id=%d err=%v", created, c.Suppressed, c.ID, err)
			}
		})
		t.Run("the outbox records erasure and suppression", func(t *testing.T) {
			want := []string{"customer.created", "consent.changed", "customer.erased", "customer.created", "customer.suppressed", "customer.created"}
			if diff := cmp.Diff(want, eventTypes(t, s)); diff != "" {
				t.Errorf("event types (-want +got):\n%s", diff)
			}
		})
	})
}

func TestCustomerExport(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		c := mustPutCustomer(t, s, customerInput("exp"))
		mustPutCustomer(t, s, customerInput("other"))
		mustSetConsent(t, s, "exp", "product-roadmap", models.ConsentOptedIn)

		x, err := s.CustomerExport(ctx, "exp")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, x.Customer); diff != "" {
			t.Errorf("profile (-want +got):\n%s", diff)
		}
		if len(x.Consents.History) != 1 || !x.Consents.Chain.Verified {
			t.Errorf("consents = %+v", x.Consents)
		}
		var types []string
		for _, e := range x.Events {
			types = append(types, string(e.Type))
		}
		if diff := cmp.Diff([]string{"customer.created", "consent.changed"}, types); diff != "" {
			t.Errorf("only this customer's events (-want +got):\n%s", diff)
		}
		_, err = s.CustomerExport(ctx, "nobody")
		wantCode(t, err, models.ENOTFOUND)
	})
}

func TestFailedWritesLeaveNoEvent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		mustPutCustomer(t, s, customerInput("kept"))
		before := eventTypes(t, s)

		// Without an events table the outbox write fails after the
		// customer row was written; that row must roll back with it.
		breakOutbox(t, s)
		_, _, err := s.PutCustomer(ctx, customerInput("lost"))
		if err == nil {
			t.Fatal("PutCustomer succeeded without an outbox")
		}
		in := &models.ConsentInput{Status: models.ConsentOptedIn, Source: models.SourceAPI}
		if _, _, err := s.SetConsent(ctx, "kept", "product-roadmap", in); err == nil {
			t.Fatal("SetConsent succeeded without an outbox")
		}
		restoreOutbox(t, s)

		_, err = s.Customer(ctx, "lost")
		wantCode(t, err, models.ENOTFOUND)
		l, err := s.Consents(ctx, "kept")
		if err != nil {
			t.Fatal(err)
		}
		if len(l.History) != 0 {
			t.Errorf("consent history = %d events, want 0", len(l.History))
		}
		if diff := cmp.Diff(before, eventTypes(t, s)); diff != "" {
			t.Errorf("events (-before +after):\n%s", diff)
		}
		// The reserved consent seq rolled back too, so the next write
		// still starts the chain at 1.
		mustSetConsent(t, s, "kept", "product-roadmap", models.ConsentOptedIn)
		if l, _ := s.Consents(ctx, "kept"); !l.Chain.Verified {
			t.Errorf("chain after rollback: %+v", l.Chain)
		}
	})
}

func breakOutbox(tb testing.TB, s *store.Store) {
	tb.Helper()
	if err := s.DB().Exec("ALTER TABLE events RENAME TO events_unavailable").Error; err != nil {
		tb.Fatal(err)
	}
}

func restoreOutbox(tb testing.TB, s *store.Store) {
	tb.Helper()
	if err := s.DB().Exec("ALTER TABLE events_unavailable RENAME TO events").Error; err != nil {
		tb.Fatal(err)
	}
}

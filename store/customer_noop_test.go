package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestPutCustomerThatChangesNothingWritesNothing(t *testing.T) {
	tests := []struct {
		name   string
		replay func(in *models.CustomerInput)
	}{
		{"an identical body writes nothing", func(in *models.CustomerInput) {}},
		{"a body equal after normalisation writes nothing", func(in *models.CustomerInput) {
			in.Email = "  same@EXAMPLE.COM "
			in.Name = " Ada Lovelace\t"
			in.Locale = "en-gb"
			in.Timezone = " Europe/London"
		}},
		{"numbers spelled differently but equal write nothing", func(in *models.CustomerInput) {
			in.Attributes = map[string]any{"plan": "pro", "seats": json.Number("1.2e1"), "big": json.Number("9007199254740993")}
		}},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				clk := newClock()
				s := mustOpenWith(t, backend, clk.Now)
				first, created, err := s.PutCustomer(ctx, sameInput())
				if err != nil || !created {
					t.Fatalf("create: created=%v err=%v", created, err)
				}
				clk.Advance(time.Hour)
				in := sameInput()
				tt.replay(in)
				got, created, err := s.PutCustomer(ctx, in)
				if err != nil || created {
					t.Fatalf("replay: created=%v err=%v", created, err)
				}
				if diff := cmp.Diff(first, got); diff != "" {
					t.Errorf("replay answered a different customer (-first +replay):\n%s", diff)
				}
				read, err := s.Customer(ctx, "same")
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(first, read); diff != "" {
					t.Errorf("stored customer moved (-first +stored):\n%s", diff)
				}
				if diff := cmp.Diff([]string{"customer.created"}, eventTypes(t, s)); diff != "" {
					t.Errorf("event types (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestPutCustomerThatChangesOneFieldWritesOneEvent(t *testing.T) {
	tests := []struct {
		name        string
		change      func(in *models.CustomerInput)
		wantVersion int
	}{
		{"a new name is one update that keeps the preference version", func(in *models.CustomerInput) { in.Name = "Ada King" }, 1},
		{"a new time zone is one update that bumps the preference version", func(in *models.CustomerInput) { in.Timezone = "Europe/Paris" }, 2},
		{"an attribute beyond float precision is one update", func(in *models.CustomerInput) {
			in.Attributes = map[string]any{"plan": "pro", "seats": json.Number("12"), "big": json.Number("9007199254740992")}
		}, 1},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				clk := newClock()
				s := mustOpenWith(t, backend, clk.Now)
				mustPutCustomer(t, s, sameInput())
				mustPutCustomer(t, s, sameInput())
				clk.Advance(time.Hour)
				in := sameInput()
				tt.change(in)
				got, created, err := s.PutCustomer(ctx, in)
				if err != nil || created {
					t.Fatalf("update: created=%v err=%v", created, err)
				}
				if got.PreferenceVersion != tt.wantVersion {
					t.Errorf("preference version = %d, want %d", got.PreferenceVersion, tt.wantVersion)
				}
				if want := clk.Now().UTC().Truncate(time.Microsecond); !got.UpdatedAt.Equal(want) {
					t.Errorf("updated_at = %v, want %v", got.UpdatedAt, want)
				}
				if diff := cmp.Diff([]string{"customer.created", "customer.updated"}, eventTypes(t, s)); diff != "" {
					t.Errorf("event types (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestPutCustomerReplayAfterTheAddressWasErasedStillSuppresses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		mustPutCustomer(t, s, sameInput())
		other := sameInput()
		other.ExternalID = "other"
		mustPutCustomer(t, s, other)
		if err := s.EraseCustomer(ctx, "other"); err != nil {
			t.Fatal(err)
		}
		got, _, err := s.PutCustomer(ctx, sameInput())
		if err != nil {
			t.Fatal(err)
		}
		if !got.Suppressed {
			t.Error("replayed customer is not suppressed although its address was erased")
		}
		want := []string{"customer.created", "customer.created", "customer.erased", "customer.updated", "customer.suppressed"}
		if diff := cmp.Diff(want, eventTypes(t, s)); diff != "" {
			t.Errorf("event types (-want +got):\n%s", diff)
		}
	})
}

// sameInput is a customer whose attributes hold an integer beyond float64
// precision, so number comparison must be exact.
func sameInput() *models.CustomerInput {
	in := customerInput("same")
	in.Attributes = map[string]any{"plan": "pro", "seats": json.Number("12"), "big": json.Number("9007199254740993")}
	return in
}

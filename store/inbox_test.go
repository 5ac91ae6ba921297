package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

// parsedBatch parses a batch body, failing the test on a body-level error.
func parsedBatch(tb testing.TB, body string) []models.ParsedEvent {
	tb.Helper()
	events, err := models.ParseInboundBody([]byte(body))
	if err != nil {
		tb.Fatalf("ParseInboundBody: %v", err)
	}
	return events
}

const twoEventBatch = `{"events": [
	{"type": "customer.upserted", "occurred_at": "2025-03-10T09:00:00Z", "data": {"external_id": "crm-1", "email": "a@example.com", "preferred_channel": "email"}},
	{"type": "customer.exploded", "occurred_at": "2025-03-10T09:00:00Z", "data": {"external_id": "crm-2"}}]}`

func TestInbox(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpenWith(t, backend, newClock().Now)
		src, _, err := s.CreateWebhookSource(ctx, &models.WebhookSourceInput{Name: "crm"})
		if err != nil {
			t.Fatal(err)
		}
		var first *models.InboundResult

		t.Run("each event of a batch is stored, a bad one as failed with its reason", func(t *testing.T) {
			first, err = s.AddInboxEvents(ctx, src.ID, "msg_1", parsedBatch(t, twoEventBatch))
			if err != nil {
				t.Fatal(err)
			}
			got := []models.InboundEventResult{{Position: first.Events[0].Position, Status: first.Events[0].Status},
				{Position: first.Events[1].Position, Status: first.Events[1].Status, Error: first.Events[1].Error}}
			want := []models.InboundEventResult{{Position: 0, Status: models.InboxPending},
				{Position: 1, Status: models.InboxFailed, Error: `/type: unknown event type "customer.exploded"`}}
			if diff := cmp.Diff(want, got); diff != "" || first.Duplicate {
				t.Errorf("results (-want +got):\n%s duplicate=%v", diff, first.Duplicate)
			}
		})

		t.Run("a redelivered webhook-id stores nothing and answers the first results", func(t *testing.T) {
			again, err := s.AddInboxEvents(ctx, src.ID, "msg_1", parsedBatch(t, twoEventBatch))
			if err != nil {
				t.Fatal(err)
			}
			if !again.Duplicate || !cmp.Equal(first.Events, again.Events) {
				t.Errorf("redelivery = %+v, want duplicate of %+v", again, first.Events)
			}
			all, _, _ := s.InboxEvents(ctx, src.ID, "", models.Page{Limit: 10})
			if len(all) != 2 {
				t.Errorf("%d events stored, want 2", len(all))
			}
		})

		t.Run("a redelivery with more events than the first stores none of them", func(t *testing.T) {
			longer := `{"events": [` + strings.TrimSuffix(strings.TrimPrefix(twoEventBatch, `{"events": [`), `]}`) +
				`, {"type": "customer.deleted", "occurred_at": "2025-03-10T09:00:00Z", "data": {"external_id": "crm-3"}}]}`
			again, err := s.AddInboxEvents(ctx, src.ID, "msg_1", parsedBatch(t, longer))
			if err != nil {
				t.Fatal(err)
			}
			all, _, _ := s.InboxEvents(ctx, src.ID, "", models.Page{Limit: 10})
			if !again.Duplicate || len(again.Events) != 2 || len(all) != 2 {
				t.Errorf("redelivery = %+v, %d stored; want the first two only", again, len(all))
			}
		})

		t.Run("the failed filter shows the bad event with its payload", func(t *testing.T) {
			failed, _, err := s.InboxEvents(ctx, src.ID, models.InboxFailed, models.Page{Limit: 10})
			if err != nil || len(failed) != 1 {
				t.Fatalf("failed events: %v %v", failed, err)
			}
			if failed[0].Type != "customer.exploded" || failed[0].ExternalID != "crm-2" || !json.Valid(failed[0].Payload) {
				t.Errorf("failed event = %+v", failed[0])
			}
			if _, _, err := s.InboxEvents(ctx, 999, "", models.Page{Limit: 10}); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("unknown source: %v, want not_found", err)
			}
		})

		t.Run("an applied event leaves the pending list and drops its payload", func(t *testing.T) {
			pending, err := s.PendingInboxEvents(ctx, 10)
			if err != nil || len(pending) != 1 || len(pending[0].Payload) == 0 {
				t.Fatalf("pending: %v %v", pending, err)
			}
			if err := s.FinishInboxEvents(ctx, []models.InboxOutcome{{ID: pending[0].ID, Status: models.InboxApplied}}, 3); err != nil {
				t.Fatal(err)
			}
			applied, _, _ := s.InboxEvents(ctx, src.ID, models.InboxApplied, models.Page{Limit: 10})
			if len(applied) != 1 || applied[0].Payload != nil || applied[0].ProcessedAt == nil || applied[0].Attempts != 1 {
				t.Errorf("applied = %+v", applied)
			}
			if again, _ := s.PendingInboxEvents(ctx, 10); len(again) != 0 {
				t.Errorf("still pending: %v", again)
			}
		})

		t.Run("a transient failure is retried until the attempts run out", func(t *testing.T) {
			one := `{"type": "customer.deleted", "occurred_at": "2025-03-10T09:00:00Z", "data": {"external_id": "crm-3"}}`
			if _, err := s.AddInboxEvents(ctx, src.ID, "msg_2", parsedBatch(t, one)); err != nil {
				t.Fatal(err)
			}
			var statuses []models.InboxStatus
			for range 3 {
				pending, _ := s.PendingInboxEvents(ctx, 10)
				if len(pending) != 1 {
					break
				}
				err := s.FinishInboxEvents(ctx, []models.InboxOutcome{{ID: pending[0].ID, Status: models.InboxPending, Error: "database away"}}, 2)
				if err != nil {
					t.Fatal(err)
				}
				ev, _, _ := s.InboxEvents(ctx, src.ID, "", models.Page{Limit: 10})
				statuses = append(statuses, ev[len(ev)-1].Status)
			}
			if diff := cmp.Diff([]models.InboxStatus{models.InboxPending, models.InboxFailed}, statuses); diff != "" {
				t.Errorf("statuses after each failure (-want +got):\n%s", diff)
			}
		})

		t.Run("a watermark only moves forward", func(t *testing.T) {
			t0 := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
			for _, at := range []time.Time{t0, t0.Add(-time.Hour), t0.Add(time.Minute), t0} {
				if err := s.AdvanceInboxWatermark(ctx, "customer:crm-1", at); err != nil {
					t.Fatal(err)
				}
			}
			got, ok, err := s.InboxWatermark(ctx, "customer:crm-1")
			if err != nil || !ok || !got.Equal(t0.Add(time.Minute)) {
				t.Errorf("watermark = %v %v %v, want %v", got, ok, err, t0.Add(time.Minute))
			}
			if _, ok, _ := s.InboxWatermark(ctx, "customer:nobody"); ok {
				t.Error("a key never applied has a watermark")
			}
		})

		t.Run("erasing a customer clears the payloads of their failed events", func(t *testing.T) {
			if _, _, err := s.PutCustomer(ctx, customerInput("crm-2")); err != nil {
				t.Fatal(err)
			}
			if err := s.EraseCustomer(ctx, "crm-2"); err != nil {
				t.Fatal(err)
			}
			failed, _, _ := s.InboxEvents(ctx, src.ID, models.InboxFailed, models.Page{Limit: 10})
			for _, ev := range failed {
				if ev.ExternalID == "crm-2" && ev.Payload != nil {
					t.Errorf("payload kept after erasure: %s", ev.Payload)
				}
			}
		})
	})
}

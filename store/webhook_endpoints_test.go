package store_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// putCustomer creates or changes a customer, writing one customer event.
func putCustomerNamed(t *testing.T, s *store.Store, id, name string) {
	t.Helper()
	if _, _, err := s.PutCustomer(context.Background(), &models.CustomerInput{ExternalID: id, Email: id + "@example.com",
		Name: name, PreferredChannel: models.ChannelEmail}); err != nil {
		t.Fatal(err)
	}
}

// due returns the due messages as "endpoint/type/customer" strings.
func due(t *testing.T, s *store.Store, now time.Time) []*models.WebhookMessage {
	t.Helper()
	msgs, err := s.DueWebhookMessages(context.Background(), now, 500)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestWebhookEndpoints(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)

		putCustomerNamed(t, s, "early", "Early") // before any endpoint: never queued
		clk.Advance(time.Millisecond)
		consents, secret, err := s.CreateWebhookEndpoint(ctx, &models.WebhookEndpointInput{URL: "https://crm.example.com/consents",
			Events: []models.EventType{models.EventCustomerCreated, models.EventCustomerUpdated}, Description: "CRM"})
		if err != nil {
			t.Fatal(err)
		}
		all, _, err := s.CreateWebhookEndpoint(ctx, &models.WebhookEndpointInput{URL: "https://audit.example.com/", Events: []models.EventType{"*"}})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("the secret is a Standard Webhooks secret stored sealed", func(t *testing.T) {
			var sealed []byte
			if err := s.DB().Raw("SELECT secret_sealed FROM webhook_endpoints WHERE id = ?", consents.ID).Row().Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(secret, "whsec_") || bytes.Contains(sealed, []byte(strings.TrimPrefix(secret, "whsec_"))) {
				t.Errorf("secret %q, stored in clear: %v", secret, bytes.Contains(sealed, []byte(secret)))
			}
			targets, err := s.WebhookTargets(ctx, []int64{consents.ID})
			if err != nil || targets[consents.ID].Secret != secret || targets[consents.ID].URL != "https://crm.example.com/consents" {
				t.Errorf("targets = %+v, %v", targets, err)
			}
		})

		t.Run("fan-out queues each event for the enabled endpoints that subscribe to it", func(t *testing.T) {
			clk.Advance(time.Second)
			putCustomerNamed(t, s, "a", "A")
			if _, err := s.CreateTopic(ctx, &models.TopicInput{Key: "news", Name: "News"}); err != nil {
				t.Fatal(err)
			}
			n, err := s.FanOutWebhookEvents(ctx, 1000)
			if err != nil || n == 0 {
				t.Fatalf("fan-out read %d events: %v", n, err)
			}
			if again, err := s.FanOutWebhookEvents(ctx, 1000); err != nil || again != 0 {
				t.Errorf("a second fan-out read %d events (%v), want 0", again, err)
			}
			var got []string
			for _, m := range due(t, s, clk.Now()) {
				got = append(got, endpointName(m.EndpointID, consents.ID)+" "+string(m.Type))
			}
			want := []string{"consents customer.created", "all customer.created"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("queued (-want +got):\n%s", diff)
			}
		})

		t.Run("a customer's later event waits while an earlier one is being retried", func(t *testing.T) {
			putCustomerNamed(t, s, "a", "A2")
			if _, err := s.FanOutWebhookEvents(ctx, 1000); err != nil {
				t.Fatal(err)
			}
			msgs := due(t, s, clk.Now())
			var first *models.WebhookMessage
			for _, m := range msgs {
				if m.EndpointID == consents.ID && m.Type == models.EventCustomerCreated {
					first = m
				}
			}
			now := clk.Now()
			_, err := s.RecordWebhookOutcomes(ctx, []models.WebhookOutcome{{MessageID: first.ID, EndpointID: consents.ID, EventID: first.EventID,
				StatusCode: 500, Error: "answered 500", At: now, Next: now.Add(time.Minute)}}, models.DisablePolicy{Failures: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range due(t, s, clk.Now()) {
				if m.EndpointID == consents.ID {
					t.Errorf("%s of the failing customer is due for the same endpoint", m.Type)
				}
			}
			clk.Advance(time.Minute)
			var types []models.EventType
			for _, m := range due(t, s, clk.Now()) {
				if m.EndpointID == consents.ID {
					types = append(types, m.Type)
				}
			}
			if diff := cmp.Diff([]models.EventType{models.EventCustomerCreated, models.EventCustomerUpdated}, types); diff != "" {
				t.Errorf("due after the retry time (-want +got):\n%s", diff)
			}
		})

		t.Run("delivered messages leave the queue and the attempt log numbers attempts", func(t *testing.T) {
			var outcomes []models.WebhookOutcome
			for _, m := range due(t, s, clk.Now()) {
				outcomes = append(outcomes, models.WebhookOutcome{MessageID: m.ID, EndpointID: m.EndpointID, EventID: m.EventID,
					OK: true, StatusCode: 200, At: clk.Now(), Took: 3 * time.Millisecond})
			}
			if _, err := s.RecordWebhookOutcomes(ctx, outcomes, models.DisablePolicy{Failures: 100}); err != nil {
				t.Fatal(err)
			}
			if left := due(t, s, clk.Now().Add(time.Hour)); len(left) != 0 {
				t.Errorf("%d messages still due", len(left))
			}
			log, _, err := s.WebhookAttempts(ctx, consents.ID, models.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range log {
				got = append(got, a.WebhookID[:4]+" "+strings.Repeat("#", a.Attempt)+" "+map[bool]string{true: "ok", false: "failed"}[a.OK])
			}
			want := []string{"evt_ # failed", "evt_ ## ok", "evt_ # ok"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("attempt log (-want +got):\n%s", diff)
			}
			ep, err := s.WebhookEndpoint(ctx, consents.ID)
			if err != nil || ep.ConsecutiveFailures != 0 || ep.FailingSince != nil {
				t.Errorf("after a success the run of failures is %+v (%v)", ep, err)
			}
		})

		t.Run("a run of failures long enough disables the endpoint with an event", func(t *testing.T) {
			putCustomerNamed(t, s, "b", "B")
			if _, err := s.FanOutWebhookEvents(ctx, 1000); err != nil {
				t.Fatal(err)
			}
			policy := models.DisablePolicy{Failures: 2, After: time.Hour}
			for i := range 3 {
				var outcomes []models.WebhookOutcome
				for _, m := range due(t, s, clk.Now()) {
					if m.EndpointID == all.ID {
						outcomes = append(outcomes, models.WebhookOutcome{MessageID: m.ID, EndpointID: m.EndpointID, EventID: m.EventID,
							Error: "timed out", At: clk.Now(), Next: clk.Now().Add(time.Second)})
					}
				}
				disabled, err := s.RecordWebhookOutcomes(ctx, outcomes, policy)
				if err != nil {
					t.Fatal(err)
				}
				// Two failures within the hour are not enough; the
				// third, an hour after the first, is.
				if wantDisabled := i == 2; (len(disabled) == 1) != wantDisabled {
					t.Errorf("round %d disabled %+v", i, disabled)
				}
				clk.Advance(31 * time.Minute)
			}
			ep, err := s.WebhookEndpoint(ctx, all.ID)
			if err != nil || ep.Status != models.EndpointDisabled || ep.ConsecutiveFailures != 3 {
				t.Fatalf("endpoint = %+v (%v)", ep, err)
			}
			for _, m := range due(t, s, clk.Now()) {
				if m.EndpointID == all.ID {
					t.Errorf("a disabled endpoint's message is due: %+v", m)
				}
			}
			events, err := s.Events(ctx, 0, 500)
			if err != nil {
				t.Fatal(err)
			}
			if last := events[len(events)-1]; last.Type != models.EventWebhookEndpointDisabled || !strings.Contains(string(last.Data), `"failures": 3`) && !strings.Contains(string(last.Data), `"failures":3`) {
				t.Errorf("last event = %s %s", last.Type, last.Data)
			}
		})

		t.Run("deleting an endpoint deletes its queue and attempt log", func(t *testing.T) {
			if err := s.DeleteWebhookEndpoint(ctx, all.ID); err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"webhook_messages", "webhook_attempts"} {
				var n int64
				if err := s.DB().Table(table).Where("endpoint_id = ?", all.ID).Count(&n).Error; err != nil || n != 0 {
					t.Errorf("%s keeps %d rows (%v)", table, n, err)
				}
			}
			if _, err := s.WebhookEndpoint(ctx, all.ID); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("deleted endpoint: %v", err)
			}
			if err := s.DeleteWebhookEndpoint(ctx, all.ID); models.ErrorCode(err) != models.ENOTFOUND {
				t.Errorf("deleting twice: %v", err)
			}
		})
	})
}

func endpointName(id, consents int64) string {
	if id == consents {
		return "consents"
	}
	return "all"
}

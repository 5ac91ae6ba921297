package worker_test

import (
	"context"
	"testing"

	"github.com/candor/candor/models"
)

// A CRM's consent.updated opt-in for a double opt-in topic is applied
// through the same consent method as the API: pending, with one
// confirmation planned, never opted_in on the CRM's word alone.
func TestInboxOptInForADoubleOptInTopicIsPending(t *testing.T) {
	forEachBackend(t, func(t *testing.T) {
		ctx := context.Background()
		f := newInboxFixture(t)
		if _, err := f.s.UpdateTopic(ctx, "crm-news", &models.TopicInput{Name: "CRM news", DoubleOptIn: true}); err != nil {
			t.Fatal(err)
		}
		f.post("", batch(
			event("customer.upserted", "2025-03-10T09:00:00Z", `{"external_id":"c1","email":"c1@example.com","preferred_channel":"email","timezone":"Europe/London"}`),
			event("consent.updated", "2025-03-10T09:00:01Z", `{"external_id":"c1","topic":"crm-news","status":"opted_in","evidence":{"text":"ticked on the CRM's form"}}`),
		))
		f.drain(f.inbox("w1"))
		ledger, err := f.s.Consents(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if len(ledger.History) != 1 || ledger.History[0].Status != models.ConsentPending || ledger.History[0].Source != models.SourceCRM || !ledger.Chain.Verified {
			t.Fatalf("ledger = %+v, want one pending event from the CRM", ledger)
		}
		c, err := f.s.Customer(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if p, err := f.s.PendingConsent(ctx, c.ID, "crm-news"); err != nil || p.ConsentSeq != ledger.History[0].Seq {
			t.Errorf("pending confirmation = %+v, %v; want one for seq %d", p, err, ledger.History[0].Seq)
		}
	})
}

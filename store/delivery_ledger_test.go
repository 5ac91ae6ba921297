package store_test

import (
	"testing"

	"github.com/candor/candor/models"
)

// A database writer without the secret who turns an opt-out back into an
// opt-in after launch cannot make Candor send: the send-time check reads
// the consent row's MAC as launch does (issue 15).
func TestTheSendCheckSkipsAConsentRowTheLedgerDidNotWrite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		_, id := f.launchDispatched("honest", "forged")
		err := f.s.DB().Exec("UPDATE consents SET mac = 'forged' WHERE customer_id = (SELECT id FROM customers WHERE external_id = ?)",
			"forged").Error
		if err != nil {
			t.Fatal(err)
		}
		claimed := f.claim(id["honest"], id["forged"])
		if len(claimed) != 1 || claimed[0].Delivery.ID != id["honest"] {
			t.Fatalf("claimed %v, want only the honest customer's delivery %d", claimedIDs(claimed), id["honest"])
		}
		if d := f.delivery(id["forged"]); d.Status != models.DeliverySkipped || d.Reason != models.ReasonConsentUnverified {
			t.Errorf("the forged customer's delivery is %s (%s), want skipped (consent_unverified)", d.Status, d.Reason)
		}
	})
}

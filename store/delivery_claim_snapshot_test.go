package store_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/candor/candor/models"
)

func TestClaimRecordsWhatTheSendHonours(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		c := f.add("a", "g", nil)
		camp := f.launch(nil, "g")
		f.dispatch()
		now := f.now()
		claimed := f.claim(f.deliveries(camp.ID)[0].ID)
		if len(claimed) != 1 {
			t.Fatalf("claimed %d, want 1", len(claimed))
		}
		cs := claimed[0]
		got := f.delivery(cs.Delivery.ID)

		t.Run("the delivery records the address fingerprint, zone, window, local time and preference version", func(t *testing.T) {
			window := 0
			want := &models.SendSnapshot{AddressFingerprint: testKeys(t).Fingerprint("email", "a@example.com"),
				Timezone: "Europe/London", Window: &window, Local: "2025-03-10T09:30:00Z"}
			if diff := cmp.Diff(want, got.Snapshot); diff != "" {
				t.Errorf("snapshot (-want +got):\n%s", diff)
			}
			if got.PreferenceVersion != c.PreferenceVersion {
				t.Errorf("preference version = %d, want %d", got.PreferenceVersion, c.PreferenceVersion)
			}
		})
		t.Run("the claim takes a lease, counts the attempt and starts the send now", func(t *testing.T) {
			var until time.Time
			var owner string
			f.column(got.ID, "lease_until", &until)
			f.column(got.ID, "lease_owner", &owner)
			if !until.Equal(now.Add(claimLease)) || owner != "w1" {
				t.Errorf("lease = %s by %q, want %s by w1", until, owner, now.Add(claimLease))
			}
			if got.Attempts != 1 || got.SentAt == nil || !got.SentAt.Equal(now) {
				t.Errorf("attempts %d, sent_at %v; want 1 and %s", got.Attempts, got.SentAt, now)
			}
		})
		t.Run("the claimed send carries the delivery as stored, the address and the content", func(t *testing.T) {
			stored := *got
			stored.Events, stored.ExternalID = nil, ""
			if diff := cmp.Diff(&stored, cs.Delivery, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("claimed delivery (-stored +claimed):\n%s", diff)
			}
			if cs.Decision.Action != models.SendNow || cs.Decision.Address != "a@example.com" || cs.Customer.ID != c.ID ||
				cs.Version == nil || cs.Version.Topic != campaignTopic {
				t.Errorf("claimed send = %+v", cs)
			}
		})
		t.Run("a claimed delivery is not claimed again", func(t *testing.T) {
			if again := f.claim(got.ID); len(again) != 0 {
				t.Errorf("claimed again: %v", claimedIDs(again))
			}
		})
	})
}

func TestClaimAfterAChannelChangeSendsOnlyOnTheNewChannel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		id := f.dueOne("a")
		c := f.change("a", func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelSMS })
		if got := f.claim(id); len(got) != 0 {
			t.Fatalf("claimed on the old channel: %+v", got[0].Decision)
		}
		t.Run("the re-planned delivery records the wishes it was planned for", func(t *testing.T) {
			if d := f.delivery(id); d.PreferenceVersion != c.PreferenceVersion {
				t.Errorf("preference version = %d, want the customer's %d", d.PreferenceVersion, c.PreferenceVersion)
			}
		})
		t.Run("handed on again, it is sent to the phone on sms", func(t *testing.T) {
			b := f.dispatch()
			if len(b) != 1 {
				t.Fatalf("dispatch = %+v", b)
			}
			cs := f.claim(id)
			if len(cs) != 1 || cs[0].Delivery.Channel != models.ChannelSMS || cs[0].Decision.Channel != models.ChannelSMS ||
				cs[0].Decision.Address != f.inputs["a"].Phone {
				t.Fatalf("claim = %+v", cs)
			}
			if d := f.delivery(id); d.Snapshot == nil || d.Snapshot.AddressFingerprint != testKeys(t).Fingerprint("phone", f.inputs["a"].Phone) {
				t.Errorf("snapshot = %+v, want the phone's fingerprint", d.Snapshot)
			}
		})
	})
}

func TestReplanForChangedWindowsRecordsTheNewWishes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		id := f.dueOne("a")
		c := f.change("a", func(in *models.CustomerInput) {
			in.PreferredWindows = []models.Window{{Days: []string{"tue", "wed"}, Start: "09:00", End: "10:00"}}
		})
		f.claim(id)
		d := f.delivery(id)
		if d.Reason != models.ReasonWindowChanged || d.PreferenceVersion != c.PreferenceVersion {
			t.Fatalf("re-planned delivery: reason %s, preference version %d; want window_changed for version %d",
				d.Reason, d.PreferenceVersion, c.PreferenceVersion)
		}
		// Tuesday 10:30: the worker is late for the window it was re-planned
		// into, and the wishes did not change again: it missed the window.
		f.clk.Advance(25 * time.Hour)
		f.dispatch()
		f.claim(id)
		wed := time.Date(2025, 3, 12, 9, 0, 0, 0, time.UTC)
		if d := f.delivery(id); d.Status != models.DeliveryPlanned || d.Reason != models.ReasonWindowMissed || !d.ScheduledAt.Equal(wed) {
			t.Errorf("late claim: %s %s at %s, want planned window_missed at %s", d.Status, d.Reason, d.ScheduledAt, wed)
		}
	})
}

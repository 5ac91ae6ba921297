package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// TestClaimCustomerDecoderMatchesModel: the claim's decoder gives every
// customer exactly what customerRow.model gives (the send-time check and
// the render must see the same profile), whether the JSON was decoded
// for this customer or copied from another of the claim, and a customer's
// windows and attributes are its own: changing one customer's values
// changes no other's.
func TestClaimCustomerDecoderMatchesModel(t *testing.T) {
	ext, cadence := "ext-1", `{"max": 2, "per": "7d"}`
	erased := time.Date(2026, 11, 1, 8, 0, 0, 0, time.FixedZone("x", 3600))
	created := time.Date(2026, 10, 1, 8, 0, 0, 0, time.FixedZone("y", -7200))
	base := customerRow{ID: 7, ExternalID: &ext, Email: "a@example.com", Phone: "+15550100", Name: "Ann", Locale: "de-AT",
		Timezone: "Europe/Vienna", PreferredChannel: "email", PreferenceVersion: 3, Suppressed: true, ConsentSeq: 9,
		TokenEpoch: 4, CreatedAt: created, UpdatedAt: created.Add(time.Hour), Cadence: &cadence}
	windows := []string{`[]`, `null`, `[{"days": ["mon", "tue"], "start": "09:00", "end": "17:00"}]`,
		`[{"days": [], "start": "00:00", "end": "24:00"}, {"start": "01:00", "end": "02:00"}]`}
	attributes := []string{`{}`, `null`, `{"group": "g", "n": 1.5, "ok": true, "none": null}`,
		`{"nested": {"list": [1, "two", {"three": [3]}]}, "s": "x"}`}
	var rows []customerRow
	for i, w := range windows {
		for j, a := range attributes {
			r := base
			r.ID = int64(10*i + j)
			r.PreferredWindows, r.Attributes = w, a
			if j%2 == 1 {
				r.ExternalID, r.Cadence, r.ErasedAt = nil, nil, &erased
			}
			rows = append(rows, r)
		}
	}
	var dec claimCustomerDecoder
	for round := range 2 { // the second round decodes nothing: every JSON is cached
		for i := range rows {
			want, err := rows[i].model()
			if err != nil {
				t.Fatal(err)
			}
			got, err := dec.customer(&rows[i])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, row %d: decoder gave\n%+v\nmodel gave\n%+v", round, i, got, want)
			}
			// Changing this customer's values must not reach the next
			// customer decoded from the same JSON.
			for k := range got.Attributes {
				if m, ok := got.Attributes[k].(map[string]any); ok {
					m["changed"] = true
					m["list"].([]any)[0] = "changed"
				}
				got.Attributes[k] = "changed"
			}
			got.Attributes["added"] = 1
			for k := range got.PreferredWindows {
				got.PreferredWindows[k].Start = "changed"
				if len(got.PreferredWindows[k].Days) > 0 {
					got.PreferredWindows[k].Days[0] = "changed"
				}
			}
		}
	}
	for _, bad := range []customerRow{{ID: 1, PreferredWindows: `[`, Attributes: `{}`}, {ID: 2, PreferredWindows: `[]`, Attributes: `{"a":`},
		{ID: 3, PreferredWindows: `[]`, Attributes: `{}`, Cadence: new(string)}} {
		if _, err := bad.model(); err == nil {
			t.Fatalf("model decoded row %d", bad.ID)
		}
		if _, err := dec.customer(&bad); err == nil {
			t.Fatalf("decoder decoded row %d, which model refuses", bad.ID)
		}
	}
}

// TestMarkClaimedModelIsModel: the claimed delivery a send gets (the model
// CheckSend saw, brought up to the claim) is what the claimed row's model
// gives, whatever the row held before: a retry's attempts, an earlier
// snapshot, another status.
func TestMarkClaimedModelIsModel(t *testing.T) {
	loc := time.FixedZone("z", 5*3600)
	at := time.Date(2026, 12, 2, 9, 30, 0, 0, loc)
	old, oldWindow := at.Add(-time.Hour), 4
	rows := []deliveryRow{
		{ID: 1, CampaignID: 2, CustomerID: 3, Channel: "webhook", Locale: "de", ContentID: 4, ContentVersion: 5, ScheduledAt: at,
			Status: "queued", Generation: 2, CreatedAt: at, UpdatedAt: at, PreferenceVersion: 1, QueuedAt: &at, TaskID: "t"},
		{ID: 6, Status: "planned", Reason: "outside_window", Attempts: 3, SentAt: &old, LeaseUntil: &old, LeaseOwner: "w0",
			AddressFingerprint: "old", SendTimezone: "Asia/Tokyo", SendWindow: &oldWindow, SendLocal: "x", ProviderID: "p"},
	}
	for i := range rows {
		d := &rows[i]
		m := d.model()
		x := models.SendDecision{Action: models.SendNow, Timezone: "Europe/Berlin", Window: 1, Local: "2026-12-02T05:30", PreferenceVersion: 7}
		d.markClaimed(m, at, at.Add(time.Minute), "w1", "fp", 1, x)
		if want := d.model(); !reflect.DeepEqual(m, want) {
			t.Fatalf("row %d: claimed model\n%+v\nthe row's model\n%+v", d.ID, m, want)
		}
	}
}

package store

import "testing"

func TestSameJSON(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"jsonb's reordered keys and spacing are the same value", `{"seats":12,"plan":"pro"}`, `{"plan": "pro", "seats": 12}`, true},
		{"an exponent and its digits are the same number", `{"n":1.2e1}`, `{"n":12}`, true},
		{"a trailing zero does not make a change", `[1.0]`, `[1]`, true},
		{"integers beyond float precision are told apart", `{"n":9007199254740993}`, `{"n":9007199254740992}`, false},
		{"a number is not its string", `{"n":12}`, `{"n":"12"}`, false},
		{"an extra key is a change", `{"a":1}`, `{"a":1,"b":null}`, false},
		{"array order is a change", `[1,2]`, `[2,1]`, false},
		{"null and an empty object differ", `null`, `{}`, false},
		{"escaped and literal text are the same string", `"\u00e9"`, `"é"`, true},
		{"identical text is the same without being parsed", `{`, `{`, true},
		{"unparseable text differs from anything else", `{`, `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameJSON(tt.a, tt.b); got != tt.want {
				t.Errorf("sameJSON(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestEveryWritableCustomerColumnIsCompared changes one writable column at
// a time and expects sameStoredCustomer to see it: a column added to
// customerWritable but not compared would turn a real change into a
// skipped "replay".
func TestEveryWritableCustomerColumnIsCompared(t *testing.T) {
	ext, cadence := "c1", `{"max":1,"per":"24h"}`
	base := func() *customerRow {
		e, c := ext, cadence
		return &customerRow{ExternalID: &e, Email: "a@example.org", Phone: "+14155550100", Name: "A", Locale: "en",
			Timezone: "Europe/London", PreferredChannel: "email", PreferredWindows: `[]`, Cadence: &c,
			Attributes: `{"plan":"pro"}`, PreferenceVersion: 1}
	}
	// updated_at is written with every change but is not itself one.
	notAChange := map[string]bool{"updated_at": true}
	changes := map[string]func(r *customerRow){
		"external_id":        func(r *customerRow) { other := "c2"; r.ExternalID = &other },
		"email":              func(r *customerRow) { r.Email = "b@example.org" },
		"phone":              func(r *customerRow) { r.Phone = "+14155550101" },
		"name":               func(r *customerRow) { r.Name = "B" },
		"locale":             func(r *customerRow) { r.Locale = "de" },
		"timezone":           func(r *customerRow) { r.Timezone = "Europe/Berlin" },
		"preferred_channel":  func(r *customerRow) { r.PreferredChannel = "sms" },
		"preferred_windows":  func(r *customerRow) { r.PreferredWindows = `[{"days":["mon"],"start":"09:00","end":"10:00"}]` },
		"cadence":            func(r *customerRow) { r.Cadence = nil },
		"attributes":         func(r *customerRow) { r.Attributes = `{"plan":"free"}` },
		"preference_version": func(r *customerRow) { r.PreferenceVersion = 2 },
		"suppressed":         func(r *customerRow) { r.Suppressed = true },
	}
	if !sameStoredCustomer(base(), base()) {
		t.Fatal("two identical rows are not the same")
	}
	for _, col := range customerWritable {
		if notAChange[col] {
			continue
		}
		t.Run("a change of "+col+" is seen", func(t *testing.T) {
			change, ok := changes[col]
			if !ok {
				t.Fatalf("customerWritable has %q but this test cannot change it: add it here and to sameStoredCustomer", col)
			}
			next := base()
			change(next)
			if sameStoredCustomer(base(), next) {
				t.Errorf("changing %s alone was taken for a replay", col)
			}
		})
	}
}

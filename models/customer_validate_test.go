package models_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

func validInput() models.CustomerInput {
	return models.CustomerInput{
		ExternalID:       "crm-42",
		Email:            "ada@example.com",
		Locale:           "en-GB",
		Timezone:         "Europe/London",
		PreferredChannel: models.ChannelEmail,
		PreferredWindows: []models.Window{{Days: []string{"mon", "tue"}, Start: "09:00", End: "12:00"}},
		Cadence:          &models.Cadence{Max: 2, Per: "7d"},
		Attributes:       map[string]any{"plan": "pro", "seats": 12.0},
	}
}

// rules returns "field rule" pairs of a validation error, for compact diffs.
func rules(err error) []string {
	var out []string
	for _, f := range models.ErrorFields(err) {
		out = append(out, f.Field+" "+f.Rule)
	}
	return out
}

func TestCustomerInputValidate(t *testing.T) {
	// The attributes object itself is level 1, so "e" is a sixth level.
	deep := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": map[string]any{"f": 1.0}}}}}}
	tests := []struct {
		name   string
		modify func(in *models.CustomerInput)
		want   []string
	}{
		{"a complete profile is valid", func(in *models.CustomerInput) {}, nil},
		{"a webhook customer needs no address", func(in *models.CustomerInput) {
			in.Email, in.PreferredChannel = "", models.ChannelWebhook
		}, nil},
		{"an external id with a slash is rejected", func(in *models.CustomerInput) { in.ExternalID = "a/b" }, []string{"/external_id format"}},
		{"an email with a display name is rejected", func(in *models.CustomerInput) { in.Email = "Ada <ada@example.com>" }, []string{"/email email"}},
		{"an email without a domain is rejected", func(in *models.CustomerInput) { in.Email = "ada" }, []string{"/email email"}},
		{"a phone without country code is rejected", func(in *models.CustomerInput) { in.Phone = "0151 1234567" }, []string{"/phone e164"}},
		{"a locale that is not BCP 47 is rejected", func(in *models.CustomerInput) { in.Locale = "english please" }, []string{"/locale bcp47"}},
		{"an unknown time zone is rejected", func(in *models.CustomerInput) { in.Timezone = "Mars/Olympus" }, []string{"/timezone iana_timezone"}},
		{"the server's Local zone is rejected", func(in *models.CustomerInput) { in.Timezone = "Local" }, []string{"/timezone iana_timezone"}},
		{"the Factory zone is rejected", func(in *models.CustomerInput) { in.Timezone = "Factory" }, []string{"/timezone iana_timezone"}},
		{"posixrules from the host's zone files is rejected", func(in *models.CustomerInput) { in.Timezone = "posixrules" }, []string{"/timezone iana_timezone"}},
		{"localtime from the host's zone files is rejected", func(in *models.CustomerInput) { in.Timezone = "localtime" }, []string{"/timezone iana_timezone"}},
		{"right/UTC from the host's zone files is rejected", func(in *models.CustomerInput) { in.Timezone = "right/UTC" }, []string{"/timezone iana_timezone"}},
		{"posix/Europe/Berlin from the host's zone files is rejected", func(in *models.CustomerInput) { in.Timezone = "posix/Europe/Berlin" }, []string{"/timezone iana_timezone"}},
		{"SystemV/EST5 is rejected", func(in *models.CustomerInput) { in.Timezone = "SystemV/EST5" }, []string{"/timezone iana_timezone"}},
		{"a path that climbs out of the zone directory is rejected", func(in *models.CustomerInput) { in.Timezone = "Europe/../UTC" }, []string{"/timezone iana_timezone"}},
		{"a zone in the wrong case is rejected", func(in *models.CustomerInput) { in.Timezone = "europe/berlin" }, []string{"/timezone iana_timezone"}},
		{"a standard backward link is accepted", func(in *models.CustomerInput) { in.Timezone = "US/Eastern" }, nil},
		{"UTC is accepted", func(in *models.CustomerInput) { in.Timezone = "UTC" }, nil},
		{"sms without a phone is rejected", func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelSMS }, []string{"/phone required_for_channel"}},
		{"email without an address is rejected", func(in *models.CustomerInput) { in.Email = "" }, []string{"/email required_for_channel"}},
		{"a missing channel is rejected", func(in *models.CustomerInput) { in.PreferredChannel = "" }, []string{"/preferred_channel required"}},
		{"an unknown channel is rejected", func(in *models.CustomerInput) { in.PreferredChannel = "fax" }, []string{"/preferred_channel enum"}},
		{"a window ending before it starts is rejected", func(in *models.CustomerInput) {
			in.PreferredWindows[0].Start, in.PreferredWindows[0].End = "18:00", "09:00"
		}, []string{"/preferred_windows/0/end after_start"}},
		{"a window may end at 24:00", func(in *models.CustomerInput) { in.PreferredWindows[0].End = "24:00" }, nil},
		{"a window may not start at 24:00", func(in *models.CustomerInput) {
			in.PreferredWindows[0].Start = "24:00"
		}, []string{"/preferred_windows/0/start time_of_day"}},
		{"a signed hour is rejected", func(in *models.CustomerInput) {
			in.PreferredWindows[0].Start, in.PreferredWindows[0].End = "+1:00", "+2:30"
		}, []string{"/preferred_windows/0/start time_of_day", "/preferred_windows/0/end time_of_day"}},
		{"a NUL in the name is rejected as text", func(in *models.CustomerInput) { in.Name = "Ada\x00" }, []string{"/name text"}},
		{"an unknown weekday is rejected", func(in *models.CustomerInput) { in.PreferredWindows[0].Days = []string{"monday"} }, []string{"/preferred_windows/0/days/0 weekday"}},
		{"overlapping windows on one day are rejected", func(in *models.CustomerInput) {
			in.PreferredWindows = append(in.PreferredWindows, models.Window{Days: []string{"tue"}, Start: "11:00", End: "13:00"})
		}, []string{"/preferred_windows/1 no_overlap"}},
		{"adjacent windows do not overlap because the end is exclusive", func(in *models.CustomerInput) {
			in.PreferredWindows = append(in.PreferredWindows, models.Window{Days: []string{"tue"}, Start: "12:00", End: "13:00"})
		}, nil},
		{"a cadence with zero messages is rejected", func(in *models.CustomerInput) { in.Cadence.Max = 0 }, []string{"/cadence/max range"}},
		{"a cadence period in weeks is rejected", func(in *models.CustomerInput) { in.Cadence.Per = "2w" }, []string{"/cadence/per period"}},
		{"attribute keys that segments cannot address are rejected", func(in *models.CustomerInput) {
			in.Attributes = map[string]any{"has space": true}
		}, []string{"/attributes/has space attribute_key"}},
		{"attributes nested too deeply are rejected", func(in *models.CustomerInput) { in.Attributes = deep }, []string{"/attributes/a/b/c/d/e max_depth"}},
		{"oversized attributes are rejected", func(in *models.CustomerInput) {
			in.Attributes = map[string]any{"blob": strings.Repeat("x", models.MaxAttributesBytes)}
		}, []string{"/attributes max_size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.modify(&in)
			in.Normalize()
			err := in.Validate()
			if diff := cmp.Diff(tt.want, rules(err)); diff != "" {
				t.Errorf("validation rules (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err != nil && models.ErrorCode(err) != models.EINVALID {
				t.Errorf("code = %q, want %q", models.ErrorCode(err), models.EINVALID)
			}
		})
	}
}

func TestNormalizeCanonicalisesLocaleAndEmailDomain(t *testing.T) {
	in := models.CustomerInput{ExternalID: " x1 ", Email: " Ada@Example.COM ", Locale: "de-at"}
	in.Normalize()
	want := models.CustomerInput{ExternalID: "x1", Email: "Ada@example.com", Locale: "de-AT",
		PreferredWindows: []models.Window{}, Attributes: map[string]any{}}
	if diff := cmp.Diff(want, in); diff != "" {
		t.Errorf("normalized (-want +got):\n%s", diff)
	}
}

func TestPreferencesDiffer(t *testing.T) {
	base := validInput()
	c := &models.Customer{PreferredChannel: base.PreferredChannel, Timezone: base.Timezone,
		PreferredWindows: base.PreferredWindows, Cadence: &models.Cadence{Max: 2, Per: "7d"}}
	tests := []struct {
		name   string
		modify func(in *models.CustomerInput)
		want   bool
	}{
		{"the same wishes do not differ", func(in *models.CustomerInput) {}, false},
		{"a new name does not change preferences", func(in *models.CustomerInput) { in.Name = "Ada" }, false},
		{"another channel differs", func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelWebhook }, true},
		{"another zone differs", func(in *models.CustomerInput) { in.Timezone = "Europe/Paris" }, true},
		{"another window end differs", func(in *models.CustomerInput) {
			in.PreferredWindows = []models.Window{{Days: []string{"mon", "tue"}, Start: "09:00", End: "13:00"}}
		}, true},
		{"dropping the cadence differs", func(in *models.CustomerInput) { in.Cadence = nil }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.modify(&in)
			if got := models.PreferencesDiffer(c, &in); got != tt.want {
				t.Errorf("PreferencesDiffer = %v, want %v", got, tt.want)
			}
		})
	}
}

// Two fields that are not text: the error names the first in field order,
// every time (map iteration order once made it change between calls).
func TestValidateNamesTheSameBadTextFieldEveryTime(t *testing.T) {
	in := validInput()
	in.Email, in.Timezone = "ada\x00@example.com", "Europe/\xffLondon"
	for range 50 {
		if diff := cmp.Diff([]string{"/email text"}, rules(in.Validate())); diff != "" {
			t.Fatalf("problems (-want +got):\n%s", diff)
		}
	}
}

func TestNormalizeMakesOnlyNegativeZeroPositive(t *testing.T) {
	tests := []struct {
		name     string
		in, want any
	}{
		{"a float64 negative zero becomes 0", math.Copysign(0, -1), 0.0},
		{"a json.Number -0 becomes 0", json.Number("-0"), json.Number("0")},
		{"a json.Number -0.00e7 loses only its sign", json.Number("-0.00e7"), json.Number("0.00e7")},
		{"a tiny negative json.Number keeps its sign though it rounds to -0", json.Number("-1e-400"), json.Number("-1e-400")},
		{"a negative number is left alone", -2.5, -2.5},
		{"text is left alone", "-0", "-0"},
		{"zeros inside lists and objects are made positive", []any{map[string]any{"z": math.Copysign(0, -1)}}, []any{map[string]any{"z": 0.0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := models.CustomerInput{Attributes: map[string]any{"a": tt.in}}
			in.Normalize()
			got := in.Attributes["a"]
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("attribute (-want +got):\n%s", diff)
			}
			// cmp calls -0 and 0 equal; their JSON tells them apart.
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(tt.want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("attribute encodes as %s, want %s", gotJSON, wantJSON)
			}
		})
	}
}

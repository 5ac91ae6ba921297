package eligibility_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/eligibility"
	"github.com/candor/candor/models"
)

// eligibilityNow is Monday 08:00 in Berlin, an hour before the customer's
// window opens.
const eligibilityNow = "2026-06-01T06:00:00Z"

func baseEvaluator(tb testing.TB) *eligibility.Evaluator {
	tb.Helper()
	return &eligibility.Evaluator{
		CampaignID:    10,
		Topic:         "pricing-guides",
		NotBefore:     utc(tb, "2026-06-01T00:00:00Z"),
		NotAfter:      utc(tb, "2026-06-15T00:00:00Z"),
		DefaultLocale: "en",
		VariantLocales: map[models.Channel][]string{
			models.ChannelEmail: {"en", "de"},
			models.ChannelSMS:   {"en"},
		},
		Channels: []models.Channel{models.ChannelEmail, models.ChannelSMS, models.ChannelWebhook},
		Now:      utc(tb, eligibilityNow),
		Cadence:  eligibility.DeliveryTimes{},
	}
}

func baseFacts() eligibility.CustomerFacts {
	return eligibility.CustomerFacts{
		Customer: &models.Customer{
			ID: 1, ExternalID: "crm-1", Email: "ada@example.org", Phone: "+4915112345678", Name: "Ada",
			Locale: "de-AT", Timezone: "Europe/Berlin", PreferredChannel: models.ChannelEmail,
			PreferredWindows: []models.Window{win("mon,tue,wed,thu,fri", "09:00", "17:00")},
		},
		Consent: models.ConsentOptedIn,
	}
}

func TestEligibility(t *testing.T) {
	erasedAt := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		evaluator  func(e *eligibility.Evaluator)
		facts      func(f *eligibility.CustomerFacts)
		want       models.Reason // "" for eligible
		wantAt     string        // planned send when eligible
		wantLocale string
	}{
		{"an opted-in customer with everything in place is planned at their window's opening",
			nil, nil, "", "2026-06-01T07:00:00Z", "de"},
		{"an erased customer is excluded as erased",
			nil, func(f *eligibility.CustomerFacts) { f.Customer.ErasedAt = &erasedAt }, models.ReasonErased, "", ""},
		{"an erased and suppressed customer is excluded as erased, the first failing rule",
			nil, func(f *eligibility.CustomerFacts) { f.Customer.ErasedAt, f.Customer.Suppressed = &erasedAt, true }, models.ReasonErased, "", ""},
		{"a suppressed customer is excluded as suppressed even when opted in",
			nil, func(f *eligibility.CustomerFacts) { f.Customer.Suppressed = true }, models.ReasonSuppressed, "", ""},
		{"an opted-in customer whose consent record does not verify against the ledger is excluded as consent_unverified",
			nil, func(f *eligibility.CustomerFacts) { f.ConsentUnverified = true }, models.ReasonConsentUnverified, "", ""},
		{"a customer without a consent record is excluded as no_consent",
			nil, func(f *eligibility.CustomerFacts) { f.Consent = "" }, models.ReasonNoConsent, "", ""},
		{"a customer whose double opt-in is pending is excluded as no_consent",
			nil, func(f *eligibility.CustomerFacts) { f.Consent = models.ConsentPending }, models.ReasonNoConsent, "", ""},
		{"an opted-out customer is excluded as no_consent",
			nil, func(f *eligibility.CustomerFacts) { f.Consent = models.ConsentOptedOut }, models.ReasonNoConsent, "", ""},
		{"a customer preferring a channel this server lacks is excluded as channel_unavailable, with no fallback",
			func(e *eligibility.Evaluator) { e.Channels = []models.Channel{models.ChannelSMS} }, nil, models.ReasonChannelUnavailable, "", ""},
		{"a customer preferring sms without a phone number is excluded as no_address",
			nil, func(f *eligibility.CustomerFacts) {
				f.Customer.PreferredChannel, f.Customer.Phone = models.ChannelSMS, ""
			}, models.ReasonNoAddress, "", ""},
		{"a customer preferring a channel the content has no variant for is excluded as no_variant",
			nil, func(f *eligibility.CustomerFacts) { f.Customer.PreferredChannel = models.ChannelWebhook }, models.ReasonNoVariant, "", ""},
		{"a customer whose locale chain and the default miss every variant is excluded as no_variant",
			func(e *eligibility.Evaluator) { e.DefaultLocale = "fr" }, func(f *eligibility.CustomerFacts) { f.Customer.Locale = "es-MX" }, models.ReasonNoVariant, "", ""},
		{"a customer of an unknown locale gets the content's default locale",
			nil, func(f *eligibility.CustomerFacts) { f.Customer.Locale = "fr-CA" }, "", "2026-06-01T07:00:00Z", "en"},
		{"a customer without a time zone is excluded as no_timezone when no default is set",
			nil, func(f *eligibility.CustomerFacts) { f.Customer.Timezone = "" }, models.ReasonNoTimezone, "", ""},
		{"a customer without a time zone is planned in CANDOR_DEFAULT_TIMEZONE when set",
			func(e *eligibility.Evaluator) { e.DefaultTimezone = "UTC" }, func(f *eligibility.CustomerFacts) { f.Customer.Timezone = "" },
			"", "2026-06-01T09:00:00Z", "de"},
		{"a customer with a zone name that does not exist is excluded as no_timezone",
			nil, func(f *eligibility.CustomerFacts) { f.Customer.Timezone = "Mars/Olympus_Mons" }, models.ReasonNoTimezone, "", ""},
		{"a customer without windows is excluded as no_window when no default is set",
			nil, func(f *eligibility.CustomerFacts) { f.Customer.PreferredWindows = nil }, models.ReasonNoWindow, "", ""},
		{"a customer without windows is planned in CANDOR_DEFAULT_WINDOWS when set",
			func(e *eligibility.Evaluator) { e.DefaultWindows = []models.Window{win("mon", "12:00", "13:00")} },
			func(f *eligibility.CustomerFacts) { f.Customer.PreferredWindows = nil }, "", "2026-06-01T10:00:00Z", "de"},
		{"a customer whose own cadence is reached around the planned time is excluded as cadence_cap",
			func(e *eligibility.Evaluator) {
				e.Cadence = eligibility.DeliveryTimes{1: {utc(t, "2026-06-03T07:00:00Z")}}
			}, func(f *eligibility.CustomerFacts) { f.Customer.Cadence = &models.Cadence{Max: 1, Per: "7d"} }, models.ReasonCadenceCap, "", ""},
		{"a customer at the global cap is excluded as cadence_cap though their own cadence allows more",
			func(e *eligibility.Evaluator) {
				e.GlobalCap = &models.Cadence{Max: 2, Per: "30d"}
				e.Cadence = eligibility.DeliveryTimes{1: {utc(t, "2026-05-20T07:00:00Z"), utc(t, "2026-05-28T07:00:00Z")}}
			}, func(f *eligibility.CustomerFacts) { f.Customer.Cadence = &models.Cadence{Max: 10, Per: "30d"} }, models.ReasonCadenceCap, "", ""},
		{"deliveries outside the cadence period do not count",
			func(e *eligibility.Evaluator) {
				e.Cadence = eligibility.DeliveryTimes{1: {utc(t, "2026-05-25T07:00:00Z"), utc(t, "2026-06-08T07:00:00Z")}}
			}, func(f *eligibility.CustomerFacts) { f.Customer.Cadence = &models.Cadence{Max: 1, Per: "7d"} }, "", "2026-06-01T07:00:00Z", "de"},
		{"another customer's deliveries do not count",
			func(e *eligibility.Evaluator) {
				e.Cadence = eligibility.DeliveryTimes{2: {utc(t, "2026-06-01T08:00:00Z")}}
			}, func(f *eligibility.CustomerFacts) { f.Customer.Cadence = &models.Cadence{Max: 1, Per: "7d"} }, "", "2026-06-01T07:00:00Z", "de"},
		{"a customer who already received the content is excluded as already_received",
			nil, func(f *eligibility.CustomerFacts) { f.AlreadyReceived = true }, models.ReasonAlreadyReceived, "", ""},
		{"a customer at their cadence who also received the content is excluded as cadence_cap, the earlier rule",
			func(e *eligibility.Evaluator) {
				e.Cadence = eligibility.DeliveryTimes{1: {utc(t, "2026-06-01T07:00:00Z")}}
			}, func(f *eligibility.CustomerFacts) {
				f.Customer.Cadence, f.AlreadyReceived = &models.Cadence{Max: 1, Per: "1d"}, true
			}, models.ReasonCadenceCap, "", ""},
		{"a correction reaches a customer who received the original and is at their cadence",
			func(e *eligibility.Evaluator) {
				e.Correction = true
				e.Cadence = eligibility.DeliveryTimes{1: {utc(t, "2026-06-01T07:00:00Z")}}
			}, func(f *eligibility.CustomerFacts) {
				f.Customer.Cadence, f.AlreadyReceived = &models.Cadence{Max: 1, Per: "1d"}, true
			}, "", "2026-06-01T07:00:00Z", "de"},
		{"a correction still needs consent",
			func(e *eligibility.Evaluator) { e.Correction = true }, func(f *eligibility.CustomerFacts) { f.Consent = models.ConsentOptedOut },
			models.ReasonNoConsent, "", ""},
		{"a correction still keeps to the customer's windows",
			func(e *eligibility.Evaluator) { e.Correction = true; e.NotAfter = utc(t, "2026-06-01T06:30:00Z") }, nil, models.ReasonNoSlot, "", ""},
		{"a campaign that ends before the customer's window opens excludes them as no_slot",
			func(e *eligibility.Evaluator) { e.NotAfter = utc(t, "2026-06-01T07:00:30Z") }, nil, models.ReasonNoSlot, "", ""},
		{"a weekend-only campaign misses a weekday customer as no_slot",
			func(e *eligibility.Evaluator) {
				e.NotBefore, e.NotAfter = utc(t, "2026-06-06T00:00:00Z"), utc(t, "2026-06-07T22:00:00Z")
			}, nil, models.ReasonNoSlot, "", ""},
	}
	seen := map[models.Reason]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, f := baseEvaluator(t), baseFacts()
			if tt.evaluator != nil {
				tt.evaluator(e)
			}
			if tt.facts != nil {
				tt.facts(&f)
			}
			x, err := e.Evaluate(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			seen[x.Reason] = true
			if x.Reason != tt.want || x.Eligible != (tt.want == "") {
				t.Fatalf("got eligible %t reason %q, want reason %q\nrules: %+v", x.Eligible, x.Reason, tt.want, x.Rules)
			}
			checkRules(t, x)
			if tt.want == "" {
				if x.Slot == nil || !x.Slot.At.Equal(utc(t, tt.wantAt)) || x.Locale != tt.wantLocale {
					t.Fatalf("got slot %+v locale %q, want %s and %q", x.Slot, x.Locale, tt.wantAt, tt.wantLocale)
				}
			} else if x.Slot != nil {
				t.Fatalf("an excluded customer got a slot: %+v", x.Slot)
			}
			brief, err := e.Decide(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(decision(x), decision(brief)); diff != "" {
				t.Errorf("Decide differs from Evaluate (-evaluate +decide):\n%s", diff)
			}
		})
	}
	for _, r := range models.PlanningReasons {
		if !seen[r] {
			t.Errorf("no case produces reason %q", r)
		}
	}
}

// checkRules checks that an explanation lists every rule once, in order,
// that the recorded reason is the first failure, and that no PII leaks.
func checkRules(tb testing.TB, x *eligibility.Explanation) {
	tb.Helper()
	var names []models.Reason
	var firstFail models.Reason
	for _, r := range x.Rules {
		names = append(names, r.Rule)
		if r.Outcome == eligibility.RuleFail && firstFail == "" {
			firstFail = r.Rule
		}
		if r.Detail == "" {
			tb.Errorf("rule %s has no detail", r.Rule)
		}
	}
	if diff := cmp.Diff(models.PlanningReasons, names); diff != "" {
		tb.Errorf("rules (-want +got):\n%s", diff)
	}
	if firstFail != x.Reason {
		tb.Errorf("first failing rule %q, recorded reason %q", firstFail, x.Reason)
	}
	raw, err := json.Marshal(x)
	if err != nil {
		tb.Fatal(err)
	}
	for _, pii := range []string{"ada@example.org", "+4915112345678", "Ada"} {
		if strings.Contains(string(raw), pii) {
			tb.Errorf("explanation contains PII %q: %s", pii, raw)
		}
	}
}

type decided struct {
	Eligible bool
	Reason   models.Reason
	At       time.Time
	Locale   string
}

func decision(x *eligibility.Explanation) decided {
	d := decided{Eligible: x.Eligible, Reason: x.Reason}
	if x.Slot != nil {
		d.At, d.Locale = x.Slot.At, x.Locale
	}
	return d
}

func TestEligibilityExplainsEveryRule(t *testing.T) {
	e, f := baseEvaluator(t), baseFacts()
	f.Customer.Timezone = ""
	x, err := e.Evaluate(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range x.Rules {
		got = append(got, string(r.Rule)+"="+string(r.Outcome))
	}
	want := []string{
		"erased=pass", "suppressed=pass", "consent_unverified=pass", "no_consent=pass", "channel_unavailable=pass", "no_address=pass",
		"no_variant=pass", "no_timezone=fail", "no_window=pass", "cadence_cap=skipped", "already_received=pass", "no_slot=skipped",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestEligibilityRecordsTheDecidingValues(t *testing.T) {
	e, f := baseEvaluator(t), baseFacts()
	e.GlobalCap = &models.Cadence{Max: 4, Per: "30d"}
	f.Customer.Cadence = &models.Cadence{Max: 2, Per: "7d"}
	e.Cadence = eligibility.DeliveryTimes{1: {utc(t, "2026-05-30T07:00:00Z")}}
	x, err := e.Evaluate(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(x.Rules, func(r eligibility.RuleResult) bool { return r.Rule == models.ReasonCadenceCap })
	checks, _ := x.Rules[i].Values["checks"].([]eligibility.CadenceCheck)
	want := []eligibility.CadenceCheck{
		{Source: "customer", Max: 2, Per: "7d", Count: 1, OK: true},
		{Source: "global", Max: 4, Per: "30d", Count: 1, OK: true},
	}
	if diff := cmp.Diff(want, checks); diff != "" {
		t.Errorf("cadence checks (-want +got):\n%s", diff)
	}
	slot := x.Rules[len(x.Rules)-1]
	if slot.Rule != models.ReasonNoSlot || !strings.Contains(slot.Detail, "09:00 CEST") {
		t.Errorf("no_slot rule %+v does not show the local send time", slot)
	}
	if x.Timezone != "Europe/Berlin" || x.TimezoneDefaulted || x.WindowsDefaulted || x.Channel != models.ChannelEmail {
		t.Errorf("explanation header %+v", x)
	}
}

type failingCounter struct{}

func (failingCounter) CountDeliveries(context.Context, int64, time.Time, time.Time) (int, error) {
	return 0, errors.New("database is down")
}

func TestEligibilityPassesOnCounterErrors(t *testing.T) {
	e, f := baseEvaluator(t), baseFacts()
	e.Cadence = failingCounter{}
	f.Customer.Cadence = &models.Cadence{Max: 1, Per: "7d"}
	if _, err := e.Decide(context.Background(), f); err == nil || err.Error() != "database is down" {
		t.Fatalf("got error %v, want the counter's", err)
	}
}

func TestEligibilityWithoutACustomerIsInvalid(t *testing.T) {
	_, err := baseEvaluator(t).Decide(context.Background(), eligibility.CustomerFacts{Consent: models.ConsentOptedIn})
	if models.ErrorCode(err) != models.EINVALID {
		t.Fatalf("got %v, want an EINVALID error", err)
	}
}

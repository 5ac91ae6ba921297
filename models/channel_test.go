package models_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

func TestChannelRegistryDescribesEveryChannel(t *testing.T) {
	specs := models.ChannelSpecs()
	if len(specs) != len(models.Channels) {
		t.Fatalf("ChannelSpecs has %d channels, Channels %d", len(specs), len(models.Channels))
	}
	// Distinct values, so each address field reads back only its own.
	cust := &models.Customer{ExternalID: "crm-7", Email: "ada@example.com", Phone: "+14155550123"}
	raw, err := json.Marshal(cust)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	for i, spec := range specs {
		t.Run("the "+string(spec.Name)+" channel is listed, found and fully described", func(t *testing.T) {
			if models.Channels[i] != spec.Name {
				t.Errorf("Channels[%d] = %q, want %q (list and registry disagree)", i, models.Channels[i], spec.Name)
			}
			got, ok := models.ChannelSpecFor(spec.Name)
			if !ok || got.Name != spec.Name || got.AddressField != spec.AddressField {
				t.Errorf("ChannelSpecFor(%q) = %q, %q, %v; want the registered spec", spec.Name, got.Name, got.AddressField, ok)
			}
			if !spec.Name.Valid() {
				t.Errorf("%q.Valid() = false", spec.Name)
			}
			if spec.AddressField == "" || spec.Address == nil {
				t.Fatalf("spec has no address field or reader")
			}
			if want := fields[spec.AddressField]; want == nil || spec.Address(cust) != want {
				t.Errorf("Address reads %q, but the customer's JSON field %q holds %v", spec.Address(cust), spec.AddressField, want)
			}
			if cust.Address(spec.Name) != spec.Address(cust) {
				t.Errorf("Customer.Address(%q) = %q, want %q", spec.Name, cust.Address(spec.Name), spec.Address(cust))
			}
			for _, name := range []string{spec.Settings.Transport, spec.Settings.Rate} {
				if !strings.HasPrefix(name, "CANDOR_") {
					t.Errorf("setting %q is not a CANDOR_* variable", name)
				}
			}
		})
	}
}

func TestChannelValidation(t *testing.T) {
	pigeon := models.Channel("pigeon")
	customer := func(ch models.Channel) error {
		in := validInput()
		in.Email, in.Phone, in.PreferredChannel = "", "", ch
		return in.Validate()
	}
	variant := func(ch models.Channel) error {
		in := validContent()
		in.Variants[0].Channel = ch
		return in.Validate()
	}
	tests := []struct {
		name string
		err  error
		want []models.FieldError
	}{
		{"an email customer without an email address is refused by the required_for_channel rule", customer(models.ChannelEmail),
			[]models.FieldError{{Field: "/email", Rule: "required_for_channel", Detail: "is required because preferred_channel is email"}}},
		{"an sms customer without a phone number is refused by the required_for_channel rule", customer(models.ChannelSMS),
			[]models.FieldError{{Field: "/phone", Rule: "required_for_channel", Detail: "is required because preferred_channel is sms"}}},
		{"a webhook customer needs no address beyond the external id", customer(models.ChannelWebhook), nil},
		{"a customer preferring an unknown channel is refused by the enum rule, listing every channel", customer(pigeon),
			[]models.FieldError{{Field: "/preferred_channel", Rule: "enum", Detail: `must be one of email, sms, webhook; got "pigeon"`}}},
		{"a customer without a preferred channel is refused by the required rule, listing every channel", customer(""),
			[]models.FieldError{{Field: "/preferred_channel", Rule: "required", Detail: "is required: one of email, sms, webhook"}}},
		{"a content variant on an unknown channel is refused by the enum rule, listing every channel", variant(pigeon),
			[]models.FieldError{{Field: "/variants/0/channel", Rule: "enum", Detail: `must be email, sms or webhook, got "pigeon"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, models.ErrorFields(tt.err)); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("an unknown channel has no spec, is not valid and addresses nobody", func(t *testing.T) {
		if _, ok := models.ChannelSpecFor(pigeon); ok || pigeon.Valid() {
			t.Errorf("ChannelSpecFor(%q) found a spec or Valid() = true", pigeon)
		}
		if got := (&models.Customer{ExternalID: "crm-7"}).Address(pigeon); got != "" {
			t.Errorf("Address(%q) = %q, want empty", pigeon, got)
		}
	})
}

func TestChannelRegistryIsReadOnly(t *testing.T) {
	t.Run("changing a returned spec changes nothing registered", func(t *testing.T) {
		specs := models.ChannelSpecs()
		specs[0].AddressField = "changed"
		if got, _ := models.ChannelSpecFor(specs[0].Name); got.AddressField == "changed" {
			t.Errorf("the registry kept a change made to a copy")
		}
	})
	t.Run("channel lists are spelled from the registry in its order", func(t *testing.T) {
		if got := models.ChannelList(" or "); got != "email, sms or webhook" {
			t.Errorf(`ChannelList(" or ") = %q`, got)
		}
		if got := models.ChannelList(", "); got != "email, sms, webhook" {
			t.Errorf(`ChannelList(", ") = %q`, got)
		}
	})
}

package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/candor/candor/models"
)

// zones spread the demo audience around the world, half-hour and
// quarter-hour offsets and southern-hemisphere summer time included.
var zones = []string{"Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney",
	"Asia/Kolkata", "America/Sao_Paulo", "Asia/Kathmandu", "Pacific/Auckland"}

// excludedIndex is a customer who opted out of the roadmap topic: the
// campaign's explain of them shows an exclusion and its reason.
const excludedIndex = 7

// externalID names demo customer i.
func externalID(i int) string { return fmt.Sprintf("demo-%04d", i+1) }

// customers creates the demo customers that do not exist yet, with their
// consent. Even-numbered customers have a window open now in their own
// zone (so the campaign reaches them within a minute or two); the others
// read in weekday mornings, so their messages wait for their window. Every
// tenth prefers SMS, for which the demo content has no variant, every
// third of the rest a webhook (an in-app channel); the others email. A
// customer that exists is left alone: its window was set relative to the
// first run's clock, and rewriting it would move its message.
func customers(ctx context.Context, o Options, res *Result) error {
	for i := range o.Customers {
		ext := externalID(i)
		if _, err := o.Store.Customer(ctx, ext); err == nil {
			continue
		} else if models.ErrorCode(err) != models.ENOTFOUND {
			return err
		}
		in := customerInput(i, o.Now)
		if _, _, err := o.Store.PutCustomer(ctx, in); err != nil {
			return err
		}
		for topic, status := range consentOf(i) {
			_, _, err := o.Store.SetConsent(ctx, ext, topic, &models.ConsentInput{Status: status, Source: models.SourceImport,
				Evidence: models.Evidence{Text: "Demo data: " + string(status) + " at sign-up", FormVersion: "demo-v1"}})
			if err != nil {
				return err
			}
		}
		res.Created = true
	}
	return nil
}

// customerInput is demo customer i's profile.
func customerInput(i int, now time.Time) *models.CustomerInput {
	ext := externalID(i)
	zone := zones[i%len(zones)]
	in := &models.CustomerInput{ExternalID: ext, Name: fmt.Sprintf("Demo Reader %d", i+1), Locale: "en",
		Email: ext + "@demo.candor.example", Phone: fmt.Sprintf("+1555010%04d", i), Timezone: zone,
		PreferredChannel: models.ChannelEmail, Cadence: &models.Cadence{Max: 4, Per: "30d"},
		Attributes: map[string]any{"demo": true, "plan": []string{"free", "team", "enterprise"}[i%3]}}
	switch {
	case i%10 == 9:
		in.PreferredChannel = models.ChannelSMS
	case i%3 == 2:
		in.PreferredChannel = models.ChannelWebhook
	}
	if i%2 == 0 {
		in.PreferredWindows = []models.Window{openNow(now, zone)}
	} else {
		in.PreferredWindows = []models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "09:00", End: "11:00"}}
	}
	return in
}

// openNow is a window of every day that opened at the last quarter hour
// in zone and stays open for two hours (ending at 24:00 at the latest).
func openNow(now time.Time, zone string) models.Window {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	local := now.In(loc)
	start := local.Hour()*60 + local.Minute()/15*15
	end := min(start+120, 24*60)
	return models.Window{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"},
		Start: fmt.Sprintf("%02d:%02d", start/60, start%60), End: fmt.Sprintf("%02d:%02d", end/60, end%60)}
}

// consentOf is demo customer i's consent per topic: most opted in to the
// roadmap, every tenth from the seventh on opted out of it (the campaign's
// exclusions), and fewer interested in the other topics.
func consentOf(i int) map[string]models.ConsentStatus {
	c := map[string]models.ConsentStatus{"product-roadmap": models.ConsentOptedIn}
	if i%10 == excludedIndex%10 {
		c["product-roadmap"] = models.ConsentOptedOut
	}
	if i%2 == 0 {
		c["competitor-comparisons"] = models.ConsentOptedIn
	}
	if i%3 == 0 {
		c["pricing-guides"] = models.ConsentOptedIn
	}
	return c
}

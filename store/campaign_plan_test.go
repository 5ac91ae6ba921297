package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

func TestLaunchRecordsEveryPlanningReason(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		main := f.approved(contentInput())
		otherIn := contentInput()
		otherIn.Title = "Another guide"
		other := f.approved(otherIn)

		f.customer("ok", "main", true, nil)
		f.customer("ok2", "main", true, nil)
		gone := f.customer("gone", "erased", true, func(in *models.CustomerInput) { in.Email = "shared@example.com" })
		if err := f.s.EraseCustomer(ctx, gone.ExternalID); err != nil {
			t.Fatal(err)
		}
		f.customer("suppressed", "main", false, func(in *models.CustomerInput) { in.Email = "shared@example.com" })
		f.customer("noconsent", "main", false, nil)
		f.customer("webhook", "main", true, func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelWebhook })
		f.customer("noaddr", "main", true, func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelSMS })
		// Validation requires an address for the preferred channel; a
		// profile can still lose it (an import that bypasses the API).
		if err := f.s.DB().Exec("UPDATE customers SET phone = '' WHERE external_id = 'noaddr'").Error; err != nil {
			t.Fatal(err)
		}
		f.customer("novariant", "main", true, func(in *models.CustomerInput) { in.PreferredChannel, in.Locale = models.ChannelSMS, "fr-FR" })
		f.customer("notz", "main", true, func(in *models.CustomerInput) { in.Timezone = "" })
		f.customer("nowin", "main", true, func(in *models.CustomerInput) { in.PreferredWindows = nil })
		f.customer("capped", "capped", true, func(in *models.CustomerInput) { in.Cadence = &models.Cadence{Max: 1, Per: "30d"} })
		f.customer("dup", "dup", true, nil)
		f.customer("noslot", "main", true, func(in *models.CustomerInput) {
			in.PreferredWindows = []models.Window{{Days: []string{"sun"}, Start: "09:00", End: "17:00"}}
		})

		// Earlier campaigns: "capped" gets other content (its cadence is
		// then full), "dup" gets the same content.
		for _, prior := range []*models.Campaign{f.campaign(other, f.segment("capped")), f.campaign(main, f.segment("dup"))} {
			if c, err := f.s.LaunchCampaign(ctx, prior.ID, campaigns.NewPlanner(settings)); err != nil || c.Planned != 1 {
				t.Fatalf("launch prior campaign: %+v %v", c, err)
			}
		}

		camp := f.campaign(main, f.segment(""))
		wantExcluded := map[models.Reason]int64{
			models.ReasonSuppressed: 1, models.ReasonNoConsent: 1, models.ReasonChannelUnavailable: 1,
			models.ReasonNoAddress: 1, models.ReasonNoVariant: 1, models.ReasonNoTimezone: 1, models.ReasonNoWindow: 1,
			models.ReasonCadenceCap: 1, models.ReasonAlreadyReceived: 1, models.ReasonNoSlot: 1,
		}
		now := f.clk.Now().UTC().Truncate(time.Microsecond)
		// The two prior campaigns hold the email channel (one a minute) at
		// 09:30 and 09:31: the channel's rate is shared, so this campaign's
		// two sends move to 09:32 and 09:33.
		firstFree := now.Truncate(time.Minute).Add(2 * time.Minute)
		nextMinute := firstFree.Add(time.Minute)

		t.Run("a preview counts every reason and writes nothing", func(t *testing.T) {
			p, err := f.s.PreviewCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
			if err != nil {
				t.Fatal(err)
			}
			want := &models.CampaignPreview{ContentVersion: 1, Eligible: 2, Excluded: wantExcluded,
				ByChannel: map[models.Channel]int64{models.ChannelEmail: 2}, Moved: 2,
				PerHour:   []models.HourCount{{Hour: now.Truncate(time.Hour), Count: 2}},
				FirstSend: &firstFree, LastSend: &nextMinute}
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("preview (-want +got):\n%s", diff)
			}
			items, _, err := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{})
			if err != nil || len(items) != 0 {
				t.Errorf("the preview wrote deliveries: %v %v", items, err)
			}
		})

		t.Run("explain names the first failing rule and the values behind it", func(t *testing.T) {
			x, err := f.s.ExplainCampaign(ctx, camp.ID, "capped", campaigns.NewPlanner(settings))
			if err != nil {
				t.Fatal(err)
			}
			if x.Eligible || x.Reason != models.ReasonCadenceCap || len(x.Rules) != 1+len(models.PlanningReasons) || x.Rules[0].Rule != models.ExplainNotInAudience {
				t.Errorf("explain capped = %+v", x)
			}
			x, err = f.s.ExplainCampaign(ctx, camp.ID, "ok", campaigns.NewPlanner(settings))
			if err != nil {
				t.Fatal(err)
			}
			if !x.Eligible || x.SendAt == nil || !x.SendAt.Equal(now) || x.Channel != models.ChannelEmail || x.Locale != "en" {
				t.Errorf("explain ok = %+v", x)
			}
			if !strings.Contains(x.SendAtLocal, "Europe/London") {
				t.Errorf("send_at_local = %q, want the customer's zone", x.SendAtLocal)
			}
		})

		launched, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
		if err != nil {
			t.Fatal(err)
		}
		if launched.State != models.CampaignScheduled || launched.Planned != 2 || launched.Moved != 2 || launched.ContentVersion != 1 || launched.LaunchedAt == nil {
			t.Errorf("launched = %+v", launched)
		}
		if diff := cmp.Diff(wantExcluded, launched.Excluded); diff != "" {
			t.Errorf("excluded (-want +got):\n%s", diff)
		}
		items, _, err := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{}, models.DeliveryPlanned)
		if err != nil {
			t.Fatal(err)
		}
		var got []time.Time
		var externalIDs []string
		for _, d := range items {
			externalIDs = append(externalIDs, d.ExternalID)
			if d.Channel != models.ChannelEmail || d.Locale != "en" || d.ContentID != main || d.ContentVersion != 1 || d.Generation != 1 {
				t.Errorf("delivery = %+v", d)
			}
			got = append(got, d.ScheduledAt)
		}
		if diff := cmp.Diff([]string{"ok", "ok2"}, externalIDs); diff != "" {
			t.Errorf("external ids (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]time.Time{firstFree, nextMinute}, got); diff != "" {
			t.Errorf("scheduled_at (-want +got), capacity is one email a minute:\n%s", diff)
		}
		x, err := f.s.ExplainCampaign(ctx, camp.ID, "ok", campaigns.NewPlanner(settings))
		if err != nil || !x.Eligible || x.Delivery == nil || x.Delivery.CampaignID != camp.ID {
			t.Errorf("explain after launch must stay eligible and show the delivery: %+v %v", x, err)
		}
		export, err := f.s.CustomerExport(ctx, "ok")
		if err != nil || len(export.Deliveries) != 1 {
			t.Errorf("export deliveries = %+v %v", export, err)
		}
	})
}

func TestConcurrentCampaignsOfOneContentNeverPlanACustomerTwice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		for i := range 20 {
			f.customer(fmt.Sprintf("c%d", i), "main", true, nil)
		}
		content, seg := f.approved(contentInput()), f.segment("")
		camps := []*models.Campaign{f.campaign(content, seg), f.campaign(content, seg), f.campaign(content, seg)}
		var wg sync.WaitGroup
		results := make([]*models.Campaign, len(camps))
		errs := make([]error, len(camps))
		for i, c := range camps {
			wg.Go(func() {
				results[i], errs[i] = f.s.LaunchCampaign(ctx, c.ID, campaigns.NewPlanner(models.PlanSettings{Channels: models.Channels}))
			})
		}
		wg.Wait()
		var planned, received int64
		for i := range results {
			if errs[i] != nil {
				t.Fatalf("launch %d: %v", i, errs[i])
			}
			planned += results[i].Planned
			received += results[i].Excluded[models.ReasonAlreadyReceived]
		}
		if planned != 20 || received != 40 {
			t.Errorf("planned %d and already_received %d, want 20 and 40", planned, received)
		}
	})
}

func TestCorrectionsReachRecipientsOfTheOriginal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		original := f.approved(contentInput())
		capped := func(in *models.CustomerInput) { in.Cadence = &models.Cadence{Max: 1, Per: "30d"} }
		f.customer("capped", "main", true, capped)
		f.customer("withdrawn", "main", true, nil)
		f.customer("gone", "main", true, nil)
		f.customer("bystander", "other", true, nil)
		orig := f.campaign(original, f.segment("main"))
		if _, err := f.s.LaunchCampaign(ctx, orig.ID, campaigns.NewPlanner(settings)); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DB().Exec("UPDATE deliveries SET status = 'sent', sent_at = scheduled_at").Error; err != nil {
			t.Fatal(err)
		}
		mustSetConsent(t, f.s, "withdrawn", campaignTopic, models.ConsentOptedOut)
		if err := f.s.EraseCustomer(ctx, "gone"); err != nil {
			t.Fatal(err)
		}

		fixIn := contentInput()
		fixIn.Kind, fixIn.Corrects, fixIn.Title = models.KindCorrection, &original, "Correction: bank transfers"
		fix := f.approved(fixIn)
		now := f.clk.Now().UTC().Truncate(time.Microsecond)
		window := models.CampaignWindow{NotBefore: now, NotAfter: now.Add(48 * time.Hour)}

		t.Run("the audience must be corrected by the content", func(t *testing.T) {
			_, err := f.s.CreateCampaign(ctx, &models.CampaignInput{Name: "bad", ContentID: original,
				Audience: &models.Audience{RecipientsOf: original}, Window: window})
			wantCode(t, err, models.EINVALID)
		})
		camp, err := f.s.CreateCampaign(ctx, &models.CampaignInput{Name: "fix", ContentID: fix,
			Audience: &models.Audience{RecipientsOf: original}, Window: window})
		if err != nil {
			t.Fatal(err)
		}
		if !camp.Correction {
			t.Errorf("campaign does not show as a correction: %+v", camp)
		}
		launched, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
		if err != nil {
			t.Fatal(err)
		}
		// capped is exempt from cadence and already_received; withdrawn
		// still needs consent; gone was erased; bystander never got it.
		want := map[models.Reason]int64{models.ReasonNoConsent: 1, models.ReasonErased: 1}
		if diff := cmp.Diff(want, launched.Excluded); diff != "" || launched.Planned != 1 {
			t.Errorf("planned %d, excluded (-want +got):\n%s", launched.Planned, diff)
		}
		items, _, err := f.s.CustomerDeliveries(ctx, "capped", models.Page{})
		if err != nil || len(items) != 2 || items[1].ContentID != fix {
			t.Errorf("capped deliveries = %+v %v", items, err)
		}

		t.Run("the same correction is never planned twice", func(t *testing.T) {
			again, err := f.s.CreateCampaign(ctx, &models.CampaignInput{Name: "fix again", ContentID: fix,
				Audience: &models.Audience{RecipientsOf: original}, Window: window})
			if err != nil {
				t.Fatal(err)
			}
			c, err := f.s.LaunchCampaign(ctx, again.ID, campaigns.NewPlanner(settings))
			if err != nil {
				t.Fatal(err)
			}
			if c.Planned != 0 || c.Excluded[models.ReasonAlreadyReceived] != 1 {
				t.Errorf("second correction = %+v", c)
			}
		})
	})
}

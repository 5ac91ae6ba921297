package store_test

import (
	"context"
	"testing"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// TestAWebhookCustomerIsPlannedOnTheirExternalID: the webhook channel's
// address is the customer's external id, so planning must read it even
// though it reads no other identifying column.
func TestAWebhookCustomerIsPlannedOnTheirExternalID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		f.customer("crm-7", "main", true, func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelWebhook })
		content := contentInput()
		content.Variants = append(content.Variants, models.Variant{Locale: "en", Channel: models.ChannelWebhook, Title: "Paying by transfer", Text: "Hello."})
		withWebhook := settings
		withWebhook.Channels = []models.Channel{models.ChannelEmail, models.ChannelSMS, models.ChannelWebhook}
		camp := f.campaign(f.approved(content), f.segment(""))
		preview, err := f.s.PreviewCampaign(ctx, camp.ID, campaigns.NewPlanner(withWebhook))
		if err != nil {
			t.Fatal(err)
		}
		if preview.Eligible != 1 || preview.ByChannel[models.ChannelWebhook] != 1 {
			t.Errorf("preview = eligible %d, by channel %v, excluded %v; want the webhook customer", preview.Eligible, preview.ByChannel, preview.Excluded)
		}
		c, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(withWebhook))
		if err != nil {
			t.Fatal(err)
		}
		if c.Planned != 1 {
			t.Errorf("launch planned %d, excluded %v; want the webhook customer planned", c.Planned, c.Excluded)
		}
	})
}

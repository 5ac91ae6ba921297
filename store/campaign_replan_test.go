package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// TestResumeRechecksWhatThePauseMayHaveChanged pauses a campaign until the
// customer's two-minute window closed and resumes it: the missed delivery
// must pass consent, channel and cadence again at its new time.
func TestResumeRechecksWhatThePauseMayHaveChanged(t *testing.T) {
	type outcome struct {
		Status     models.DeliveryStatus
		Reason     models.Reason
		Generation int
		At         time.Time
	}
	tests := []struct {
		name string
		// meanwhile changes the world while the campaign is paused.
		meanwhile func(f *campaignFixture, in *models.CustomerInput, now time.Time)
		// tomorrow is when the next window opens, want is relative to it.
		want func(tomorrow time.Time) outcome
		// resumeWith are the server's settings at resume; nil means the
		// launch's settings (email at one send a minute).
		resumeWith *models.PlanSettings
		// expiresIn, when set, makes the content expire that long after launch.
		expiresIn time.Duration
	}{
		{"a customer whose wishes did not change is re-planned to the next window, not counting the delivery itself",
			func(*campaignFixture, *models.CustomerInput, time.Time) {},
			func(tomorrow time.Time) outcome { return outcome{models.DeliveryPlanned, "", 2, tomorrow} }, nil, 0},
		{"a customer who opted out during the pause is skipped with consent_withdrawn",
			func(f *campaignFixture, in *models.CustomerInput, _ time.Time) {
				mustSetConsent(f.t, f.s, in.ExternalID, campaignTopic, models.ConsentOptedOut)
			},
			func(time.Time) outcome {
				return outcome{models.DeliverySkipped, models.ReasonConsentWithdrawn, 1, time.Time{}}
			}, nil, 0},
		{"a customer who switched to sms during the pause is skipped with channel_changed, never emailed",
			func(f *campaignFixture, in *models.CustomerInput, _ time.Time) {
				in.PreferredChannel = models.ChannelSMS
				mustPutCustomer(f.t, f.s, in)
			},
			func(time.Time) outcome {
				return outcome{models.DeliverySkipped, models.ReasonChannelChanged, 1, time.Time{}}
			}, nil, 0},
		{"a re-planned send landing next to another campaign's send is skipped with cadence_cap",
			launchY,
			func(time.Time) outcome {
				return outcome{models.DeliverySkipped, models.ReasonCadenceCap, 1, time.Time{}}
			}, &models.PlanSettings{Channels: settings.Channels}, 0},
		{"a re-planned send whose only free minute another campaign took expires with no_slot",
			launchY,
			func(time.Time) outcome {
				return outcome{models.DeliveryExpired, models.ReasonNoSlot, 1, time.Time{}}
			}, nil, 0},
		{"a send on a channel the server no longer has is skipped with channel_unavailable",
			func(*campaignFixture, *models.CustomerInput, time.Time) {},
			func(time.Time) outcome {
				return outcome{models.DeliverySkipped, models.ReasonChannelUnavailable, 1, time.Time{}}
			}, &models.PlanSettings{Channels: []models.Channel{models.ChannelSMS}}, 0},
		{"a send whose content expired during the pause is skipped with content_expired",
			func(*campaignFixture, *models.CustomerInput, time.Time) {},
			func(time.Time) outcome {
				return outcome{models.DeliverySkipped, models.ReasonContentExpired, 1, time.Time{}}
			}, nil, 2 * time.Minute},
		{"a customer who became suppressed during the pause is skipped with suppressed",
			func(f *campaignFixture, in *models.CustomerInput, _ time.Time) {
				// Erasing another customer leaves a suppression
				// fingerprint of its address; taking that address on
				// suppresses this customer.
				f.customer("gone", "other", false, func(c *models.CustomerInput) { c.Email = "gone@example.org" })
				if err := f.s.EraseCustomer(context.Background(), "gone"); err != nil {
					f.t.Fatal(err)
				}
				in.Email = "gone@example.org"
				mustPutCustomer(f.t, f.s, in)
			},
			func(time.Time) outcome {
				return outcome{models.DeliverySkipped, models.ReasonSuppressed, 1, time.Time{}}
			}, nil, 0},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				f := newCampaignFixture(t, backend)
				now := f.clk.Now().UTC().Truncate(time.Microsecond)
				var in *models.CustomerInput
				f.customer("a", "main", true, func(c *models.CustomerInput) {
					// Monday 09:30 London (GMT): a window open for two minutes, every day.
					c.PreferredWindows = []models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "09:30", End: "09:32"}}
					c.Cadence = &models.Cadence{Max: 1, Per: "24h"}
					in = c
				})
				content := contentInput()
				if tt.expiresIn > 0 {
					expires := now.Add(tt.expiresIn)
					content.ExpiresAt = &expires
				}
				x := f.campaign(f.approved(content), f.segment(""))
				if c, err := f.s.LaunchCampaign(ctx, x.ID, campaigns.NewPlanner(settings)); err != nil || c.Planned != 1 {
					t.Fatalf("launch x: %+v %v", c, err)
				}
				if _, err := f.s.PauseCampaign(ctx, x.ID); err != nil {
					t.Fatal(err)
				}
				tt.meanwhile(f, in, now)
				f.clk.Advance(3 * time.Minute) // the window closed while paused
				resumeWith := settings
				if tt.resumeWith != nil {
					resumeWith = *tt.resumeWith
				}
				if _, err := f.s.ResumeCampaign(ctx, x.ID, campaigns.NewPlanner(resumeWith)); err != nil {
					t.Fatal(err)
				}
				items, _, err := f.s.CampaignDeliveries(ctx, x.ID, models.Page{})
				if err != nil || len(items) != 1 {
					t.Fatalf("deliveries = %+v %v", items, err)
				}
				got := outcome{items[0].Status, items[0].Reason, items[0].Generation, time.Time{}}
				if got.Status == models.DeliveryPlanned {
					got.At = items[0].ScheduledAt.UTC()
				}
				tomorrow := time.Date(2025, 3, 11, 9, 30, 0, 0, time.UTC)
				if diff := cmp.Diff(tt.want(tomorrow), got); diff != "" {
					t.Errorf("delivery after resume (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// launchY launches a second campaign for the same customer whose send
// lands 24h20s after X's first time: within the cadence period of X's
// re-planned time and in the only free minute of X's next window.
func launchY(f *campaignFixture, _ *models.CustomerInput, now time.Time) {
	f.t.Helper()
	ctx := context.Background()
	seg, spread := f.segment(""), false
	y, err := f.s.CreateCampaign(ctx, &models.CampaignInput{Name: "y", ContentID: f.approved(contentInput()), SegmentID: &seg,
		Window: models.CampaignWindow{NotBefore: now.Add(24*time.Hour + 20*time.Second), NotAfter: now.Add(48 * time.Hour)}, Spread: &spread})
	if err != nil {
		f.t.Fatal(err)
	}
	if c, err := f.s.LaunchCampaign(ctx, y.ID, campaigns.NewPlanner(settings)); err != nil || c.Planned != 1 {
		f.t.Fatalf("launch y: %+v %v", c, err)
	}
}

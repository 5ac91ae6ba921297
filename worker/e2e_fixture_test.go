package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/candor/candor/models"
)

const topic = "technology-alternatives"

// allDay is a window open now in any zone: every day, 00:00-24:00.
var allDay = []models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "00:00", End: "24:00"}}

// content creates and approves content with an English variant for every
// channel; expires nil means a year from now.
func (h *harness) content(title string, expires *time.Time) int64 {
	h.t.Helper()
	ctx := context.Background()
	if expires == nil {
		e := time.Now().Add(365 * 24 * time.Hour).UTC()
		expires = &e
	}
	in := &models.ContentInput{
		Kind: models.KindEducation, Topic: topic, Title: title, Summary: "How and why.", DefaultLocale: "en",
		Variants: []models.Variant{
			{Locale: "en", Channel: models.ChannelEmail, Subject: title, Text: "Hello {{.Customer.Name}}."},
			{Locale: "en", Channel: models.ChannelSMS, Text: "Hello {{.Customer.Name}}."},
			{Locale: "en", Channel: models.ChannelWebhook, Title: title, Text: "Hello {{.Customer.Name}}."},
		},
		Sources: []models.Source{{Title: "Docs", URL: "https://example.org/docs"}}, AsOf: "2025-03-01", ExpiresAt: expires,
	}
	c, err := h.s.CreateContent(ctx, in, h.editor)
	if err != nil {
		h.t.Fatalf("create content: %v", err)
	}
	if _, err := h.s.SubmitContent(ctx, c.ID); err != nil {
		h.t.Fatalf("submit content: %v", err)
	}
	noFindings := func(*models.Content) []models.Finding { return nil }
	if _, err := h.s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: h.admin}, noFindings); err != nil {
		h.t.Fatalf("approve content: %v", err)
	}
	return c.ID
}

// customer creates an opted-in customer in group who prefers ch, with
// the all-day window in zone tz, after change (if any) adjusts it.
func (h *harness) customer(ext, group string, ch models.Channel, tz string, change func(*models.CustomerInput)) *models.Customer {
	h.t.Helper()
	ctx := context.Background()
	h.groups++
	in := &models.CustomerInput{ExternalID: ext, Email: ext + "@example.com", Phone: fmt.Sprintf("+1415555%04d", h.groups),
		Name: "Customer " + ext, Locale: "en", Timezone: tz, PreferredChannel: ch, PreferredWindows: allDay,
		Attributes: map[string]any{"group": group}}
	if change != nil {
		change(in)
	}
	c, _, err := h.s.PutCustomer(ctx, in)
	if err != nil {
		h.t.Fatalf("put customer %s: %v", ext, err)
	}
	h.consent(ext, models.ConsentOptedIn)
	return c
}

// consent records ext's consent for the topic.
func (h *harness) consent(ext string, status models.ConsentStatus) {
	h.t.Helper()
	in := &models.ConsentInput{Status: status, Source: models.SourceAPI,
		Evidence: models.Evidence{Text: "Send me guides", FormVersion: "v1", IP: "203.0.113.7", UserAgent: "test"}}
	if _, _, err := h.s.SetConsent(context.Background(), ext, topic, in); err != nil {
		h.t.Fatalf("set consent %s: %v", ext, err)
	}
}

// launch creates a campaign of content to the customers of group, open
// from now for 48 hours, and launches it.
func (h *harness) launch(contentID int64, group string) *models.Campaign {
	h.t.Helper()
	ctx := context.Background()
	seg, err := h.s.CreateSegment(ctx, &models.SegmentInput{Name: "group " + group,
		Rule: json.RawMessage(`{"field":"attributes.group","op":"eq","value":"` + group + `"}`)})
	if err != nil {
		h.t.Fatalf("create segment: %v", err)
	}
	now, spread := time.Now().UTC().Truncate(time.Microsecond), false
	c, err := h.s.CreateCampaign(ctx, &models.CampaignInput{Name: "e2e " + group, ContentID: contentID, SegmentID: &seg.ID,
		Window: models.CampaignWindow{NotBefore: now, NotAfter: now.Add(48 * time.Hour)}, Spread: &spread})
	if err != nil {
		h.t.Fatalf("create campaign: %v", err)
	}
	if c, err = h.s.LaunchCampaign(ctx, c.ID, h.planner); err != nil {
		h.t.Fatalf("launch: %v", err)
	}
	return c
}

// deliveries returns every delivery of a campaign by external id.
func (h *harness) deliveries(campaignID int64) map[string]*models.Delivery {
	h.t.Helper()
	out := map[string]*models.Delivery{}
	page := models.Page{Limit: models.MaxPageLimit}
	for {
		items, next, err := h.s.CampaignDeliveries(context.Background(), campaignID, page)
		if err != nil {
			h.t.Fatalf("deliveries: %v", err)
		}
		for _, d := range items {
			out[d.ExternalID] = d
		}
		if next == "" {
			return out
		}
		page.Cursor = next
	}
}

// campaignState returns the campaign's state now.
func (h *harness) campaignState(id int64) models.CampaignState {
	h.t.Helper()
	c, err := h.s.Campaign(context.Background(), id)
	if err != nil {
		h.t.Fatalf("campaign: %v", err)
	}
	return c.State
}

// stateChanges returns the campaign's campaign.state_changed events as
// "from->to", oldest first.
func (h *harness) stateChanges(id int64) []string {
	h.t.Helper()
	var out []string
	for after := int64(0); ; {
		evs, err := h.s.Events(context.Background(), after, models.MaxPageLimit)
		if err != nil {
			h.t.Fatalf("events: %v", err)
		}
		if len(evs) == 0 {
			return out
		}
		after = evs[len(evs)-1].ID
		out = append(out, campaignChanges(evs, id)...)
	}
}

// campaignChanges picks the campaign's state changes out of evs.
func campaignChanges(evs []models.Event, id int64) []string {
	var out []string
	for _, e := range evs {
		var d struct {
			CampaignID int64  `json:"campaign_id"`
			From       string `json:"from"`
			To         string `json:"to"`
		}
		if e.Type != models.EventCampaignState || json.Unmarshal(e.Data, &d) != nil || d.CampaignID != id {
			continue
		}
		out = append(out, d.From+"->"+d.To)
	}
	return out
}

// statuses summarises deliveries as "status/reason" by external id.
func statuses(ds map[string]*models.Delivery) map[string]string {
	out := map[string]string{}
	for ext, d := range ds {
		out[ext] = strings.TrimSuffix(string(d.Status)+"/"+string(d.Reason), "/")
	}
	return out
}

// itoa is the decimal form of an id (the sms and webhook idempotency key).
func itoa(id int64) string { return strconv.FormatInt(id, 10) }

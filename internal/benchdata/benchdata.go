// Package benchdata builds the data of the sending benchmarks: many
// customers whose every window is open now, opted in, and a launched
// campaign to them. Only benchmarks import it.
package benchdata

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/candor/candor/models"
	"github.com/candor/candor/seed"
	"github.com/candor/candor/store"
)

// Topic is the topic the benchmark content is on.
const Topic = "technology-alternatives"

// SendCampaign seeds n customers (a new seed each call) who prefer ch,
// live in UTC with every window open, opts them in to Topic, and launches
// a campaign of approved content to exactly them with planner. It returns
// the campaign.
func SendCampaign(tb testing.TB, s *store.Store, n int, ch models.Channel, planner models.Planner) *models.Campaign {
	tb.Helper()
	ctx := context.Background()
	res, err := seed.Load(ctx, s, seed.Options{Customers: n, Seed: uint64(time.Now().UnixNano())})
	if err != nil {
		tb.Fatal(err)
	}
	group := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	open, _ := json.Marshal([]models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, Start: "00:00", End: "24:00"}})
	attrs, _ := json.Marshal(map[string]any{"group": group})
	db := s.DB()
	newest := "id > (SELECT MAX(id) FROM customers) - ?"
	err = db.Exec("UPDATE customers SET preferred_channel = ?, timezone = 'UTC', preferred_windows = ?, cadence = NULL, attributes = ? WHERE "+newest,
		string(ch), string(open), string(attrs), res.Customers).Error
	if err == nil {
		err = db.Exec("INSERT INTO consents (customer_id, topic, status, source, seq, updated_at) "+
			"SELECT id, ?, 'opted_in', 'api', 0, ? FROM customers WHERE "+newest+
			" ON CONFLICT (customer_id, topic) DO UPDATE SET status = 'opted_in', mac = ''", Topic, time.Now().UTC(), res.Customers).Error
	}
	if err == nil {
		// Rows written by SQL carry no ledger MAC: seal them, or planning
		// would not trust them (consent_unverified).
		_, _, err = s.AdoptLedger(ctx)
	}
	if err != nil {
		tb.Fatal(err)
	}
	content := approved(tb, s, group)
	seg, err := s.CreateSegment(ctx, &models.SegmentInput{Name: group,
		Rule: json.RawMessage(`{"field":"attributes.group","op":"eq","value":"` + group + `"}`)})
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	spread := false
	camp, err := s.CreateCampaign(ctx, &models.CampaignInput{Name: group, ContentID: content, SegmentID: &seg.ID, Spread: &spread,
		Window: models.CampaignWindow{NotBefore: now, NotAfter: now.Add(24 * time.Hour)}})
	if err != nil {
		tb.Fatal(err)
	}
	launched, err := s.LaunchCampaign(ctx, camp.ID, planner)
	if err != nil || launched.Planned != int64(n) {
		tb.Fatalf("launch planned %+v (%v), want %d", launched, err, n)
	}
	return launched
}

// approved creates and approves short content with a variant for every
// channel, written by one key and approved by another.
func approved(tb testing.TB, s *store.Store, name string) int64 {
	tb.Helper()
	ctx := context.Background()
	editor, _, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Name: "editor " + name, Role: models.RoleEditor, OwnerName: "editor " + name, OwnerEmail: "editor " + name + "@example.com"})
	if err != nil {
		tb.Fatal(err)
	}
	admin, _, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Name: "admin " + name, Role: models.RoleAdmin, OwnerName: "admin " + name, OwnerEmail: "admin " + name + "@example.com"})
	if err != nil {
		tb.Fatal(err)
	}
	in := &models.ContentInput{Kind: models.KindEducation, Topic: Topic, Title: "Paying by bank transfer", Summary: "How and why.",
		DefaultLocale: "en", Sources: []models.Source{{Title: "Docs", URL: "https://example.org/docs"}}, AsOf: "2026-01-01"}
	for _, ch := range models.Channels {
		v := models.Variant{Locale: "en", Channel: ch, Text: "Hello {{.Customer.Name}}, paying by transfer costs nothing."}
		switch ch {
		case models.ChannelEmail:
			v.Subject = "Pay by transfer"
		case models.ChannelWebhook:
			v.Title = "Pay by transfer"
		}
		in.Variants = append(in.Variants, v)
	}
	c, err := s.CreateContent(ctx, in, editor.ID)
	if err == nil {
		_, err = s.SubmitContent(ctx, c.ID)
	}
	if err == nil {
		_, err = s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: admin.ID}, func(*models.Content) []models.Finding { return nil })
	}
	if err != nil {
		tb.Fatal(err)
	}
	return c.ID
}

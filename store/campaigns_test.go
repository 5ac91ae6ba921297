package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

const campaignTopic = "technology-alternatives"

// campaignFixture is a store with an editor and an admin key and a clock
// on a Monday morning, when London windows of Mon/Tue 09:00-17:00 are open.
type campaignFixture struct {
	t             *testing.T
	s             *store.Store
	clk           *clock
	editor, admin int64
	phones        int
}

func newCampaignFixture(t *testing.T, backend string) *campaignFixture {
	t.Helper()
	clk := newClock()
	s := mustOpenWith(t, backend, clk.Now)
	return &campaignFixture{t: t, s: s, clk: clk,
		editor: mustKey(t, s, "editor", models.RoleEditor), admin: mustKey(t, s, "admin", models.RoleAdmin)}
}

// approved creates content from in and approves it as version 1.
func (f *campaignFixture) approved(in *models.ContentInput) int64 {
	f.t.Helper()
	ctx := context.Background()
	c, err := f.s.CreateContent(ctx, in, f.editor)
	if err != nil {
		f.t.Fatalf("create content: %v", err)
	}
	if _, err := f.s.SubmitContent(ctx, c.ID); err != nil {
		f.t.Fatalf("submit content: %v", err)
	}
	if _, err := f.s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: f.admin}, checks()); err != nil {
		f.t.Fatalf("approve content: %v", err)
	}
	return c.ID
}

// segment creates a segment of the customers whose attribute group is group.
func (f *campaignFixture) segment(group string) int64 {
	f.t.Helper()
	rule := `{"field":"attributes.group","op":"eq","value":"` + group + `"}`
	if group == "" {
		rule = `{"field":"attributes.main","op":"eq","value":"yes"}`
	}
	seg, err := f.s.CreateSegment(context.Background(), &models.SegmentInput{Name: "group " + group, Rule: json.RawMessage(rule)})
	if err != nil {
		f.t.Fatalf("create segment: %v", err)
	}
	return seg.ID
}

// campaign creates a draft for content and segment over the next 48 hours.
func (f *campaignFixture) campaign(contentID, segmentID int64) *models.Campaign {
	f.t.Helper()
	now := f.clk.Now().UTC().Truncate(time.Microsecond)
	spread := false
	c, err := f.s.CreateCampaign(context.Background(), &models.CampaignInput{Name: "c", ContentID: contentID, SegmentID: &segmentID,
		Window: models.CampaignWindow{NotBefore: now, NotAfter: now.Add(48 * time.Hour)}, Spread: &spread})
	if err != nil {
		f.t.Fatalf("create campaign: %v", err)
	}
	return c
}

// customer creates an opted-in customer in group (and in the main
// segment) after change adjusts its input.
func (f *campaignFixture) customer(ext, group string, optIn bool, change func(in *models.CustomerInput)) *models.Customer {
	f.t.Helper()
	in := customerInput(ext)
	in.Attributes = map[string]any{"group": group, "main": "yes"}
	// Distinct phones: erasing one customer must not suppress the others.
	f.phones++
	in.Phone = fmt.Sprintf("+1415555%04d", f.phones)
	if change != nil {
		change(in)
	}
	c := mustPutCustomer(f.t, f.s, in)
	if optIn {
		mustSetConsent(f.t, f.s, ext, campaignTopic, models.ConsentOptedIn)
	}
	return c
}

// settings configures email and sms (not webhook), email at one a minute.
var settings = models.PlanSettings{
	Channels:       []models.Channel{models.ChannelEmail, models.ChannelSMS},
	SendsPerMinute: map[models.Channel]int{models.ChannelEmail: 1},
}

func TestLaunchRefusesContentThatCannotBeSent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		seg := f.segment("")

		draft, err := f.s.CreateContent(ctx, contentInput(), f.editor)
		if err != nil {
			t.Fatal(err)
		}
		retired := f.approved(contentInput())
		if _, err := f.s.RetireContent(ctx, retired); err != nil {
			t.Fatal(err)
		}
		soon := f.clk.Now().Add(time.Hour)
		expiringIn := contentInput()
		expiringIn.ExpiresAt = &soon
		expiring := f.approved(expiringIn)
		sendable := f.approved(contentInput())

		tests := []struct {
			name    string
			content int64
			advance time.Duration
			// ended moves the clock past the campaign's 48-hour window.
			ended bool
			says  string
		}{
			{"content that was never approved is refused", draft.ID, 0, false, "no approved version"},
			{"retired content is refused", retired, 0, false, "retired"},
			{"expired content is refused", expiring, 2 * time.Hour, false, "expired"},
			{"a campaign whose window already ended is refused rather than planning nobody", sendable, 0, true, "the campaign window ended at"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f.clk.Advance(tt.advance)
				camp := f.campaign(tt.content, seg)
				if tt.ended {
					f.clk.Advance(49 * time.Hour)
					_, err := f.s.PreviewCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
					wantCode(t, err, models.ECONFLICT)
				}
				_, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
				wantCode(t, err, models.ECONFLICT)
				if !strings.Contains(models.ErrorMessage(err), tt.says) {
					t.Errorf("message %q does not say %q", models.ErrorMessage(err), tt.says)
				}
				if c, _ := f.s.Campaign(ctx, camp.ID); c.State != models.CampaignDraft {
					t.Errorf("state = %s after a refused launch", c.State)
				}
			})
		}
	})
}

func TestConcurrentLaunchesPlanOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		for _, ext := range []string{"a", "b", "c", "d", "e"} {
			f.customer(ext, "main", true, nil)
		}
		camp := f.campaign(f.approved(contentInput()), f.segment(""))
		var wg sync.WaitGroup
		results := make([]*models.Campaign, 6)
		errs := make([]error, len(results))
		for i := range results {
			wg.Go(func() {
				results[i], errs[i] = f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(models.PlanSettings{Channels: models.Channels}))
			})
		}
		wg.Wait()
		for i := range results {
			if errs[i] != nil {
				t.Fatalf("launch %d: %v", i, errs[i])
			}
			if results[i].State != models.CampaignScheduled || results[i].Planned != 5 {
				t.Errorf("launch %d returned %+v", i, results[i])
			}
		}
		items, _, err := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{})
		if err != nil || len(items) != 5 {
			t.Errorf("deliveries = %d (%v), want 5: a launch planned twice", len(items), err)
		}
	})
}

func TestPauseResumeCancel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		f.customer("a", "main", true, nil)
		seg := f.segment("")
		camp := f.campaign(f.approved(contentInput()), seg)

		_, err := f.s.PauseCampaign(ctx, camp.ID)
		wantCode(t, err, models.ECONFLICT)
		if !strings.Contains(models.ErrorMessage(err), "draft") {
			t.Errorf("409 does not name the state: %q", models.ErrorMessage(err))
		}
		if _, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil {
			t.Fatal(err)
		}
		t.Run("a segment used by a scheduled campaign cannot be deleted", func(t *testing.T) {
			wantCode(t, f.s.DeleteSegment(ctx, seg), models.ECONFLICT)
		})
		t.Run("the database refuses to delete a launched campaign, an approved version or a customer", func(t *testing.T) {
			if err := f.s.DB().Exec("DELETE FROM campaigns WHERE id = ?", camp.ID).Error; err == nil {
				t.Error("a launched campaign was deleted")
			}
			if err := f.s.DB().Exec("DELETE FROM customers").Error; err == nil {
				t.Error("customers were deleted")
			}
			if err := f.s.DB().Exec("DELETE FROM content_versions WHERE content_id = ?", camp.ContentID).Error; err == nil {
				t.Error("an approved content version was deleted")
			}
		})
		c, err := f.s.PauseCampaign(ctx, camp.ID)
		if err != nil || c.State != models.CampaignPaused {
			t.Fatalf("pause: %+v %v", c, err)
		}
		before, _, _ := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{}, models.DeliveryPlanned)
		if len(before) != 1 {
			t.Fatalf("a pause must keep deliveries planned, got %+v", before)
		}
		_, err = f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
		wantCode(t, err, models.ECONFLICT)

		// The pause outlasts the planned time: resume re-plans it to a
		// later instant in the customer's window, as a new generation.
		f.clk.Advance(3 * time.Hour)
		c, err = f.s.ResumeCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
		if err != nil || c.State != models.CampaignScheduled {
			t.Fatalf("resume: %+v %v", c, err)
		}
		after, _, _ := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{}, models.DeliveryPlanned)
		now := f.clk.Now().UTC().Truncate(time.Microsecond)
		if len(after) != 1 || after[0].Generation != 2 || after[0].ScheduledAt.Before(now) {
			t.Errorf("re-planned delivery = %+v, want generation 2 at or after %s", after, now)
		}
		_, err = f.s.ResumeCampaign(ctx, camp.ID, campaigns.NewPlanner(settings))
		wantCode(t, err, models.ECONFLICT)

		if c, err = f.s.CancelCampaign(ctx, camp.ID); err != nil || c.State != models.CampaignCancelled {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		cancelled, _, _ := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{}, models.DeliveryCancelled)
		if len(cancelled) != 1 || cancelled[0].Reason != models.ReasonCampaignCancelled {
			t.Errorf("cancelled deliveries = %+v", cancelled)
		}
		t.Run("each cancelled delivery keeps the change as an event", func(t *testing.T) {
			d, err := f.s.Delivery(ctx, cancelled[0].ID)
			if err != nil || len(d.Events) == 0 {
				t.Fatalf("delivery = %+v, %v", d, err)
			}
			last := d.Events[len(d.Events)-1]
			if last.From != models.DeliveryPlanned || last.To != models.DeliveryCancelled || last.Reason != models.ReasonCampaignCancelled {
				t.Errorf("last event = %+v", last)
			}
		})
		_, err = f.s.CancelCampaign(ctx, camp.ID)
		wantCode(t, err, models.ECONFLICT)
		t.Run("a segment whose campaigns are over can be deleted", func(t *testing.T) {
			if err := f.s.DeleteSegment(ctx, seg); err != nil {
				t.Fatal(err)
			}
		})
		types := eventTypes(t, f.s)
		n := 0
		for _, typ := range types {
			if typ == string(models.EventCampaignState) {
				n++
			}
		}
		if n != 4 { // launch, pause, resume, cancel
			t.Errorf("%d campaign state events, want 4: %v", n, types)
		}
	})
}

func TestCampaignDrafts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		content := f.approved(contentInput())
		seg := f.segment("")
		now := f.clk.Now().UTC().Truncate(time.Microsecond)
		window := models.CampaignWindow{NotBefore: now, NotAfter: now.Add(time.Hour)}
		fixIn := contentInput()
		fixIn.Kind, fixIn.Corrects, fixIn.Title = models.KindCorrection, &content, "Correction: bank transfers"
		fix, err := f.s.CreateContent(ctx, fixIn, f.editor)
		if err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name   string
			in     *models.CampaignInput
			fields []string
		}{
			{"a campaign needs a name, content, audience and window", &models.CampaignInput{},
				[]string{"/name", "/content_id", "/segment_id", "/window/not_before", "/window/not_after"}},
			{"unknown content and segments are refused", &models.CampaignInput{Name: "x", ContentID: content + 99, SegmentID: new(seg + 99), Window: window},
				[]string{"/content_id", "/segment_id"}},
			{"a window must end after it starts", &models.CampaignInput{Name: "x", ContentID: content, SegmentID: &seg,
				Window: models.CampaignWindow{NotBefore: now, NotAfter: now}}, []string{"/window/not_after"}},
			{"segment and audience exclude each other", &models.CampaignInput{Name: "x", ContentID: content, SegmentID: &seg,
				Audience: &models.Audience{RecipientsOf: content}, Window: window}, []string{"/audience"}},
			{"a name with a NUL character is refused as text on every backend", &models.CampaignInput{Name: "bank\x00transfers",
				ContentID: content, SegmentID: &seg, Window: window}, []string{"/name"}},
			{"a name that is not UTF-8 is refused as text", &models.CampaignInput{Name: "bank \xff",
				ContentID: content, SegmentID: &seg, Window: window}, []string{"/name"}},
			{"a correction cannot be sent to a segment, only to the original's recipients", &models.CampaignInput{Name: "x",
				ContentID: fix.ID, SegmentID: &seg, Window: window}, []string{"/segment_id"}},
		}
		existing := f.campaign(content, seg)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, write := range []struct {
					verb string
					do   func() error
				}{
					{"create", func() error { _, err := f.s.CreateCampaign(ctx, tt.in); return err }},
					{"update", func() error { _, err := f.s.UpdateCampaign(ctx, existing.ID, tt.in); return err }},
				} {
					err := write.do()
					wantCode(t, err, models.EINVALID)
					var got []string
					for _, fe := range models.ErrorFields(err) {
						got = append(got, fe.Field)
					}
					if diff := cmp.Diff(tt.fields, got); diff != "" {
						t.Errorf("%s: fields (-want +got):\n%s", write.verb, diff)
					}
				}
			})
		}
		if err := f.s.DeleteCampaign(ctx, existing.ID); err != nil {
			t.Fatal(err)
		}

		c := f.campaign(content, seg)
		if c.Spread || c.State != models.CampaignDraft {
			t.Errorf("created = %+v", c)
		}
		in := &models.CampaignInput{Name: "renamed", ContentID: content, SegmentID: &seg, Window: window}
		up, err := f.s.UpdateCampaign(ctx, c.ID, in)
		if err != nil || up.Name != "renamed" || !up.Spread {
			t.Fatalf("update: %+v %v", up, err)
		}
		list, next, err := f.s.Campaigns(ctx, models.Page{Limit: 1})
		if err != nil || len(list) != 1 || next != "" {
			t.Errorf("list = %v %q %v", list, next, err)
		}
		if err := f.s.DeleteCampaign(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.s.Campaign(ctx, c.ID)
		wantCode(t, err, models.ENOTFOUND)
	})
}

func TestResumeExpiresDeliveriesWithNoWindowLeft(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		f := newCampaignFixture(t, backend)
		f.customer("a", "main", true, nil)
		camp := f.campaign(f.approved(contentInput()), f.segment(""))
		if _, err := f.s.LaunchCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.PauseCampaign(ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		// Wednesday 01:30: the Mon/Tue windows are over and the campaign
		// ends at 09:30, so nothing is left to re-plan into.
		f.clk.Advance(40 * time.Hour)
		if _, err := f.s.ResumeCampaign(ctx, camp.ID, campaigns.NewPlanner(settings)); err != nil {
			t.Fatal(err)
		}
		items, _, err := f.s.CampaignDeliveries(ctx, camp.ID, models.Page{})
		if err != nil || len(items) != 1 || items[0].Status != models.DeliveryExpired || items[0].Reason != models.ReasonNoSlot {
			t.Errorf("deliveries after a late resume = %+v %v", items, err)
		}
	})
}

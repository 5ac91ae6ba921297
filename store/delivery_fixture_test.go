package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/candor/candor/campaigns"
	"github.com/candor/candor/models"
)

// sendSettings configure email and sms with no send rate, so every
// customer of a launch is planned at the same instant.
var sendSettings = models.PlanSettings{Channels: []models.Channel{models.ChannelEmail, models.ChannelSMS}}

// claimLease is the lease the fixture's claims take.
const claimLease = 5 * time.Minute

// deliveryFixture is a campaignFixture driven through the delivery
// worker's side of the store: launch, dispatch, claim, outcomes. Its clock
// starts on Monday 2025-03-10 09:30 UTC (09:30 in London, GMT), inside the
// customers' default windows (Mon/Tue 09:00-17:00 London).
type deliveryFixture struct {
	*campaignFixture
	ctx     context.Context
	planner *campaigns.Planner
	inputs  map[string]*models.CustomerInput
}

func newDeliveryFixture(t *testing.T, backend string) *deliveryFixture {
	t.Helper()
	return &deliveryFixture{campaignFixture: newCampaignFixture(t, backend), ctx: context.Background(),
		planner: campaigns.NewPlanner(sendSettings), inputs: map[string]*models.CustomerInput{}}
}

// sendContentInput is contentInput with an English sms variant, so a
// customer can switch between email and sms.
func sendContentInput() *models.ContentInput {
	in := contentInput()
	in.Variants = append(in.Variants, models.Variant{Locale: "en", Channel: models.ChannelSMS, Text: "Hello from Candor."})
	return in
}

// now is the fixture clock as the store writes it.
func (f *deliveryFixture) now() time.Time { return f.clk.Now().UTC().Truncate(time.Microsecond) }

// add creates an opted-in customer in group after change adjusts it.
func (f *deliveryFixture) add(ext, group string, change func(in *models.CustomerInput)) *models.Customer {
	f.t.Helper()
	in := customerInput(ext)
	in.Attributes = map[string]any{"group": group, "main": "yes"}
	f.phones++
	in.Phone = fmt.Sprintf("+1415555%04d", f.phones)
	if change != nil {
		change(in)
	}
	f.inputs[ext] = in
	c := mustPutCustomer(f.t, f.s, in)
	mustSetConsent(f.t, f.s, ext, campaignTopic, models.ConsentOptedIn)
	return c
}

// change replaces a customer's profile after change adjusts the input
// it was last written with.
func (f *deliveryFixture) change(ext string, change func(in *models.CustomerInput)) *models.Customer {
	f.t.Helper()
	in := f.inputs[ext]
	change(in)
	return mustPutCustomer(f.t, f.s, in)
}

// launch approves content (sendContentInput if in is nil) and launches a
// campaign of it to group over the next 48 hours.
func (f *deliveryFixture) launch(in *models.ContentInput, group string) *models.Campaign {
	f.t.Helper()
	if in == nil {
		in = sendContentInput()
	}
	camp := f.campaign(f.approved(in), f.segment(group))
	c, err := f.s.LaunchCampaign(f.ctx, camp.ID, f.planner)
	if err != nil {
		f.t.Fatalf("launch: %v", err)
	}
	return c
}

// deliveries returns a campaign's deliveries in id order.
func (f *deliveryFixture) deliveries(campaignID int64) []*models.Delivery {
	f.t.Helper()
	items, _, err := f.s.CampaignDeliveries(f.ctx, campaignID, models.Page{Limit: models.MaxPageLimit})
	if err != nil {
		f.t.Fatalf("deliveries of campaign %d: %v", campaignID, err)
	}
	return items
}

// launchDispatched adds a customer for each of exts to group "g",
// launches the default content to them and dispatches it; it returns the
// campaign and each customer's delivery id.
func (f *deliveryFixture) launchDispatched(exts ...string) (*models.Campaign, map[string]int64) {
	f.t.Helper()
	for _, ext := range exts {
		f.add(ext, "g", nil)
	}
	camp := f.launch(nil, "g")
	id := map[string]int64{}
	for _, d := range f.deliveries(camp.ID) {
		id[d.ExternalID] = d.ID
	}
	f.dispatch()
	return camp, id
}

// dispatch does what the dispatcher does with everything due now: it
// reads the due planned deliveries, starts their campaigns and returns
// them in batches of 100 (without task ids: the worker derives those).
func (f *deliveryFixture) dispatch() []models.SendBatch {
	f.t.Helper()
	due, err := f.s.DueDeliveries(f.ctx, models.DueCursor{}, f.clk.Now(), 1000)
	if err != nil {
		f.t.Fatalf("due deliveries: %v", err)
	}
	var out []models.SendBatch
	var campaigns []int64
	for i, d := range due {
		if i%100 == 0 {
			out = append(out, models.SendBatch{})
		}
		b := &out[len(out)-1]
		b.IDs = append(b.IDs, d.ID)
		if d.ScheduledAt.After(b.ProcessAt) {
			b.ProcessAt = d.ScheduledAt
		}
		campaigns = append(campaigns, d.CampaignID)
	}
	if err := f.s.StartCampaigns(f.ctx, campaigns); err != nil {
		f.t.Fatalf("start campaigns: %v", err)
	}
	return out
}

// dueOne adds customer ext (group "g"), launches to the group and
// dispatches: it returns the one delivery, planned and due.
func (f *deliveryFixture) dueOne(ext string) int64 {
	f.t.Helper()
	f.add(ext, "g", nil)
	camp := f.launch(nil, "g")
	id := f.deliveries(camp.ID)[0].ID
	f.dispatch()
	return id
}

// claim claims ids as worker w1 with the fixture's planner.
func (f *deliveryFixture) claim(ids ...int64) []*models.ClaimedSend {
	f.t.Helper()
	return f.claimWith(f.planner, ids...)
}

// claimWith claims ids as worker w1 with planner.
func (f *deliveryFixture) claimWith(planner models.Planner, ids ...int64) []*models.ClaimedSend {
	f.t.Helper()
	cs, err := f.s.ClaimDeliveries(f.ctx, ids, "w1", claimLease, planner)
	if err != nil {
		f.t.Fatalf("claim %v: %v", ids, err)
	}
	return cs
}

// record records outcomes as worker w1.
func (f *deliveryFixture) record(outcomes ...models.SendOutcome) {
	f.t.Helper()
	if err := f.s.RecordOutcomes(f.ctx, "w1", outcomes); err != nil {
		f.t.Fatalf("record outcomes: %v", err)
	}
}

// delivery reads one delivery with its events.
func (f *deliveryFixture) delivery(id int64) *models.Delivery {
	f.t.Helper()
	d, err := f.s.Delivery(f.ctx, id)
	if err != nil {
		f.t.Fatalf("delivery %d: %v", id, err)
	}
	return d
}

// column reads one column of a delivery that the model does not show.
func (f *deliveryFixture) column(id int64, col string, dst any) {
	f.t.Helper()
	if err := f.s.DB().Raw("SELECT "+col+" FROM deliveries WHERE id = ?", id).Row().Scan(dst); err != nil {
		f.t.Fatalf("read %s of delivery %d: %v", col, id, err)
	}
}

// taskID returns the task id a delivery was last handed to.
func (f *deliveryFixture) taskID(id int64) string {
	f.t.Helper()
	var s string
	f.column(id, "task_id", &s)
	return s
}

// state returns a campaign's state.
func (f *deliveryFixture) state(id int64) models.CampaignState {
	f.t.Helper()
	c, err := f.s.Campaign(f.ctx, id)
	if err != nil {
		f.t.Fatalf("campaign %d: %v", id, err)
	}
	return c.State
}

// events returns the outbox events of type typ, oldest first.
func (f *deliveryFixture) events(typ models.EventType) []models.Event {
	f.t.Helper()
	evs, err := f.s.Events(f.ctx, 0, models.MaxPageLimit)
	if err != nil {
		f.t.Fatalf("events: %v", err)
	}
	return slices.DeleteFunc(evs, func(e models.Event) bool { return e.Type != typ })
}

// ids returns the ids of deliveries.
func ids(ds []*models.Delivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// claimedIDs returns the delivery ids of claimed sends.
func claimedIDs(cs []*models.ClaimedSend) []int64 {
	out := []int64{}
	for _, c := range cs {
		out = append(out, c.Delivery.ID)
	}
	return out
}

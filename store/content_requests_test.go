package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// request asks for content on behalf of ext with key.
func (f *deliveryFixture) request(c *models.Customer, content int64, key string) *models.ContentRequest {
	f.t.Helper()
	r, err := f.s.RequestContent(f.ctx, models.ContentRequestInput{CustomerID: c.ID, ContentID: content, Key: key}, f.planner)
	if err != nil {
		f.t.Fatalf("request content %d: %v", content, err)
	}
	return r
}

// customerDeliveries counts a customer's deliveries of content.
func (f *deliveryFixture) customerDeliveries(c *models.Customer, content int64) int64 {
	f.t.Helper()
	var n int64
	if err := f.s.DB().Raw("SELECT COUNT(*) FROM deliveries WHERE customer_id = ? AND content_id = ?", c.ID, content).Scan(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestContentRequests(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		asker := f.add("asker", "g", func(in *models.CustomerInput) { in.Cadence = &models.Cadence{Max: 1, Per: "30d"} })
		// A campaign's message uses up the customer's cadence first.
		first := f.launch(nil, "g")
		f.dispatch()
		cs := f.claim(ids(f.deliveries(first.ID))...)
		f.record(models.SendOutcome{DeliveryID: cs[0].Delivery.ID, Status: models.DeliverySent, ProviderID: "p1"})
		wanted := f.approved(sendContentInput())

		var planned *models.ContentRequest
		t.Run("a request is planned now, inside the customer's window, exempt from their cadence", func(t *testing.T) {
			planned = f.request(asker, wanted, "k1")
			if planned.Outcome != models.RequestPlanned || planned.Delivery == nil || !planned.Delivery.ScheduledAt.Equal(f.now()) {
				t.Fatalf("request = %+v, want planned at %s", planned, f.now())
			}
			if planned.Delivery.Channel != models.ChannelEmail {
				t.Errorf("channel = %s, want the preferred email", planned.Delivery.Channel)
			}
		})
		t.Run("the same request again answers as before and plans nothing", func(t *testing.T) {
			again := f.request(asker, wanted, "k1")
			if !again.Repeated || again.Outcome != models.RequestPlanned || again.Delivery.ID != planned.Delivery.ID {
				t.Errorf("second answer = %+v, want the first one repeated", again)
			}
			if n := f.customerDeliveries(asker, wanted); n != 1 {
				t.Errorf("%d deliveries, want 1", n)
			}
		})
		t.Run("another request while it is pending says it is on its way", func(t *testing.T) {
			if r := f.request(asker, wanted, "k2"); r.Outcome != models.RequestOnItsWay || r.Receipt.Pending == nil {
				t.Errorf("answer = %+v, want on_its_way", r)
			}
		})
		t.Run("the worker claims it although the cadence is used up", func(t *testing.T) {
			f.dispatch()
			cs := f.claim(planned.Delivery.ID)
			if len(cs) != 1 {
				t.Fatalf("claimed %d, want the request (the send-time cadence must not hold it)", len(cs))
			}
			f.record(models.SendOutcome{DeliveryID: planned.Delivery.ID, Status: models.DeliverySent, ProviderID: "p2"})
			if got := f.state(planned.Delivery.CampaignID); got != models.CampaignCompleted {
				t.Errorf("request campaign is %s, want completed", got)
			}
		})
		t.Run("a request for what the customer received plans nothing", func(t *testing.T) {
			r := f.request(asker, wanted, "k3")
			if r.Outcome != models.RequestAlreadyReceived || r.Receipt.ReceivedAt == nil {
				t.Errorf("answer = %+v, want already_received", r)
			}
			if r := f.request(asker, wanted, "k1"); r.Outcome != models.RequestAlreadyReceived || !r.Repeated {
				t.Errorf("the first request replayed = %+v, want already_received", r)
			}
			if n := f.customerDeliveries(asker, wanted); n != 1 {
				t.Errorf("%d deliveries, want 1", n)
			}
		})
		t.Run("outside the customer's windows it waits for the next one", func(t *testing.T) {
			later := f.add("later", "h", nil)
			f.clk.Advance(2 * 24 * time.Hour) // Wednesday: the Mon/Tue windows are closed
			r := f.request(later, wanted, "k4")
			want := time.Date(2025, 3, 17, 9, 0, 0, 0, time.UTC) // Monday 09:00 in London (GMT)
			if r.Outcome != models.RequestPlanned || !r.Delivery.ScheduledAt.Equal(want) {
				t.Errorf("answer = %+v, want planned at %s", r, want)
			}
		})
		t.Run("without consent nothing is planned and nothing is written", func(t *testing.T) {
			stranger := mustPutCustomer(t, f.s, customerInput("stranger"))
			r := f.request(stranger, wanted, "k5")
			if r.Outcome != models.RequestRefused || r.Reason != models.ReasonNoConsent {
				t.Errorf("answer = %+v, want refused no_consent", r)
			}
			var n int64
			if err := f.s.DB().Raw("SELECT COUNT(*) FROM campaigns WHERE request_key = 'k5'").Scan(&n).Error; err != nil || n != 0 {
				t.Errorf("%d request campaigns for k5 (%v), want none", n, err)
			}
		})
		t.Run("requests are not listed as campaigns", func(t *testing.T) {
			list, _, err := f.s.Campaigns(f.ctx, models.Page{Limit: 100})
			if err != nil || len(list) != 1 || list[0].ID != first.ID {
				t.Errorf("campaigns = %d (%v), want only the operators' one", len(list), err)
			}
		})
	})
}

func TestConcurrentContentRequestsPlanOneDelivery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		c := f.add("clicker", "g", nil)
		content := f.approved(sendContentInput())
		var wg sync.WaitGroup
		answers := make([]*models.ContentRequest, 8)
		errs := make([]error, 8)
		for i := range answers {
			// Half submit the same form twice, half open a second tab.
			key := []string{"tab-1", "tab-2"}[i%2]
			wg.Go(func() {
				answers[i], errs[i] = f.s.RequestContent(f.ctx, models.ContentRequestInput{CustomerID: c.ID, ContentID: content, Key: key}, f.planner)
			})
		}
		wg.Wait()
		planned := 0
		for i, a := range answers {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			if a.Outcome == models.RequestPlanned && !a.Repeated {
				planned++
			}
		}
		if n := f.customerDeliveries(c, content); n != 1 || planned != 1 {
			t.Errorf("%d deliveries, %d first answers planned; want 1 and 1", n, planned)
		}
	})
}

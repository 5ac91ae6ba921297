package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

// mondayFrom returns a change giving a customer one Monday window from
// start to 17:00 London time.
func mondayFrom(start string) func(in *models.CustomerInput) {
	return func(in *models.CustomerInput) {
		in.PreferredWindows = []models.Window{{Days: []string{"mon"}, Start: start, End: "17:00"}}
	}
}

func TestDispatchDue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		// London is on GMT on 2025-03-10: local times are UTC.
		for _, c := range []struct{ ext, start string }{{"a", "09:00"}, {"b", "10:00"}, {"c", "11:00"}, {"d", "12:00"}, {"e", "15:00"}} {
			f.add(c.ext, "g", mondayFrom(c.start))
		}
		g := f.launch(nil, "g")
		all := f.deliveries(g.ID)
		if len(all) != 5 {
			t.Fatalf("launch planned %d deliveries, want 5", len(all))
		}
		byExt := map[string]*models.Delivery{}
		for _, d := range all {
			byExt[d.ExternalID] = d
		}
		at := func(hhmm string) time.Time {
			tm, _ := time.Parse("15:04", hhmm)
			return time.Date(2025, 3, 10, tm.Hour(), tm.Minute(), 0, 0, time.UTC)
		}
		now := f.now()

		batches, err := f.s.DispatchDue(f.ctx, now.Add(2*time.Hour), 1000, 2, "dispatcher")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("due deliveries are handed on in batches of batchSize in scheduled order, each at its latest time", func(t *testing.T) {
			var got []models.SendBatch
			for _, b := range batches {
				got = append(got, models.SendBatch{IDs: b.IDs, ProcessAt: b.ProcessAt})
			}
			want := []models.SendBatch{
				{IDs: []int64{byExt["a"].ID, byExt["b"].ID}, ProcessAt: at("10:00")},
				{IDs: []int64{byExt["c"].ID}, ProcessAt: at("11:00")},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("batches (-want +got):\n%s", diff)
			}
		})
		t.Run("each delivery is queued under its batch's task id, and the batches' ids differ", func(t *testing.T) {
			if len(batches) != 2 || batches[0].TaskID == batches[1].TaskID || batches[0].TaskID == "" {
				t.Fatalf("task ids = %+v", batches)
			}
			for _, b := range batches {
				for _, id := range b.IDs {
					if d := f.delivery(id); d.Status != models.DeliveryQueued || f.taskID(id) != b.TaskID {
						t.Errorf("delivery %d: status %s, task %q, want queued under %q", id, d.Status, f.taskID(id), b.TaskID)
					}
				}
			}
		})
		t.Run("deliveries not yet due stay planned", func(t *testing.T) {
			for _, ext := range []string{"d", "e"} {
				if d := f.delivery(byExt[ext].ID); d.Status != models.DeliveryPlanned || f.taskID(d.ID) != "" {
					t.Errorf("%s: %s under task %q, want planned", ext, d.Status, f.taskID(d.ID))
				}
			}
		})
		t.Run("every move is recorded as a delivery event with the dispatcher's name", func(t *testing.T) {
			want := []models.DeliveryEvent{{At: now, From: models.DeliveryPlanned, To: models.DeliveryQueued, Worker: "dispatcher"}}
			if diff := cmp.Diff(want, f.delivery(byExt["a"].ID).Events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
		t.Run("the campaign runs once its first delivery is handed on, and says so in an event", func(t *testing.T) {
			if st := f.state(g.ID); st != models.CampaignRunning {
				t.Errorf("state = %s, want running", st)
			}
			evs := f.events(models.EventCampaignState)
			var last map[string]any
			if err := json.Unmarshal(evs[len(evs)-1].Data, &last); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"campaign_id": float64(g.ID), "from": "scheduled", "to": "running"}
			if diff := cmp.Diff(want, last); diff != "" {
				t.Errorf("last campaign event (-want +got):\n%s", diff)
			}
		})
		t.Run("dispatching again hands on nothing twice", func(t *testing.T) {
			again, err := f.s.DispatchDue(f.ctx, now.Add(2*time.Hour), 1000, 2, "dispatcher")
			if err != nil || len(again) != 0 {
				t.Errorf("second dispatch = %+v %v, want nothing", again, err)
			}
			if n := len(f.events(models.EventCampaignState)); n != 2 { // launch, running
				t.Errorf("%d campaign state events, want 2", n)
			}
		})
		t.Run("the same work gets the same task id again, re-planned work a new one", func(t *testing.T) {
			first := batches[1]
			requeue := func(generation int) {
				t.Helper()
				err := f.s.DB().Exec("UPDATE deliveries SET status = 'planned', task_id = '', generation = ? WHERE id = ?",
					generation, first.IDs[0]).Error
				if err != nil {
					t.Fatal(err)
				}
			}
			requeue(1)
			same, err := f.s.DispatchDue(f.ctx, now.Add(2*time.Hour), 1000, 2, "dispatcher")
			if err != nil || len(same) != 1 || same[0].TaskID != first.TaskID {
				t.Fatalf("re-dispatch = %+v %v, want task %q", same, err, first.TaskID)
			}
			requeue(2)
			next, err := f.s.DispatchDue(f.ctx, now.Add(2*time.Hour), 1000, 2, "dispatcher")
			if err != nil || len(next) != 1 || next[0].TaskID == first.TaskID {
				t.Fatalf("dispatch of generation 2 = %+v %v, want a task id other than %q", next, err, first.TaskID)
			}
		})
		t.Run("limit bounds how many are handed on", func(t *testing.T) {
			got, err := f.s.DispatchDue(f.ctx, now.Add(8*time.Hour), 1, 2, "dispatcher")
			if err != nil || len(got) != 1 || !cmp.Equal(got[0].IDs, []int64{byExt["d"].ID}) {
				t.Errorf("dispatch with limit 1 = %+v %v, want only d", got, err)
			}
		})
	})
}

func TestDispatchSkipsCampaignsThatAreNotActive(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		f.add("h", "h", nil)
		h := f.launch(nil, "h")
		d := f.deliveries(h.ID)[0]
		for _, state := range []models.CampaignState{models.CampaignPaused, models.CampaignDraft, models.CampaignCancelled, models.CampaignCompleted} {
			t.Run("a due planned delivery of a "+string(state)+" campaign stays planned", func(t *testing.T) {
				if err := f.s.DB().Exec("UPDATE campaigns SET state = ? WHERE id = ?", string(state), h.ID).Error; err != nil {
					t.Fatal(err)
				}
				if got := f.dispatch(); len(got) != 0 {
					t.Errorf("dispatched %+v", got)
				}
				if got := f.delivery(d.ID); got.Status != models.DeliveryPlanned {
					t.Errorf("status = %s, want planned", got.Status)
				}
			})
		}
		t.Run("once scheduled again it is handed on", func(t *testing.T) {
			if err := f.s.DB().Exec("UPDATE campaigns SET state = 'scheduled' WHERE id = ?", h.ID).Error; err != nil {
				t.Fatal(err)
			}
			if got := f.dispatch(); len(got) != 1 || !cmp.Equal(got[0].IDs, []int64{d.ID}) {
				t.Errorf("dispatched %+v, want [%d]", got, d.ID)
			}
		})
	})
}

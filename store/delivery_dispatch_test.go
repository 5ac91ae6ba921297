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

func TestDueDeliveries(t *testing.T) {
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
		due := func(ext string, at time.Time) models.DueDelivery {
			return models.DueDelivery{ID: byExt[ext].ID, CampaignID: g.ID, ScheduledAt: at, Generation: 1, Channel: models.ChannelEmail}
		}
		until := now.Add(2 * time.Hour)
		read := func(after models.DueCursor, until time.Time, limit int) []models.DueDelivery {
			t.Helper()
			got, err := f.s.DueDeliveries(f.ctx, after, until, limit)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}

		t.Run("the planned deliveries due by until come in scheduled order", func(t *testing.T) {
			// a's window is open already: it is due now.
			want := []models.DueDelivery{due("a", now), due("b", at("10:00")), due("c", at("11:00"))}
			if diff := cmp.Diff(want, read(models.DueCursor{}, until, 100)); diff != "" {
				t.Errorf("due (-want +got):\n%s", diff)
			}
		})
		t.Run("reading after a position starts past it", func(t *testing.T) {
			after := models.DueCursor{ScheduledAt: at("10:00"), ID: byExt["b"].ID}
			want := []models.DueDelivery{due("c", at("11:00"))}
			if diff := cmp.Diff(want, read(after, until, 100)); diff != "" {
				t.Errorf("due (-want +got):\n%s", diff)
			}
		})
		t.Run("a later delivery at the position's time still comes", func(t *testing.T) {
			after := models.DueCursor{ScheduledAt: at("10:00"), ID: byExt["b"].ID - 1000}
			if got := read(after, until, 1); len(got) != 1 || got[0].ID != byExt["b"].ID {
				t.Errorf("due = %+v, want b", got)
			}
		})
		t.Run("limit bounds how many come", func(t *testing.T) {
			if got := read(models.DueCursor{}, now.Add(8*time.Hour), 1); len(got) != 1 || got[0].ID != byExt["a"].ID {
				t.Errorf("due with limit 1 = %+v, want only a", got)
			}
		})
		t.Run("reading writes nothing: every delivery stays planned with no event", func(t *testing.T) {
			for _, d := range f.deliveries(g.ID) {
				if d.Status != models.DeliveryPlanned || len(d.Events) != 0 || f.taskID(d.ID) != "" {
					t.Errorf("%s: %s, events %+v, task %q", d.ExternalID, d.Status, d.Events, f.taskID(d.ID))
				}
			}
			if st := f.state(g.ID); st != models.CampaignScheduled {
				t.Errorf("state = %s, want scheduled", st)
			}
		})
		t.Run("a re-planned delivery comes with its new generation", func(t *testing.T) {
			if err := f.s.DB().Exec("UPDATE deliveries SET generation = 2 WHERE id = ?", byExt["a"].ID).Error; err != nil {
				t.Fatal(err)
			}
			if got := read(models.DueCursor{}, until, 1); len(got) != 1 || got[0].Generation != 2 {
				t.Errorf("due = %+v, want a in generation 2", got)
			}
		})
		t.Run("starting the campaign runs it once and says so in an event", func(t *testing.T) {
			for range 2 {
				if err := f.s.StartCampaigns(f.ctx, []int64{g.ID, g.ID}); err != nil {
					t.Fatal(err)
				}
			}
			if st := f.state(g.ID); st != models.CampaignRunning {
				t.Errorf("state = %s, want running", st)
			}
			evs := f.events(models.EventCampaignState)
			if len(evs) != 2 { // launch, running
				t.Fatalf("%d campaign state events, want 2", len(evs))
			}
			var last map[string]any
			if err := json.Unmarshal(evs[len(evs)-1].Data, &last); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"campaign_id": float64(g.ID), "from": "scheduled", "to": "running"}
			if diff := cmp.Diff(want, last); diff != "" {
				t.Errorf("last campaign event (-want +got):\n%s", diff)
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

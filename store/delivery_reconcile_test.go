package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// smsIsIdempotent says sms may be re-sent after a crash and email not.
func smsIsIdempotent(ch models.Channel) bool { return ch == models.ChannelSMS }

// expire runs ExpireLeases as the reconciler.
func (f *deliveryFixture) expire() []models.SendBatch {
	f.t.Helper()
	b, err := f.s.ExpireLeases(f.ctx, 100, 10, "reconciler", smsIsIdempotent, 5)
	if err != nil {
		f.t.Fatalf("expire leases: %v", err)
	}
	return b
}

// claimedPair launches to an email and an sms customer and claims both;
// it returns their delivery ids.
func claimedPair(f *deliveryFixture) (mail, text int64) {
	f.t.Helper()
	f.add("mail", "g", nil)
	f.add("text", "g", func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelSMS })
	camp := f.launch(nil, "g")
	for _, d := range f.deliveries(camp.ID) {
		if d.Channel == models.ChannelSMS {
			text = d.ID
		} else {
			mail = d.ID
		}
	}
	f.dispatch()
	if got := f.claim(mail, text); len(got) != 2 {
		f.t.Fatalf("claimed %d, want 2", len(got))
	}
	return mail, text
}

func TestExpireLeases(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		mail, text := claimedPair(f)
		t.Run("a lease that has not run out is left alone", func(t *testing.T) {
			f.clk.Advance(claimLease - time.Second)
			if got := f.expire(); len(got) != 0 {
				t.Errorf("expired %+v", got)
			}
		})
		f.clk.Advance(2 * time.Second)
		batches := f.expire()
		t.Run("on an idempotent channel the delivery is queued again under a new derived task id", func(t *testing.T) {
			if len(batches) != 1 || !cmp.Equal(batches[0].IDs, []int64{text}) || !batches[0].ProcessAt.Equal(f.now()) {
				t.Fatalf("batches = %+v, want [%d] at %s", batches, text, f.now())
			}
			if batches[0].Channel != models.ChannelSMS {
				t.Errorf("the retry task is for %q, want sms (its rounds are its channel's)", batches[0].Channel)
			}
			if !strings.HasPrefix(batches[0].TaskID, "retry-") || f.taskID(text) != batches[0].TaskID {
				t.Errorf("task id %q (stored %q), want a retry task's", batches[0].TaskID, f.taskID(text))
			}
			if d := f.delivery(text); d.Status != models.DeliveryQueued || d.SentAt != nil {
				t.Errorf("delivery = %s sent at %v, want queued with no send time", d.Status, d.SentAt)
			}
		})
		t.Run("on another channel the delivery becomes unknown with an event", func(t *testing.T) {
			if d := f.delivery(mail); d.Status != models.DeliveryUnknown {
				t.Errorf("status = %s, want unknown", d.Status)
			}
			if n := len(f.events(models.EventDeliveryUnknown)); n != 1 {
				t.Errorf("%d delivery.unknown events, want 1", n)
			}
		})
		t.Run("expiring again changes nothing", func(t *testing.T) {
			if got := f.expire(); len(got) != 0 {
				t.Errorf("expired again: %+v", got)
			}
		})
		t.Run("the queued-again delivery is claimed as a second attempt", func(t *testing.T) {
			got := f.claim(text)
			if len(got) != 1 || got[0].Delivery.Attempts != 2 {
				t.Fatalf("claim = %+v", got)
			}
		})
		t.Run("a late sent for a delivery marked unknown makes it sent", func(t *testing.T) {
			f.record(models.SendOutcome{DeliveryID: mail, Status: models.DeliverySent, ProviderID: "late"})
			if d := f.delivery(mail); d.Status != models.DeliverySent || d.ProviderID != "late" || d.SentAt == nil {
				t.Errorf("delivery = %s %q sent at %v", d.Status, d.ProviderID, d.SentAt)
			}
		})
	})
}

func TestLateOutcomesAfterARequeue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		t.Run("a late sent for a delivery queued again counts as sent from now", func(t *testing.T) {
			f := newDeliveryFixture(t, backend)
			_, text := claimedPair(f)
			f.clk.Advance(claimLease + time.Second)
			f.expire()
			f.record(models.SendOutcome{DeliveryID: text, Status: models.DeliverySent, ProviderID: "late"})
			d := f.delivery(text)
			if d.Status != models.DeliverySent || d.SentAt == nil {
				t.Fatalf("delivery = %s sent at %v: a sent message must count for cadence", d.Status, d.SentAt)
			}
			if got := f.claim(text); len(got) != 0 {
				t.Errorf("the queued task claimed a sent delivery")
			}
		})
		t.Run("a worker whose lease ran out cannot fail a delivery another worker is sending", func(t *testing.T) {
			f := newDeliveryFixture(t, backend)
			_, text := claimedPair(f)
			f.clk.Advance(claimLease + time.Second)
			f.expire()
			if _, err := f.s.ClaimDeliveries(f.ctx, []int64{text}, "w2", claimLease, f.planner); err != nil {
				t.Fatal(err)
			}
			f.record(models.SendOutcome{DeliveryID: text, Status: models.DeliveryFailed, Reason: models.ReasonRejected}) // w1
			if d := f.delivery(text); d.Status != models.DeliverySending {
				t.Fatalf("status = %s %s, want still sending by w2", d.Status, d.Reason)
			}
			if err := f.s.RecordOutcomes(f.ctx, "w2", []models.SendOutcome{{DeliveryID: text, Status: models.DeliverySent}}); err != nil {
				t.Fatal(err)
			}
			if d := f.delivery(text); d.Status != models.DeliverySent {
				t.Errorf("status = %s, want sent", d.Status)
			}
		})
	})
}

func TestStaleQueuedGroupsByTask(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		for _, ext := range []string{"a", "b", "c"} {
			f.add(ext, "g", nil)
		}
		camp := f.launch(nil, "g")
		// Queued, as a retry leaves them: two in one task, one in another.
		ds := f.deliveries(camp.ID)
		batches := []models.SendBatch{{TaskID: "retry-x", IDs: []int64{ds[0].ID, ds[1].ID}, Channel: models.ChannelEmail},
			{TaskID: "retry-y", IDs: []int64{ds[2].ID}, Channel: models.ChannelEmail}}
		for i := range batches {
			b := &batches[i]
			for _, id := range b.IDs {
				b.ProcessAt = f.delivery(id).ScheduledAt
				err := f.s.DB().Exec("UPDATE deliveries SET status = 'queued', queued_at = ?, task_id = ? WHERE id = ?", f.now(), b.TaskID, id).Error
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		t.Run("deliveries queued after the cut-off are not stale", func(t *testing.T) {
			got, err := f.s.StaleQueued(f.ctx, f.now(), 100)
			if err != nil || len(got) != 0 {
				t.Errorf("stale = %+v %v", got, err)
			}
		})
		t.Run("stale deliveries come back grouped by the task they were handed to, on their channel", func(t *testing.T) {
			f.clk.Advance(10 * time.Minute)
			got, err := f.s.StaleQueued(f.ctx, f.clk.Now().Add(-5*time.Minute), 100)
			if err != nil {
				t.Fatal(err)
			}
			want := batches
			if want[0].TaskID > want[1].TaskID {
				want = []models.SendBatch{want[1], want[0]}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stale (-want +got):\n%s", diff)
			}
		})
	})
}

func TestResendDelivery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		f.add("mail", "g", nil)
		camp := f.launch(nil, "g")
		id := f.deliveries(camp.ID)[0].ID
		f.dispatch()
		f.claim(id)
		t.Run("only an unknown delivery can be resent", func(t *testing.T) {
			_, err := f.s.ResendDelivery(f.ctx, id, "admin")
			wantCode(t, err, models.ECONFLICT)
			_, err = f.s.ResendDelivery(f.ctx, id+1000, "admin")
			wantCode(t, err, models.ENOTFOUND)
		})
		f.clk.Advance(claimLease + time.Second)
		f.expire()
		if n, err := f.s.CompleteCampaigns(f.ctx); err != nil || n != 1 {
			t.Fatalf("sweep completed %d (%v), want 1", n, err)
		}
		d, err := f.s.ResendDelivery(f.ctx, id, "admin")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("a resent delivery is planned again now as a new generation", func(t *testing.T) {
			if d.Status != models.DeliveryPlanned || d.Generation != 2 || !d.ScheduledAt.Equal(f.now()) || d.SentAt != nil {
				t.Errorf("resent = %+v", d)
			}
			last := d.Events[len(d.Events)-1]
			if last.From != models.DeliveryUnknown || last.To != models.DeliveryPlanned || last.Worker != "admin" {
				t.Errorf("last event = %+v", last)
			}
		})
		t.Run("its completed campaign runs again", func(t *testing.T) {
			if st := f.state(camp.ID); st != models.CampaignRunning {
				t.Errorf("state = %s, want running", st)
			}
		})
		t.Run("it is due again in its new generation", func(t *testing.T) {
			due, err := f.s.DueDeliveries(f.ctx, models.DueCursor{}, f.clk.Now(), 10)
			if err != nil || len(due) != 1 || due[0].ID != id || due[0].Generation != 2 {
				t.Errorf("due = %+v %v", due, err)
			}
		})
		t.Run("resending it again is a conflict", func(t *testing.T) {
			_, err := f.s.ResendDelivery(f.ctx, id, "admin")
			wantCode(t, err, models.ECONFLICT)
		})
	})
}

func TestResendInACancelledCampaignIsAConflict(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		f.add("mail", "g", nil)
		camp := f.launch(nil, "g")
		id := f.deliveries(camp.ID)[0].ID
		f.dispatch()
		f.claim(id)
		f.clk.Advance(claimLease + time.Second)
		f.expire()
		if _, err := f.s.CancelCampaign(f.ctx, camp.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.s.ResendDelivery(f.ctx, id, "admin")
		wantCode(t, err, models.ECONFLICT)
	})
}

// TestLateSentRacingTheReconciler holds the reconciler's change of a
// delivery to unknown uncommitted while a late sent is recorded for it
// (PostgreSQL only: SQLite runs one writing transaction at a time).
func TestLateSentRacingTheReconciler(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		if backend != store.DialectPostgres {
			t.Skip("needs concurrent writers")
		}
		f := newDeliveryFixture(t, backend)
		mail, _ := claimedPair(f)
		reconciler := f.s.DB().Begin()
		defer reconciler.Rollback()
		if err := reconciler.Exec("UPDATE deliveries SET status = 'unknown' WHERE id = ?", mail).Error; err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			done <- f.s.RecordOutcomes(context.Background(), "w1", []models.SendOutcome{{DeliveryID: mail, Status: models.DeliverySent}})
		}()
		waitForLockWait(t, f)
		if err := reconciler.Commit().Error; err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if d := f.delivery(mail); d.Status != models.DeliverySent {
			t.Errorf("status = %s, want sent: the send happened", d.Status)
		}
	})
}

// waitForLockWait returns once a session of this test database waits for
// a lock.
func waitForLockWait(t *testing.T, f *deliveryFixture) {
	t.Helper()
	for range 2000 {
		var n int
		err := f.s.DB().Raw("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid " +
			"WHERE NOT l.granted AND a.datname = current_database()").Row().Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no session waited for the lock")
}

// TestALateSentOutcomeWinsOverAReclaim: worker A's lease on an sms
// delivery runs out while its send is still under way; the reconciler
// queues it again and worker B's claim skips it (the customer withdrew
// consent meanwhile). A's send did go out, so its sent outcome is
// recorded: the delivery must not stay skipped (it would not count for
// cadence) nor be planned to go out again.
func TestALateSentOutcomeWinsOverAReclaim(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		_, text := claimedPair(f)
		f.clk.Advance(claimLease + time.Second)
		f.expire()
		mustSetConsent(t, f.s, "text", campaignTopic, models.ConsentOptedOut)
		if got := f.claim(text); len(got) != 0 {
			t.Fatalf("re-claim sent %d, want the delivery skipped", len(got))
		}
		if d := f.delivery(text); d.Status != models.DeliverySkipped {
			t.Fatalf("after the re-claim: %s, want skipped", d.Status)
		}
		f.record(models.SendOutcome{DeliveryID: text, Status: models.DeliverySent, ProviderID: "late"})
		if d := f.delivery(text); d.Status != models.DeliverySent || d.ProviderID != "late" || d.SentAt == nil {
			t.Errorf("after the late outcome: %+v, want sent with its provider id and send time", d)
		}
	})
}

// TestADeliveryWhoseEveryClaimDiesIsGivenUp: an sms delivery whose worker
// dies at every attempt (a delivery that crashes what sends it) is queued
// again until its attempts are used up, then failed, never queued for ever.
func TestADeliveryWhoseEveryClaimDiesIsGivenUp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		_, text := claimedPair(f) // attempt 1
		for attempt := 2; attempt <= 5; attempt++ {
			f.clk.Advance(claimLease + time.Second)
			f.expire()
			if got := f.claim(text); len(got) != 1 || got[0].Delivery.Attempts != attempt {
				t.Fatalf("claim %d: %+v", attempt, got)
			}
		}
		f.clk.Advance(claimLease + time.Second)
		if b := f.expire(); len(b) != 0 {
			t.Errorf("queued again after its fifth attempt: %+v", b)
		}
		if d := f.delivery(text); d.Status != models.DeliveryFailed || d.Reason != models.ReasonRetriesExhausted {
			t.Errorf("after five attempts: %s %s, want failed retries_exhausted", d.Status, d.Reason)
		}
	})
}

// TestStaleQueuedFindsARetryWhoseTaskWasLost: a first send that failed
// transiently is queued for the task that claimed it to retry; if Redis
// lost that task, the reconciler must find the delivery and give it a
// task of its own. Before, the row kept no queued_at and no task id, and
// stayed queued for ever (the chaos test's Redis flush showed it).
func TestStaleQueuedFindsARetryWhoseTaskWasLost(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		id := f.dueOne("a")
		if got := f.claim(id); len(got) != 1 {
			t.Fatalf("claimed %d, want 1", len(got))
		}
		f.record(models.SendOutcome{DeliveryID: id, Status: models.DeliveryQueued, Reason: models.ReasonRejected})
		t.Run("a retry younger than the cut-off is left to its task", func(t *testing.T) {
			got, err := f.s.StaleQueued(f.ctx, f.now().Add(-time.Minute), 100)
			if err != nil || len(got) != 0 {
				t.Errorf("stale = %+v %v", got, err)
			}
		})
		t.Run("an older one comes back under a task derived from it, on its channel", func(t *testing.T) {
			f.clk.Advance(10 * time.Minute)
			got, err := f.s.StaleQueued(f.ctx, f.clk.Now().Add(-5*time.Minute), 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || !cmp.Equal(got[0].IDs, []int64{id}) || got[0].Channel != models.ChannelEmail ||
				!strings.HasPrefix(got[0].TaskID, "requeue-") {
				t.Fatalf("stale = %+v, want one requeue task of [%d] on email", got, id)
			}
			again, err := f.s.StaleQueued(f.ctx, f.clk.Now().Add(-5*time.Minute), 100)
			if err != nil || len(again) != 1 || again[0].TaskID != got[0].TaskID {
				t.Errorf("found again as %+v %v, want the same task id %q", again, err, got[0].TaskID)
			}
		})
	})
}

// A provider that answers 429 with a Retry-After of ten minutes gets no
// message for ten minutes. The task that claimed the delivery waits that
// long in asynq's retry state; the reconciler must not call the delivery
// stale (and hand it to a task due now) while the wait is still running.
// Before, queued_at was the moment of the failure, so a wait longer than
// StaleAfter ended early in a "requeue-" task.
func TestARetryIsNotStaleBeforeTheProviderAllowsIt(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		id := f.dueOne("a")
		if got := f.claim(id); len(got) != 1 {
			t.Fatalf("claimed %d, want 1", len(got))
		}
		f.record(models.SendOutcome{DeliveryID: id, Status: models.DeliveryQueued, RetryIn: 10 * time.Minute})
		stale := func() []models.SendBatch {
			t.Helper()
			got, err := f.s.StaleQueued(f.ctx, f.clk.Now().Add(-2*time.Minute), 100)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		t.Run("three minutes later, inside the wait, it is not stale", func(t *testing.T) {
			f.clk.Advance(3 * time.Minute)
			if got := stale(); len(got) != 0 {
				t.Errorf("stale = %+v, want none before the retry is due", got)
			}
		})
		t.Run("once the wait and the stale cut-off have passed, it is", func(t *testing.T) {
			f.clk.Advance(10 * time.Minute)
			if got := stale(); len(got) != 1 || !cmp.Equal(got[0].IDs, []int64{id}) {
				t.Errorf("stale = %+v, want the delivery %d", got, id)
			}
		})
	})
}

func TestRetriesPlannedSecondsApartShareOneTask(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		f := newDeliveryFixture(t, backend)
		sms := func(in *models.CustomerInput) { in.PreferredChannel = models.ChannelSMS }
		f.add("early", "g", sms)
		f.add("late", "g", sms)
		camp := f.launch(nil, "g")
		f.dispatch()
		if got := f.claim(ids(f.deliveries(camp.ID))...); len(got) != 2 {
			t.Fatalf("claimed %d, want 2", len(got))
		}
		// Planned ten seconds apart: a dispatcher's task would not hold
		// both (models.MaxTaskSpan), but a retry runs now.
		if err := f.s.DB().Exec("UPDATE deliveries SET scheduled_at = ? WHERE campaign_id = ? AND customer_id = (SELECT id FROM customers WHERE external_id = 'early')",
			f.now().Add(-10*time.Second), camp.ID).Error; err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(claimLease + time.Second)
		batches := f.expire()
		if len(batches) != 1 || len(batches[0].IDs) != 2 || !batches[0].ProcessAt.Equal(f.now()) {
			t.Fatalf("retry tasks = %+v, want one of both deliveries at %s", batches, f.now())
		}
	})
}

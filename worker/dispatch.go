package worker

import (
	"context"
	"time"

	"github.com/candor/candor/models"
)

// Dispatch hands the queue the planned deliveries due within the horizon
// that lie after the dispatcher's position, while the queue has room. It
// writes nothing to the database but the campaigns it starts: a send task
// claims planned deliveries itself, so the dispatcher only remembers (in
// memory) what it handed on, and moves its position past it. What it
// cannot see from there (a re-planned delivery, a late commit, a task
// Redis lost, the deliveries of a campaign that was paused when the
// position passed them and has resumed) the sweep of Reconcile finds.
func (s *Scheduler) Dispatch(ctx context.Context) error {
	return s.pass(ctx, false)
}

// pass reads the due planned deliveries page by page, from the
// dispatcher's position (or, for a sweep, from the first) and hands on
// those it did not hand on already under their generation. A sweep also
// re-creates the tasks of those it handed on longer than StaleAfter ago
// and still finds planned (see recover).
func (s *Scheduler) pass(ctx context.Context, sweep bool) error {
	cursor := s.cursor
	if sweep {
		cursor = models.DueCursor{}
	}
	now := s.o.Now()
	until := now.Add(s.o.Horizon)
	stale := map[string][]models.DueDelivery{}
	for {
		room, err := s.room()
		if err != nil {
			return err
		}
		if room <= 0 {
			break
		}
		// A sweep's page may hold many deliveries handed on already (it
		// starts behind everything waiting in the queue): it reads at
		// least a thousand at a time. A dispatch starts past what it
		// handed on, so it reads what the room takes: reading more read
		// each due delivery about three times, as the rows beyond the
		// room were read again on the next tick (docs/benchmarks.md,
		// "Session 8"). Either hands on at most what the room takes.
		want := room * s.o.BatchSize
		page := want
		if sweep {
			page = max(want, 1000)
		}
		read, err := s.o.Store.DuePage(ctx, cursor, until, page)
		if err != nil {
			return err
		}
		s.read += read.Read
		due := read.Deliveries
		var fresh []models.DueDelivery
		end := len(due)
	read:
		for i, d := range due {
			h, ok := s.handed.lookup(d.ID, d.Generation)
			switch {
			case !ok && len(fresh) == want:
				end = i // no room left for it: the next pass starts here
				break read
			case !ok:
				fresh = append(fresh, d)
			case sweep && now.Sub(h.at) >= s.o.StaleAfter:
				stale[h.task] = append(stale[h.task], d)
			}
		}
		if err := s.handOn(ctx, fresh, now); err != nil {
			return err
		}
		switch {
		case end < len(due) && end > 0:
			last := due[end-1]
			cursor = models.DueCursor{ScheduledAt: last.ScheduledAt, ID: last.ID}
		case end == len(due) && read.Read > 0:
			// Past the deliveries of campaigns not running too.
			cursor = read.Last
		}
		s.cursor = cursor
		if read.Read < page || end < len(due) {
			break
		}
	}
	return s.recover(ctx, stale, now)
}

// handOn enqueues due in tasks (models.SendTasks: each of one channel,
// so each task's rounds are its channel's, see RoundSizes; at most
// BatchSize deliveries spanning at most models.MaxTaskSpan), in order,
// each under a task id derived from its work, and remembers each delivery
// as handed on. The campaigns of due start first, so a campaign is
// running before any of its sends can complete it.
func (s *Scheduler) handOn(ctx context.Context, due []models.DueDelivery, now time.Time) error {
	if len(due) == 0 {
		return nil
	}
	var campaigns []int64
	seen := map[int64]bool{}
	for _, d := range due {
		if !seen[d.CampaignID] {
			seen[d.CampaignID] = true
			campaigns = append(campaigns, d.CampaignID)
		}
	}
	if err := s.o.Store.StartCampaigns(ctx, campaigns); err != nil {
		return err
	}
	for _, t := range models.SendTasks("send", due, s.o.BatchSize) {
		if err := s.o.Enqueuer.Enqueue(ctx, t.SendBatch); err != nil {
			return err
		}
		for _, d := range t.Due {
			s.handed.add(d.ID, d.Generation, t.TaskID, now)
		}
	}
	return nil
}

// recover re-creates the tasks of deliveries handed on at least StaleAfter
// ago that are still planned (stale, by the task they went to), as
// replacement decides: the task is gone (Redis lost it, or it ran while
// they were not due), given up, or "active" in a worker that most likely
// died.
func (s *Scheduler) recover(ctx context.Context, stale map[string][]models.DueDelivery, now time.Time) error {
	for task, due := range stale {
		b := models.NewSendBatch("send", due)
		b.TaskID = task
		b, ok, err := s.replacement(b)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := s.o.Enqueuer.Enqueue(ctx, b); err != nil {
			return err
		}
		for _, d := range due {
			s.handed.add(d.ID, d.Generation, b.TaskID, now)
		}
		s.recreated++
	}
	return nil
}

// handed remembers, for a bounded number of the deliveries handed on
// last, the generation each was handed on under, when, and to which task:
// the dispatcher hands each generation of a delivery on once, and a sweep
// tells a delivery waiting in the queue from one whose task is lost. It
// holds at most max deliveries (the oldest are forgotten first): the
// queue never holds more than MaxQueuedTasks*BatchSize, so twice that
// covers everything still waiting. A forgotten delivery found planned is
// handed on again; claims are exclusive, so that costs an empty claim at
// worst, never a second message.
type handed struct {
	max     int
	entries map[int64]handedEntry
	ring    []handedSlot
	next    int
	seq     uint64
}

type handedEntry struct {
	generation int
	at         time.Time
	task       string
	seq        uint64
}

// handedSlot is a ring position: the delivery it names is forgotten when
// the slot is reused, unless the delivery was handed on again since.
type handedSlot struct {
	id  int64
	seq uint64
}

func newHanded(max int) *handed {
	return &handed{max: max, entries: map[int64]handedEntry{}}
}

// add remembers that generation of delivery id went to task at at.
func (h *handed) add(id int64, generation int, task string, at time.Time) {
	h.seq++
	slot := handedSlot{id: id, seq: h.seq}
	if len(h.ring) < h.max {
		h.ring = append(h.ring, slot)
	} else {
		old := h.ring[h.next]
		if e, ok := h.entries[old.id]; ok && e.seq == old.seq {
			delete(h.entries, old.id)
		}
		h.ring[h.next] = slot
		h.next = (h.next + 1) % h.max
	}
	h.entries[id] = handedEntry{generation: generation, at: at, task: task, seq: h.seq}
}

// lookup returns when and to which task generation of delivery id was
// handed on, if it was.
func (h *handed) lookup(id int64, generation int) (handedEntry, bool) {
	e, ok := h.entries[id]
	return e, ok && e.generation == generation
}

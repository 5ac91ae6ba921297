package models

import (
	"fmt"
	"hash/fnv"
	"time"
)

// How due deliveries become queue tasks is decided here once, for the
// dispatcher (worker) and for the reconciler's retries and requeues
// (store), which used to cut tasks each their own way.

// MaxTaskSpan is the most time between the scheduled times of one task's
// deliveries. A task runs once its latest delivery is due, so its
// earliest waits that long: one channel's deliveries are sparser than a
// campaign's, and a task of them could otherwise span the dispatcher's
// whole horizon (30 s), long enough to miss the end of a customer's
// window.
const MaxTaskSpan = time.Second

// SendTask is a task's batch with the deliveries it carries.
type SendTask struct {
	SendBatch
	Due []DueDelivery
}

// SendTasks cuts due (in the caller's order) into tasks: each of one
// channel's deliveries (a task is claimed in rounds of its channel's
// rate), at most size of them, spanning at most MaxTaskSpan, in order
// within each channel and the channels in the order they first appear.
// Each task is NewSendBatch(prefix, ...) of its deliveries.
func SendTasks(prefix string, due []DueDelivery, size int) []SendTask {
	size = max(1, size)
	var out []SendTask
	for _, group := range byChannel(due) {
		for start := 0; start < len(group); {
			end := start + 1
			for end < len(group) && end-start < size && group[end].ScheduledAt.Sub(group[start].ScheduledAt) <= MaxTaskSpan {
				end++
			}
			chunk := group[start:end:end]
			out = append(out, SendTask{SendBatch: NewSendBatch(prefix, chunk), Due: chunk})
			start = end
		}
	}
	return out
}

// NewSendBatch is the task of due (at least one delivery): to run once
// the latest of them is due, on their channel when they share one, under
// an id derived from the work (prefix, the first id, the count and a hash
// of each delivery's id, generation and attempts), so the same work
// handed on again is the same task (enqueueing it again is harmless),
// and re-planned or retried work is a new one that no retained earlier
// task blocks.
func NewSendBatch(prefix string, due []DueDelivery) SendBatch {
	h := fnv.New64a()
	b := SendBatch{IDs: make([]int64, len(due)), Channel: due[0].Channel}
	for i, d := range due {
		b.IDs[i] = d.ID
		if d.Channel != b.Channel {
			b.Channel = ""
		}
		if d.ScheduledAt.After(b.ProcessAt) {
			b.ProcessAt = d.ScheduledAt.UTC()
		}
		fmt.Fprintf(h, "%d:%d:%d,", d.ID, d.Generation, d.Attempts)
	}
	b.TaskID = fmt.Sprintf("%s-%d-%d-%x", prefix, due[0].ID, len(due), h.Sum64())
	return b
}

// byChannel splits due by channel, keeping the order within each and
// the channels in the order they first appear.
func byChannel(due []DueDelivery) [][]DueDelivery {
	var out [][]DueDelivery
	at := map[Channel]int{}
	for _, d := range due {
		i, ok := at[d.Channel]
		if !ok {
			i = len(out)
			at[d.Channel] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], d)
	}
	return out
}

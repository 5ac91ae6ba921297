package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/candor/candor/campaigns/delivery"
	"github.com/candor/candor/models"
)

// TaskSend is the task type of a batch of queued deliveries.
const TaskSend = "delivery:send"

// QueueSend is the queue send tasks live in.
const QueueSend = "send"

// sendPayload is a send task's payload: delivery ids and the channel
// they were handed on for, never PII, so Redis holds nothing that
// identifies a person. Channel is empty in tasks handed on before tasks
// named it (their rounds are the slowest channel's).
type sendPayload struct {
	IDs     []int64        `json:"ids"`
	Channel models.Channel `json:"channel,omitempty"`
}

// BatchSender is what the send task calls: the delivery engine.
type BatchSender interface {
	SendChannelBatch(ctx context.Context, ch models.Channel, ids []int64) error
}

// HandleSend registers the send task's handler: decode, hand the batch to
// the engine, and map its answer to the queue's retry semantics.
func (w *Worker) HandleSend(engine BatchSender) {
	w.Handle(TaskSend, asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var p sendPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil || len(p.IDs) == 0 {
			// A malformed task never becomes well-formed: do not retry it.
			return fmt.Errorf("decode %s payload: %v: %w", TaskSend, err, asynq.SkipRetry)
		}
		return engine.SendChannelBatch(ctx, p.Channel, p.IDs)
	}))
}

// retryDelay honours the engine's Retry (its back-off and the provider's
// Retry-After). A task that ran out of time or whose worker died did not
// fail: what it left queued is due now, so it runs again after a second.
// Anything else (the database is down) gets asynq's exponential back-off.
func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	var r *delivery.Retry
	switch {
	case errors.As(err, &r) && r.Delay > 0:
		return r.Delay
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, asynq.ErrLeaseExpired):
		return time.Second
	}
	return asynq.DefaultRetryDelayFunc(n, err, t)
}

// Enqueuer hands batches to the queue.
type Enqueuer struct {
	client *asynq.Client
	// Timeout bounds one task's run; it must be shorter than a claim's
	// lease, so a stuck task is given up before its deliveries are taken
	// back.
	Timeout time.Duration
}

// NewEnqueuer returns an enqueuer on the Redis of opt.
func NewEnqueuer(opt asynq.RedisConnOpt, timeout time.Duration) *Enqueuer {
	return &Enqueuer{client: asynq.NewClient(opt), Timeout: timeout}
}

// Enqueue hands b to the queue under its task id; a task with that id
// already there is success (the work is derived from the id).
func (e *Enqueuer) Enqueue(ctx context.Context, b models.SendBatch) error {
	payload, err := json.Marshal(sendPayload{IDs: b.IDs, Channel: b.Channel})
	if err != nil {
		return err
	}
	_, err = e.client.EnqueueContext(ctx, asynq.NewTask(TaskSend, payload), asynq.TaskID(b.TaskID),
		asynq.Queue(QueueSend), asynq.ProcessAt(b.ProcessAt), asynq.MaxRetry(20), asynq.Timeout(e.Timeout))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// Close closes the client.
func (e *Enqueuer) Close() error { return e.client.Close() }

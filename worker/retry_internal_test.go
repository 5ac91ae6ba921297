package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/candor/candor/campaigns/delivery"
)

// TestRetryDelay: the engine's Retry is honoured; a task that timed out
// or whose worker died runs again at once (its deliveries stay queued and
// due), not after asynq's 15-45 s back-off; other errors back off.
func TestRetryDelay(t *testing.T) {
	task := asynq.NewTask(TaskSend, nil)
	tests := []struct {
		name     string
		err      error
		min, max time.Duration
	}{
		{"the engine's retry", &delivery.Retry{Delay: 7 * time.Second, Count: 1}, 7 * time.Second, 7 * time.Second},
		{"a task past its deadline", fmt.Errorf("claim: %w", context.DeadlineExceeded), time.Second, time.Second},
		{"a task orphaned by a dead worker", asynq.ErrLeaseExpired, time.Second, time.Second},
		{"a database error", errors.New("connection refused"), 15 * time.Second, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryDelay(0, tt.err, task); got < tt.min || got > tt.max {
				t.Errorf("retryDelay = %s, want %s-%s", got, tt.min, tt.max)
			}
		})
	}
}

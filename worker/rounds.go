package worker

import (
	"context"
	"log/slog"
	"time"
)

// runRounds calls round until ctx ends: again at once while full says the
// last round left more work, otherwise after tick. A failed round is
// logged as "<name> round failed" and retried after tick. The inbox and
// the outbound webhook loops share it; their rounds decide what to do.
func runRounds(ctx context.Context, name string, tick time.Duration, log *slog.Logger,
	round func(context.Context) (int, error), full func(n int) bool) {
	for {
		n, err := round(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn(name+" round failed", "error", err.Error())
		}
		if err == nil && full(n) {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(tick):
		}
	}
}

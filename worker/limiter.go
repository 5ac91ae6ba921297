package worker

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/candor/candor/models"
)

// Limiter paces sends per channel through Redis (GCRA, redis_rate), so
// every worker process shares one budget per channel: the channel's send
// rate is the final guard on capacity, however many workers run.
type Limiter struct {
	l      *redis_rate.Limiter
	limits map[models.Channel]redis_rate.Limit
}

// NewLimiter paces each channel of perSecond to its rate (messages per
// second; zero or a missing entry is unlimited).
func NewLimiter(rdb *redis.Client, perSecond map[models.Channel]float64) *Limiter {
	l := &Limiter{l: redis_rate.NewLimiter(rdb), limits: map[models.Channel]redis_rate.Limit{}}
	for ch, r := range perSecond {
		switch {
		case r <= 0 || math.IsNaN(r):
		case r >= 1:
			n := int(math.Round(r))
			l.limits[ch] = redis_rate.Limit{Rate: n, Burst: n, Period: time.Second}
		default:
			n := max(1, int(math.Round(r*60)))
			l.limits[ch] = redis_rate.Limit{Rate: n, Burst: 1, Period: time.Minute}
		}
	}
	return l
}

// Wait blocks until one send on ch is allowed, or ctx ends (its error).
// A Redis failure is returned: the send is then tried again later rather
// than made without the shared budget.
func (l *Limiter) Wait(ctx context.Context, ch models.Channel) error {
	limit, ok := l.limits[ch]
	if !ok {
		return nil
	}
	for {
		res, err := l.l.Allow(ctx, "candor:rate:"+string(ch), limit)
		if err != nil {
			return fmt.Errorf("rate limit %s: %w", ch, err)
		}
		if res.Allowed > 0 {
			return nil
		}
		t := time.NewTimer(res.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

package worker

import (
	"context"
	"fmt"
	"math"
	"sync"
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
	// granted holds sends the shared budget already allowed this process
	// but not yet used: taking a few at a time saves a Redis round trip
	// per message at high rates.
	mu      sync.Mutex
	granted map[models.Channel]grant
	// asking lets one send per channel at a time ask Redis (a buffered
	// channel of one: a semaphore that gives way to a cancelled context).
	// Sends that found no grant wait for that answer and share it: when
	// each asked on its own, every answer replaced the grant before it,
	// and the budget those grants held was spent on nothing.
	asking map[models.Channel]chan struct{}
}

// grant is a number of allowed sends and when they were allowed.
type grant struct {
	n  int
	at time.Time
}

// grantTTL is how long allowed sends may wait to be used: older ones are
// dropped, so sends allowed earlier never bunch up with later ones.
const grantTTL = time.Second

// NewLimiter paces each channel of perSecond to its rate (messages per
// second; zero or a missing entry is unlimited).
func NewLimiter(rdb *redis.Client, perSecond map[models.Channel]float64) *Limiter {
	l := &Limiter{l: redis_rate.NewLimiter(rdb), limits: map[models.Channel]redis_rate.Limit{}, granted: map[models.Channel]grant{},
		asking: map[models.Channel]chan struct{}{}}
	for ch, r := range perSecond {
		switch {
		case r <= 0 || math.IsNaN(r):
			continue
		case r >= 1:
			n := int(math.Round(r))
			l.limits[ch] = redis_rate.Limit{Rate: n, Burst: n, Period: time.Second}
		default:
			n := max(1, int(math.Round(r*60)))
			l.limits[ch] = redis_rate.Limit{Rate: n, Burst: 1, Period: time.Minute}
		}
		l.asking[ch] = make(chan struct{}, 1)
	}
	return l
}

// Wait blocks until one send on ch is allowed, or ctx ends (its error).
// A Redis failure is returned: the send is then tried again later rather
// than made without the shared budget. Sends are asked of the budget a
// few at a time (at most a twentieth of a second's rate) and kept for at
// most grantTTL, so the channel's rate holds across every process; the
// sends of this process that find no grant ask one at a time and share
// what the budget grants.
func (l *Limiter) Wait(ctx context.Context, ch models.Channel) error {
	limit, ok := l.limits[ch]
	if !ok {
		return nil
	}
	if l.take(ch) {
		return nil
	}
	asking := l.asking[ch]
	select {
	case asking <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-asking }()
	// Those who asked before this send waited may have left a grant.
	for !l.take(ch) {
		res, err := l.l.AllowAtMost(ctx, "candor:rate:"+string(ch), limit, chunk(limit))
		if err != nil {
			return fmt.Errorf("rate limit %s: %w", ch, err)
		}
		if res.Allowed > 0 {
			l.keep(ch, res.Allowed-1)
			return nil
		}
		// The others wait behind this send: they would all be told the
		// same.
		t := time.NewTimer(res.RetryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// chunk is how many sends to ask for at once: a twentieth of a second's
// rate, at least one.
func chunk(limit redis_rate.Limit) int {
	perSecond := float64(limit.Rate) / limit.Period.Seconds()
	return max(1, int(perSecond/20))
}

// take uses one send allowed earlier, if a fresh one is left.
func (l *Limiter) take(ch models.Channel) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.granted[ch]
	if g.n == 0 || time.Since(g.at) > grantTTL {
		return false
	}
	g.n--
	l.granted[ch] = g
	return true
}

// keep stores n allowed sends for later calls.
func (l *Limiter) keep(ch models.Channel, n int) {
	if n <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.granted[ch] = grant{n: n, at: time.Now()}
}

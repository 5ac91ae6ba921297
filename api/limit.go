package api

import (
	"context"
	"runtime"
	"time"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// Expensive reads (campaign and segment previews, segment members) plan
// or scan a whole audience: about 7.5 s of database time for a million
// customers, open to any viewer key. They share a per-process limit so a
// burst of them cannot take every database connection from the sends.
const (
	// expensiveWait is how long a request waits for a free slot before it
	// is refused: long enough to ride out a short burst, short enough
	// that the client hears back before its own timeout.
	expensiveWait = 2 * time.Second
	// retryAfterSeconds is the Retry-After of every 429: about the time a
	// preview of a large audience takes.
	retryAfterSeconds = "5"
)

// expensiveSlots is how many expensive reads run at once: one per CPU,
// and never fewer than two so one slow preview cannot block all others.
func expensiveSlots() int {
	return max(2, runtime.NumCPU())
}

// limiter bounds how many requests run at once, each waiting a while for
// a free slot. It is a buffered channel used as a semaphore.
type limiter struct {
	slots chan struct{}
	wait  time.Duration
	// waiting, if set, is called when a request starts to wait for a
	// slot, so tests know a request is queued without sleeping.
	waiting func()
}

// newLimiter returns a limiter of n slots whose requests wait up to wait.
func newLimiter(n int, wait time.Duration) *limiter {
	return &limiter{slots: make(chan struct{}, n), wait: wait}
}

// acquire takes a slot and returns the function that gives it back. It
// waits up to l.wait, or until ctx ends (the client left), for a slot to
// free up. EBUSY when none did.
func (l *limiter) acquire(ctx context.Context) (release func(), err error) {
	select {
	case l.slots <- struct{}{}:
		return l.release, nil
	default:
	}
	if l.waiting != nil {
		l.waiting()
	}
	timer := time.NewTimer(l.wait)
	defer timer.Stop()
	select {
	case l.slots <- struct{}{}:
		return l.release, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	return nil, models.Errorf(models.EBUSY,
		"Previews are busy: %d previews or member lists are running already. Retry in %s seconds.", cap(l.slots), retryAfterSeconds)
}

func (l *limiter) release() { <-l.slots }

// expensive wraps the handler of an expensive read in the server's
// limiter: a request that gets no slot in time is a 429 problem with
// Retry-After. The limiter is looked up per request because routes() is
// also read from a zero server, to check the role policy.
func (s *server) expensive(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		release, err := s.previews.acquire(c.Request.Context())
		if err != nil {
			s.writeError(c, err)
			return
		}
		defer release()
		h(c)
	}
}

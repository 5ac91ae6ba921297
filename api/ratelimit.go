package api

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// codeRateLimited is the problem code of a request over its key's rate.
const codeRateLimited = "rate_limited"

// rateLimitTimeout bounds the Redis round trip of one request: a slow or
// absent Redis must not slow every API call down.
const rateLimitTimeout = 250 * time.Millisecond

// RateLimit configures the per-key request limit (Options.RateLimit):
// each API key may make Requests per Period, in bursts of up to Requests.
// The budget lives in Redis, so every API process shares it.
type RateLimit struct {
	Redis    *redis.Client
	Requests int
	Period   time.Duration
}

// keyLimiter applies a RateLimit with GCRA (redis_rate), the algorithm the
// worker's shared send rates use too.
type keyLimiter struct {
	limiter *redis_rate.Limiter
	limit   redis_rate.Limit
	policy  string
	// lastWarn throttles the log line of a failing Redis to one per
	// minute: a limiter that cannot count lets requests through, and
	// must not flood the log while it does.
	lastWarn atomic.Int64
}

func newKeyLimiter(rl *RateLimit) *keyLimiter {
	if rl == nil || rl.Redis == nil || rl.Requests <= 0 || rl.Period <= 0 {
		return nil
	}
	return &keyLimiter{
		limiter: redis_rate.NewLimiter(rl.Redis),
		limit:   redis_rate.Limit{Rate: rl.Requests, Burst: rl.Requests, Period: rl.Period},
		policy:  fmt.Sprintf("%d;w=%d", rl.Requests, int(rl.Period.Seconds())),
	}
}

// rateLimit counts the request against its API key (set by requireRole)
// and answers 429 with Retry-After once the key is over its rate. Every
// answer carries the RateLimit-Limit, -Remaining, -Reset and -Policy
// headers of the IETF draft (draft-ietf-httpapi-ratelimit-headers), so
// clients can slow down before they are refused. When Redis fails, the
// request goes through uncounted: availability of the API wins over
// exact limits, and /readyz reports Redis.
func (s *server) rateLimit(c *gin.Context) {
	key, ok := c.Get(apiKeyKey)
	apiKey, _ := key.(*models.APIKey)
	if s.rate == nil || !ok || apiKey == nil {
		c.Next()
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), rateLimitTimeout)
	res, err := s.rate.limiter.Allow(ctx, "candor:ratelimit:key:"+strconv.FormatInt(apiKey.ID, 10), s.rate.limit)
	cancel()
	if err != nil {
		if now := time.Now().Unix(); now-s.rate.lastWarn.Load() >= 60 {
			s.rate.lastWarn.Store(now)
			s.logger.WarnContext(c.Request.Context(), "rate limit not applied: redis failed",
				slog.String("request_id", requestID(c)), slog.Any("error", err))
		}
		c.Next()
		return
	}
	h := c.Writer.Header()
	h.Set("RateLimit-Policy", s.rate.policy)
	h.Set("RateLimit-Limit", strconv.Itoa(s.rate.limit.Burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(res.Remaining))
	h.Set("RateLimit-Reset", seconds(res.ResetAfter))
	if res.Allowed == 0 {
		wait := seconds(res.RetryAfter)
		h.Set("Retry-After", wait)
		s.writeError(c, models.Errorf(codeRateLimited, "This API key made more than %d requests in %s; retry after %s seconds.",
			s.rate.limit.Rate, s.rate.limit.Period, wait))
		return
	}
	c.Next()
}

// seconds rounds a wait up to whole seconds, at least 1 when there is any
// wait: a client told 0 would retry at once and be refused again.
func seconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}

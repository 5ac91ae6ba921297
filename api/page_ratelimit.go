package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/candor/candor/web"
	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// PageRateLimit configures the limits of the public pages /p/ and /u/
// (Options.PageRateLimit). Both budgets live in Redis, so they hold across
// every API process. A zero Rate turns that limit off.
type PageRateLimit struct {
	Redis *redis.Client
	// PerLink bounds the requests made with one link (token): whoever
	// holds a leaked or forwarded link cannot hammer the customer's page.
	PerLink Rate
	// PerClient bounds the requests of one client address (IPv4, or the
	// /64 of an IPv6 address) over all links, so guessing tokens or
	// cycling through many links is slow. One-click unsubscribe POSTs are
	// not counted: mail providers send them from few addresses for many
	// customers, and refusing one would keep writing to someone who asked
	// to stop.
	PerClient Rate
}

// Rate is Requests per Period, in bursts of up to Requests.
type Rate struct {
	Requests int
	Period   time.Duration
}

func (r Rate) on() bool { return r.Requests > 0 && r.Period > 0 }

func (r Rate) limit() redis_rate.Limit {
	return redis_rate.Limit{Rate: r.Requests, Burst: r.Requests, Period: r.Period}
}

// pageLimiter applies a PageRateLimit with GCRA (redis_rate), as the
// per-key API limit does.
type pageLimiter struct {
	limiter   *redis_rate.Limiter
	perLink   Rate
	perClient Rate
	lastWarn  atomic.Int64 // unix seconds of the last "redis failed" line
}

func newPageLimiter(rl *PageRateLimit) *pageLimiter {
	if rl == nil || rl.Redis == nil || (!rl.PerLink.on() && !rl.PerClient.on()) {
		return nil
	}
	return &pageLimiter{limiter: redis_rate.NewLimiter(rl.Redis), perLink: rl.PerLink, perClient: rl.PerClient}
}

// Redis keys of the page budgets. A link is counted under a hash of its
// token: the token opens the customer's page and must not sit in Redis.
const (
	pageLinkKey   = "candor:ratelimit:page:link:"
	pageClientKey = "candor:ratelimit:page:client:"
)

// pageRateLimit counts a request to /p/ or /u/ against its link and its
// client address and answers a 429 page with Retry-After once either is
// over its rate. When Redis fails, the request goes through uncounted (a
// customer's way out must not depend on Redis) and a line is logged at
// most once a minute.
func (s *server) pageRateLimit(c *gin.Context) {
	if s.pageRate == nil {
		c.Next()
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), rateLimitTimeout)
	defer cancel()
	var wait time.Duration
	if s.pageRate.perLink.on() {
		sum := sha256.Sum256([]byte(c.Param("token")))
		wait = s.pageAllow(ctx, c, pageLinkKey+hex.EncodeToString(sum[:16]), s.pageRate.perLink)
	}
	if wait == 0 && s.pageRate.perClient.on() && !isOneClick(c) {
		wait = s.pageAllow(ctx, c, pageClientKey+clientNetwork(c.ClientIP()), s.pageRate.perClient)
	}
	if wait > 0 {
		retry := seconds(wait)
		c.Header("Retry-After", retry)
		s.writePage(c, http.StatusTooManyRequests, web.PageTooMany, web.TooManyData{RetryAfter: retry})
		return
	}
	c.Next()
}

// pageAllow counts one request under key and returns how long to wait
// when it is over rate, or 0 (also when Redis failed).
func (s *server) pageAllow(ctx context.Context, c *gin.Context, key string, r Rate) time.Duration {
	res, err := s.pageRate.limiter.Allow(ctx, key, r.limit())
	if err != nil {
		if now := time.Now().Unix(); now-s.pageRate.lastWarn.Load() >= 60 {
			s.pageRate.lastWarn.Store(now)
			s.logger.WarnContext(c.Request.Context(), "page rate limit not applied: redis failed",
				slog.String("request_id", requestID(c)), slog.Any("error", err))
		}
		return 0
	}
	if res.Allowed > 0 {
		return 0
	}
	return max(res.RetryAfter, time.Millisecond)
}

// isOneClick reports an RFC 8058 one-click POST to /u/{token}.
func isOneClick(c *gin.Context) bool {
	return c.Request.Method == http.MethodPost && strings.HasPrefix(c.FullPath(), "/u/")
}

// clientNetwork names the client a budget belongs to: an IPv4 address
// itself, an IPv6 address by its /64 (one subscriber's usual share, which
// they can fill with addresses at will).
func clientNetwork(ip string) string {
	parsed := net.ParseIP(ip)
	switch {
	case parsed == nil:
		return "unknown"
	case parsed.To4() != nil:
		return parsed.To4().String()
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// isPublicPage reports the routes pageRateLimit guards.
func isPublicPage(path string) bool {
	return strings.HasPrefix(path, "/p/") || strings.HasPrefix(path, "/u/")
}

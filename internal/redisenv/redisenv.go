// Package redisenv gives tests a Redis to talk to: the real server named
// by CANDOR_TEST_REDIS_URL (on a DB index the calling package owns, so
// packages running in parallel never see each other's keys) or, when that
// is unset, an in-process miniredis.
package redisenv

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// DB indexes owned by test packages. A package flushes its own index, so
// two packages must never share one.
const (
	DBWorker = 1
	DBAPI    = 2
	DBCmd    = 3
)

// Backend names the Redis a test runs against.
func Backend() string {
	if os.Getenv("CANDOR_TEST_REDIS_URL") != "" {
		return "redis"
	}
	return "miniredis"
}

// URL returns a redis:// URL for this test. With CANDOR_TEST_REDIS_URL set
// it points at DB index db of that server, flushed before use; an
// unreachable server fails the test. Otherwise it starts a miniredis
// (TTLs follow the clock) that stops when the test ends.
func URL(tb testing.TB, db int) string {
	tb.Helper()
	base := os.Getenv("CANDOR_TEST_REDIS_URL")
	if base == "" {
		m := miniredis.NewMiniRedis()
		m.ClockTTL(true)
		if err := m.Start(); err != nil {
			tb.Fatalf("start miniredis: %v", err)
		}
		tb.Cleanup(m.Close)
		return "redis://" + m.Addr()
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("CANDOR_TEST_REDIS_URL: %v", err)
	}
	u.Path = "/" + strconv.Itoa(db)
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		tb.Fatalf("CANDOR_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.FlushDB(ctx).Err(); err != nil {
		tb.Fatalf("CANDOR_TEST_REDIS_URL is set but Redis is unreachable: %v", err)
	}
	return u.String()
}

package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/candor/candor/internal/redisenv"
	"github.com/candor/candor/models"
	"github.com/redis/go-redis/v9"
)

// BenchmarkAuthenticatedRead measures GET /v1/topics with an API key,
// without and with the per-key rate limit (one GCRA script call to Redis
// per request), on SQLite and the test Redis (CANDOR_TEST_REDIS_URL, else
// miniredis). The limit is set high enough never to refuse.
//
//	go test ./api -run '^$' -bench BenchmarkAuthenticatedRead -benchtime 2000x
func BenchmarkAuthenticatedRead(b *testing.B) {
	for _, limited := range []bool{false, true} {
		name := "no_limit"
		if limited {
			name = "rate_limited"
		}
		b.Run(name, func(b *testing.B) {
			var rl *RateLimit
			if limited {
				opt, err := redis.ParseURL(redisenv.URL(b, redisenv.DBAPI))
				if err != nil {
					b.Fatal(err)
				}
				rdb := redis.NewClient(opt)
				defer rdb.Close()
				rl = &RateLimit{Redis: rdb, Requests: 1_000_000, Period: time.Second}
			}
			a := newTestAPI(b, "sqlite", func(o *Options) { o.RateLimit = rl })
			req := httptest.NewRequest(http.MethodGet, "/v1/topics", nil)
			req.Header.Set("Authorization", "Bearer "+a.apiKey[models.RoleViewer])
			b.ResetTimer()
			for range b.N {
				rec := httptest.NewRecorder()
				a.engine.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

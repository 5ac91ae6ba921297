package store

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/candor/candor/secrets"
)

// BenchmarkPutCustomerPostgres puts customers one after another on a
// pool of one PostgreSQL connection, each PUT changing the name (an
// update with its outbox event, as the API's PUT benchmark), and reports
// the backend's CPU per PUT (pg-cpu-us/op) beside the process's: one
// client, so the figure holds less of the machine's load than the HTTP
// benchmark's 16 (issue 17).
//
//	CANDOR_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//	  go test ./store -run '^$' -bench PutCustomerPostgres -benchtime 5000x
func BenchmarkPutCustomerPostgres(b *testing.B) {
	if os.Getenv(testenv.EnvDatabaseURL) == "" {
		b.Skip("needs " + testenv.EnvDatabaseURL)
	}
	keys, err := secrets.New("candor-store-internal-tests-fixed-secret-0123456789", "")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s, err := Open(ctx, Options{DatabaseURL: testenv.BackendURL(b, testenv.Postgres), Keys: keys, Rules: segment.Language{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	s.sizePool(1, 0)
	put := func(i int) {
		k := i % 50
		in := &models.CustomerInput{ExternalID: fmt.Sprintf("bench-%d", k), Email: fmt.Sprintf("bench-%d@example.com", k),
			Name: "Name " + strconv.Itoa(i), Locale: "en-GB", Timezone: "Europe/London", PreferredChannel: models.ChannelEmail,
			PreferredWindows: []models.Window{{Days: []string{"mon", "tue"}, Start: "09:00", End: "12:00"}},
			Cadence:          &models.Cadence{Max: 2, Per: "7d"}, Attributes: map[string]any{"plan": "pro"}}
		if _, _, err := s.PutCustomer(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 100 { // create, then reach the generic plans
		put(i)
	}
	var pid int
	if err := s.withPgx(ctx, func(c *pgx.Conn) error { return c.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid) }); err != nil {
		b.Fatal(err)
	}
	before := backendCPU(pid)
	b.ResetTimer()
	for i := range b.N {
		put(100 + i)
	}
	b.StopTimer()
	b.ReportMetric(float64((backendCPU(pid)-before).Microseconds())/float64(b.N), "pg-cpu-us/op")
}

// backendCPU is the user + system CPU time of process pid, from /proc.
func backendCPU(pid int) time.Duration {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+sys) * 10 * time.Millisecond
}

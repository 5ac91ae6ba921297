package store_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// recountStore is a store whose campaign report counts from the
// deliveries instead of reading the kept counts: the report before
// migration 00022, for the benchmark's comparison.
type recountStore struct{ *store.Store }

// CampaignReportFacts is store.Store.CampaignReportFactsRecounted.
func (r recountStore) CampaignReportFacts(ctx context.Context, id int64, sent func(*models.SentGroup) error,
	changes func(*models.PreferenceChange) error) (*models.CampaignReportFacts, error) {
	return r.Store.CampaignReportFactsRecounted(ctx, id, sent, changes)
}

// cpuMeter measures the CPU a benchmark's loop used: this process's
// (getrusage) and, on PostgreSQL, that of the backends connected to the
// test database (/proc/PID/stat; the database is the benchmark's own).
// Wall-clock time on a shared machine says little; CPU per report says
// what a quiet machine would need at least.
type cpuMeter struct {
	s      *store.Store
	goCPU  time.Duration
	pgCPU  map[string]float64
	hasPID bool
}

func startCPU(b *testing.B, s *store.Store) *cpuMeter {
	m := &cpuMeter{s: s, goCPU: rusageCPU()}
	m.pgCPU, m.hasPID = backendCPU(b, s)
	return m
}

// report adds go-cpu-ms/op and pg-cpu-ms/op to the benchmark's figures.
func (m *cpuMeter) report(b *testing.B) {
	n := float64(max(b.N, 1))
	b.ReportMetric(float64((rusageCPU()-m.goCPU).Microseconds())/1000/n, "go-cpu-ms/op")
	end, ok := backendCPU(b, m.s)
	if !ok || !m.hasPID {
		return
	}
	used := 0.0
	for pid, c := range end {
		used += c - m.pgCPU[pid] // a backend that started meanwhile counts whole
	}
	b.ReportMetric(used*1000/n, "pg-cpu-ms/op")
}

func rusageCPU() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// backendCPU returns the CPU seconds of each PostgreSQL backend connected
// to the store's database, by pid; false on SQLite or without /proc.
func backendCPU(b *testing.B, s *store.Store) (map[string]float64, bool) {
	if s.Dialect() != store.DialectPostgres {
		return nil, false
	}
	var pids []string
	if err := s.DB().Raw("SELECT CAST(pid AS TEXT) FROM pg_stat_activity WHERE datname = current_database()").Scan(&pids).Error; err != nil {
		b.Fatal(err)
	}
	out := map[string]float64{}
	for _, pid := range pids {
		raw, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return nil, false
		}
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		out[pid] = (ut + st) / 100 // USER_HZ
	}
	return out, true
}

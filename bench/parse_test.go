package main

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBenchReadsEveryMetricOfEveryBenchmarkLine(t *testing.T) {
	out := `goos: linux
BenchmarkSegmentPreviewCount-2    	       3	 221545193 ns/op	     35170 members
--- BENCH: BenchmarkSendWebhook-2
    throughput_bench_test.go:126: 10000 messages in 17.51s
BenchmarkSendWebhook-2   	       1	17509889898 ns/op	       571.1 msgs/s	       175.4 peak-RSS-MB	      2179 sink-ceiling-msgs/s
PASS
ok  	github.com/candor/candor/worker	34.781s
`
	got, err := ParseBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{
		{Name: "BenchmarkSegmentPreviewCount", Iterations: 3, Metrics: map[string]float64{"ns/op": 221545193, "members": 35170}},
		{Name: "BenchmarkSendWebhook", Iterations: 1, Metrics: map[string]float64{"ns/op": 17509889898, "msgs/s": 571.1,
			"peak-RSS-MB": 175.4, "sink-ceiling-msgs/s": 2179}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseBench (-want +got):\n%s", diff)
	}
}

func TestParseBenchRefusesAMetricThatIsNotANumber(t *testing.T) {
	if _, err := ParseBench(strings.NewReader("BenchmarkX-2 1 12 ns/op fast msgs/s\n")); err == nil {
		t.Error("a non-numeric metric parsed without error")
	}
}

func TestFigureSharesAndTargets(t *testing.T) {
	tests := []struct {
		name      string
		f         Figure
		wantShare float64
		wantMet   string
	}{
		{"a rate under its target is not met and reads as a share of the sink", Figure{Value: 3600, Ceiling: 29000, HigherIsBetter: true, Target: 6000}, 3600.0 / 29000, "no"},
		{"a rate over its target is met", Figure{Value: 6500, Ceiling: 29000, HigherIsBetter: true, Target: 6000}, 6500.0 / 29000, "yes"},
		{"a duration under its limit is met and its share is ceiling over value", Figure{Value: 10, Ceiling: 5, Target: 15}, 0.5, "yes"},
		{"a duration over its limit is not met", Figure{Value: 20, Ceiling: 5, Target: 15}, 0.25, "no"},
		{"a figure without a ceiling or target has neither", Figure{Value: 20}, math.NaN(), "—"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			share := tt.f.Share()
			if !(math.IsNaN(share) && math.IsNaN(tt.wantShare)) && math.Abs(share-tt.wantShare) > 1e-9 {
				t.Errorf("Share = %v, want %v", share, tt.wantShare)
			}
			if got := tt.f.Met(); got != tt.wantMet {
				t.Errorf("Met = %q, want %q", got, tt.wantMet)
			}
		})
	}
}

func TestWriteTableFormatsEachFigure(t *testing.T) {
	var b strings.Builder
	err := WriteTable(&b, []Figure{{Name: "send webhook", Size: 30000, Value: 3597, Ceiling: 29053, Unit: "msgs/s",
		HigherIsBetter: true, Target: 6000}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"send webhook", "30,000", "3,597 msgs/s", "29,053 msgs/s", "12 %", "≥ 6,000 msgs/s", "no"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

// Sub-benchmarks run together must be selected exactly: "get" must not
// also match a "getall", and the levels above must match whole names.
func TestBenchPatternSelectsExactlyTheNames(t *testing.T) {
	for _, c := range []struct {
		names []string
		want  string
	}{
		{[]string{"BenchmarkSegmentPreviewCount"}, "^(BenchmarkSegmentPreviewCount)$"},
		{[]string{"BenchmarkCustomersHTTP/postgres/get", "BenchmarkCustomersHTTP/postgres/put"},
			"^BenchmarkCustomersHTTP$/^postgres$/^(get|put)$"},
		{[]string{"BenchmarkInboundIngest/postgres/batch=100"}, "^BenchmarkInboundIngest$/^postgres$/^(batch=100)$"},
	} {
		if got := benchPattern(c.names); got != c.want {
			t.Errorf("benchPattern(%q) = %q, want %q", c.names, got, c.want)
		}
	}
}

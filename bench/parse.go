package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Result is one benchmark's line of `go test -bench` output: its name
// (without the -GOMAXPROCS suffix), iterations and every reported metric
// by unit ("ns/op", "msgs/s", "peakRSS-MB", ...).
type Result struct {
	Name       string
	Iterations int
	Metrics    map[string]float64
}

// ParseBench reads `go test -bench` output and returns its benchmark
// lines; other lines (logs, PASS, ok) are skipped. A benchmark line that
// does not parse is an error naming it, so a renamed metric cannot
// silently drop a figure.
func ParseBench(r io.Reader) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 || len(fields)%2 != 0 {
			continue // "BenchmarkX" alone, or a log line that starts alike
		}
		n, err := strconv.Atoi(fields[1])
		if err != nil {
			continue
		}
		res := Result{Name: trimProcs(fields[0]), Iterations: n, Metrics: map[string]float64{}}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("bench: %s: metric %q is not a number", res.Name, fields[i])
			}
			res.Metrics[fields[i+1]] = v
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

// trimProcs drops the "-2" GOMAXPROCS suffix of a benchmark name.
func trimProcs(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

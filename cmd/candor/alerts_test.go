package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metricsql"
	"gopkg.in/yaml.v3"
)

// synthetic are series Prometheus makes itself, not Candor.
var synthetic = map[string]bool{"up": true}

// exportedMetrics starts candor run (embedded), makes one request so the
// per-route series exist, and returns the metric families /metrics
// serves, with their types.
func exportedMetrics(t *testing.T) map[string]string {
	t.Helper()
	e := backendEnv(t, "sqlite")
	logs, done := startServing(t, e, "run")
	base := "http://" + e["CANDOR_HTTP_ADDR"]
	waitHealthy(t, base, done, logs)
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	types := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			types[f[2]] = f[3]
		}
	}
	if len(types) == 0 {
		t.Fatal("/metrics lists no metric")
	}
	return types
}

// metricNames parses a PromQL expression and returns the metrics it names.
func metricNames(t *testing.T, where, expr string) []string {
	t.Helper()
	e, err := metricsql.Parse(expr)
	if err != nil {
		t.Errorf("%s: %q does not parse: %v", where, expr, err)
		return nil
	}
	var names []string
	metricsql.VisitAll(e, func(e metricsql.Expr) {
		if me, ok := e.(*metricsql.MetricExpr); ok {
			for _, group := range me.LabelFilterss {
				for _, f := range group {
					if f.Label == "__name__" {
						names = append(names, f.Value)
					}
				}
			}
		}
	})
	if len(names) == 0 {
		t.Errorf("%s: %q names no metric", where, expr)
	}
	return names
}

// checkExported fails for a name that no Candor process exports: a
// histogram's _bucket, _sum and _count count as the histogram.
func checkExported(t *testing.T, where string, exported map[string]string, names []string) {
	t.Helper()
	for _, name := range names {
		if synthetic[name] || exported[name] != "" {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if exported[base] == "histogram" {
			continue
		}
		t.Errorf("%s names %s, which Candor does not export", where, name)
	}
}

type alertRules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
}

// TestAlertRulesAndDashboardNameExportedMetrics loads docs/prometheus-
// alerts.yml and docs/grafana-dashboard.json, parses every expression
// and fails when one names a metric that candor run does not export (a
// renamed or removed metric), or when a rule lacks its severity or
// summary. With promtool installed it also runs promtool check rules.
func TestAlertRulesAndDashboardNameExportedMetrics(t *testing.T) {
	exported := exportedMetrics(t)
	raw, err := os.ReadFile("../../docs/prometheus-alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules alertRules
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatalf("prometheus-alerts.yml: %v", err)
	}
	seen := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			where := "alert " + r.Alert
			if r.Alert == "" || seen[r.Alert] {
				t.Errorf("group %s: a rule without a name, or a name twice (%q)", g.Name, r.Alert)
			}
			seen[r.Alert] = true
			if r.Labels["severity"] != "page" && r.Labels["severity"] != "ticket" {
				t.Errorf("%s: severity %q, want page or ticket", where, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s has no summary", where)
			}
			checkExported(t, where, exported, metricNames(t, where, r.Expr))
		}
	}
	if len(seen) < 10 {
		t.Errorf("%d alert rules; the file lost some", len(seen))
	}
	raw, err = os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	used := map[string]bool{}
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			names := metricNames(t, "panel "+p.Title, target.Expr)
			checkExported(t, "panel "+p.Title, exported, names)
			for _, n := range names {
				used[n] = true
			}
		}
	}
	var unused []string
	for name := range exported {
		if strings.HasPrefix(name, "candor_") && !used[name] && !used[name+"_bucket"] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("the dashboard shows none of %v", unused)
	}
	if path, err := exec.LookPath("promtool"); err == nil {
		out, err := exec.Command(path, "check", "rules", "../../docs/prometheus-alerts.yml").CombinedOutput()
		if err != nil {
			t.Errorf("promtool check rules: %v\n%s", err, out)
		}
	}
}

package models

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReportLinkInputValidate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		in       ReportLinkInput
		wantPath string
		wantTTL  time.Duration
		rules    []string
	}{
		{"a campaign page lives an hour by default", ReportLinkInput{Path: "/reports/campaigns/7"}, "/reports/campaigns/7", time.Hour, nil},
		{"the trust page's query is signed sorted", ReportLinkInput{Path: "/reports/trust?to=2026-02-01&from=2026-01-01", ExpiresIn: 600},
			"/reports/trust?from=2026-01-01&to=2026-02-01", 10 * time.Minute, nil},
		{"the trust page without a period", ReportLinkInput{Path: "/reports/trust"}, "/reports/trust", time.Hour, nil},
		{"an API path is no report page", ReportLinkInput{Path: "/v1/reports/trust"}, "", 0, []string{"/path report_page"}},
		{"another host is no report page", ReportLinkInput{Path: "//evil.example/reports/trust"}, "", 0, []string{"/path report_page"}},
		{"a campaign id of zero is no page", ReportLinkInput{Path: "/reports/campaigns/0"}, "", 0, []string{"/path report_page"}},
		{"a campaign page takes no query", ReportLinkInput{Path: "/reports/campaigns/7?from=2026-01-01"}, "", 0, []string{"/path report_page"}},
		{"a parameter twice is refused", ReportLinkInput{Path: "/reports/trust?from=2026-01-01&from=2026-01-02"}, "", 0, []string{"/path report_page"}},
		{"an unreadable date names its rule", ReportLinkInput{Path: "/reports/trust?from=soon"}, "", 0, []string{"/path date"}},
		{"a lifetime over a day and a bad path are both named", ReportLinkInput{Path: "/nope", ExpiresIn: 86401}, "", 0,
			[]string{"/expires_in range", "/path report_page"}},
		{"a negative lifetime is refused", ReportLinkInput{Path: "/reports/trust", ExpiresIn: -1}, "", 0, []string{"/expires_in range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, ttl, err := tt.in.Validate(now)
			var got []string
			for _, f := range ErrorFields(err) {
				got = append(got, f.Field+" "+f.Rule)
			}
			if diff := cmp.Diff(tt.rules, got); diff != "" {
				t.Fatalf("problems (-want +got):\n%s", diff)
			}
			if err == nil && (page.Path() != tt.wantPath || ttl != tt.wantTTL) {
				t.Errorf("page %q for %v, want %q for %v", page.Path(), ttl, tt.wantPath, tt.wantTTL)
			}
		})
	}
}

// FuzzReportLinkPath: no path panics, and an accepted one is a report
// page whose signed path parses back to the same page.
func FuzzReportLinkPath(f *testing.F) {
	for _, s := range []string{"/reports/trust?from=2026-01-01", "/reports/campaigns/12", "/reports/campaigns/99999999999999999999", "%", "/reports/trust?%zz"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, path string) {
		page, _, err := ReportLinkInput{Path: path}.Validate(now)
		if err != nil {
			return
		}
		signed := page.Path()
		if !strings.HasPrefix(signed, "/reports/") {
			t.Fatalf("%q accepted as %q", path, signed)
		}
		again, _, err := ReportLinkInput{Path: signed}.Validate(now)
		if err != nil || again.Path() != signed {
			t.Fatalf("%q signs %q, which reads back as %q (%v)", path, signed, again.Path(), err)
		}
		if u, _ := url.Parse(signed); u.Query().Has("token") {
			t.Fatalf("%q signs a token parameter", path)
		}
	})
}

package models

import (
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// Report links: POST /v1/report-links signs a short-lived link to one
// HTML report page, for someone without an API key (docs/reports.md).
const (
	DefaultReportLinkTTL = time.Hour
	MaxReportLinkTTL     = 24 * time.Hour
)

// ReportLinkInput asks for a signed link to Path (a report page with its
// query, such as /reports/trust?from=2026-01-01) valid for ExpiresIn
// seconds (DefaultReportLinkTTL when 0).
type ReportLinkInput struct {
	Path      string `json:"path"`
	ExpiresIn int64  `json:"expires_in,omitempty"`
}

// ReportLink is a signed link and when it stops working.
type ReportLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ReportPage is a validated report page: the campaign report of
// CampaignID, or the program report (CampaignID 0) with its query.
type ReportPage struct {
	CampaignID int64
	Query      url.Values
}

var campaignPagePath = regexp.MustCompile(`^/reports/campaigns/([1-9][0-9]{0,18})$`)

// Path is the page's path and canonical query (sorted, no token): what a
// link signs.
func (p ReportPage) Path() string {
	if p.CampaignID != 0 {
		return "/reports/campaigns/" + strconv.FormatInt(p.CampaignID, 10)
	}
	if len(p.Query) == 0 {
		return "/reports/trust"
	}
	return "/reports/trust?" + p.Query.Encode()
}

// Validate checks the input and returns the page and how long the link
// lives. EINVALID naming "/path" (rule "report_page": not a report page,
// or a query the page does not take; "date" and the other rules of
// ParseReportPeriod for its from and to) or "/expires_in" (rule "range":
// not 1 to 86,400 seconds).
func (in ReportLinkInput) Validate(now time.Time) (ReportPage, time.Duration, error) {
	var p Problems
	ttl := DefaultReportLinkTTL
	if in.ExpiresIn != 0 {
		if in.ExpiresIn < 1 || in.ExpiresIn > int64(MaxReportLinkTTL/time.Second) {
			p.Add("/expires_in", "range", "must be 1 to %d seconds", int64(MaxReportLinkTTL/time.Second))
		}
		ttl = time.Duration(in.ExpiresIn) * time.Second
	}
	before := len(p)
	page, ok := parseReportPage(in.Path, now, &p)
	if !ok && len(p) == before {
		p.Add("/path", "report_page", "must be /reports/trust (with from and to, optional) or /reports/campaigns/{id}, got %q", in.Path)
	}
	return page, ttl, p.Err()
}

func parseReportPage(raw string, now time.Time, p *Problems) (ReportPage, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Fragment != "" {
		return ReportPage{}, false
	}
	q := u.Query()
	if m := campaignPagePath.FindStringSubmatch(u.Path); m != nil && len(q) == 0 {
		id, err := strconv.ParseInt(m[1], 10, 64)
		return ReportPage{CampaignID: id}, err == nil
	}
	if u.Path != "/reports/trust" {
		return ReportPage{}, false
	}
	for k, vs := range q {
		if (k != "from" && k != "to") || len(vs) != 1 {
			return ReportPage{}, false
		}
	}
	if _, err := ParseReportPeriod(q.Get("from"), q.Get("to"), now); err != nil {
		for _, fe := range ErrorFields(err) {
			p.Add("/path", fe.Rule, "%s %s", fe.Field, fe.Detail)
		}
		return ReportPage{}, false
	}
	return ReportPage{Query: q}, true
}

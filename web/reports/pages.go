// Package reports renders the HTML report pages (/reports/campaigns/{id}
// and /reports/trust): server-side, charts drawn as inline SVG, readable
// without JavaScript and without anything fetched from elsewhere, and a
// table beside every chart so no figure is only a picture
// (docs/reports.md).
package reports

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"sort"
	"time"

	"github.com/candor/candor/models"
)

//go:embed templates/*.html
var files embed.FS

// Pages are the parsed report templates.
type Pages struct {
	campaign, trust *template.Template
}

var funcs = template.FuncMap{
	"value": formatValue,
	"share": func(v *float64) string {
		if v == nil {
			return "no data"
		}
		return formatValue(*v) + "%"
	},
	"day": func(t time.Time) string { return t.Format(time.DateOnly) },
}

// Load parses the templates. It fails only if a template is broken,
// which the package's tests catch before release.
func Load() (*Pages, error) {
	parse := func(page string) (*template.Template, error) {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+page)
		if err != nil {
			return nil, fmt.Errorf("reports: parse %s: %w", page, err)
		}
		return t, nil
	}
	var p Pages
	var err error
	if p.campaign, err = parse("campaign.html"); err != nil {
		return nil, err
	}
	if p.trust, err = parse("trust.html"); err != nil {
		return nil, err
	}
	return &p, nil
}

func render(t *template.Template, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return nil, fmt.Errorf("reports: render: %w", err)
	}
	return buf.Bytes(), nil
}

// reasonRow is one reason count of the funnel's detail table.
type reasonRow struct {
	Stage  string
	Reason models.Reason
	Count  int64
}

// campaignData fills campaign.html.
type campaignData struct {
	Title      string
	R          *models.CampaignReport
	Funnel     Chart
	Reasons    []reasonRow
	Respect    Chart
	Reaction   Chart
	UTCHours   Chart
	LocalHours Chart
}

// Campaign renders the campaign report page.
func (p *Pages) Campaign(r *models.CampaignReport) ([]byte, error) {
	f := r.Funnel
	total := func(m map[models.Reason]int64) float64 {
		var n int64
		for _, v := range m {
			n += v
		}
		return float64(n)
	}
	funnel := []point{{"Segment size", num(float64(f.SegmentSize))}, {"Excluded at launch", num(total(f.Excluded))},
		{"Planned", num(float64(f.Planned))}, {"Sent", num(float64(f.Sent))}, {"Skipped at send time", num(total(f.Skipped))},
		{"Failed", num(total(f.Failed))}, {"Unknown", num(float64(f.Unknown))}, {"Expired", num(total(f.Expired))},
		{"Cancelled", num(float64(f.Cancelled))}, {"Pending", num(float64(f.Pending))}}
	respect := []point{{"Inside the window", r.Respect.InWindowShare}, {"On the preferred channel", r.Respect.ChannelShare},
		{"Both (respected)", r.Respect.Share}}
	rc := r.Reaction
	reaction := []point{{"Topic opt-outs", num(rc.TopicOptOuts.PerThousand)}, {"Unsubscribes", num(rc.Unsubscribes.PerThousand)},
		{"Downgrades", num(rc.Downgrades.PerThousand)}, {"Complaints", num(rc.Complaints.PerThousand)}}
	d := campaignData{Title: fmt.Sprintf("Campaign %d: trust report", r.CampaignID), R: r,
		Funnel: horizontal("funnel", "Audience funnel", fmt.Sprintf("Of %d customers in the segment, %d messages were sent.",
			f.SegmentSize, f.Sent), "", 0, funnel),
		Reasons: reasons(f),
		Respect: horizontal("respect", "Respect of the customers' wishes", respectSummary(r.Respect), "%", 100, respect),
		Reaction: horizontal("reaction", fmt.Sprintf("Reactions within %d days, per 1,000 sent", rc.WithinDays),
			highest(reaction, " per 1,000"), " per 1,000", 0, reaction),
		UTCHours:   hours("utc-hours", "Sends per hour (UTC)", r.Timing.UTCHours),
		LocalHours: hours("local-hours", "Sends per hour on the customer's clock", r.Timing.LocalHours),
	}
	return render(p.campaign, d)
}

func respectSummary(r models.ReportRespect) string {
	if r.Share == nil {
		return "No sent message can be verified yet."
	}
	return fmt.Sprintf("%s%% of %d verifiable messages kept to the customer's window and channel (%d not verifiable).",
		formatValue(*r.Share), r.Verifiable, r.Unverifiable)
}

func reasons(f models.ReportFunnel) []reasonRow {
	var out []reasonRow
	for _, st := range []struct {
		stage string
		m     map[models.Reason]int64
	}{{"Excluded at launch", f.Excluded}, {"Skipped at send time", f.Skipped}, {"Failed", f.Failed}, {"Expired", f.Expired}} {
		keys := make([]models.Reason, 0, len(st.m))
		for k := range st.m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		for _, k := range keys {
			out = append(out, reasonRow{st.stage, k, st.m[k]})
		}
	}
	return out
}

func hours(id, title string, h [24]int64) Chart {
	pts := make([]point, 24)
	for i, n := range h {
		pts[i] = point{fmt.Sprintf("%02d:00", i), num(float64(n))}
	}
	return vertical(id, title, highest(pts, " sent"), "", 0, 3, pts)
}

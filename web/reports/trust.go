package reports

import (
	"fmt"
	"sort"

	"github.com/candor/candor/models"
)

// trustData fills trust.html.
type trustData struct {
	Title      string
	R          *models.TrustReport
	Index      string
	Components Chart
	Trend      Chart
	Consent    Chart
	Pressure   Chart
	Topics     []string
}

// Trust renders the program report page.
func (p *Pages) Trust(r *models.TrustReport) ([]byte, error) {
	t := r.Trust
	index := "no data"
	if t.Index != nil {
		index = formatValue(*t.Index)
	}
	components := []point{{"Reaction (weight 40)", t.Reaction}, {"Consent (weight 20)", t.Consent},
		{"Pressure (weight 20)", t.Pressure}, {"Content (weight 20)", t.Content}}
	var trend []point
	for _, w := range t.Weeks {
		trend = append(trend, point{w.Week.Format("Jan 2"), w.Index})
	}
	topics := make([]string, 0, len(r.NetGrowth))
	for topic := range r.NetGrowth {
		topics = append(topics, topic)
	}
	sort.Strings(topics)
	ins, outs := map[string]int64{}, map[string]int64{}
	for _, w := range r.Consent {
		ins[w.Topic] += w.OptIns
		outs[w.Topic] += w.OptOuts
	}
	var consent []point
	for _, topic := range topics {
		consent = append(consent, point{topic + ": opt-ins", num(float64(ins[topic]))},
			point{topic + ": opt-outs", num(float64(outs[topic]))})
	}
	pr := r.Pressure
	pressure := []point{{"Median (p50)", num(float64(pr.P50))}, {"p90", num(float64(pr.P90))}, {"Most", num(float64(pr.Max))}}
	if pr.Cap != nil {
		pressure = append(pressure, point{"Cap (" + pr.Cap.Per + ")", num(float64(pr.Cap.Max))})
	}
	d := trustData{Title: "Program trust report", R: r, Index: index, Topics: topics,
		Components: horizontal("components", "Trust index components (0 to 100)",
			fmt.Sprintf("The trust index over the period is %s.", index), "", 100, components),
		Trend: vertical("trend", "Trust index per week (0 to 100)", trendSummary(trend), "", 100, 1, trend),
		Consent: horizontal("consent", "Consent won and lost per topic",
			fmt.Sprintf("%d topics changed consent in the period.", len(topics)), "", 0, consent),
		Pressure: horizontal("pressure", fmt.Sprintf("Messages per customer in the last %d days", pr.PeriodDays),
			fmt.Sprintf("%d customers received messages; %d are at their own cadence's limit.", pr.Customers, pr.AtCadenceLimit),
			"", 0, pressure),
	}
	return render(p.trust, d)
}

func trendSummary(pts []point) string {
	var first, last *point
	for i := range pts {
		if pts[i].value != nil {
			if first == nil {
				first = &pts[i]
			}
			last = &pts[i]
		}
	}
	if first == nil {
		return "No week has figures."
	}
	return fmt.Sprintf("From %s in the week of %s to %s in the week of %s.", formatValue(*first.value), first.label,
		formatValue(*last.value), last.label)
}

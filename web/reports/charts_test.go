package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestHorizontalBarsScaleToTheLargestValueAndMarkGaps(t *testing.T) {
	c := horizontal("x", "X", "s", "%", 0, []point{{"a", num(50)}, {"b", num(100)}, {"c", nil}})
	room := float64(hWidth) - hLabelWidth - 70
	got := []float64{c.Bars[0].W, c.Bars[1].W, c.Bars[2].W}
	if diff := cmp.Diff([]float64{room / 2, room, 0}, got); diff != "" {
		t.Errorf("widths (-want +got):\n%s", diff)
	}
	if texts := []string{c.Bars[0].Text, c.Bars[2].Text}; texts[0] != "50%" || texts[1] != "no data" {
		t.Errorf("texts = %q, want 50%% and no data", texts)
	}
	if shares := horizontal("y", "Y", "s", "%", 100, []point{{"a", num(50)}}); shares.Bars[0].W != room/2 {
		t.Errorf("a share of 50 on a scale of 100 is %v wide, want half of %v", shares.Bars[0].W, room)
	}
}

func TestVerticalColumnsStandOnTheAxisAndLabelEveryNth(t *testing.T) {
	c := vertical("v", "V", "s", "", 0, 3, []point{{"00", num(2)}, {"01", num(1)}, {"02", num(0)}, {"03", nil}})
	base := vHeight - vBottom
	for i, b := range c.Bars {
		if b.Y+b.H != base {
			t.Errorf("column %d ends at %v, want the axis at %v", i, b.Y+b.H, base)
		}
	}
	if c.Bars[0].H != 2*c.Bars[1].H || c.Bars[2].H != 0 {
		t.Errorf("heights %v, %v, %v: not proportional", c.Bars[0].H, c.Bars[1].H, c.Bars[2].H)
	}
	if c.Bars[0].LabelY < 0 || c.Bars[1].LabelY >= 0 || c.Bars[3].LabelY < 0 {
		t.Errorf("labels at %v, %v, %v: want every third", c.Bars[0].LabelY, c.Bars[1].LabelY, c.Bars[3].LabelY)
	}
}

func TestPagesEscapeWhatTheyShow(t *testing.T) {
	p, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	r := &models.TrustReport{Period: models.ReportPeriod{From: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC)},
		NetGrowth: map[string]int64{"<b>topic</b>": 1}, Consent: []models.ConsentWeek{{Topic: "<b>topic</b>", OptIns: 1, Net: 1}},
		ContentHealth: models.ContentHealth{Stale: []models.StaleContent{{ContentID: 1, Version: 1, Title: "<script>x</script>", Sends: 1}}}}
	body, err := p.Trust(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<b>topic</b>", "<script>"} {
		if strings.Contains(string(body), raw) {
			t.Errorf("the page contains %q unescaped", raw)
		}
	}
}

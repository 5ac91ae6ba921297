package reports

import (
	"fmt"
	"math"
	"strconv"
)

// Chart is a bar chart drawn as inline SVG by the template, with the
// geometry computed here so the template only places shapes. Every chart
// has a title and a one-sentence summary (the SVG's accessible name and
// description) and its rows, which the page also shows as a table: the
// chart is never the only way to read a figure.
type Chart struct {
	ID      string
	Title   string
	Summary string
	// Horizontal charts have a row per bar with its label on the left
	// (funnels); vertical ones a column per bar with labels below
	// (hours, weeks).
	Horizontal    bool
	Width, Height int
	Bars          []Bar
	// Unit is appended to each value's text ("%", " sent").
	Unit string
}

// Bar is one bar: its label, value (nil when there is no figure, drawn
// as a gap), the text shown for it, and its rectangle and label position.
type Bar struct {
	Label      string
	Value      *float64
	Text       string
	X, Y, W, H float64
	LabelX     float64
	LabelY     float64
	TextX      float64
	TextY      float64
}

// Chart geometry, in SVG user units (the SVG scales to its container).
const (
	hLabelWidth = 190.0
	hRow        = 26.0
	hBar        = 18.0
	hWidth      = 640
	vWidth      = 640
	vHeight     = 200.0
	vTop        = 16.0
	vBottom     = 34.0
	vLeft       = 8.0
)

// point is a label and a value of a chart before layout.
type point struct {
	label string
	value *float64
}

func num(v float64) *float64 { return &v }

// formatValue prints v with at most one decimal, as the tables do.
func formatValue(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// horizontal lays points out as rows of bars scaled to the largest value
// (or to scale, when positive: 100 for shares).
func horizontal(id, title, summary, unit string, scale float64, pts []point) Chart {
	c := Chart{ID: id, Title: title, Summary: summary, Horizontal: true, Unit: unit, Width: hWidth,
		Height: int(hRow*float64(len(pts)) + 8)}
	top := maxValue(pts, scale)
	room := float64(hWidth) - hLabelWidth - 70
	for i, p := range pts {
		y := 4 + hRow*float64(i)
		b := Bar{Label: p.label, Value: p.value, Text: "no data", X: hLabelWidth, Y: y + (hRow-hBar)/2, H: hBar,
			LabelX: hLabelWidth - 8, LabelY: y + hRow/2 + 4, TextY: y + hRow/2 + 4}
		if p.value != nil {
			b.W = room * *p.value / top
			b.Text = formatValue(*p.value) + unit
		}
		b.TextX = hLabelWidth + b.W + 6
		c.Bars = append(c.Bars, b)
	}
	return c
}

// vertical lays points out as columns scaled to the largest value (or to
// scale, when positive), labelling every labelEvery-th column.
func vertical(id, title, summary, unit string, scale float64, labelEvery int, pts []point) Chart {
	c := Chart{ID: id, Title: title, Summary: summary, Unit: unit, Width: vWidth, Height: int(vHeight)}
	top := maxValue(pts, scale)
	slot := (float64(vWidth) - 2*vLeft) / float64(max(len(pts), 1))
	room := vHeight - vTop - vBottom
	for i, p := range pts {
		x := vLeft + slot*float64(i)
		b := Bar{Label: p.label, Value: p.value, Text: "no data", X: x + slot*0.15, W: slot * 0.7,
			Y: vHeight - vBottom, LabelX: x + slot/2, LabelY: vHeight - vBottom + 16, TextX: x + slot/2}
		if p.value != nil {
			b.H = room * *p.value / top
			b.Y = vHeight - vBottom - b.H
			b.Text = formatValue(*p.value) + unit
		}
		b.TextY = b.Y - 3
		if labelEvery > 1 && i%labelEvery != 0 {
			b.LabelY = -1 // the template draws no label at a negative position
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

func maxValue(pts []point, scale float64) float64 {
	if scale > 0 {
		return scale
	}
	top := 0.0
	for _, p := range pts {
		if p.value != nil {
			top = max(top, *p.value)
		}
	}
	if top == 0 {
		return 1 // an empty chart draws no bars rather than dividing by zero
	}
	return top
}

// highest names the largest value of pts for a chart's summary.
func highest(pts []point, unit string) string {
	best := -1
	for i, p := range pts {
		if p.value != nil && (best < 0 || *p.value > *pts[best].value) {
			best = i
		}
	}
	if best < 0 {
		return "No figures."
	}
	return fmt.Sprintf("Highest: %s with %s%s.", pts[best].label, formatValue(*pts[best].value), unit)
}

package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Figure is one measured figure beside its ceiling and its target.
type Figure struct {
	Name string
	Size int
	// Value and Ceiling are in Unit; Ceiling is 0 when no ceiling is
	// measured for this figure.
	Value, Ceiling float64
	Unit           string
	// HigherIsBetter is true for rates (msgs/s), false for durations and
	// memory.
	HigherIsBetter bool
	// Target is the limit the figure must meet (0: none at this size).
	Target float64
	Note   string
}

// Share is the figure as a share of its ceiling: for rates value/ceiling,
// for durations ceiling/value (1 means as fast as the bare operation). It
// is NaN without a ceiling.
func (f Figure) Share() float64 {
	if f.Ceiling <= 0 || f.Value <= 0 {
		return math.NaN()
	}
	if f.HigherIsBetter {
		return f.Value / f.Ceiling
	}
	return f.Ceiling / f.Value
}

// Met says whether the figure meets its target: "yes", "no" or "—".
func (f Figure) Met() string {
	switch {
	case f.Target == 0:
		return "—"
	case f.HigherIsBetter && f.Value >= f.Target, !f.HigherIsBetter && f.Value <= f.Target:
		return "yes"
	default:
		return "no"
	}
}

// WriteTable prints figures as a Markdown table (it reads well in a
// terminal and pastes into docs/benchmarks.md as it is).
func WriteTable(w io.Writer, figures []Figure) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "| figure\t size\t value\t ceiling\t share of ceiling\t target\t met\t note |")
	fmt.Fprintln(tw, "|---\t---\t---\t---\t---\t---\t---\t--- |")
	for _, f := range figures {
		ceiling, share, target := "—", "—", "—"
		if f.Ceiling > 0 {
			ceiling = num(f.Ceiling) + " " + f.Unit
		}
		if s := f.Share(); !math.IsNaN(s) {
			share = fmt.Sprintf("%.0f %%", 100*s)
		}
		if f.Target > 0 {
			op := "≤"
			if f.HigherIsBetter {
				op = "≥"
			}
			target = op + " " + num(f.Target) + " " + f.Unit
		}
		size := "—"
		if f.Size > 0 {
			size = num(float64(f.Size))
		}
		fmt.Fprintf(tw, "| %s\t %s\t %s %s\t %s\t %s\t %s\t %s\t %s |\n", f.Name, size, num(f.Value), f.Unit,
			ceiling, share, target, f.Met(), strings.ReplaceAll(f.Note, "|", "/"))
	}
	return tw.Flush()
}

// num formats a figure with thousands separators and at most three
// significant decimals below 100.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		s := fmt.Sprintf("%.0f", v)
		var b strings.Builder
		for i, r := range s {
			if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
				b.WriteByte(',')
			}
			b.WriteRune(r)
		}
		return b.String()
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

package eligibility_test

import (
	"testing"
	"time"

	"github.com/candor/candor/models"
)

// utc parses an RFC 3339 instant or fails the test.
func utc(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatalf("parse %s: %v", s, err)
	}
	return t.UTC()
}

// win builds a window from comma-separated day names.
func win(days, start, end string) models.Window {
	var ds []string
	for i := 0; i+3 <= len(days); i += 4 {
		ds = append(ds, days[i:i+3])
	}
	return models.Window{Days: ds, Start: start, End: end}
}

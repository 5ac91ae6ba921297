package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// edgeCase is one rule evaluated against the customers of a test: want
// lists the members, and explain must give each customer the same answer.
type edgeCase struct {
	name string
	rule string
	want []string
}

// checkMembersAndExplain saves tt.rule as a segment and checks that its
// member list is tt.want and that explain says true for exactly those of
// customers.
func checkMembersAndExplain(t *testing.T, s *store.Store, customers []string, tt edgeCase) {
	t.Helper()
	ctx := context.Background()
	seg, err := s.CreateSegment(ctx, &models.SegmentInput{Name: "edge", Rule: json.RawMessage(tt.rule)})
	if err != nil {
		t.Fatalf("create segment %s: %v", tt.rule, err)
	}
	items, _, err := s.SegmentCustomers(ctx, seg.ID, models.Page{Limit: models.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, c := range items {
		got = append(got, c.ExternalID)
	}
	want := append([]string{}, tt.want...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members of %s (-want +got):\n%s", tt.rule, diff)
	}
	for _, id := range customers {
		e, err := s.ExplainSegment(ctx, seg.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if member := slices.Contains(want, id); e.Result != member {
			t.Errorf("explain of %s for %s = %v, want %v (%s)", tt.rule, id, e.Result, member, e.Reason)
		}
	}
}

// refusedCase is a rule that every entry point refuses with one problem.
type refusedCase struct {
	name string
	rule string
	want string // "field rule" of the single problem
}

// checkRefused checks that creating, updating to and previewing the rule
// are all EINVALID naming the same field and rule.
func checkRefused(t *testing.T, s *store.Store, tt refusedCase) {
	t.Helper()
	ctx := context.Background()
	in := &models.SegmentInput{Name: "refused", Rule: json.RawMessage(tt.rule)}
	_, errCreate := s.CreateSegment(ctx, in)
	_, errPreview := s.PreviewRule(ctx, in.Rule)
	for what, err := range map[string]error{"create": errCreate, "preview": errPreview} {
		wantCode(t, err, models.EINVALID)
		var got []string
		for _, f := range models.ErrorFields(err) {
			got = append(got, f.Field+" "+f.Rule)
		}
		if diff := cmp.Diff([]string{tt.want}, got); diff != "" {
			t.Errorf("%s %s: problems (-want +got):\n%s\nerr: %v", what, tt.rule, diff, err)
		}
	}
}

func timeRule(op, value string) string {
	return fmt.Sprintf(`{"field":"created_at","op":%q,"value":%q}`, op, value)
}

// TestSegmentTimestampsFinerThanAMicrosecond: customer timestamps are kept
// to the microsecond, and a rule value with more digits is compared
// exactly, by the SQL of each backend and by explain alike (issue 19.1).
func TestSegmentTimestampsFinerThanAMicrosecond(t *testing.T) {
	created := time.Date(2026, 12, 1, 6, 18, 6, 136929000, time.UTC)
	tests := []edgeCase{
		{"a customer created a nanosecond before the value is before it",
			timeRule("before", "2026-12-01T06:18:06.136929001Z"), []string{"c"}},
		{"a customer created at the value's microsecond is not after a value a nanosecond later",
			timeRule("after", "2026-12-01T06:18:06.136929001Z"), nil},
		{"a customer created a nanosecond after the value is after it",
			timeRule("after", "2026-12-01T06:18:06.136928999Z"), []string{"c"}},
		{"a customer created a nanosecond after the value is not before it",
			timeRule("before", "2026-12-01T06:18:06.136928999Z"), nil},
		{"a customer created exactly at the value is neither before it",
			timeRule("before", "2026-12-01T06:18:06.136929Z"), nil},
		{"nor after it",
			timeRule("after", "2026-12-01T06:18:06.136929Z"), nil},
		{"not before a value a nanosecond later excludes the customer",
			`{"not":` + timeRule("before", "2026-12-01T06:18:06.136929001Z") + `}`, nil},
		{"nine fractional digits in another offset compare the same instant",
			timeRule("before", "2026-12-01T07:18:06.136929001+01:00"), []string{"c"}},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		clk := &clock{t: created}
		s := mustOpenWith(t, backend, clk.Now)
		c := mustPutCustomer(t, s, customerInput("c"))
		if !c.CreatedAt.Equal(created) {
			t.Fatalf("created_at = %s, want %s", c.CreatedAt.Format(time.RFC3339Nano), created.Format(time.RFC3339Nano))
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { checkMembersAndExplain(t, s, []string{"c"}, tt) })
		}
	})
}

// TestSegmentExtremeInstants: the first and last instants of years
// 0001-9999 in UTC are accepted and compare correctly on every backend;
// a value that is only in range before its conversion to UTC is refused
// (issue 19.2: SQLite compared the text "10000-..." with "2026-...").
func TestSegmentExtremeInstants(t *testing.T) {
	everyone := []string{"a", "b"}
	accepted := []edgeCase{
		{"every customer is after the first instant", timeRule("after", "0001-01-01T00:00:00Z"), everyone},
		{"no customer is before the first instant", timeRule("before", "0001-01-01T00:00:00Z"), nil},
		{"the first instant may be written in a positive offset", timeRule("after", "0001-01-01T01:00:00+01:00"), everyone},
		{"the first date is midnight UTC", timeRule("before", "0001-01-01"), nil},
		{"every customer is before the last microsecond", timeRule("before", "9999-12-31T23:59:59.999999Z"), everyone},
		{"no customer is after the last microsecond", timeRule("after", "9999-12-31T23:59:59.999999Z"), nil},
		{"not after the last microsecond is every customer", `{"not":` + timeRule("after", "9999-12-31T23:59:59.999999Z") + `}`, everyone},
		{"the last microsecond may be written in a negative offset", timeRule("before", "9999-12-31T22:59:59.999999-01:00"), everyone},
		{"the last date is midnight UTC", timeRule("after", "9999-12-31"), nil},
	}
	refused := []refusedCase{
		{"after an instant in the year 10000 UTC is refused", timeRule("after", "9999-12-31T23:59:59-01:00"), "/rule/value range"},
		{"before an instant in the year 10000 UTC is refused", timeRule("before", "9999-12-31T23:59:59-01:00"), "/rule/value range"},
		{"a negated instant in the year 10000 UTC is refused naming its node",
			`{"not":` + timeRule("before", "9999-12-31T23:59:59-01:00") + `}`, "/rule/not/value range"},
		{"an instant a nanosecond past the last microsecond is refused", timeRule("before", "9999-12-31T23:59:59.999999001Z"), "/rule/value range"},
		{"an instant in the year 0000 UTC is refused", timeRule("after", "0001-01-01T00:00:00+00:01"), "/rule/value range"},
		{"the date 0000-12-31 is refused", timeRule("after", "0000-12-31"), "/rule/value range"},
		{"an offset of +24:00 is refused", timeRule("after", "2026-12-01T06:18:06+24:00"), "/rule/value format"},
		{"a comma as the decimal separator is refused", timeRule("after", "2026-12-01T06:18:06,5Z"), "/rule/value format"},
		{"more than nine fractional digits are refused", timeRule("after", "2026-12-01T06:18:06.1369290001Z"), "/rule/value format"},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)
		for _, id := range everyone {
			mustPutCustomer(t, s, customerInput(id))
			clk.Advance(time.Hour)
		}
		for _, tt := range accepted {
			t.Run(tt.name, func(t *testing.T) { checkMembersAndExplain(t, s, everyone, tt) })
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) { checkRefused(t, s, tt) })
		}
	})
}

// TestSegmentDurationLimit: within_last takes at most ten years, defined
// as 3650 days, in every unit (issue 19.3).
func TestSegmentDurationLimit(t *testing.T) {
	const day = 24 * time.Hour
	within := func(op, d string) string {
		return fmt.Sprintf(`{"field":"created_at","op":%q,"value":%q}`, op, d)
	}
	// "old" was created exactly 3650 days before "new" and now; "mid"
	// a day later than "old".
	accepted := []edgeCase{
		{"ten years in minutes are accepted", within("within_last", "5256000m"), []string{"mid", "new"}},
		{"ten years in hours are accepted", within("within_last", "87600h"), []string{"mid", "new"}},
		{"ten years in days are accepted", within("within_last", "3650d"), []string{"mid", "new"}},
		{"the most whole weeks within ten years are accepted", within("within_last", "521w"), []string{"new"}},
		{"not_within_last ten years is the complement", within("not_within_last", "3650d"), []string{"old"}},
	}
	refused := []refusedCase{
		{"a minute over ten years is out of range", within("within_last", "5256001m"), "/rule/value range"},
		{"an hour over ten years is out of range", within("within_last", "87601h"), "/rule/value range"},
		{"3651 days are out of range", within("within_last", "3651d"), "/rule/value range"},
		{"3660 days are out of range", within("not_within_last", "3660d"), "/rule/value range"},
		{"522 weeks are out of range", within("within_last", "522w"), "/rule/value range"},
		{"87840 hours are out of range", within("within_last", "87840h"), "/rule/value range"},
		{"a leading zero is malformed", within("within_last", "030d"), "/rule/value format"},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)
		mustPutCustomer(t, s, customerInput("old"))
		clk.Advance(day)
		mustPutCustomer(t, s, customerInput("mid"))
		clk.Advance(3649 * day)
		mustPutCustomer(t, s, customerInput("new"))
		all := []string{"old", "mid", "new"}
		for _, tt := range accepted {
			t.Run(tt.name, func(t *testing.T) { checkMembersAndExplain(t, s, all, tt) })
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) { checkRefused(t, s, tt) })
		}
	})
}

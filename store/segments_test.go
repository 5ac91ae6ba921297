package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/campaigns/segment"
	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
)

func TestSegmentCRUD(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		in := &models.SegmentInput{Name: "Enterprise", Description: "Big accounts",
			Rule: json.RawMessage(`{ "field": "attributes.plan", "op": "eq", "value": "enterprise" }`)}
		seg, err := s.CreateSegment(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Segment(ctx, seg.ID)
		if err != nil {
			t.Fatal(err)
		}
		var rule map[string]any
		if err := json.Unmarshal(got.Rule, &rule); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]any{"field": "attributes.plan", "op": "eq", "value": "enterprise"}, rule); diff != "" {
			t.Errorf("stored rule (-want +got):\n%s", diff)
		}

		t.Run("a bad rule is rejected naming its node", func(t *testing.T) {
			bad := *in
			bad.Rule = json.RawMessage(`{"all":[{"field":"locale","op":"equals","value":"x"}]}`)
			_, err := s.CreateSegment(ctx, &bad)
			wantCode(t, err, models.EINVALID)
			if f := models.ErrorFields(err); len(f) != 1 || f[0].Field != "/rule/all/0/op" {
				t.Errorf("fields = %+v", f)
			}
		})
		t.Run("a consent condition on an unknown topic is rejected", func(t *testing.T) {
			bad := *in
			bad.Rule = json.RawMessage(`{"any":[{"field":"consent.product-roadmap","op":"eq","value":"opted_in"},{"field":"consent.roadmap","op":"eq","value":"opted_in"}]}`)
			_, err := s.CreateSegment(ctx, &bad)
			want := []models.FieldError{{Field: "/rule/any/1/field", Rule: "unknown_topic", Detail: `no topic "roadmap" exists`}}
			if diff := cmp.Diff(want, models.ErrorFields(err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			_, err = s.PreviewRule(ctx, bad.Rule)
			wantCode(t, err, models.EINVALID)
		})
		t.Run("an update replaces name and rule", func(t *testing.T) {
			up := &models.SegmentInput{Name: "Pro", Rule: json.RawMessage(`{"field":"attributes.plan","op":"eq","value":"pro"}`)}
			seg2, err := s.UpdateSegment(ctx, seg.ID, up)
			if err != nil {
				t.Fatal(err)
			}
			if seg2.Name != "Pro" || seg2.Description != "" || !seg2.CreatedAt.Equal(seg.CreatedAt) {
				t.Errorf("updated = %+v", seg2)
			}
			_, err = s.UpdateSegment(ctx, seg.ID+100, up)
			wantCode(t, err, models.ENOTFOUND)
		})
		t.Run("segments list in pages", func(t *testing.T) {
			if _, err := s.CreateSegment(ctx, in); err != nil {
				t.Fatal(err)
			}
			page1, next, err := s.Segments(ctx, models.Page{Limit: 1})
			if err != nil || len(page1) != 1 || next == "" {
				t.Fatalf("page1 = %d items, next %q, err %v", len(page1), next, err)
			}
			page2, next, err := s.Segments(ctx, models.Page{Limit: 1, Cursor: next})
			if err != nil || len(page2) != 1 || next != "" || page2[0].ID == page1[0].ID {
				t.Fatalf("page2 = %+v, next %q, err %v", page2, next, err)
			}
		})
		t.Run("a deleted segment is gone", func(t *testing.T) {
			if err := s.DeleteSegment(ctx, seg.ID); err != nil {
				t.Fatal(err)
			}
			_, err := s.Segment(ctx, seg.ID)
			wantCode(t, err, models.ENOTFOUND)
			wantCode(t, s.DeleteSegment(ctx, seg.ID), models.ENOTFOUND)
		})
	})
}

func TestSegmentTextIsCheckedBeforeTheDatabaseSeesIt(t *testing.T) {
	tests := []struct {
		name string
		in   models.SegmentInput
		want []string // "field rule"; nil when the segment is stored
	}{
		{"a NUL in the name is reported with every rule problem",
			models.SegmentInput{Name: "a\x00", Rule: json.RawMessage(`{"all":[{"field":"locale","op":"equals","value":"x"},{"field":"locale","op":"eq","value":"\u0000"}]}`)},
			[]string{"/name text", "/rule/all/0/op enum", "/rule/all/1/value text"}},
		{"a long description is reported with an unknown topic",
			models.SegmentInput{Name: "a", Description: strings.Repeat("x", 2001), Rule: json.RawMessage(`{"field":"consent.nope","op":"eq","value":"opted_in"}`)},
			[]string{"/description max_length", "/rule/field unknown_topic"}},
		{"a rule of invalid UTF-8 is refused",
			models.SegmentInput{Name: "a", Rule: json.RawMessage("{\"field\":\"locale\",\"op\":\"eq\",\"value\":\"\xff\"}")},
			[]string{"/rule text"}},
		{"a lone surrogate escape is stored re-encoded instead of failing in jsonb",
			models.SegmentInput{Name: "a", Rule: json.RawMessage(`{"field":"locale","op":"eq","value":"\ud800"}`)}, nil},
	}
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				seg, err := s.CreateSegment(ctx, &tt.in)
				var got []string
				for _, f := range models.ErrorFields(err) {
					got = append(got, f.Field+" "+f.Rule)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Fatalf("problems (-want +got):\n%s\nerr: %v", diff, err)
				}
				if tt.want != nil {
					wantCode(t, err, models.EINVALID)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				stored, err := s.Segment(ctx, seg.ID)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := segment.ParseRule(stored.Rule, "/rule"); err != nil {
					t.Errorf("stored rule %s does not parse: %v", stored.Rule, err)
				}
			})
		}
	})
}

func TestSegmentMembersPreviewAndExplain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)
		for i, plan := range []string{"enterprise", "pro", "enterprise", "free", "enterprise"} {
			in := customerInput([]string{"c0", "c1", "c2", "c3", "c4"}[i])
			in.Attributes = map[string]any{"plan": plan}
			mustPutCustomer(t, s, in)
		}
		mustSetConsent(t, s, "c0", "product-roadmap", models.ConsentOptedIn)
		mustSetConsent(t, s, "c2", "product-roadmap", models.ConsentOptedIn)
		mustSetConsent(t, s, "c4", "product-roadmap", models.ConsentOptedOut)
		mustSetConsent(t, s, "c1", "product-roadmap", models.ConsentOptedIn)
		if err := s.EraseCustomer(ctx, "c2"); err != nil {
			t.Fatal(err)
		}
		rule := json.RawMessage(`{"all":[{"field":"attributes.plan","op":"eq","value":"enterprise"},{"field":"consent.product-roadmap","op":"eq","value":"opted_in"}]}`)
		seg, err := s.CreateSegment(ctx, &models.SegmentInput{Name: "Roadmap for enterprise", Rule: rule})
		if err != nil {
			t.Fatal(err)
		}

		t.Run("preview counts live members and samples them", func(t *testing.T) {
			p, err := s.PreviewRule(ctx, rule)
			if err != nil {
				t.Fatal(err)
			}
			if p.Count != 1 || len(p.Sample) != 1 || p.Sample[0].ExternalID != "c0" {
				t.Errorf("preview = %d, %+v", p.Count, p.Sample)
			}
			want, err := s.Customer(ctx, "c0")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, p.Sample[0]); diff != "" {
				t.Errorf("sampled customer differs from the stored one (-want +got):\n%s", diff)
			}
		})
		t.Run("members page through the segment", func(t *testing.T) {
			any := json.RawMessage(`{"field":"consent.product-roadmap","op":"ne","value":"opted_out"}`)
			seg2, err := s.CreateSegment(ctx, &models.SegmentInput{Name: "not opted out", Rule: any})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			cursor := ""
			for {
				items, next, err := s.SegmentCustomers(ctx, seg2.ID, models.Page{Limit: 2, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range items {
					ids = append(ids, c.ExternalID)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if diff := cmp.Diff([]string{"c0", "c1", "c3"}, ids); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
			_, _, err = s.SegmentCustomers(ctx, seg2.ID+99, models.Page{})
			wantCode(t, err, models.ENOTFOUND)
		})
		t.Run("explain gives the deciding node", func(t *testing.T) {
			e, err := s.ExplainSegment(ctx, seg.ID, "c4")
			if err != nil {
				t.Fatal(err)
			}
			if e.Result || e.DecidedBy != "/rule/all/1" || e.Children[1].Actual != "opted_out" {
				t.Errorf("explanation = %+v / %+v", e, e.Children[1])
			}
			_, err = s.ExplainSegment(ctx, seg.ID, "c2")
			wantCode(t, err, models.ENOTFOUND)
		})
	})
}

// FuzzSegmentSQL: every rule the parser accepts compiles to SQL that each
// configured backend runs without error.
func FuzzSegmentSQL(f *testing.F) {
	for _, seed := range []string{
		`{"all":[{"field":"attributes.plan","op":"eq","value":"enterprise"},{"field":"consent.product-roadmap","op":"eq","value":"opted_in"}]}`,
		`{"not":{"any":[{"field":"attributes.tags","op":"contains","value":true},{"field":"email_domain","op":"starts_with","value":"'%_"}]}}`,
		`{"field":"attributes.a.b.0","op":"not_in","value":[1,2.5,-3e10]}`,
		`{"field":"updated_at","op":"not_within_last","value":"2w"}`,
		`{"any":[{"field":"created_at","op":"before","value":"9999-12-31T23:59:59.999999Z"},{"field":"updated_at","op":"after","value":"0001-01-01"}]}`,
		`{"field":"attributes.plan","op":"eq","value":"pro\u0000"}`,
		`{"field":"locale","op":"in","value":["de","\u0000x"]}`,
		`{"field":"email_domain","op":"starts_with","value":"\u0000"}`,
		"{\"field\":\"attributes.plan\",\"op\":\"contains\",\"value\":\"\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	ctx := context.Background()
	clk := newClock()
	var stores []interface {
		SegmentCount(context.Context, *models.Rule) (int64, error)
	}
	for _, b := range testenv.Backends() {
		s := mustOpenWith(f, b, clk.Now)
		in := customerInput("fuzz-1")
		in.Attributes = map[string]any{"plan": "pro", "a": map[string]any{"b": []any{1.0}}, "tags": []any{"x", true}}
		mustPutCustomer(f, s, in)
		mustSetConsent(f, s, "fuzz-1", "product-roadmap", models.ConsentOptedIn)
		stores = append(stores, s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rule, err := segment.ParseRule(raw, "/rule")
		if err != nil {
			return
		}
		for _, s := range stores {
			if _, err := s.SegmentCount(ctx, rule); err != nil {
				t.Fatalf("rule %s: %v", raw, err)
			}
		}
	})
}

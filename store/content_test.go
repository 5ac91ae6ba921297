package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
	"github.com/candor/candor/store"
)

// contentInput returns a valid education draft that tests modify.
func contentInput() *models.ContentInput {
	expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return &models.ContentInput{
		Kind: models.KindEducation, Topic: "technology-alternatives", Title: "Paying by bank transfer",
		Summary: "How and why.", DefaultLocale: "en",
		Variants: []models.Variant{
			{Locale: "en", Channel: models.ChannelEmail, Subject: "Pay by transfer", Text: "Hello {{.Customer.Name}}."},
			{Locale: "de-AT", Channel: models.ChannelSMS, Text: "Servus!"},
		},
		Sources:   []models.Source{{Title: "Docs", URL: "https://example.org/docs"}},
		AsOf:      "2025-03-01",
		ExpiresAt: &expires,
	}
}

// mustKey creates an API key and returns its id.
func mustKey(tb testing.TB, s *store.Store, name string, role models.Role) int64 {
	tb.Helper()
	k, _, err := s.CreateAPIKey(context.Background(), &models.APIKeyInput{Name: name, Role: role, OwnerName: name, OwnerEmail: name + "@example.com"})
	if err != nil {
		tb.Fatalf("create key: %v", err)
	}
	return k.ID
}

// checks returns a checker that always reports findings.
func checks(findings ...models.Finding) models.ContentChecker {
	return func(*models.Content) []models.Finding { return findings }
}

func TestCreateContent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)
		editor := mustKey(t, s, "editor", models.RoleEditor)

		c, err := s.CreateContent(ctx, contentInput(), editor)
		if err != nil {
			t.Fatal(err)
		}
		now := clk.Now().UTC().Truncate(time.Microsecond)
		want := &models.Content{ID: c.ID, ContentInput: *contentInput(), State: models.ContentDraft, Version: 1,
			Revision: 1, EditedBy: editor, CreatedAt: now, UpdatedAt: now}
		if diff := cmp.Diff(want, c); diff != "" {
			t.Fatalf("created (-want +got):\n%s", diff)
		}
		got, err := s.Content(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("read back (-want +got):\n%s", diff)
		}

		tests := []struct {
			name   string
			change func(in *models.ContentInput)
			field  string
		}{
			{"an unknown topic is refused", func(in *models.ContentInput) { in.Topic = "no-such-topic" }, "/topic"},
			{"a correction of content that does not exist is refused", func(in *models.ContentInput) {
				in.Kind, in.Corrects = models.KindCorrection, new(int64(c.ID+100))
			}, "/corrects"},
			{"two variants for one locale and channel are refused", func(in *models.ContentInput) {
				in.Variants = append(in.Variants, in.Variants[0])
			}, "/variants/2"},
			{"a default locale without a variant is refused", func(in *models.ContentInput) { in.DefaultLocale = "fr" }, "/default_locale"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := contentInput()
				tt.change(in)
				_, err := s.CreateContent(ctx, in, editor)
				wantCode(t, err, models.EINVALID)
				if f := models.ErrorFields(err); len(f) != 1 || f[0].Field != tt.field {
					t.Errorf("fields = %+v, want one on %s", f, tt.field)
				}
			})
		}
		t.Run("a correction of existing content is stored", func(t *testing.T) {
			in := contentInput()
			in.Kind, in.Corrects = models.KindCorrection, &c.ID
			got, err := s.CreateContent(ctx, in, editor)
			if err != nil || got.Corrects == nil || *got.Corrects != c.ID {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run("content is listed by id, one page at a time", func(t *testing.T) {
			page, next, err := s.Contents(ctx, models.Page{Limit: 1})
			if err != nil || len(page) != 1 || page[0].ID != c.ID || next == "" {
				t.Fatalf("first page: %v %q %v", page, next, err)
			}
			page, next, err = s.Contents(ctx, models.Page{Limit: 1, Cursor: next})
			if err != nil || len(page) != 1 || page[0].ID == c.ID || next != "" {
				t.Fatalf("second page: %v %q %v", page, next, err)
			}
		})
		_, err = s.Content(ctx, c.ID+1000)
		wantCode(t, err, models.ENOTFOUND)
	})
}

func TestContentWorkflow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)
		alice := mustKey(t, s, "alice", models.RoleAdmin)
		bob := mustKey(t, s, "bob", models.RoleAdmin)
		warn := models.Finding{Rule: "language.hype", Severity: models.SeverityWarning, Message: "hype", Location: "/variants/0/text"}
		fail := models.Finding{Rule: "comparison.one_sided", Severity: models.SeverityError, Message: "one-sided", Location: "/points"}

		c, err := s.CreateContent(ctx, contentInput(), alice)
		if err != nil {
			t.Fatal(err)
		}
		id := c.ID
		_, err = s.ApproveContent(ctx, id, &models.Approval{ApprovedBy: bob}, checks())
		wantCode(t, err, models.ECONFLICT) // a draft must be submitted first

		if c, err = s.SubmitContent(ctx, id); err != nil || c.State != models.ContentInReview {
			t.Fatalf("submit: %+v %v", c, err)
		}
		_, err = s.SubmitContent(ctx, id)
		wantCode(t, err, models.ECONFLICT)

		t.Run("the key that last edited the content cannot approve it", func(t *testing.T) {
			_, err := s.ApproveContent(ctx, id, &models.Approval{ApprovedBy: alice}, checks())
			wantCode(t, err, models.EFORBIDDEN)
		})
		t.Run("error findings refuse the approval and are listed", func(t *testing.T) {
			_, err := s.ApproveContent(ctx, id, &models.Approval{ApprovedBy: bob, AcknowledgedWarnings: []string{"language.hype"}}, checks(warn, fail))
			wantCode(t, err, models.EINVALID)
			want := []models.FieldError{{Field: "/points", Rule: "comparison.one_sided", Detail: "one-sided"}}
			if diff := cmp.Diff(want, models.ErrorFields(err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
		t.Run("an approval that misses a warning is refused naming it", func(t *testing.T) {
			_, err := s.ApproveContent(ctx, id, &models.Approval{ApprovedBy: bob}, checks(warn))
			wantCode(t, err, models.EINVALID)
			want := []models.FieldError{{Field: "/acknowledged_warnings", Rule: "unacknowledged_warning", Detail: "warning language.hype must be acknowledged to approve"}}
			if diff := cmp.Diff(want, models.ErrorFields(err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
		t.Run("acknowledging a warning that is not current is refused", func(t *testing.T) {
			_, err := s.ApproveContent(ctx, id, &models.Approval{ApprovedBy: bob, AcknowledgedWarnings: []string{"language.hype", "readability.score"}}, checks(warn))
			wantCode(t, err, models.EINVALID)
		})

		clk.Advance(time.Minute)
		v1, err := s.ApproveContent(ctx, id, &models.Approval{ApprovedBy: bob, AcknowledgedWarnings: []string{"language.hype", "language.hype"}}, checks(warn))
		if err != nil {
			t.Fatal(err)
		}
		wantV1 := &models.ContentVersion{ContentID: id, Version: 1, ContentInput: *contentInput(), EditedBy: alice, ApprovedBy: bob,
			AcknowledgedWarnings: []string{"language.hype"}, ApprovedAt: clk.Now().UTC().Truncate(time.Microsecond)}
		if diff := cmp.Diff(wantV1, v1); diff != "" {
			t.Fatalf("version 1 (-want +got):\n%s", diff)
		}
		if c, _ = s.Content(ctx, id); c.State != models.ContentApproved || c.ApprovedVersion != 1 || c.Version != 1 {
			t.Fatalf("after approval: %+v", c)
		}

		t.Run("editing approved content opens draft version 2 and leaves version 1 as approved", func(t *testing.T) {
			in := contentInput()
			in.Title = "Paying by SEPA transfer"
			c, err := s.UpdateContent(ctx, id, in, bob)
			if err != nil {
				t.Fatal(err)
			}
			if c.State != models.ContentDraft || c.Version != 2 || c.ApprovedVersion != 1 || c.Revision != 2 || c.EditedBy != bob {
				t.Errorf("after edit: %+v", c)
			}
			got, err := s.ContentVersion(ctx, id, 1)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantV1, got); diff != "" {
				t.Errorf("version 1 changed (-want +got):\n%s", diff)
			}
		})
		t.Run("a rejection needs a reason and returns the content to draft", func(t *testing.T) {
			if _, err := s.SubmitContent(ctx, id); err != nil {
				t.Fatal(err)
			}
			_, err := s.RejectContent(ctx, id, "")
			wantCode(t, err, models.EINVALID)
			c, err := s.RejectContent(ctx, id, "Cite the bank's fee table.")
			if err != nil || c.State != models.ContentDraft || c.RejectReason != "Cite the bank's fee table." {
				t.Fatalf("reject: %+v %v", c, err)
			}
			_, err = s.RejectContent(ctx, id, "again")
			wantCode(t, err, models.ECONFLICT)
		})
		t.Run("the second version is approved by the other admin and both are listed", func(t *testing.T) {
			if _, err := s.SubmitContent(ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ApproveContent(ctx, id, &models.Approval{ApprovedBy: alice}, checks()); err != nil {
				t.Fatal(err)
			}
			vs, err := s.ContentVersions(ctx, id)
			if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || vs[1].Title != "Paying by SEPA transfer" || vs[1].ApprovedBy != alice {
				t.Fatalf("versions: %+v %v", vs, err)
			}
		})
		t.Run("an approved version cannot be changed even with SQL", func(t *testing.T) {
			err := s.DB().Exec("UPDATE content_versions SET body = '{}' WHERE content_id = ?", id).Error
			if err == nil {
				t.Fatal("update of an approved version succeeded")
			}
		})
		t.Run("retired content cannot be edited or retired again", func(t *testing.T) {
			c, err := s.RetireContent(ctx, id)
			if err != nil || c.State != models.ContentRetired {
				t.Fatalf("retire: %+v %v", c, err)
			}
			_, err = s.UpdateContent(ctx, id, contentInput(), alice)
			wantCode(t, err, models.ECONFLICT)
			_, err = s.RetireContent(ctx, id)
			wantCode(t, err, models.ECONFLICT)
		})
		t.Run("approvals and retirement are written to the outbox", func(t *testing.T) {
			want := []string{string(models.EventContentApproved), string(models.EventContentApproved), string(models.EventContentRetired)}
			if diff := cmp.Diff(want, eventTypes(t, s)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
		_, err = s.ContentVersions(ctx, id+1000)
		wantCode(t, err, models.ENOTFOUND)
		_, err = s.ContentVersion(ctx, id, 3)
		wantCode(t, err, models.ENOTFOUND)
	})
}

func TestConcurrentApprovalsCreateOneVersion(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		editor := mustKey(t, s, "editor", models.RoleEditor)
		admins := []int64{mustKey(t, s, "a1", models.RoleAdmin), mustKey(t, s, "a2", models.RoleAdmin), mustKey(t, s, "a3", models.RoleAdmin)}
		c, err := s.CreateContent(ctx, contentInput(), editor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SubmitContent(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		errs := make([]error, len(admins))
		var wg sync.WaitGroup
		for i, admin := range admins {
			wg.Go(func() {
				_, errs[i] = s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: admin}, checks())
			})
		}
		wg.Wait()
		codes := map[string]int{}
		for _, err := range errs {
			codes[models.ErrorCode(err)]++
		}
		if diff := cmp.Diff(map[string]int{"": 1, models.ECONFLICT: len(admins) - 1}, codes); diff != "" {
			t.Errorf("outcomes by error code (-want +got):\n%s\nerrors: %v", diff, errs)
		}
		if vs, err := s.ContentVersions(ctx, c.ID); err != nil || len(vs) != 1 {
			t.Errorf("versions = %d, %v; want exactly one", len(vs), err)
		}
	})
}

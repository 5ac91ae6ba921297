package store_test

import (
	"context"
	"testing"

	"github.com/candor/candor/models"
)

func TestFourEyesCompareOwnersNotKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		mint := func(name, email string) int64 {
			k, _, err := s.CreateAPIKey(ctx, &models.APIKeyInput{Name: name, Role: models.RoleAdmin, OwnerName: name, OwnerEmail: email})
			if err != nil {
				t.Fatal(err)
			}
			return k.ID
		}
		alice1 := mint("alice laptop", "alice@example.com")
		alice2 := mint("alice phone", "alice@example.com")
		bob := mint("bob", "bob@example.com")

		c, err := s.CreateContent(ctx, contentInput(), alice1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SubmitContent(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: alice2}, checks())
		wantCode(t, err, models.EFORBIDDEN)

		// The refused approval left no audit entry: it is written in the
		// action's transaction.
		entries, _, err := s.AuditEntries(ctx, models.AuditFilter{Action: models.AuditContentApproved}, models.Page{Limit: 10})
		if err != nil || len(entries) != 0 {
			t.Fatalf("audit after a refused approval: %v %v", entries, err)
		}
		if _, err := s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: bob}, checks()); err != nil {
			t.Fatalf("another owner approves: %v", err)
		}
		entries, _, err = s.AuditEntries(ctx, models.AuditFilter{ResourceType: "content"}, models.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Action)
		}
		if want := []string{models.AuditContentCreated, models.AuditContentSubmitted, models.AuditContentApproved}; len(got) != 3 ||
			got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("content audit = %v, want %v", got, want)
		}
	})
}

func TestTheBootstrapAdminKeyHasAnOwner(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		if err := s.EnsureAPIKey(ctx, "admin", "cnd_bootstrapbootstrapbootstrap", models.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		keys, err := s.APIKeys(ctx)
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys %v, %v", keys, err)
		}
		if keys[0].OwnerName != models.BootstrapOwnerName || keys[0].OwnerEmail != models.BootstrapOwnerEmail {
			t.Errorf("bootstrap key owner %q <%s>", keys[0].OwnerName, keys[0].OwnerEmail)
		}
		_, _, err = s.CreateAPIKey(ctx, &models.APIKeyInput{Name: "x", Role: models.RoleViewer})
		wantCode(t, err, models.EINVALID)
	})
}

func TestAnyoneWhoEditedTheCurrentVersionCannotApproveIt(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := mustOpen(t, backend)
		alice := mustKey(t, s, "alice", models.RoleAdmin)
		bob := mustKey(t, s, "bob", models.RoleAdmin)
		carol := mustKey(t, s, "carol", models.RoleAdmin)

		c, err := s.CreateContent(ctx, contentInput(), alice)
		if err != nil {
			t.Fatal(err)
		}
		in := contentInput()
		in.Title = "Bob's title"
		if _, err := s.UpdateContent(ctx, c.ID, in, bob); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SubmitContent(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: alice}, checks())
		wantCode(t, err, models.EFORBIDDEN) // alice wrote part of this version, bob edited last
		if _, err := s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: carol}, checks()); err != nil {
			t.Fatalf("carol approves: %v", err)
		}

		// A new version starts with only its own editors: bob edits it,
		// and alice, who did not touch version 2, may approve it.
		in.Title = "Version two"
		if _, err := s.UpdateContent(ctx, c.ID, in, bob); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SubmitContent(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApproveContent(ctx, c.ID, &models.Approval{ApprovedBy: alice}, checks()); err != nil {
			t.Fatalf("alice approves version 2: %v", err)
		}
	})
}

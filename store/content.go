package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

var _ models.ContentService = (*Store)(nil)

// contentRow is a row of the content table. Body is the editable document
// as JSON; kind, topic, corrects and expires_at are copied into columns
// because planning and foreign keys need them.
type contentRow struct {
	ID              int64
	Kind            string
	Topic           string
	Corrects        *int64
	State           string
	Version         int
	ApprovedVersion int
	Revision        int
	Body            string
	ExpiresAt       *time.Time
	EditedBy        int64
	EditorOwners    string // JSON array of the owner emails who edited this version
	RejectReason    string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (contentRow) TableName() string { return "content" }

func (r *contentRow) model() (*models.Content, error) {
	c := &models.Content{
		ID:              r.ID,
		State:           models.ContentState(r.State),
		Version:         r.Version,
		ApprovedVersion: r.ApprovedVersion,
		Revision:        r.Revision,
		EditedBy:        r.EditedBy,
		RejectReason:    r.RejectReason,
		CreatedAt:       r.CreatedAt.UTC(),
		UpdatedAt:       r.UpdatedAt.UTC(),
	}
	if err := decodeContentBody(r.Body, &c.ContentInput); err != nil {
		return nil, fmt.Errorf("store: content %d: %w", r.ID, err)
	}
	return c, nil
}

func decodeContentBody(body string, in *models.ContentInput) error {
	if err := json.Unmarshal([]byte(body), in); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	in.Normalize() // nil lists become empty ones, as on the way in
	return nil
}

// setBody copies in into the row: the JSON body and its indexed columns.
func (r *contentRow) setBody(in *models.ContentInput) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("store: encode content body: %w", err)
	}
	r.Body = string(raw)
	r.Kind, r.Topic, r.Corrects = string(in.Kind), in.Topic, in.Corrects
	r.ExpiresAt = nil
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		in.ExpiresAt = &t
		r.ExpiresAt = &t
	}
	return nil
}

// Content implements models.ContentService.
func (s *Store) Content(ctx context.Context, id int64) (*models.Content, error) {
	var row contentRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, mapError(err, "Content")
	}
	return row.model()
}

// Contents implements models.ContentService.
func (s *Store) Contents(ctx context.Context, page models.Page) ([]*models.Content, string, error) {
	ks, err := idPage(page)
	if err != nil {
		return nil, "", err
	}
	return pageBy(s.db.WithContext(ctx), ks, "Content", func(r contentRow) int64 { return r.ID }, (*contentRow).model)
}

// checkContentInput normalizes and validates in, and checks inside tx that
// its topic and the content it corrects exist. EINVALID.
func checkContentInput(tx *gorm.DB, in *models.ContentInput, selfID int64) error {
	if in == nil {
		return models.Errorf(models.EINVALID, "Content is required.")
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		return err
	}
	var p models.Problems
	var n int64
	if err := tx.Model(&topicRow{}).Where("key = ?", in.Topic).Count(&n).Error; err != nil {
		return err
	} else if n == 0 {
		p.Add("/topic", "exists", "no topic %q; create it first or use an existing key", in.Topic)
	}
	if in.Corrects != nil {
		if err := tx.Model(&contentRow{}).Where("id = ?", *in.Corrects).Count(&n).Error; err != nil {
			return err
		} else if n == 0 || *in.Corrects == selfID {
			p.Add("/corrects", "exists", "no other content with id %d", *in.Corrects)
		}
	}
	return p.Err()
}

// CreateContent implements models.ContentService.
func (s *Store) CreateContent(ctx context.Context, in *models.ContentInput, editedBy int64) (*models.Content, error) {
	var out *models.Content
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		if err := checkContentInput(tx, in, 0); err != nil {
			return err
		}
		now := s.now()
		owners, err := addEditorOwner(tx, "[]", editedBy)
		if err != nil {
			return err
		}
		row := contentRow{State: string(models.ContentDraft), Version: 1, Revision: 1, EditedBy: editedBy, EditorOwners: owners, CreatedAt: now, UpdatedAt: now}
		if err := row.setBody(in); err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := s.audit(tx, models.AuditContentCreated, "content", row.ID, map[string]any{"version": row.Version, "revision": row.Revision}); err != nil {
			return err
		}
		out, err = row.model()
		return err
	})
	if errors.Is(err, errNoChange) {
		return out, nil
	}
	if err != nil {
		return nil, mapError(err, "Content")
	}
	return out, nil
}

// UpdateContent implements models.ContentService.
func (s *Store) UpdateContent(ctx context.Context, id int64, in *models.ContentInput, editedBy int64) (*models.Content, error) {
	return s.changeContent(ctx, id, func(tx *gorm.DB, row *contentRow) error {
		if row.State == string(models.ContentRetired) {
			return models.Errorf(models.ECONFLICT, "Content %d is retired and cannot be edited; create new content instead.", id)
		}
		if err := checkContentInput(tx, in, id); err != nil {
			return err
		}
		before := row.Body
		if err := row.setBody(in); err != nil {
			return err
		}
		if sameJSON(row.Body, before) { // jsonb on PostgreSQL
			// The same body again (a client retrying, a sync): nothing
			// to review anew, so no new revision or draft, and the
			// sender does not become the last editor, which would let
			// them approve text someone else wrote.
			return errNoChange
		}
		if row.State == string(models.ContentApproved) {
			// A new version: its editors start afresh.
			row.Version = row.ApprovedVersion + 1
			row.EditorOwners = "[]"
		}
		owners, err := addEditorOwner(tx, row.EditorOwners, editedBy)
		if err != nil {
			return err
		}
		row.EditorOwners = owners
		row.State = string(models.ContentDraft)
		row.Revision++
		row.EditedBy = editedBy
		return s.audit(tx, models.AuditContentEdited, "content", id, map[string]any{"version": row.Version, "revision": row.Revision})
	})
}

// SubmitContent implements models.ContentService.
func (s *Store) SubmitContent(ctx context.Context, id int64) (*models.Content, error) {
	return s.changeContent(ctx, id, func(tx *gorm.DB, row *contentRow) error {
		if row.State != string(models.ContentDraft) {
			return models.Errorf(models.ECONFLICT, "Content %d is %s; only a draft can be submitted for review.", id, row.State)
		}
		row.State = string(models.ContentInReview)
		row.RejectReason = ""
		return s.audit(tx, models.AuditContentSubmitted, "content", id, map[string]any{"version": row.Version, "revision": row.Revision})
	})
}

// RejectContent implements models.ContentService.
func (s *Store) RejectContent(ctx context.Context, id int64, reason string) (*models.Content, error) {
	var p models.Problems
	if n := utf8.RuneCountInString(reason); n == 0 || n > 2000 {
		p.Add("/reason", "length", "is required and must be at most 2000 characters")
	} else if !models.ValidText(reason) {
		p.Add("/reason", "text", "must be valid UTF-8 text without NUL characters")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return s.changeContent(ctx, id, func(tx *gorm.DB, row *contentRow) error {
		if row.State != string(models.ContentInReview) {
			return models.Errorf(models.ECONFLICT, "Content %d is %s; only content in review can be rejected.", id, row.State)
		}
		row.State = string(models.ContentDraft)
		row.RejectReason = reason
		return s.audit(tx, models.AuditContentRejected, "content", id, map[string]any{"version": row.Version, "revision": row.Revision})
	})
}

// RetireContent implements models.ContentService.
func (s *Store) RetireContent(ctx context.Context, id int64) (*models.Content, error) {
	return s.changeContent(ctx, id, func(tx *gorm.DB, row *contentRow) error {
		if row.State == string(models.ContentRetired) {
			return models.Errorf(models.ECONFLICT, "Content %d is already retired.", id)
		}
		row.State = string(models.ContentRetired)
		if err := s.audit(tx, models.AuditContentRetired, "content", id, nil); err != nil {
			return err
		}
		return s.writeEvent(tx, models.EventContentRetired, nil, map[string]any{"content_id": id})
	})
}

// changeContent locks the row, lets change modify it and saves it with a
// new updated_at. When change returns errNoChange nothing is written and
// the stored content is returned. ENOTFOUND; whatever change returns.
func (s *Store) changeContent(ctx context.Context, id int64, change func(tx *gorm.DB, row *contentRow) error) (*models.Content, error) {
	var out *models.Content
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var row contentRow
		if err := s.forUpdate(tx).Where("id = ?", id).Take(&row).Error; err != nil {
			return err
		}
		stored := row
		if err := change(tx, &row); errors.Is(err, errNoChange) {
			var mErr error
			if out, mErr = stored.model(); mErr != nil {
				return mErr
			}
			return errNoChange
		} else if err != nil {
			return err
		}
		row.UpdatedAt = s.now()
		if err := tx.Save(&row).Error; err != nil {
			return err
		}
		var err error
		out, err = row.model()
		return err
	})
	if errors.Is(err, errNoChange) {
		return out, nil
	}
	if err != nil {
		return nil, mapError(err, "Content")
	}
	return out, nil
}

// keyOwner returns the owner email of an API key ("" if there is none).
func keyOwner(tx *gorm.DB, keyID int64) (string, error) {
	var owners []string
	if err := tx.Model(&apiKeyRow{}).Where("id = ?", keyID).Pluck("owner_email", &owners).Error; err != nil {
		return "", err
	}
	if len(owners) == 0 {
		return "", nil
	}
	return owners[0], nil
}

// editorOwners decodes the editor_owners column.
func editorOwners(raw string) ([]string, error) {
	var owners []string
	if raw == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(raw), &owners); err != nil {
		return nil, fmt.Errorf("store: content editor_owners: %w", err)
	}
	return owners, nil
}

// addEditorOwner adds the owner of key editedBy to the JSON list raw of
// the owners who edited the current version.
func addEditorOwner(tx *gorm.DB, raw string, editedBy int64) (string, error) {
	owners, err := editorOwners(raw)
	if err != nil {
		return "", err
	}
	owner, err := keyOwner(tx, editedBy)
	if err != nil {
		return "", err
	}
	if owner != "" && !slices.Contains(owners, owner) {
		owners = append(owners, owner)
	}
	if owners == nil {
		owners = []string{}
	}
	out, err := json.Marshal(owners)
	return string(out), err
}

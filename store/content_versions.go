package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// contentVersionRow is a row of content_versions: an approved, immutable
// copy of a content body. Rows are only ever inserted.
type contentVersionRow struct {
	ContentID            int64 `gorm:"primaryKey;autoIncrement:false"`
	Version              int   `gorm:"primaryKey;autoIncrement:false"`
	Body                 string
	EditedBy             int64
	ApprovedBy           int64
	AcknowledgedWarnings string
	ApprovedAt           time.Time
}

func (contentVersionRow) TableName() string { return "content_versions" }

func (r *contentVersionRow) model() (*models.ContentVersion, error) {
	v := &models.ContentVersion{
		ContentID:  r.ContentID,
		Version:    r.Version,
		EditedBy:   r.EditedBy,
		ApprovedBy: r.ApprovedBy,
		ApprovedAt: r.ApprovedAt.UTC(),
	}
	if err := decodeContentBody(r.Body, &v.ContentInput); err != nil {
		return nil, fmt.Errorf("store: content %d version %d: %w", r.ContentID, r.Version, err)
	}
	if err := json.Unmarshal([]byte(r.AcknowledgedWarnings), &v.AcknowledgedWarnings); err != nil {
		return nil, fmt.Errorf("store: content %d version %d: acknowledged_warnings: %w", r.ContentID, r.Version, err)
	}
	if v.AcknowledgedWarnings == nil {
		v.AcknowledgedWarnings = []string{}
	}
	return v, nil
}

// ApproveContent implements models.ContentService. check runs on the locked
// body, so what is approved is exactly what was checked.
func (s *Store) ApproveContent(ctx context.Context, id int64, in *models.Approval, check models.ContentChecker) (*models.ContentVersion, error) {
	var out *models.ContentVersion
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var row contentRow
		if err := s.forUpdate(tx).Where("id = ?", id).Take(&row).Error; err != nil {
			return err
		}
		if row.State != string(models.ContentInReview) {
			return models.Errorf(models.ECONFLICT, "Content %d is %s; submit it for review before approving.", id, row.State)
		}
		// Four eyes compare people, not keys: a second key of the
		// same owner does not count as a second pair of eyes.
		var keys []apiKeyRow
		if err := tx.Where("id IN ?", []int64{row.EditedBy, in.ApprovedBy}).Find(&keys).Error; err != nil {
			return err
		}
		owners := map[int64]string{}
		for _, k := range keys {
			owners[k.ID] = k.OwnerEmail
		}
		if row.EditedBy == in.ApprovedBy || owners[row.EditedBy] == "" || owners[row.EditedBy] == owners[in.ApprovedBy] {
			return models.Errorf(models.EFORBIDDEN, "Four eyes: content %d was last edited by %s, who owns this API key too; another person must approve it.", id, owners[row.EditedBy])
		}
		editors, err := editorOwners(row.EditorOwners)
		if err != nil {
			return err
		}
		if slices.Contains(editors, owners[in.ApprovedBy]) {
			return models.Errorf(models.EFORBIDDEN, "Four eyes: %s, who owns this API key, edited version %d of content %d; another person must approve it.", owners[in.ApprovedBy], row.Version, id)
		}
		c, err := row.model()
		if err != nil {
			return err
		}
		acked, err := approvalProblems(check(c), in.AcknowledgedWarnings)
		if err != nil {
			return err
		}
		ackJSON, err := json.Marshal(acked)
		if err != nil {
			return err
		}
		now := s.now()
		v := contentVersionRow{ContentID: id, Version: row.Version, Body: row.Body, EditedBy: row.EditedBy,
			ApprovedBy: in.ApprovedBy, AcknowledgedWarnings: string(ackJSON), ApprovedAt: now}
		if err := tx.Create(&v).Error; err != nil {
			return err
		}
		res := tx.Model(&contentRow{}).Where("id = ?", id).Updates(map[string]any{
			"state": string(models.ContentApproved), "approved_version": row.Version, "updated_at": now,
		})
		if res.Error != nil {
			return res.Error
		}
		if err := s.writeEvent(tx, models.EventContentApproved, nil, map[string]any{"content_id": id, "version": row.Version}); err != nil {
			return err
		}
		if err := s.audit(tx, models.AuditContentApproved, "content", id, map[string]any{"version": row.Version, "edited_by": row.EditedBy}); err != nil {
			return err
		}
		out, err = v.model()
		return err
	})
	if err != nil {
		return nil, mapError(err, "Content")
	}
	return out, nil
}

// approvalProblems refuses an approval while findings hold an error, and
// unless acknowledged lists exactly the rule ids of the current warnings.
// It returns the sorted, de-duplicated acknowledged ids. EINVALID.
func approvalProblems(findings []models.Finding, acknowledged []string) ([]string, error) {
	var p models.Problems
	warnings := map[string]bool{}
	for _, f := range findings {
		switch f.Severity {
		case models.SeverityError:
			p.Add(f.Location, f.Rule, "%s", f.Message)
		case models.SeverityWarning:
			warnings[f.Rule] = true
		}
	}
	if len(p) > 0 {
		return nil, &models.Error{Code: models.EINVALID, Message: "The content has error findings; fix them before approval.", Fields: p}
	}
	acked := map[string]bool{}
	for i, rule := range acknowledged {
		if !warnings[rule] {
			p.Add(fmt.Sprintf("/acknowledged_warnings/%d", i), "not_a_warning", "%q is not a current warning of this content", rule)
		}
		acked[rule] = true
	}
	var missing []string
	for rule := range warnings {
		if !acked[rule] {
			missing = append(missing, rule)
		}
	}
	sort.Strings(missing)
	for _, rule := range missing {
		p.Add("/acknowledged_warnings", "unacknowledged_warning", "warning %s must be acknowledged to approve", rule)
	}
	if len(p) > 0 {
		msg := "The approval must acknowledge exactly the current warnings."
		if len(missing) > 0 {
			msg = "The approval must acknowledge every current warning; missing: " + strings.Join(missing, ", ") + "."
		}
		return nil, &models.Error{Code: models.EINVALID, Message: msg, Fields: p}
	}
	out := make([]string, 0, len(acked))
	for rule := range acked {
		out = append(out, rule)
	}
	sort.Strings(out)
	return out, nil
}

// ContentVersions implements models.ContentService.
func (s *Store) ContentVersions(ctx context.Context, id int64) ([]*models.ContentVersion, error) {
	db := s.db.WithContext(ctx)
	var n int64
	if err := db.Model(&contentRow{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return nil, mapError(err, "Content")
	} else if n == 0 {
		return nil, models.Errorf(models.ENOTFOUND, "Content not found.")
	}
	// Versions are never deleted, so reading them after the existence
	// check needs no transaction.
	var rows []contentVersionRow
	if err := db.Where("content_id = ?", id).Order("version").Find(&rows).Error; err != nil {
		return nil, mapError(err, "Content versions")
	}
	out := make([]*models.ContentVersion, len(rows))
	for i := range rows {
		var err error
		if out[i], err = rows[i].model(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ContentVersion implements models.ContentService.
func (s *Store) ContentVersion(ctx context.Context, id int64, version int) (*models.ContentVersion, error) {
	if version < 1 || version > models.MaxContentVersion {
		// The column is 32 bits: PostgreSQL would fail the comparison.
		return nil, models.Errorf(models.ENOTFOUND, "Content version not found.")
	}
	var row contentVersionRow
	if err := s.db.WithContext(ctx).Where("content_id = ? AND version = ?", id, version).Take(&row).Error; err != nil {
		return nil, mapError(err, "Content version")
	}
	return row.model()
}

package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// audienceRule explains whether the customer is in the campaign's audience
// now, the first question explain answers: a member of the segment (by the
// Go evaluator, which a property test keeps equal to the SQL planning
// runs), or for a correction a customer whose delivery of the corrected
// content was sent or may have been (unknown). in is false when they are
// not. A segment deleted after launch can no longer be evaluated; the rule
// is skipped and the launch decision tells what happened.
func (s *Store) audienceRule(ctx context.Context, db *gorm.DB, row *campaignRow, c *models.Customer) (rule models.ExplainedRule, in bool, err error) {
	rule.Rule = models.ExplainNotInAudience
	if row.RecipientsOf != nil {
		var n int64
		err := db.Model(&deliveryRow{}).Where("customer_id = ? AND content_id = ? AND status IN ?", c.ID, *row.RecipientsOf,
			[]string{string(models.DeliverySent), string(models.DeliveryUnknown)}).Count(&n).Error
		if err != nil {
			return rule, false, mapError(err, "Deliveries")
		}
		rule.Values = map[string]any{"recipients_of": *row.RecipientsOf}
		if n == 0 {
			rule.Outcome, rule.Detail = string(models.RuleFail), fmt.Sprintf("the customer was never sent content %d, which this correction corrects", *row.RecipientsOf)
			return rule, false, nil
		}
		rule.Outcome, rule.Detail = string(models.RulePass), fmt.Sprintf("the customer was sent content %d, which this correction corrects", *row.RecipientsOf)
		return rule, true, nil
	}
	if row.SegmentID == nil {
		rule.Outcome, rule.Detail = string(models.RuleSkipped), "the campaign's segment was deleted after launch; see launch for what the launch decided"
		return rule, true, nil
	}
	seg, err := s.parsedSegment(ctx, *row.SegmentID)
	if err != nil {
		return rule, false, err
	}
	consents, err := s.consentStatuses(ctx, c.ID)
	if err != nil {
		return rule, false, err
	}
	match := s.rules.ExplainRule(seg, c, consents, s.now())
	rule.Values = map[string]any{"segment_id": *row.SegmentID}
	if !match.Result {
		rule.Outcome, rule.Detail = string(models.RuleFail), fmt.Sprintf("the customer is not a member of segment %d (GET /v1/segments/%d/explain/{external_id} says why)", *row.SegmentID, *row.SegmentID)
		return rule, false, nil
	}
	rule.Outcome, rule.Detail = string(models.RulePass), fmt.Sprintf("the customer is a member of segment %d", *row.SegmentID)
	return rule, true, nil
}

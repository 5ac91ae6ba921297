package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// RecordWebhookOutcomes records one round of attempts in one transaction:
// the attempt log, each message's new state (delivered; pending again at
// its Next time; failed for good when Next is zero) and each endpoint's
// run of failures. An endpoint whose run reaches the policy is disabled,
// with a webhook_endpoint.disabled event in the same transaction; the
// disabled endpoints are returned for the caller to log. Outcomes for a
// message that is no longer pending (an endpoint deleted or a message
// replayed meanwhile) still enter the log but change no message.
func (s *Store) RecordWebhookOutcomes(ctx context.Context, outcomes []models.WebhookOutcome, policy models.DisablePolicy) ([]models.DisabledEndpoint, error) {
	if len(outcomes) == 0 {
		return nil, nil
	}
	var disabled []models.DisabledEndpoint
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		disabled = disabled[:0]
		attempts, err := s.logAttempts(tx, outcomes)
		if err != nil {
			return err
		}
		var delivered []int64
		for _, o := range outcomes {
			if o.OK {
				delivered = append(delivered, o.MessageID)
				continue
			}
			upd := map[string]any{"attempts": attempts[o.MessageID], "last_error": storableText(o.Error, 500)}
			if o.Next.IsZero() {
				upd["status"] = messageFailed
			} else {
				upd["next_attempt_at"] = o.Next.UTC().Truncate(time.Microsecond)
			}
			if err := tx.Model(&webhookMessageRow{}).Where("id = ? AND status = ?", o.MessageID, messagePending).Updates(upd).Error; err != nil {
				return err
			}
		}
		if len(delivered) > 0 {
			// The common case, one statement for the whole round.
			if err := tx.Exec("UPDATE webhook_messages SET status = ?, attempts = attempts + 1, last_error = '', delivered_at = ? "+
				"WHERE id IN ? AND status = ?", messageDelivered, s.now(), delivered, messagePending).Error; err != nil {
				return err
			}
		}
		disabled, err = s.updateFailureRuns(tx, outcomes, policy)
		return err
	})
	if err != nil {
		return nil, mapError(err, "Webhook outcomes")
	}
	return disabled, nil
}

// logAttempts appends the attempt log rows of a round and returns each
// message's attempt count after it.
func (s *Store) logAttempts(tx *gorm.DB, outcomes []models.WebhookOutcome) (map[int64]int, error) {
	ids := make([]int64, 0, len(outcomes))
	for _, o := range outcomes {
		ids = append(ids, o.MessageID)
	}
	var prior []webhookMessageRow
	if err := tx.Select("id", "attempts").Where("id IN ?", ids).Find(&prior).Error; err != nil {
		return nil, err
	}
	count := make(map[int64]int, len(prior))
	for _, m := range prior {
		count[m.ID] = m.Attempts
	}
	rows := make([]webhookAttemptRow, len(outcomes))
	for i, o := range outcomes {
		count[o.MessageID]++
		rows[i] = webhookAttemptRow{EndpointID: o.EndpointID, MessageID: o.MessageID, EventID: o.EventID, Attempt: count[o.MessageID],
			OK: o.OK, StatusCode: o.StatusCode, Error: storableText(o.Error, 500), DurationMS: int(o.Took / time.Millisecond),
			AttemptedAt: o.At.UTC().Truncate(time.Microsecond)}
	}
	return count, tx.CreateInBatches(rows, 500).Error
}

// updateFailureRuns folds a round's outcomes into each endpoint's run of
// failures (a success ends it) and disables the endpoints whose run
// reached the policy.
func (s *Store) updateFailureRuns(tx *gorm.DB, outcomes []models.WebhookOutcome, policy models.DisablePolicy) ([]models.DisabledEndpoint, error) {
	byEndpoint := map[int64][]models.WebhookOutcome{}
	for _, o := range outcomes {
		byEndpoint[o.EndpointID] = append(byEndpoint[o.EndpointID], o)
	}
	ids := make([]int64, 0, len(byEndpoint))
	for id := range byEndpoint {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] }) // lock in one order
	var out []models.DisabledEndpoint
	for _, id := range ids {
		var ep webhookEndpointRow
		err := s.forUpdate(tx).Select("id", "status", "failure_run", "failing_since").Where("id = ?", id).Take(&ep).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			continue // deleted meanwhile
		} else if err != nil {
			return nil, err
		}
		run, since := foldFailures(ep.FailureRun, ep.FailingSince, byEndpoint[id])
		upd := map[string]any{"failure_run": run, "failing_since": since}
		now := s.now()
		if ep.Status == string(models.EndpointEnabled) && policy.Failures > 0 && run >= policy.Failures && since != nil &&
			now.Sub(*since) >= policy.After {
			reason := fmt.Sprintf("%d consecutive failed attempts since %s", run, since.UTC().Format(time.RFC3339))
			upd["status"], upd["disabled_reason"], upd["updated_at"] = string(models.EndpointDisabled), reason, now
			data := map[string]any{"endpoint_id": id, "failures": run, "failing_since": since.UTC(), "reason": reason}
			if err := s.writeEvent(tx, models.EventWebhookEndpointDisabled, nil, data); err != nil {
				return nil, err
			}
			out = append(out, models.DisabledEndpoint{ID: id, Reason: reason})
		}
		if err := tx.Model(&webhookEndpointRow{}).Where("id = ?", id).Updates(upd).Error; err != nil {
			return nil, err
		}
	}
	return out, nil
}

// foldFailures returns the run of failures and its start after outcomes
// (in the order they were made), starting from run and since.
func foldFailures(run int, since *time.Time, outcomes []models.WebhookOutcome) (int, *time.Time) {
	sort.SliceStable(outcomes, func(i, j int) bool { return outcomes[i].At.Before(outcomes[j].At) })
	for _, o := range outcomes {
		if o.OK {
			run, since = 0, nil
			continue
		}
		run++
		if since == nil {
			at := o.At.UTC().Truncate(time.Microsecond)
			since = &at
		}
	}
	return run, since
}

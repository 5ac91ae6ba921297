package webhooks

import (
	"context"

	"github.com/candor/candor/models"
)

// FeedbackStore is what applying channel feedback needs: recording the
// report (and a hard bounce's unusable address) and the same opt-out the
// one-click unsubscribe uses.
type FeedbackStore interface {
	RecordChannelFeedback(ctx context.Context, fb *models.ChannelFeedback) ([]int64, error)
	OptOutAll(ctx context.Context, customerID int64, source models.ConsentSource, ev models.Evidence) (int, error)
}

// feedbackData is the data of channel.bounced, .complained and .stop.
type feedbackData struct {
	ExternalID string         `json:"external_id"`
	DeliveryID int64          `json:"delivery_id"`
	Channel    models.Channel `json:"channel"`
	Address    string         `json:"address"`
	Kind       string         `json:"kind"`
}

// feedbackEvidence is what the ledger records for an opt-out a channel
// reported: the customer's own act, relayed by their provider.
var feedbackEvidence = map[models.InboundEventType]models.Evidence{
	models.InboundChannelComplained: {Text: "The recipient reported a message as spam to their email provider (channel.complained)."},
	models.InboundChannelStop:       {Text: "The recipient replied STOP to a text message (channel.stop)."},
}

// applyFeedback applies channel feedback: a bounce is recorded and a
// hard one makes the address unusable for its channel; a complaint or a
// STOP reply is recorded and opts the customer out of every topic
// (source channel).
func (a Applier) applyFeedback(ctx context.Context, env *models.InboundEvent) error {
	var d feedbackData
	if err := decodeData(env.Data, &d); err != nil {
		return err
	}
	fb := &models.ChannelFeedback{Channel: d.Channel, ExternalID: d.ExternalID, DeliveryID: d.DeliveryID,
		Address: d.Address, OccurredAt: env.OccurredAt}
	if err := feedbackKind(env.Type, d, fb); err != nil {
		return err
	}
	customers, err := a.Store.RecordChannelFeedback(ctx, fb)
	if err != nil || (fb.Kind != models.FeedbackComplaint && fb.Kind != models.FeedbackStop) {
		return err
	}
	for _, id := range customers {
		if _, err := a.Store.OptOutAll(ctx, id, models.SourceChannel, feedbackEvidence[env.Type]); err != nil && models.ErrorCode(err) != models.ENOTFOUND {
			return err
		}
	}
	return nil
}

// feedbackKind checks the event's fields and sets fb.Kind (and the
// channel STOP implies). EINVALID naming the field.
func feedbackKind(typ models.InboundEventType, d feedbackData, fb *models.ChannelFeedback) error {
	var p models.Problems
	switch typ {
	case models.InboundChannelBounced:
		switch d.Kind {
		case "hard":
			fb.Kind = models.FeedbackHardBounce
		case "soft":
			fb.Kind = models.FeedbackSoftBounce
		default:
			p.Add("/data/kind", "enum", "must be hard or soft, got %q", d.Kind)
		}
	case models.InboundChannelComplained:
		fb.Kind = models.FeedbackComplaint
	case models.InboundChannelStop:
		fb.Kind = models.FeedbackStop
		if fb.Channel == "" {
			fb.Channel = models.ChannelSMS
		}
	}
	if d.DeliveryID == 0 {
		if _, ok := models.ChannelSpecFor(fb.Channel); !ok {
			p.Add("/data/channel", "enum", "must name a channel (email, sms, webhook) unless delivery_id is given, got %q", fb.Channel)
		}
		if d.ExternalID == "" && d.Address == "" {
			p.Add("/data", "target", "must name delivery_id, external_id or address")
		}
	}
	return p.Err()
}

package webhooks

import (
	"context"

	"github.com/candor/candor/models"
)

// applyFeedback applies channel feedback (bounces, complaints, STOP).
func (a Applier) applyFeedback(_ context.Context, env *models.InboundEvent) error {
	return models.Errorf(models.EINVALID, "Event type %q is accepted but not applied by this version of Candor yet.", env.Type)
}

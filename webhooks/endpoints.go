package webhooks

import (
	"context"

	"github.com/candor/candor/models"
)

// Endpoints is the endpoint service the API serves: the store's, with
// the URL policy (https, public address) checked before a URL is saved.
// The worker's dialer checks the address again at every connection.
type Endpoints struct {
	models.WebhookEndpointService
	Policy URLPolicy
}

// CreateWebhookEndpoint checks the input's form and the URL policy, then
// creates the endpoint. EINVALID naming /url and the rule it breaks
// ("https", "public_address") or any other field's problem.
func (e Endpoints) CreateWebhookEndpoint(ctx context.Context, in *models.WebhookEndpointInput) (*models.WebhookEndpoint, string, error) {
	if in == nil {
		in = &models.WebhookEndpointInput{}
	}
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	if err := e.checkURL(ctx, in.URL); err != nil {
		return nil, "", err
	}
	return e.WebhookEndpointService.CreateWebhookEndpoint(ctx, in)
}

// UpdateWebhookEndpoint checks a new URL like CreateWebhookEndpoint does,
// then updates. ENOTFOUND; EINVALID.
func (e Endpoints) UpdateWebhookEndpoint(ctx context.Context, id int64, in *models.WebhookEndpointPatch) (*models.WebhookEndpoint, error) {
	if in == nil {
		in = &models.WebhookEndpointPatch{}
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.URL != nil {
		if err := e.checkURL(ctx, *in.URL); err != nil {
			return nil, err
		}
	}
	return e.WebhookEndpointService.UpdateWebhookEndpoint(ctx, id, in)
}

func (e Endpoints) checkURL(ctx context.Context, raw string) error {
	rule, detail := e.Policy.Check(ctx, raw)
	if rule == "" {
		return nil
	}
	var p models.Problems
	p.Add("/url", rule, "%s", detail)
	return p.Err()
}

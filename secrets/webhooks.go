package secrets

import "encoding/base64"

// WebhookSecretPrefix starts every Standard Webhooks secret.
const WebhookSecretPrefix = "whsec_"

// NewWebhookSecret returns a new Standard Webhooks signing secret:
// "whsec_" and 32 random bytes in standard base64, the form the
// reference libraries accept.
func NewWebhookSecret() string {
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(randomBytes(32))
}

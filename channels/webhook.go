package channels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/models"
)

// WebhookOptions configures the webhook channel: a signed JSON POST per
// message to the CRM, which decides how to show it to the customer.
type WebhookOptions struct {
	URL string
	// Secret is the Standard Webhooks signing secret, "whsec_<base64>".
	Secret string
	// Timeout bounds one request; 0 means DefaultHTTPTimeout.
	Timeout time.Duration
	// AllowPrivate permits a URL that resolves to a loopback, private or
	// link-local address (CANDOR_WEBHOOK_ALLOW_PRIVATE; local testing only).
	AllowPrivate bool
	// Client replaces the HTTP client built from Timeout and AllowPrivate.
	Client *http.Client
	// Now is the clock for webhook-timestamp; nil means time.Now.
	Now func() time.Time
}

// WebhookEvent is the JSON body of a webhook-channel message.
type WebhookEvent struct {
	Type           string         `json:"type"` // always "message.send"
	DeliveryID     int64          `json:"delivery_id"`
	ExternalID     string         `json:"external_id"`
	Channel        models.Channel `json:"channel"`
	Locale         string         `json:"locale"`
	Subject        string         `json:"subject"`
	Text           string         `json:"text"`
	HTML           string         `json:"html"`
	UnsubscribeURL string         `json:"unsubscribe_url"`
	PreferencesURL string         `json:"preferences_url"`
	CampaignID     int64          `json:"campaign_id"`
	ContentID      int64          `json:"content_id"`
	ContentVersion int            `json:"content_version"`
}

// WebhookBody returns the JSON body posted for m, for the outbox to store
// the same bytes the webhook channel would carry.
func WebhookBody(m *Message) ([]byte, error) {
	e := WebhookEvent{
		Type: "message.send", DeliveryID: m.DeliveryID, ExternalID: m.To,
		Channel: models.ChannelWebhook, Locale: m.Locale, Subject: m.Subject,
		Text: m.Text, HTML: m.HTML, UnsubscribeURL: m.UnsubscribeURL,
		PreferencesURL: m.PreferencesURL, CampaignID: m.CampaignID,
		ContentID: m.ContentID, ContentVersion: m.ContentVersion,
	}
	return appendWebhookBody(make([]byte, 0, webhookBodySize(&e)), &e), nil
}

// The canonical forms of the webhook request's header keys.
var (
	headerContentType      = http.CanonicalHeaderKey("Content-Type")
	headerWebhookID        = http.CanonicalHeaderKey(standardwebhooks.HeaderWebhookID)
	headerWebhookTimestamp = http.CanonicalHeaderKey(standardwebhooks.HeaderWebhookTimestamp)
	headerWebhookSignature = http.CanonicalHeaderKey(standardwebhooks.HeaderWebhookSignature)
)

// WebhookSender posts each message signed with Standard Webhooks; the
// webhook-id is the delivery id, so receivers de-duplicate retries and the
// sender is Idempotent.
type WebhookSender struct {
	url    string
	signer *webhookSigner
	hc     *http.Client
	opts   WebhookOptions
}

// NewWebhook checks opts and returns a WebhookSender. It returns an error
// naming the missing or invalid option (never its value).
func NewWebhook(opts WebhookOptions) (*WebhookSender, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("webhook: URL must be an http(s) URL")
	}
	if len(opts.Secret) < len("whsec_")+4 || opts.Secret[:6] != "whsec_" {
		return nil, errors.New(`webhook: secret must look like "whsec_<base64>"`)
	}
	signer, err := newWebhookSigner(opts.Secret)
	if err != nil {
		return nil, errors.New("webhook: secret is not valid base64 after whsec_")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultHTTPTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	hc := opts.Client
	if hc == nil {
		hc = newHTTPClient(opts.Timeout, opts.AllowPrivate)
	}
	return &WebhookSender{url: u.String(), signer: signer, hc: hc, opts: opts}, nil
}

// Send posts m as a signed WebhookEvent. A 2xx answer means sent; the
// ProviderID is the "id" of a JSON answer if there is one, else the
// delivery id. Errors are *SendError: transient for network errors,
// timeouts, 408, 429 (with Retry-After) and 5xx; permanent for other
// statuses, redirects included, and for a private destination address when
// AllowPrivate is off.
func (s *WebhookSender) Send(ctx context.Context, m *Message) (Result, error) {
	if m.To == "" {
		return Result{}, permanent(models.ChannelWebhook, "invalid address: empty external id", nil)
	}
	body, err := WebhookBody(m)
	if err != nil {
		return Result{}, permanent(models.ChannelWebhook, "encoding body", nil)
	}
	id, unix := deliveryKey(m), s.opts.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return Result{}, permanent(models.ChannelWebhook, "building request", nil)
	}
	// The header's keys in canonical form and its values in one array:
	// what Header.Set stores, without canonicalizing each key again.
	values := [...]string{"application/json", id, strconv.FormatInt(unix, 10), s.signer.sign(id, unix, body)}
	req.Header[headerContentType] = values[0:1:1]
	req.Header[headerWebhookID] = values[1:2:2]
	req.Header[headerWebhookTimestamp] = values[2:3:3]
	req.Header[headerWebhookSignature] = values[3:4:4]
	r, err := do(ctx, s.hc, models.ChannelWebhook, req)
	if err != nil {
		return Result{}, err
	}
	if !r.ok() {
		return Result{}, httpStatusError(models.ChannelWebhook, r.resp, "", s.opts.Now())
	}
	var reply struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(r.body, &reply) == nil && len(reply.ID) > 0 && len(reply.ID) <= 200 {
		var s string
		if json.Unmarshal(reply.ID, &s) == nil && s != "" {
			return Result{ProviderID: s}, nil
		}
		var n json.Number
		if json.Unmarshal(reply.ID, &n) == nil {
			return Result{ProviderID: n.String()}, nil
		}
	}
	return Result{ProviderID: id}, nil
}

// Idempotent reports true: the webhook-id lets receivers drop duplicates.
func (s *WebhookSender) Idempotent() bool { return true }

// Close releases idle connections. It never fails.
func (s *WebhookSender) Close() error {
	s.hc.CloseIdleConnections()
	return nil
}

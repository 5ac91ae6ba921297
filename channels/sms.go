package channels

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/candor/candor/models"
)

// DefaultSMSBaseURL is the Twilio API origin.
const DefaultSMSBaseURL = "https://api.twilio.com"

// maxSMSBody is the longest body the Twilio Messages API accepts, in characters.
const maxSMSBody = 1600

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// SMSOptions configures the sms channel: a Twilio-compatible Messages API.
type SMSOptions struct {
	// BaseURL is the API origin; empty means DefaultSMSBaseURL.
	BaseURL    string
	AccountSID string
	AuthToken  string
	// From is the sender: an E.164 number or an alphanumeric sender id.
	From string
	// Timeout bounds one request; 0 means DefaultHTTPTimeout.
	Timeout time.Duration
	// Client replaces the HTTP client built from Timeout (tests, proxies).
	Client *http.Client
	// Now is the clock used for Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// SMSSender sends text messages through a Twilio-compatible HTTP API:
// POST {base}/2010-04-01/Accounts/{sid}/Messages.json with basic auth and
// the delivery id as I-Twilio-Idempotency-Token, so it is Idempotent.
type SMSSender struct {
	endpoint string
	opts     SMSOptions
	hc       *http.Client
}

// NewSMS checks opts and returns an SMSSender. It returns an error naming
// the first missing or invalid option (never its value).
func NewSMS(opts SMSOptions) (*SMSSender, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultSMSBaseURL
	}
	base, err := url.Parse(opts.BaseURL)
	switch {
	case err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "":
		return nil, errors.New("sms: base URL must be an http(s) URL")
	case opts.AccountSID == "" || strings.ContainsAny(opts.AccountSID, "/?#"):
		return nil, errors.New("sms: account SID is required and must be a plain identifier")
	case opts.AuthToken == "":
		return nil, errors.New("sms: auth token is required")
	case opts.From == "":
		return nil, errors.New("sms: from is required")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultHTTPTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	hc := opts.Client
	if hc == nil {
		hc = newHTTPClient(opts.Timeout, true)
	}
	endpoint := strings.TrimRight(base.String(), "/") + "/2010-04-01/Accounts/" +
		url.PathEscape(opts.AccountSID) + "/Messages.json"
	return &SMSSender{endpoint: endpoint, opts: opts, hc: hc}, nil
}

// Send posts m.Text to m.To. It returns the provider's message sid, or a
// *SendError: permanent for an invalid number, an empty or too long body
// and HTTP 4xx (with the provider's numeric error code when given);
// transient for network errors, timeouts, 408, 429 and 5xx.
func (s *SMSSender) Send(ctx context.Context, m *Message) (Result, error) {
	switch {
	case !e164.MatchString(m.To):
		return Result{}, permanent(models.ChannelSMS, "invalid address: not an E.164 number", nil)
	case m.Text == "":
		return Result{}, permanent(models.ChannelSMS, "empty body", nil)
	case utf8.RuneCountInString(m.Text) > maxSMSBody:
		return Result{}, permanent(models.ChannelSMS, "body longer than "+strconv.Itoa(maxSMSBody)+" characters", nil)
	}
	form := url.Values{"To": {m.To}, "From": {s.opts.From}, "Body": {m.Text}}
	req, err := http.NewRequest(http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Result{}, permanent(models.ChannelSMS, "building request", nil)
	}
	req.SetBasicAuth(s.opts.AccountSID, s.opts.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("I-Twilio-Idempotency-Token", deliveryKey(m))
	r, err := do(ctx, s.hc, models.ChannelSMS, req)
	if err != nil {
		return Result{}, err
	}
	var reply struct {
		SID  string `json:"sid"`
		Code int    `json:"code"`
	}
	_ = json.Unmarshal(r.body, &reply)
	if !r.ok() {
		detail := ""
		if reply.Code != 0 {
			detail = "provider code " + strconv.Itoa(reply.Code)
		}
		return Result{}, httpStatusError(models.ChannelSMS, r.resp, detail, s.opts.Now())
	}
	if reply.SID == "" {
		// Accepted, but the answer was cut or unreadable: retrying with the
		// same idempotency token returns the original message.
		e := transient(models.ChannelSMS, "accepted without a message sid", r.readErr)
		e.MaybeSent = true
		return Result{}, e
	}
	return Result{ProviderID: reply.SID}, nil
}

// Idempotent reports true: the provider de-duplicates by the idempotency token.
func (s *SMSSender) Idempotent() bool { return true }

// Close releases idle connections. It never fails.
func (s *SMSSender) Close() error {
	s.hc.CloseIdleConnections()
	return nil
}

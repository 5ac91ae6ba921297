package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/candor/candor/models"
)

// Payload is the body of an outbound webhook: the event's type, when it
// was written, and its data (never PII: ids, topics, statuses).
type Payload struct {
	Type      models.EventType `json:"type"`
	Timestamp time.Time        `json:"timestamp"`
	Data      json.RawMessage  `json:"data"`
}

// Body returns the JSON body of a message.
func Body(m *models.WebhookMessage) ([]byte, error) {
	data := m.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	return json.Marshal(Payload{Type: m.Type, Timestamp: m.CreatedAt.UTC(), Data: data})
}

// Sender signs and posts outbound webhooks.
type Sender struct {
	// Client sends the requests (NewClient builds the guarded one).
	Client *http.Client
	// AllowPrivate permits plain http URLs (the client decides about
	// addresses).
	AllowPrivate bool
	// Now dates webhook-timestamp; nil means time.Now.
	Now func() time.Time
}

// Result is what one attempt came to.
type Result struct {
	OK         bool
	StatusCode int    // 0 when there was no answer
	Error      string // short, safe to show in the attempt log
	Took       time.Duration
}

// maxAnswer is the most of an answer read (and then dropped) so the
// connection can be reused.
const maxAnswer = 64 << 10

// Send posts m to t signed with t's secret: Content-Type JSON and the
// webhook-id (stable per event), webhook-timestamp and webhook-signature
// headers of Standard Webhooks. Any 2xx answer is a success; anything
// else, a redirect included, a failure to retry.
func (s *Sender) Send(ctx context.Context, t models.WebhookTarget, m *models.WebhookMessage) Result {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	start := time.Now()
	res := s.send(ctx, t, m, now())
	res.Took = time.Since(start)
	return res
}

func (s *Sender) send(ctx context.Context, t models.WebhookTarget, m *models.WebhookMessage, at time.Time) Result {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "https" && !(s.AllowPrivate && u.Scheme == "http")) {
		return Result{Error: "the endpoint URL must use https"}
	}
	body, err := Body(m)
	if err != nil {
		return Result{Error: "encoding the body failed"}
	}
	wh, err := standardwebhooks.NewWebhook(t.Secret)
	if err != nil {
		return Result{Error: "the endpoint secret is not a valid whsec_ secret"}
	}
	id := models.WebhookID(m.EventID)
	sig, err := wh.Sign(id, at, body)
	if err != nil {
		return Result{Error: "signing failed"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return Result{Error: "the endpoint URL is not usable"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Candor-Webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := s.Client.Do(req)
	if err != nil {
		return Result{Error: transportError(ctx, err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return Result{OK: true, StatusCode: resp.StatusCode}
	}
	return Result{StatusCode: resp.StatusCode, Error: fmt.Sprintf("answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))}
}

// transportError describes a failed request without the URL (it may
// carry a token in its query).
func transportError(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, ErrForbiddenAddress):
		return "refused: " + ErrForbiddenAddress.Error()
	case ctx.Err() != nil:
		return "cancelled: the worker stopped or its round ended"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "timed out"
		}
		return "connection failed: " + ue.Err.Error()
	}
	return "connection failed"
}

// RetrySchedule is the back-off of a message: after attempt n fails
// (n from 1), the next one is 5 s × 4^(n-1) later, capped at 6 hours,
// for MaxAttempts attempts in all: 5 s, 20 s, 80 s, 5 min, 21 min, 85 min,
// 5.7 h, then 6 h three times — about 25.6 hours from the first to the
// last attempt.
const MaxAttempts = 11

// RetryDelay returns how long after failed attempt n (from 1) the next
// one is made; ok is false when n was the last attempt.
func RetryDelay(n int) (d time.Duration, ok bool) {
	if n < 1 || n >= MaxAttempts {
		return 0, false
	}
	d = 5 * time.Second
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 4
	}
	return min(d, 6*time.Hour), true
}

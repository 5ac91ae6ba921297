package channels

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/candor/candor/models"
)

// SendError is the one error type every Sender returns. Its text names the
// channel, whether it is permanent and a short reason such as "http 503" or
// "smtp 550 5.1.1"; it never holds an address, a body, a URL or a secret, so
// it may be logged. Err is kept for errors.Is and errors.As only: its own
// text may hold such data and must not be logged.
type SendError struct {
	Channel models.Channel
	// Permanent means the same message will never succeed (a rejected
	// address, an HTTP 4xx, an SMTP 5xx): do not retry.
	Permanent bool
	// MaybeSent means the receiver may have accepted the message although
	// the send failed (the connection broke after the whole message was
	// handed over). For a Sender that is not Idempotent, a retry could
	// deliver it twice: record the outcome as unknown instead.
	MaybeSent bool
	// RetryAfter is the delay the receiver asked for (HTTP 429 or 503 with
	// Retry-After); zero when it did not say.
	RetryAfter time.Duration
	// Reason is short and free of PII, e.g. "http 429" or "invalid address".
	Reason string
	Err    error
}

// Error returns the loggable text: channel, class and reason.
func (e *SendError) Error() string {
	class := "transient"
	if e.Permanent {
		class = "permanent"
	}
	if e.MaybeSent {
		class += ", maybe sent"
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("channels: %s: %s: %s (retry after %s)", e.Channel, class, e.Reason, e.RetryAfter)
	}
	return fmt.Sprintf("channels: %s: %s: %s", e.Channel, class, e.Reason)
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a *SendError that will not succeed on
// retry. Any other error, including nil, is not permanent.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// RetryAfter returns the delay the receiver asked for before a retry, or 0.
func RetryAfter(err error) time.Duration {
	var se *SendError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// MaybeSent reports whether the receiver may have accepted the message
// despite err (see SendError.MaybeSent).
func MaybeSent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.MaybeSent
}

func permanent(ch models.Channel, reason string, err error) *SendError {
	return &SendError{Channel: ch, Permanent: true, Reason: reason, Err: err}
}

func transient(ch models.Channel, reason string, err error) *SendError {
	return &SendError{Channel: ch, Reason: reason, Err: err}
}

// networkError classifies an error of a network round trip, which is always
// transient. The url.Error wrapper is dropped: its text holds the URL, which
// may carry an account id or a token.
func networkError(ch models.Channel, ctx context.Context, err error) *SendError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return transient(ch, "timeout (context deadline)", ctx.Err())
	case ctx.Err() != nil:
		return transient(ch, "cancelled", ctx.Err())
	case errors.As(err, &ne) && ne.Timeout():
		return transient(ch, "timeout", err)
	case errors.As(err, &oe):
		return transient(ch, "network error during "+oe.Op, err)
	}
	return transient(ch, "network error", err)
}

// httpStatusError classifies a non-2xx HTTP answer: 408, 429 and 5xx are
// transient, any other status permanent. detail (may be "") is appended to
// the reason and must be free of PII.
func httpStatusError(ch models.Channel, resp *http.Response, detail string, now time.Time) *SendError {
	reason := "http " + strconv.Itoa(resp.StatusCode)
	if detail != "" {
		reason += " " + detail
	}
	code := resp.StatusCode
	if code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500 {
		e := transient(ch, reason, nil)
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
		return e
	}
	return permanent(ch, reason, nil)
}

// parseRetryAfter reads a Retry-After value, delay-seconds or an HTTP-date,
// as a delay from now; 0 when absent, invalid or in the past.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(1<<62)/int64(time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now).Round(time.Second)
	}
	return 0
}

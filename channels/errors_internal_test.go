package channels

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name, value string
		want        time.Duration
	}{
		{"an absent header asks for no delay", "", 0},
		{"delay-seconds are read as seconds", "120", 2 * time.Minute},
		{"surrounding spaces are ignored", " 5 ", 5 * time.Second},
		{"zero asks for no delay", "0", 0},
		{"a negative number asks for no delay", "-3", 0},
		{"an HTTP-date is read as the time until then", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"an HTTP-date in the past asks for no delay", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"an RFC 850 date is accepted too", now.Add(time.Hour).Format("Monday, 02-Jan-06 15:04:05 GMT"), time.Hour},
		{"garbage asks for no delay", "soon", 0},
		{"a huge number does not overflow", "99999999999999999", time.Duration(int64(1<<62)/int64(time.Second)) * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRetryAfter(tt.value, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestSendErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  *SendError
		want string
	}{
		{"a permanent error says so", &SendError{Channel: "sms", Permanent: true, Reason: "http 400"}, "channels: sms: permanent: http 400"},
		{"a transient error names its delay", &SendError{Channel: "webhook", RetryAfter: time.Minute, Reason: "http 429"}, "channels: webhook: transient: http 429 (retry after 1m0s)"},
		{"a maybe-sent error says so", &SendError{Channel: "email", MaybeSent: true, Reason: "connection lost at end of data"}, "channels: email: transient, maybe sent: connection lost at end of data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHTTPStatusClassification(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name       string
		code       int
		retryAfter string
		permanent  bool
		wantDelay  time.Duration
	}{
		{"408 request timeout is transient", 408, "", false, 0},
		{"429 too many requests is transient with its delay", 429, "30", false, 30 * time.Second},
		{"500 is transient", 500, "", false, 0},
		{"503 is transient with its delay", 503, "7", false, 7 * time.Second},
		{"400 is permanent", 400, "", true, 0},
		{"401 is permanent", 401, "", true, 0},
		{"404 is permanent", 404, "", true, 0},
		{"a 4xx ignores Retry-After", 403, "30", true, 0},
		{"a redirect is permanent", 301, "", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.code, Header: http.Header{}}
			if tt.retryAfter != "" {
				resp.Header.Set("Retry-After", tt.retryAfter)
			}
			e := httpStatusError("sms", resp, "", now)
			if e.Permanent != tt.permanent || e.RetryAfter != tt.wantDelay {
				t.Errorf("got %q, want permanent %v and delay %v", e, tt.permanent, tt.wantDelay)
			}
		})
	}
}

func TestNetworkErrorDropsTheURL(t *testing.T) {
	inner := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	err := &url.Error{Op: "Post", URL: "https://api.example/Accounts/AC123?token=secret", Err: inner}
	e := networkError("sms", context.Background(), err)
	if e.Permanent || strings.Contains(e.Error(), "AC123") || strings.Contains(e.Error(), "secret") || !errors.Is(e, inner) {
		t.Errorf("got %q (unwraps to the dial error: %v)", e, errors.Is(e, inner))
	}
}

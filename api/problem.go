package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/candor/candor/models"
	"github.com/gin-gonic/gin"
)

// Codes that exist only at the HTTP layer: they describe how a request was
// sent rather than anything the domain decides, so models has no name for them.
const (
	codeUnsupportedMediaType = "unsupported_media_type"
	codeMethodNotAllowed     = "method_not_allowed"
)

// unavailableRetryAfter is the Retry-After of a 503: a database that lost
// a connection or hit a timeout usually serves again within seconds.
const unavailableRetryAfter = "2"

// problemTypeBase prefixes the code to form a problem's type URI (RFC 9457).
const problemTypeBase = "https://candor.dev/problems/"

// statusClientClosedRequest is what the access log and metrics record for
// a request whose client disconnected before the answer.
const statusClientClosedRequest = 499

// problem is an RFC 9457 problem details document.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Instance  string              `json:"instance"`
	RequestID string              `json:"request_id"`
	Errors    []models.FieldError `json:"errors,omitempty"`
}

// statusOf maps an error code to its HTTP status. It is the only place that
// does: handlers return coded errors and never choose statuses for failures.
func statusOf(code string) int {
	switch code {
	case models.EINVALID:
		return http.StatusUnprocessableEntity
	case models.EMALFORMED:
		return http.StatusBadRequest
	case models.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case models.EFORBIDDEN:
		return http.StatusForbidden
	case models.ENOTFOUND:
		return http.StatusNotFound
	case models.ECONFLICT:
		return http.StatusConflict
	case models.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case models.EBUSY, codeRateLimited:
		return http.StatusTooManyRequests
	case models.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case codeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// writeError aborts the request with err as problem+json. Errors without a
// known code become a 500 whose detail is generic; the real error is logged
// (it may name tables or hosts, never something a client should see).
func (s *server) writeError(c *gin.Context, err error) {
	if c.Request.Context().Err() != nil {
		// The client went away (a cancelled preview, say): nobody reads
		// an answer, and the error is the query being stopped for that
		// (context.Canceled, or PostgreSQL's answer to the cancel
		// request), so no 500 and no ERROR line. 499 is nginx's "client
		// closed request", kept for access logs and metrics.
		s.logger.InfoContext(c.Request.Context(), "client closed request",
			slog.String("request_id", requestID(c)), slog.String("route", routeOf(c)), slog.String("stopped", models.ErrorCode(err)))
		c.AbortWithStatus(statusClientClosedRequest)
		return
	}
	code := models.ErrorCode(err)
	status := statusOf(code)
	detail := models.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		code, detail = models.EINTERNAL, "Something went wrong on our side. Quote the request id when reporting it."
		s.logger.ErrorContext(c.Request.Context(), "request failed",
			slog.String("request_id", requestID(c)), slog.String("route", routeOf(c)), slog.Any("error", err))
	}
	if status == http.StatusUnauthorized {
		// RFC 6750: tell the client which scheme to use.
		c.Header("WWW-Authenticate", `Bearer realm="candor"`)
	}
	if status == http.StatusTooManyRequests && c.Writer.Header().Get("Retry-After") == "" {
		// RFC 9110: say when to come back, so clients do not retry hot.
		// The rate limit has set its own.
		c.Header("Retry-After", retryAfterSeconds)
	}
	if status == http.StatusServiceUnavailable {
		// A lost connection, a full pool or a statement timeout: worth
		// one retry of an idempotent request (retryOnce), and the client
		// learns when to try again.
		c.Set(unavailableKey, true)
		c.Header("Retry-After", unavailableRetryAfter)
		s.logger.WarnContext(c.Request.Context(), "backend unavailable",
			slog.String("request_id", requestID(c)), slog.String("route", routeOf(c)), slog.Any("error", err))
	}
	p := problem{
		Type:      problemTypeBase + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  c.Request.URL.Path,
		RequestID: requestID(c),
		Errors:    models.ErrorFields(err),
	}
	body, mErr := json.Marshal(p)
	if mErr != nil {
		// A problem holds only strings and ints; this cannot fail in practice.
		body = []byte(`{"title":"Internal Server Error","status":500}`)
	}
	c.Abort()
	c.Data(status, "application/problem+json", body)
}

// respond writes v as JSON with status, or the problem for err: the last
// step of every handler that answers with what the store returned.
func (s *server) respond(c *gin.Context, status int, v any, err error) {
	if err != nil {
		s.writeError(c, err)
		return
	}
	// Encoded before the status is written: a value that cannot be
	// encoded becomes a logged 500, not a 200 with an empty body.
	body, err := json.Marshal(v)
	if err != nil {
		s.writeError(c, fmt.Errorf("api: encode response: %w", err))
		return
	}
	c.Data(status, "application/json; charset=utf-8", body)
}

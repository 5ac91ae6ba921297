package api

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"
)

// unavailableKey marks a request whose answer was a 503 because a backend
// was lost (set by writeError), so retryOnce knows a retry may help.
const unavailableKey = "candor.unavailable"

// retryOnce runs an idempotent handler (GET and HEAD: they change
// nothing) a second time when its first run lost the database (a
// connection terminated mid-request, a full pool), so a single dropped
// connection costs the client nothing. The first run's answer is held
// back until it is known whether to keep it; a second failure is sent
// as it is, a 503 with Retry-After. Writes are retried in the store,
// where it is known that the failed transaction did not commit.
func retryOnce(h gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		orig := c.Writer
		w := &heldWriter{ResponseWriter: orig}
		c.Writer = w
		h(c)
		if c.GetBool(unavailableKey) && c.Request.Context().Err() == nil {
			c.Set(unavailableKey, false)
			c.Errors = c.Errors[:0]
			w.reset()
			h(c)
		}
		c.Writer = orig
		w.flush()
	}
}

// heldWriter keeps a handler's status and body until flush.
type heldWriter struct {
	gin.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *heldWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *heldWriter) WriteHeaderNow() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
}

func (w *heldWriter) Write(b []byte) (int, error) {
	w.WriteHeaderNow()
	return w.body.Write(b)
}

func (w *heldWriter) WriteString(s string) (int, error) {
	w.WriteHeaderNow()
	return w.body.WriteString(s)
}

func (w *heldWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func (w *heldWriter) Size() int {
	if w.status == 0 {
		return -1
	}
	return w.body.Len()
}

func (w *heldWriter) Written() bool { return w.status != 0 }

// reset forgets the first run's answer, headers included.
func (w *heldWriter) reset() {
	w.status = 0
	w.body.Reset()
	for k := range w.Header() {
		if k != "X-Request-Id" {
			delete(w.Header(), k)
		}
	}
}

// flush sends what the handler wrote to the real writer.
func (w *heldWriter) flush() {
	if w.status == 0 {
		return
	}
	w.ResponseWriter.WriteHeader(w.status)
	if w.body.Len() > 0 {
		_, _ = w.ResponseWriter.Write(w.body.Bytes())
	}
}

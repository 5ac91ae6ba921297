package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// withHeadRoutes adds a HEAD route beside every GET route with the same
// role and handler, so probes, uptime monitors and link checkers get the
// GET's status and headers (RFC 9110 section 9.3.2). A GET handler must
// change nothing, which is what makes this safe: HEAD /u/{token} shows the
// confirmation page without a body, and only POST unsubscribes (RFC 8058).
func withHeadRoutes(routes []route) []route {
	out := make([]route, 0, 2*len(routes))
	for _, r := range routes {
		out = append(out, r)
		if r.method == http.MethodGet {
			out = append(out, route{http.MethodHead, r.path, r.role, r.handler})
		}
	}
	return out
}

// dropHeadBody discards whatever a handler writes as the body of a HEAD
// response. net/http does the same on a real connection; doing it here too
// keeps the answer the same behind any other server or recorder.
func dropHeadBody(c *gin.Context) {
	if c.Request.Method == http.MethodHead {
		c.Writer = headWriter{c.Writer}
	}
	c.Next()
}

// headWriter sends status and headers but no body.
type headWriter struct{ gin.ResponseWriter }

func (w headWriter) Write(b []byte) (int, error) {
	w.WriteHeaderNow()
	return len(b), nil
}

func (w headWriter) WriteString(s string) (int, error) {
	w.WriteHeaderNow()
	return len(s), nil
}

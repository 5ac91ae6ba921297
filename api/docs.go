package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Redoc 3.0.1 (npm package redoc, bundles/redoc.standalone.js, MIT licence
// in redoc/LICENSE) is embedded so that /docs needs no CDN.
var (
	//go:embed redoc/index.html
	docsPage []byte
	//go:embed redoc/redoc.standalone.js
	redocScript []byte
)

// docs answers GET /docs: a page rendering /openapi.json with Redoc.
func (s *server) docs(c *gin.Context) {
	c.Data(http.StatusOK, "text/html; charset=utf-8", docsPage)
}

// docsScript answers GET /docs/redoc.standalone.js.
func (s *server) docsScript(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", redocScript)
}

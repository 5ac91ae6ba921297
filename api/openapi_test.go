package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/candor/candor/internal/testenv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// openAPIDoc is the served document (openapi.yaml converted to JSON, as
// /openapi.json answers it), loaded and validated once with kin-openapi.
var openAPIDoc = sync.OnceValues(func() (*openapi3.T, error) {
	raw, err := openAPIJSON()
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

// openAPIRouter finds the documented operation of a request.
var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openAPIDoc()
	if err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc)
})

func TestOpenAPIDocumentIsValid(t *testing.T) {
	if _, err := openAPIDoc(); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	if _, err := openAPIRouter(); err != nil {
		t.Fatalf("openapi.yaml paths: %v", err)
	}
}

// checkResponse validates an answer of the API tests against the document:
// its status must be documented for the operation (no "default" stands in
// for a forgotten one), its content type must be one the document lists
// and its body must match the schema. Requests the document does not
// describe are left alone: unknown paths and methods (their 404 and 405
// problems are tested on their own) and HEAD, which the document states
// once mirrors GET without a body. TestOpenAPIDocumentsEveryRoute checks
// that every route of the router is documented, so a route cannot escape
// this check by being left out of the document.
//
// A status the client never reads (499: the client went away) is not
// checked. With faults injected into the store (faults), a status the
// document does not list is allowed, since the real store never gives it,
// but the body must still match the document's problem schema if listed.
func checkResponse(tb testing.TB, req *http.Request, rec *httptest.ResponseRecorder, faults bool) {
	tb.Helper()
	if req.Method == http.MethodHead || rec.Code == statusClientClosedRequest {
		return
	}
	if p := req.URL.Path; p != "/" && strings.HasSuffix(p, "/") {
		return // the router has no route with a trailing slash: a 404
	}
	router, err := openAPIRouter()
	if err != nil {
		tb.Fatalf("openapi.yaml: %v", err)
	}
	// The document's server is "/": match on the path alone.
	find := req.Clone(context.Background())
	find.Host, find.URL.Host, find.URL.Scheme = "", "", ""
	route, params, err := router.FindRoute(find)
	// The legacy router returns fresh RouteErrors with the sentinels' text.
	var notFound *routers.RouteError
	if errors.As(err, &notFound) && (notFound.Reason == routers.ErrPathNotFound.Error() || notFound.Reason == routers.ErrMethodNotAllowed.Error()) {
		return
	}
	if err != nil {
		tb.Errorf("openapi: find %s %s: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: find, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: !faults, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		tb.Errorf("the answer drifts from openapi.yaml: %s %s -> %d %s\n%v\nbody: %.2000s",
			req.Method, req.URL.RequestURI(), rec.Code, rec.Header().Get("Content-Type"), err, rec.Body.String())
	}
}

func init() {
	// The unsubscribe pages answer HTML: compare it as a string.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.FileBodyDecoder)
}

func TestDocsServeRedocFromTheBinary(t *testing.T) {
	a := newTestAPI(t, testenv.Backends()[0], nil)
	page := a.call("", http.MethodGet, "/docs", nil)
	wantStatus(t, page, http.StatusOK)
	if ct := page.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/docs Content-Type = %q", ct)
	}
	for _, want := range []string{`<script src="/docs/redoc.standalone.js">`, `spec-url="/openapi.json"`} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("/docs does not contain %s:\n%s", want, page.Body.String())
		}
	}
	if strings.Contains(page.Body.String(), "https://") {
		t.Errorf("/docs loads something from elsewhere:\n%s", page.Body.String())
	}
	script := a.call("", http.MethodGet, "/docs/redoc.standalone.js", nil)
	wantStatus(t, script, http.StatusOK)
	if ct := script.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("script Content-Type = %q", ct)
	}
	if script.Body.Len() < 1<<20 || !bytes.Contains(script.Body.Bytes(), []byte("Redoc")) {
		t.Errorf("the script is not the Redoc bundle (%d bytes)", script.Body.Len())
	}
}

// noFourXX are the operations that cannot answer a 4XX (no input, no key),
// so the lint below does not ask them to document one.
var noFourXX = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /openapi.json": true,
	"GET /docs": true, "GET /docs/redoc.standalone.js": true,
}

// TestOpenAPILint holds the document to what a standard OpenAPI linter
// asks beyond validity: described tags, used tags declared, an
// operationId and summary on each operation, a 4XX answer wherever one
// can happen, and no null values, which is what an unquoted comma in a
// YAML flow map leaves behind ({description: a, b} is {description: a, b: null}).
func TestOpenAPILint(t *testing.T) {
	doc, err := openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, tag := range doc.Tags {
		declared[tag.Name] = true
		if strings.TrimSpace(tag.Description) == "" {
			t.Errorf("tag %q has no description", tag.Name)
		}
	}
	if doc.Info == nil || strings.TrimSpace(doc.Info.Description) == "" {
		t.Error("info.description is empty")
	}
	if doc.Info == nil || doc.Info.License == nil || strings.TrimSpace(doc.Info.License.Name) == "" {
		t.Error("info.license is missing: say under which terms the API may be used, even when none are granted")
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("%s lacks an operationId or summary", name)
			}
			for _, tag := range op.Tags {
				if !declared[tag] {
					t.Errorf("%s uses the undeclared tag %q", name, tag)
				}
			}
			fourXX := false
			for status := range op.Responses.Map() {
				fourXX = fourXX || strings.HasPrefix(status, "4")
			}
			if fourXX == noFourXX[name] {
				t.Errorf("%s: documents a 4XX = %v, want %v (noFourXX)", name, fourXX, !noFourXX[name])
			}
		}
	}
	raw, err := openAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case nil:
			t.Errorf("%s is null: an unquoted comma in a flow map?", at)
		case map[string]any:
			for k, child := range v {
				walk(at+"/"+k, child)
			}
		case []any:
			for i, child := range v {
				walk(fmt.Sprintf("%s/%d", at, i), child)
			}
		}
	}
	walk("#", tree)
}

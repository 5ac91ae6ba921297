package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/candor/candor/internal/testenv"
	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

// wantRoles is the access policy of the design ("Routes and access"),
// written out independently of routes() so that weakening a route's role
// there fails a test. public ("") is a security decision too.
var wantRoles = map[string]models.Role{
	"GET /healthz":                       public,
	"GET /readyz":                        public,
	"GET /metrics":                       public,
	"GET /openapi.json":                  public,
	"GET /docs":                          public,
	"GET /docs/redoc.standalone.js":      public,
	"GET /u/:token":                      public,
	"POST /u/:token":                     public,
	"GET /p/:token":                      public,
	"POST /p/:token":                     public,
	"POST /p/:token/unsubscribe":         public,
	"GET /p/:token/export":               public,
	"GET /p/:token/erase":                public,
	"POST /p/:token/erase":               public,
	"GET /p/:token/messages/:id":         public,
	"GET /p/:token/content/:id":          public,
	"POST /p/:token/content/:id/request": public,
	"GET /p/:token/confirm/:topic":       public,
	"POST /p/:token/confirm/:topic":      public,

	"GET /v1/customers":                              models.RoleViewer,
	"GET /v1/customers/:external_id":                 models.RoleViewer,
	"GET /v1/customers/:external_id/export":          models.RoleViewer,
	"GET /v1/customers/:external_id/links":           models.RoleViewer,
	"GET /v1/customers/:external_id/content/:id":     models.RoleViewer,
	"GET /v1/customers/:external_id/consents":        models.RoleViewer,
	"GET /v1/topics":                                 models.RoleViewer,
	"GET /v1/topics/:key":                            models.RoleViewer,
	"PUT /v1/customers/:external_id":                 models.RoleEditor,
	"DELETE /v1/customers/:external_id":              models.RoleEditor,
	"DELETE /v1/customers/:external_id/links":        models.RoleEditor,
	"POST /v1/customers/batch":                       models.RoleEditor,
	"PUT /v1/customers/:external_id/consents/:topic": models.RoleEditor,
	"POST /v1/topics":                                models.RoleAdmin,
	"PATCH /v1/topics/:key":                          models.RoleAdmin,
	"DELETE /v1/topics/:key":                         models.RoleAdmin,
	"GET /v1/segments":                               models.RoleViewer,
	"POST /v1/segments":                              models.RoleEditor,
	"POST /v1/segments/preview":                      models.RoleViewer,
	"GET /v1/segments/:id":                           models.RoleViewer,
	"PUT /v1/segments/:id":                           models.RoleEditor,
	"DELETE /v1/segments/:id":                        models.RoleEditor,
	"GET /v1/segments/:id/preview":                   models.RoleViewer,
	"GET /v1/segments/:id/customers":                 models.RoleViewer,
	"GET /v1/segments/:id/explain/:external_id":      models.RoleViewer,
	"POST /v1/api-keys":                              models.RoleAdmin,
	"GET /v1/api-keys":                               models.RoleAdmin,
	"GET /v1/audit":                                  models.RoleAdmin,
	"DELETE /v1/api-keys/:id":                        models.RoleAdmin,

	"GET /v1/content":                       models.RoleViewer,
	"GET /v1/content/:id":                   models.RoleViewer,
	"GET /v1/content/:id/versions":          models.RoleViewer,
	"GET /v1/content/:id/versions/:version": models.RoleViewer,
	"POST /v1/content":                      models.RoleEditor,
	"PUT /v1/content/:id":                   models.RoleEditor,
	"POST /v1/content/:id/submit":           models.RoleEditor,
	"POST /v1/content/:id/check":            models.RoleEditor,
	"POST /v1/content/:id/render":           models.RoleEditor,
	"POST /v1/content/:id/approve":          models.RoleAdmin,
	"POST /v1/content/:id/reject":           models.RoleAdmin,
	"POST /v1/content/:id/retire":           models.RoleAdmin,

	"GET /v1/campaigns":                          models.RoleViewer,
	"GET /v1/campaigns/:id":                      models.RoleViewer,
	"POST /v1/campaigns/:id/preview":             models.RoleViewer,
	"GET /v1/campaigns/:id/explain/:external_id": models.RoleViewer,
	"GET /v1/campaigns/:id/deliveries":           models.RoleViewer,
	"GET /v1/campaigns/:id/report":               models.RoleViewer,
	"GET /v1/reports/trust":                      models.RoleViewer,
	"GET /v1/customers/:external_id/deliveries":  models.RoleViewer,
	"POST /v1/campaigns":                         models.RoleEditor,
	"PUT /v1/campaigns/:id":                      models.RoleEditor,
	"DELETE /v1/campaigns/:id":                   models.RoleEditor,
	"POST /v1/campaigns/:id/launch":              models.RoleAdmin,
	"POST /v1/campaigns/:id/pause":               models.RoleAdmin,
	"POST /v1/campaigns/:id/resume":              models.RoleAdmin,
	"POST /v1/campaigns/:id/cancel":              models.RoleAdmin,

	"GET /v1/deliveries":             models.RoleViewer,
	"GET /v1/deliveries/:id":         models.RoleViewer,
	"GET /v1/outbox":                 models.RoleViewer,
	"POST /v1/deliveries/:id/resend": models.RoleAdmin,

	// Authenticated by its Standard Webhooks signature instead of a key.
	"POST /v1/inbound/:source":            public,
	"GET /v1/webhook-sources":             models.RoleViewer,
	"GET /v1/webhook-sources/:id":         models.RoleViewer,
	"GET /v1/webhook-sources/:id/events":  models.RoleViewer,
	"POST /v1/webhook-sources":            models.RoleAdmin,
	"POST /v1/webhook-sources/:id/rotate": models.RoleAdmin,
	"DELETE /v1/webhook-sources/:id":      models.RoleAdmin,
	"POST /v1/report-links":               models.RoleViewer,
	// The HTML reports check a viewer's key or a signed link themselves
	// (TestReportPagesNeedAViewerKeyOrASignedLink).
	"GET /reports/campaigns/:id": public,
	"GET /reports/trust":         public,

	"GET /v1/webhook-endpoints":              models.RoleViewer,
	"GET /v1/webhook-endpoints/:id":          models.RoleViewer,
	"GET /v1/webhook-endpoints/:id/attempts": models.RoleViewer,
	"POST /v1/webhook-endpoints":             models.RoleAdmin,
	"PATCH /v1/webhook-endpoints/:id":        models.RoleAdmin,
	"DELETE /v1/webhook-endpoints/:id":       models.RoleAdmin,
	"POST /v1/webhook-endpoints/:id/test":    models.RoleAdmin,
	"POST /v1/webhook-endpoints/:id/replay":  models.RoleAdmin,
}

// policyRoles is wantRoles with a HEAD beside every GET, holding the GET's
// role: a HEAD must never be easier to call than the GET it mirrors.
func policyRoles() map[string]models.Role {
	out := map[string]models.Role{}
	for name, role := range wantRoles {
		out[name] = role
		if path, ok := strings.CutPrefix(name, "GET "); ok {
			out["HEAD "+path] = role
		}
	}
	return out
}

// weaker maps a role to the next weaker one ("" below viewer).
var weaker = map[models.Role]models.Role{models.RoleAdmin: models.RoleEditor, models.RoleEditor: models.RoleViewer}

// samplePath fills a route's parameters with plausible values.
func samplePath(pattern string) string {
	return strings.NewReplacer(":external_id", "crm-1", ":topic", "product-roadmap", ":key", "product-roadmap", ":id", "1").Replace(pattern)
}

func TestEveryRouteHasTheRoleOfThePolicy(t *testing.T) {
	a := newTestAPI(t, testenv.Backends()[0], nil)
	declared := map[string]models.Role{}
	for _, r := range withHeadRoutes((&server{}).routes()) {
		declared[r.method+" "+r.path] = r.role
	}
	registered := map[string]models.Role{}
	for _, r := range a.engine.Routes() {
		name := r.Method + " " + r.Path
		role, ok := declared[name]
		if !ok {
			t.Errorf("%s is registered but has no role entry in routes()", name)
		}
		registered[name] = role
	}
	if diff := cmp.Diff(policyRoles(), registered); diff != "" {
		t.Errorf("route roles (-policy +registered):\n%s", diff)
	}
}

func TestRoutesEnforceRoles(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		revoked, plain, err := a.store.CreateAPIKey(context.Background(), &models.APIKeyInput{Name: "revoked", Role: models.RoleAdmin, OwnerName: "revoked", OwnerEmail: "revoked@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.store.RevokeAPIKey(context.Background(), revoked.ID); err != nil {
			t.Fatal(err)
		}
		policy := policyRoles()
		for _, r := range a.engine.Routes() {
			name := r.Method + " " + r.Path
			role := policy[name]
			if role == public {
				continue
			}
			t.Run(name, func(t *testing.T) {
				send := func(auth string) *httptest.ResponseRecorder {
					req := httptest.NewRequest(r.Method, samplePath(r.Path), nil)
					if auth != "" {
						req.Header.Set("Authorization", auth)
					}
					return a.serve(req)
				}
				for _, auth := range []string{"", "Bearer cnd_unknown", "Bearer " + plain, "Basic " + a.apiKey[models.RoleAdmin]} {
					rec := send(auth)
					wantRefusal(t, r.Method, rec, http.StatusUnauthorized)
					if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
						t.Errorf("WWW-Authenticate = %q", got)
					}
				}
				if weak, ok := weaker[role]; ok {
					p := wantRefusal(t, r.Method, send("Bearer "+a.apiKey[weak]), http.StatusForbidden)
					if r.Method != http.MethodHead && !strings.Contains(p.Detail, string(role)) {
						t.Errorf("403 detail %q does not name the %s role", p.Detail, role)
					}
				}
				if rec := send("Bearer " + a.apiKey[role]); rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden {
					t.Errorf("the %s key was refused: %d %s", role, rec.Code, rec.Body.String())
				}
			})
		}
	})
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	a := newTestAPI(t, testenv.Backends()[0], nil)
	rec := a.call("", http.MethodGet, "/openapi.json", nil)
	wantStatus(t, rec, http.StatusOK)
	var spec struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &spec); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if spec.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", spec.OpenAPI)
	}
	methods := map[string]bool{"get": true, "put": true, "post": true, "patch": true, "delete": true}
	var documented []string
	for path, items := range spec.Paths {
		for method, raw := range items {
			if !methods[method] {
				continue // path-level parameters, summary, ...
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
			var op map[string]any
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if _, ok := op["responses"]; !ok {
				t.Errorf("%s %s documents no responses", method, path)
			}
		}
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	var registered []string
	for _, r := range a.engine.Routes() {
		// HEAD mirrors GET (the spec says so once, in info.description);
		// TestEveryRouteHasTheRoleOfThePolicy checks each has its GET.
		if r.Method != http.MethodHead {
			registered = append(registered, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
		}
	}
	sort.Strings(documented)
	sort.Strings(registered)
	if diff := cmp.Diff(registered, documented); diff != "" {
		t.Errorf("routes (-registered +documented):\n%s", diff)
	}
}

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	a := newTestAPI(t, testenv.Backends()[0], nil)
	t.Run("an unknown path is a 404 problem", func(t *testing.T) {
		wantProblem(t, a.call(models.RoleAdmin, http.MethodGet, "/v1/nothing-here", nil), http.StatusNotFound)
	})
	t.Run("a trailing slash is not redirected", func(t *testing.T) {
		wantProblem(t, a.call(models.RoleAdmin, http.MethodGet, "/v1/customers/", nil), http.StatusNotFound)
	})
	t.Run("a wrong method is a 405 problem listing the allowed ones", func(t *testing.T) {
		rec := a.call(models.RoleAdmin, http.MethodPost, "/v1/customers/crm-1", nil)
		wantProblem(t, rec, http.StatusMethodNotAllowed)
		allow := strings.Split(rec.Header().Get("Allow"), ", ")
		sort.Strings(allow)
		if diff := cmp.Diff([]string{"DELETE", "GET", "HEAD", "PUT"}, allow); diff != "" {
			t.Errorf("Allow (-want +got):\n%s", diff)
		}
	})
}

// wantRefusal checks a refused request: a problem document with the
// status, or for HEAD the status alone, since a HEAD answer has no body.
func wantRefusal(tb testing.TB, method string, rec *httptest.ResponseRecorder, status int) problem {
	tb.Helper()
	if method != http.MethodHead {
		return wantProblem(tb, rec, status)
	}
	wantStatus(tb, rec, status)
	if rec.Body.Len() != 0 {
		tb.Errorf("HEAD answered with a body: %q", rec.Body.String())
	}
	return problem{}
}

func TestOpenAPIListsEveryChannel(t *testing.T) {
	t.Run("the Channel schema's enum is the channel registry, in its order", func(t *testing.T) {
		raw, err := openAPIJSON()
		if err != nil {
			t.Fatal(err)
		}
		var spec struct {
			Components struct {
				Schemas struct {
					Channel struct {
						Enum []models.Channel `json:"enum"`
					} `json:"Channel"`
				} `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(raw, &spec); err != nil {
			t.Fatalf("openapi.json: %v", err)
		}
		if diff := cmp.Diff(models.Channels, spec.Components.Schemas.Channel.Enum); diff != "" {
			t.Errorf("channels (-registry +openapi.yaml):\n%s", diff)
		}
	})
}

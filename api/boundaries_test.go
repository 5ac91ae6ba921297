package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/candor/candor/models"
)

// numericBoundaries are path values at and beyond the edges of the
// database's integer types (int4 for versions, int8 for ids) and of what
// strconv accepts.
var numericBoundaries = []string{
	"0", "-1", "2147483647", "2147483648", "-2147483649", "4294967296",
	"9223372036854775807", "9223372036854775808", "99999999999999999999999",
	"1e3", "0x10", "%201", "1.5",
}

// TestEveryParameterisedRouteAnswers404Or422AtNumericBoundaries sweeps
// every route with a path parameter, putting each boundary value into
// each parameter in turn (the others name an existing resource), and
// requires a 404 or 422, never a 500.
func TestEveryParameterisedRouteAnswers404Or422AtNumericBoundaries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		content := a.createContent(models.RoleEditor, contentBody(models.KindEducation, 0))
		existing := map[string]string{
			"id": fmt.Sprint(content.ID), "version": "1", "external_id": "crm-1",
			"topic": "pricing-guides", "key": "pricing-guides", "token": "x",
		}
		for _, r := range a.routesWithParams() {
			for _, param := range paramsOf(r.path) {
				for _, value := range numericBoundaries {
					path := fillPath(r.path, existing, param, value)
					t.Run(fmt.Sprintf("%s %s with %s=%s answers 404 or 422", r.method, r.path, param, value), func(t *testing.T) {
						var body any
						if r.method != http.MethodGet && r.method != http.MethodDelete && r.method != http.MethodHead {
							body = "{}"
						}
						rec := a.call(models.RoleAdmin, r.method, path, body)
						if rec.Code >= 500 || (rec.Code != http.StatusNotFound && rec.Code != http.StatusUnprocessableEntity && isNumericParam(param)) {
							t.Fatalf("%s %s = %d, want 404 or 422: %s", r.method, path, rec.Code, rec.Body.String())
						}
					})
				}
			}
		}
	})
}

// TestNumericBodyValuesBeyondTheirColumnAre422 covers body numbers that
// fit Go's int but not the database column they are compared with.
func TestNumericBodyValuesBeyondTheirColumnAre422(t *testing.T) {
	forEachBackend(t, func(t *testing.T, a *testAPI) {
		a.putCustomer("crm-1")
		content := a.createContent(models.RoleEditor, contentBody(models.KindEducation, 0))
		render := fmt.Sprintf("/v1/content/%d/render", content.ID)
		tests := []struct {
			name   string
			method string
			path   string
			body   string
			status int
			fields []string
		}{
			{"a render of version 2^31 is a 422 on /version", http.MethodPost, render,
				`{"external_id": "crm-1", "version": 2147483648}`, 422, []string{"/version range"}},
			{"a render of version 2^63-1 is a 422 on /version", http.MethodPost, render,
				`{"external_id": "crm-1", "version": 9223372036854775807}`, 422, []string{"/version range"}},
			{"a render of version 2^31-1 that does not exist is a 404", http.MethodPost, render,
				`{"external_id": "crm-1", "version": 2147483647}`, 404, nil},
			{"a campaign for content 2^63-1 is refused, not a 500", http.MethodPost, "/v1/campaigns",
				`{"name": "x", "content_id": 9223372036854775807, "segment_id": 9223372036854775807,
				  "window": {"not_before": "2030-01-01T00:00:00Z", "not_after": "2030-01-02T00:00:00Z"}}`, 0, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rec := a.call(models.RoleAdmin, tt.method, tt.path, tt.body)
				if tt.status == 0 {
					if rec.Code < 400 || rec.Code >= 500 {
						t.Fatalf("%s = %d, want a 4xx: %s", tt.path, rec.Code, rec.Body.String())
					}
					return
				}
				wantProblem(t, rec, tt.status, tt.fields...)
			})
		}
	})
}

// routesWithParams returns every registered route with a path parameter.
func (a *testAPI) routesWithParams() []route {
	var out []route
	for _, r := range (&server{}).routes() {
		if strings.Contains(r.path, ":") {
			out = append(out, r)
		}
	}
	return out
}

// paramsOf returns the names of path's parameters, in order.
func paramsOf(path string) []string {
	var out []string
	for _, part := range strings.Split(path, "/") {
		if strings.HasPrefix(part, ":") {
			out = append(out, part[1:])
		}
	}
	return out
}

// fillPath puts value into param and existing values into the others.
func fillPath(path string, existing map[string]string, param, value string) string {
	parts := strings.Split(path, "/")
	for i, part := range parts {
		if name, ok := strings.CutPrefix(part, ":"); ok {
			if name == param {
				parts[i] = value
			} else {
				parts[i] = existing[name]
			}
		}
	}
	return strings.Join(parts, "/")
}

// isNumericParam says whether a path parameter names a number.
func isNumericParam(name string) bool { return name == "id" || name == "version" }

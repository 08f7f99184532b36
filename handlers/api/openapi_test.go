package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/handlers/api"
	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"

	"github.com/gin-gonic/gin"
)

// oaDoc is the part of an OpenAPI document the test reads.
type oaDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]oaOperation     `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components"`
}

type oaOperation struct {
	OperationID string                     `json:"operationId"`
	Security    []map[string][]string      `json:"security"`
	Responses   map[string]json.RawMessage `json:"responses"`
	RequestBody json.RawMessage            `json:"requestBody"`
}

var oaParam = regexp.MustCompile(`[:*]([A-Za-z_][A-Za-z0-9_]*)`)

// apiRoutes are the router's /api/v1 routes as "METHOD /path/{param}".
func apiRoutes(r *gin.Engine) []string {
	var out []string
	for _, rt := range r.Routes() {
		if strings.HasPrefix(rt.Path, "/api/v1/") {
			out = append(out, rt.Method+" "+oaParam.ReplaceAllString(rt.Path, "{$1}"))
		}
	}
	sort.Strings(out)
	return out
}

// Ensure the OpenAPI document is valid JSON for OpenAPI 3.1.0, served at
// /api/v1/openapi.json, and describes every /api/v1 route the router has,
// and nothing it does not; that every operation has a success response and
// every $ref resolves; and that the documented security is what the route
// does (a route marked bearer answers 401 without a token, and no other
// route does).
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	rd := wechattest.NewRedis(t)
	r := handlers.NewRouter(handlers.Deps{
		DB: modelstest.NewDB(t), Redis: rd.Client, RedisPrefix: rd.Prefix,
		Now: func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) },
	})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var doc oaDoc
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("the document is not valid JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if string(api.OpenAPI()) != w.Body.String() {
		t.Error("served document differs from the embedded one")
	}

	described := map[string]oaOperation{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			described[strings.ToUpper(method)+" "+path] = op
		}
	}
	routes := apiRoutes(r)
	var missing, stale []string
	for _, rt := range routes {
		if _, ok := described[rt]; !ok {
			missing = append(missing, rt)
		}
	}
	for op := range described {
		if !slices.Contains(routes, op) {
			stale = append(stale, op)
		}
	}
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("routes not described in handlers/openapi.json:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("operations described but not routed:\n  %s", strings.Join(stale, "\n  "))
	}

	raw := w.Body.String()
	for _, m := range regexp.MustCompile(`"\$ref": ?"#/components/([^/"]+)/([^"]+)"`).FindAllStringSubmatch(raw, -1) {
		if _, ok := doc.Components[m[1]][m[2]]; !ok {
			t.Errorf("unresolved $ref %s/%s", m[1], m[2])
		}
	}
	ids := map[string]bool{}
	for key, op := range described {
		if op.OperationID == "" || ids[op.OperationID] {
			t.Errorf("%s: missing or repeated operationId %q", key, op.OperationID)
		}
		ids[op.OperationID] = true
		ok2xx := false
		for status := range op.Responses {
			ok2xx = ok2xx || strings.HasPrefix(status, "2")
		}
		if !ok2xx {
			t.Errorf("%s: no success response", key)
		}
		method, _, _ := strings.Cut(key, " ")
		if (method == "POST" || method == "PATCH" || method == "PUT") && len(op.RequestBody) == 0 {
			t.Errorf("%s: no request body described", key)
		}
		bearer := len(op.Security) > 0
		if _, ok := op.Responses["401"]; ok != bearer {
			t.Errorf("%s: security %v but 401 documented %v", key, op.Security, ok)
		}
	}

	// Security as documented: call every route without a token.
	for _, key := range routes {
		op, ok := described[key]
		if !ok {
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		path = regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "1")
		body := ""
		if method != "GET" && method != "DELETE" {
			body = "{}"
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		bearer := len(op.Security) > 0
		if got := w.Code == http.StatusUnauthorized; got != bearer {
			t.Errorf("%s without a token: %d; documented bearer %v", key, w.Code, bearer)
		}
	}
}

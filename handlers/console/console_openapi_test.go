package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"deputylink/handlers/console"

	"github.com/gin-gonic/gin"
)

// conOADoc is the part of the console's OpenAPI document the test reads.
type conOADoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]conOAOperation  `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components"`
}

type conOAOperation struct {
	OperationID string                     `json:"operationId"`
	Security    []map[string][]string      `json:"security"`
	Responses   map[string]json.RawMessage `json:"responses"`
	RequestBody json.RawMessage            `json:"requestBody"`
}

var conOAParam = regexp.MustCompile(`[:*]([A-Za-z_][A-Za-z0-9_]*)`)

// consoleAPIRoutes are the router's /console/api routes as "METHOD /path/{param}".
func consoleAPIRoutes(r *gin.Engine) []string {
	var out []string
	for _, rt := range r.Routes() {
		if strings.HasPrefix(rt.Path, "/console/api/") {
			out = append(out, rt.Method+" "+conOAParam.ReplaceAllString(rt.Path, "{$1}"))
		}
	}
	sort.Strings(out)
	return out
}

// Ensure /console/openapi.json is an OpenAPI 3.1 document served without a
// session, as JSON that may be cached, that describes every /console/api
// route the router has and nothing it does not, and describes each
// operation completely (an operationId, a success response, a request
// body for POST and PUT, resolvable $refs); that the documented security
// is what the route does (a secured route answers 401 without a session,
// an open one does not); and that the documented required fields are in
// the real answers of the list endpoints.
func TestConsoleOpenAPIDescribesEveryRoute(t *testing.T) {
	e := newConEnv(t)
	resp, err := http.Get(e.srv.URL + "/console/openapi.json")
	must(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /console/openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
		t.Errorf("Cache-Control = %q, want a max-age", cc)
	}
	if string(raw) != string(console.OpenAPI()) {
		t.Error("served document differs from the embedded one")
	}
	var doc conOADoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the document is not valid JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}

	described := map[string]conOAOperation{}
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/console/api/") {
			t.Errorf("path %s is not the console API's", path)
		}
		for method, op := range ops {
			described[strings.ToUpper(method)+" "+path] = op
		}
	}
	routes := consoleAPIRoutes(e.srv.Config.Handler.(*gin.Engine))
	if len(routes) < 20 {
		t.Fatalf("only %d /console/api routes found: %v", len(routes), routes)
	}
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
		t.Errorf("routes not described in handlers/console/openapi.json:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("operations described but not routed:\n  %s", strings.Join(stale, "\n  "))
	}

	for _, m := range regexp.MustCompile(`"\$ref": ?"#/components/([^/"]+)/([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
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
		_, has401 := op.Responses["401"]
		if secured := len(op.Security) > 0; has401 != secured && key != "POST /console/api/login" {
			t.Errorf("%s: security %v but 401 documented %v", key, op.Security, has401)
		}
	}

	// Security as documented: every route without a session.
	for _, key := range routes {
		op, ok := described[key]
		if !ok {
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		path = regexp.MustCompile(`\{date\}`).ReplaceAllString(path, "2026-10-01")
		path = regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "1")
		body := ""
		if method != "GET" && method != "DELETE" {
			body = "{}"
		}
		r := e.call(method, path, conReq{body: body}, nil)
		if got, secured := r.StatusCode == http.StatusUnauthorized, len(op.Security) > 0; got != secured {
			t.Errorf("%s without a session: %d; documented secured %v", key, r.StatusCode, secured)
		}
	}

	// The documented required fields are in real answers.
	token := e.token("admin")
	e.file(e.east.ID, conT0)
	rule := `{"active":true,"day_of_month":12,"start_time":"09:00","end_time":"11:00","slot_minutes":30,` +
		`"seats_per_slot":6,"walk_in_seats":2,"waitlist":true,"waitlist_max":5,"opens_days_before":14,"closes_at":"18:00"}`
	if r := e.bearer("PUT", "/console/api/stations/"+idStr(e.east.ID)+"/reception-rule", token, rule, nil); r.StatusCode != 200 {
		t.Fatalf("PUT reception rule (every documented field): %d", r.StatusCode)
	}
	for _, path := range []string{"/console/api/me", "/console/api/opinions", "/console/api/departments",
		"/console/api/staff", "/console/api/reception-days?date=2026-12-10", "/console/api/holidays",
		"/console/api/stations/" + idStr(e.east.ID) + "/reception-rule"} {
		var got map[string]any
		if r := e.bearer("GET", path, token, "", &got); r.StatusCode != 200 {
			t.Errorf("GET %s: %d", path, r.StatusCode)
			continue
		}
		p, _, _ := strings.Cut(path, "?")
		p = regexp.MustCompile(`/stations/\d+/`).ReplaceAllString(p, "/stations/{id}/")
		if _, ok := doc.Paths[p]["get"]; !ok {
			continue // reported above
		}
		schema := doc.responseSchema(t, p)
		for _, f := range doc.required(t, schema) {
			if _, ok := got[f]; !ok {
				t.Errorf("GET %s: documented field %q missing from %v", path, f, keys(got))
			}
		}
		if items, ok := got["items"].([]any); ok && len(items) > 0 {
			item := doc.itemSchema(t, schema)
			for _, f := range doc.required(t, item) {
				if _, ok := items[0].(map[string]any)[f]; !ok {
					t.Errorf("GET %s: documented item field %q missing", path, f)
				}
			}
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// oaSchema is the part of a schema the test follows.
type oaSchema struct {
	Ref      string              `json:"$ref"`
	Required []string            `json:"required"`
	AllOf    []json.RawMessage   `json:"allOf"`
	Items    json.RawMessage     `json:"items"`
	Props    map[string]oaSchema `json:"properties"`
}

func (d conOADoc) resolve(t *testing.T, raw json.RawMessage) oaSchema {
	t.Helper()
	var s oaSchema
	must(t, json.Unmarshal(raw, &s))
	for s.Ref != "" {
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		s = oaSchema{}
		must(t, json.Unmarshal(d.Components["schemas"][name], &s))
	}
	return s
}

// responseSchema is the 200 answer's schema of GET path.
func (d conOADoc) responseSchema(t *testing.T, path string) oaSchema {
	t.Helper()
	var resp struct {
		Content map[string]struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"content"`
	}
	must(t, json.Unmarshal(d.Paths[path]["get"].Responses["200"], &resp))
	return d.resolve(t, resp.Content["application/json"].Schema)
}

// required lists the required fields of s, through allOf.
func (d conOADoc) required(t *testing.T, s oaSchema) []string {
	out := slices.Clone(s.Required)
	for _, part := range s.AllOf {
		out = append(out, d.required(t, d.resolve(t, part))...)
	}
	return out
}

// itemSchema is the schema of a list's items.
func (d conOADoc) itemSchema(t *testing.T, list oaSchema) oaSchema {
	t.Helper()
	items, ok := list.Props["items"]
	if !ok || len(items.Items) == 0 {
		t.Fatal("a list schema without items")
	}
	return d.resolve(t, items.Items)
}

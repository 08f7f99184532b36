package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"deputylink/handlers/api"
)

// The contract between the mini-program (miniprogram/) and this API: every
// request the mini-program makes goes through miniprogram/utils/api.js by a
// name of its endpoint table, miniprogram/utils/endpoints.js; its jest tests
// check every request they make against that table, and this test holds the
// table to openapi.json. So an API change that breaks the client fails here,
// in plain `go test`, with no Node.

// mpTable is the mini-program's endpoint table file.
var mpTable = filepath.Join("..", "..", "miniprogram", "utils", "endpoints.js")

// mpEndpoint is one entry of the table (see the file's header).
type mpEndpoint struct {
	Method     string   `json:"method"`
	Path       string   `json:"path"`
	Auth       bool     `json:"auth"`
	Query      []string `json:"query"`
	Body       []string `json:"body"`
	Multipart  []string `json:"multipart"`
	Idempotent bool     `json:"idempotent"`
	Download   bool     `json:"download"`
	Image      bool     `json:"image"`
}

const mpExportPrefix = "module.exports = "

// parseEndpointTable reads the table strictly: comment or blank lines, then
// "module.exports = " and a JSON object of entries ending in "};", and
// nothing else. Unknown entry fields and repeated names are errors, so a
// change of the file's form fails here instead of being half read.
func parseEndpointTable(src []byte) (map[string]mpEndpoint, error) {
	lines := strings.Split(string(src), "\n")
	i := 0
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "//") {
			break
		}
	}
	if i == len(lines) || !strings.HasPrefix(lines[i], mpExportPrefix) {
		return nil, fmt.Errorf("after the comment lines the file must start %q", mpExportPrefix)
	}
	body := strings.TrimSpace(strings.TrimPrefix(strings.Join(lines[i:], "\n"), mpExportPrefix))
	if !strings.HasSuffix(body, "};") {
		return nil, fmt.Errorf("the table must end with \"};\" and nothing after it")
	}
	body = strings.TrimSuffix(body, ";")

	names, err := objectKeys([]byte(body))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, fmt.Errorf("endpoint %s is named twice", n)
		}
		seen[n] = true
	}
	raw := map[string]json.RawMessage{}
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		return nil, fmt.Errorf("the table is not strict JSON: %v", err)
	}
	out := map[string]mpEndpoint{}
	for name, r := range raw {
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		var ep mpEndpoint
		if err := dec.Decode(&ep); err != nil {
			return nil, fmt.Errorf("endpoint %s: %v", name, err)
		}
		if ep.Method == "" || !strings.HasPrefix(ep.Path, "/api/v1/") {
			return nil, fmt.Errorf("endpoint %s: needs a method and a path under /api/v1/", name)
		}
		out[name] = ep
	}
	return out, nil
}

// objectKeys lists the top-level keys of a JSON object in order, repeats
// included (encoding/json keeps only the last of a repeated key).
func objectKeys(src []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("the table must be one JSON object")
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("the table is not strict JSON: %v", err)
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, fmt.Errorf("the table is not strict JSON: %v", err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("the table is not strict JSON: %v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("text after the table")
	}
	return keys, nil
}

// contractDoc is the part of the OpenAPI document the contract reads.
type contractDoc struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas    map[string]json.RawMessage `json:"schemas"`
		Parameters map[string]json.RawMessage `json:"parameters"`
	} `json:"components"`
}

type contractParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

type contractOp struct {
	Security    []map[string][]string `json:"security"`
	Parameters  []contractParam       `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
}

type contractSchema struct {
	Ref        string                     `json:"$ref"`
	Properties map[string]json.RawMessage `json:"properties"`
	AllOf      []json.RawMessage          `json:"allOf"`
}

// properties resolves a schema's $refs and allOf into its property names.
func (d contractDoc) properties(raw json.RawMessage) (map[string]bool, error) {
	var s contractSchema
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	if s.Ref != "" {
		name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
		ref, ok := d.Components.Schemas[name]
		if !ok {
			return nil, fmt.Errorf("unresolved %s", s.Ref)
		}
		return d.properties(ref)
	}
	for k := range s.Properties {
		out[k] = true
	}
	for _, part := range s.AllOf {
		more, err := d.properties(part)
		if err != nil {
			return nil, err
		}
		for k := range more {
			out[k] = true
		}
	}
	return out, nil
}

// params lists an operation's parameters (and its path's) as "in:name".
func (d contractDoc) params(path string, op contractOp) (map[string]bool, error) {
	var shared []contractParam
	if raw, ok := d.Paths[path]["parameters"]; ok {
		if err := json.Unmarshal(raw, &shared); err != nil {
			return nil, err
		}
	}
	out := map[string]bool{}
	for _, p := range append(shared, op.Parameters...) {
		if p.Ref != "" {
			raw, ok := d.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
			if !ok {
				return nil, fmt.Errorf("unresolved %s", p.Ref)
			}
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, err
			}
		}
		out[p.In+":"+strings.ToLower(p.Name)] = true
	}
	return out, nil
}

var templateParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// contractProblems lists where one entry of the table differs from the
// document; none means the server answers what the mini-program sends.
func contractProblems(doc contractDoc, ep mpEndpoint) []string {
	ops, ok := doc.Paths[ep.Path]
	if !ok {
		return []string{"the path is not in openapi.json"}
	}
	raw, ok := ops[strings.ToLower(ep.Method)]
	if !ok {
		return []string{"openapi.json has no " + ep.Method + " on this path"}
	}
	var op contractOp
	if err := json.Unmarshal(raw, &op); err != nil {
		return []string{"unreadable operation: " + err.Error()}
	}
	var out []string
	params, err := doc.params(ep.Path, op)
	if err != nil {
		return []string{err.Error()}
	}
	for _, m := range templateParam.FindAllStringSubmatch(ep.Path, -1) {
		if !params["path:"+m[1]] {
			out = append(out, fmt.Sprintf("path parameter %q is not documented", m[1]))
		}
	}
	for _, q := range ep.Query {
		if !params["query:"+q] {
			out = append(out, fmt.Sprintf("query parameter %q is not documented", q))
		}
	}
	if ep.Idempotent && !params["header:idempotency-key"] {
		out = append(out, "sends Idempotency-Key, which the operation does not document")
	}
	bearer := slices.ContainsFunc(op.Security, func(s map[string][]string) bool { _, ok := s["bearer"]; return ok })
	if bearer != ep.Auth {
		out = append(out, fmt.Sprintf("auth is %v in the table but the operation's bearer security is %v", ep.Auth, bearer))
	}
	out = append(out, bodyProblems(doc, op, "application/json", ep.Body, "body field")...)
	out = append(out, bodyProblems(doc, op, "multipart/form-data", ep.Multipart, "upload field")...)
	if ep.Download || ep.Image {
		if !answersBinary(op) {
			out = append(out, "fetched as a file or image, but no success response is an image")
		}
	}
	return out
}

func bodyProblems(doc contractDoc, op contractOp, media string, fields []string, what string) []string {
	if len(fields) == 0 {
		return nil
	}
	if op.RequestBody == nil || op.RequestBody.Content[media].Schema == nil {
		return []string{fmt.Sprintf("sends a %s body, which the operation does not take", media)}
	}
	props, err := doc.properties(op.RequestBody.Content[media].Schema)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, f := range fields {
		if !props[f] {
			out = append(out, fmt.Sprintf("%s %q is not in the request schema", what, f))
		}
	}
	return out
}

func answersBinary(op contractOp) bool {
	for code, r := range op.Responses {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		for media := range r.Content {
			if strings.HasPrefix(media, "image/") {
				return true
			}
		}
	}
	return false
}

func loadContractDoc(t *testing.T) contractDoc {
	t.Helper()
	var doc contractDoc
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// Ensure every request of the mini-program (method, path, query keys, body
// and upload fields, the Idempotency-Key header, whether it signs in, and
// image downloads) exists in openapi.json as the mini-program makes it.
func TestMiniProgramRequestsAreInOpenAPI(t *testing.T) {
	src, err := os.ReadFile(mpTable)
	if err != nil {
		t.Fatalf("the mini-program's endpoint table: %v", err)
	}
	table, err := parseEndpointTable(src)
	if err != nil {
		t.Fatalf("%s: %v", mpTable, err)
	}
	if len(table) < 20 {
		t.Fatalf("%s has %d endpoints; the mini-program makes more requests than that", mpTable, len(table))
	}
	doc := loadContractDoc(t)
	for _, n := range slices.Sorted(maps.Keys(table)) {
		ep := table[n]
		for _, p := range contractProblems(doc, ep) {
			t.Errorf("miniprogram/utils/endpoints.js: %s (%s %s): %s", n, ep.Method, ep.Path, p)
		}
	}
}

// Ensure the contract check fails on each kind of break, naming it, and
// that the table's reader refuses a file it would half read.
func TestMiniProgramContractCatchesBreaks(t *testing.T) {
	doc := loadContractDoc(t)
	good := mpEndpoint{Method: "POST", Path: "/api/v1/bookings", Auth: true, Idempotent: true, Body: []string{"slot_id", "topic"}}
	if p := contractProblems(doc, good); len(p) != 0 {
		t.Fatalf("a good entry has problems: %v", p)
	}
	breaks := map[string]struct {
		ep   mpEndpoint
		want string
	}{
		"unknown path":   {mpEndpoint{Method: "GET", Path: "/api/v1/booking"}, "not in openapi.json"},
		"wrong method":   {mpEndpoint{Method: "PUT", Path: "/api/v1/bookings", Auth: true}, "no PUT"},
		"renamed field":  {mpEndpoint{Method: "POST", Path: "/api/v1/bookings", Auth: true, Body: []string{"slot"}}, `body field "slot"`},
		"unknown query":  {mpEndpoint{Method: "GET", Path: "/api/v1/stations", Query: []string{"near"}}, `query parameter "near"`},
		"idempotent":     {mpEndpoint{Method: "POST", Path: "/api/v1/opinions/{id}/ratings", Auth: true, Idempotent: true}, "Idempotency-Key"},
		"auth missing":   {mpEndpoint{Method: "GET", Path: "/api/v1/bookings"}, "auth is false"},
		"auth extra":     {mpEndpoint{Method: "GET", Path: "/api/v1/categories", Auth: true}, "auth is true"},
		"no body taken":  {mpEndpoint{Method: "GET", Path: "/api/v1/categories", Body: []string{"x"}}, "does not take"},
		"upload field":   {mpEndpoint{Method: "POST", Path: "/api/v1/uploads", Auth: true, Multipart: []string{"photo"}}, `upload field "photo"`},
		"not an image":   {mpEndpoint{Method: "GET", Path: "/api/v1/bookings/{id}", Auth: true, Download: true}, "no success response is an image"},
		"path parameter": {mpEndpoint{Method: "GET", Path: "/api/v1/bookings/{booking}", Auth: true}, "not in openapi.json"},
	}
	for name, b := range breaks {
		p := strings.Join(contractProblems(doc, b.ep), "; ")
		if !strings.Contains(p, b.want) {
			t.Errorf("%s: problems %q do not mention %q", name, p, b.want)
		}
	}

	bad := map[string]string{
		"no export":     "// a comment\nvar x = {};\n",
		"code before":   "const a = 1\nmodule.exports = {};\n",
		"not JSON":      "module.exports = {getMe: {\"method\": \"GET\", \"path\": \"/api/v1/me\"}};\n",
		"trailing text": "module.exports = {};\nfoo();\n",
		"unknown field": "module.exports = {\"getMe\": {\"method\": \"GET\", \"path\": \"/api/v1/me\", \"auht\": true}};\n",
		"named twice":   "module.exports = {\"getMe\": {\"method\": \"GET\", \"path\": \"/api/v1/me\"}, \"getMe\": {\"method\": \"GET\", \"path\": \"/api/v1/me\"}};\n",
		"no method":     "module.exports = {\"getMe\": {\"path\": \"/api/v1/me\"}};\n",
	}
	for name, src := range bad {
		if _, err := parseEndpointTable([]byte(src)); err == nil {
			t.Errorf("%s: the reader accepted %q", name, src)
		}
	}
	ok, err := parseEndpointTable([]byte("// c\n\nmodule.exports = {\"getMe\": {\"method\": \"GET\", \"path\": \"/api/v1/me\", \"auth\": true}};\n"))
	if err != nil || !ok["getMe"].Auth {
		t.Errorf("a well-formed table: %v %v", ok, err)
	}
}

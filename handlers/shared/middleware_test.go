package shared

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// Ensure a panicking handler answers the JSON 500 envelope and the request
// id, and that the server keeps serving.
func TestRecoveryAnswersEnvelope(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	var logs strings.Builder
	r := gin.New()
	r.Use(RequestIDMiddleware(slog.New(slog.NewTextHandler(&logs, nil))), Recovery())
	r.GET("/boom", func(*gin.Context) { panic("kaboom") })
	r.GET("/ok", func(c *gin.Context) { c.String(200, "ok") })

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/boom", nil))
	var b ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d body %q", w.Code, w.Body.String())
	}
	if b.Error.Code != "internal" || b.Error.RequestID == "" || strings.Contains(w.Body.String(), "kaboom") {
		t.Errorf("envelope %+v leaks or lacks fields", b)
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Errorf("panic not logged")
	}
	w = httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/ok", nil))
	if w.Code != 200 {
		t.Errorf("server did not keep serving: %d", w.Code)
	}
}

func TestRequestIDEchoedOrMade(t *testing.T) {
	r := gin.New()
	r.Use(RequestIDMiddleware(slog.Default()))
	r.GET("/", func(c *gin.Context) { c.String(200, requestID(c)) })
	for in, keep := range map[string]bool{"abc-123_X": true, "bad id\n": false, "": false, strings.Repeat("a", 65): false} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set(headerReqID, in)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		got := w.Header().Get(headerReqID)
		if keep && got != in || !keep && (got == in || len(got) != 16) || w.Body.String() != got {
			t.Errorf("in %q → header %q body %q", in, got, w.Body.String())
		}
	}
}

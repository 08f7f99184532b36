package handlers_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"deputylink/handlers"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

const metricsToken = "s3cret-metrics-token-0123"

// metricsGet asks h for /metrics from remote with the headers given.
func metricsGet(h http.Handler, remote string, hdr map[string]string) (int, string, string) {
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = remote
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, body.Error.Code, w.Body.String()
}

func metricsRouter(m handlers.MetricsAccess) *gin.Engine {
	return handlers.NewRouter(handlers.Deps{Log: slog.New(slog.DiscardHandler), Metrics: m})
}

// Ensure that with no metrics setting /metrics answers only loopback
// clients that did not come through a proxy; everyone else gets the 404
// of an unknown route.
func TestMetricsDefaultLoopbackOnly(t *testing.T) {
	r := metricsRouter(handlers.MetricsAccess{})
	for _, remote := range []string{"127.0.0.1:50000", "[::1]:50000"} {
		if st, _, body := metricsGet(r, remote, nil); st != 200 || !strings.Contains(body, "go_goroutines") {
			t.Errorf("from %s: %d", remote, st)
		}
	}
	for _, c := range []struct {
		remote string
		hdr    map[string]string
	}{
		{"203.0.113.5:40000", nil},
		{"10.0.0.8:40000", nil},
		// A local reverse proxy passes the world's requests on from loopback.
		{"127.0.0.1:50000", map[string]string{"X-Forwarded-For": "203.0.113.5"}},
		{"127.0.0.1:50000", map[string]string{"X-Real-IP": "203.0.113.5"}},
		{"127.0.0.1:50000", map[string]string{"Forwarded": "for=203.0.113.5"}},
	} {
		if st, code, _ := metricsGet(r, c.remote, c.hdr); st != 404 || code != "route_not_found" {
			t.Errorf("from %s %v: %d %q, want 404 route_not_found", c.remote, c.hdr, st, code)
		}
	}
}

// Ensure DEPUTYLINK_METRICS_TOKEN's mode: the right bearer token reads the
// metrics from anywhere; none or a wrong one is 401, loopback included.
func TestMetricsBearerToken(t *testing.T) {
	r := metricsRouter(handlers.MetricsAccess{Token: metricsToken})
	if st, _, body := metricsGet(r, "203.0.113.5:40000", map[string]string{"Authorization": "Bearer " + metricsToken}); st != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("right token: %d", st)
	}
	for _, auth := range []string{"", "Bearer ", "Bearer wrong-token-0123456789", metricsToken, "Basic " + metricsToken, "Bearer " + metricsToken + "x"} {
		for _, remote := range []string{"203.0.113.5:40000", "127.0.0.1:50000"} {
			st, code, _ := metricsGet(r, remote, map[string]string{"Authorization": auth})
			if st != 401 || code != "unauthorized" {
				t.Errorf("%q from %s: %d %q, want 401", auth, remote, st, code)
			}
		}
	}
}

// Ensure DEPUTYLINK_METRICS_ADDR's mode: the main router has no /metrics
// at all, and NewMetricsRouter serves it (with the token when one is set).
func TestMetricsElsewhere(t *testing.T) {
	r := metricsRouter(handlers.MetricsAccess{Elsewhere: true})
	if st, code, _ := metricsGet(r, "127.0.0.1:50000", nil); st != 404 || code != "route_not_found" {
		t.Errorf("main router: %d %q, want 404", st, code)
	}
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "deputylink_test_total"})
	reg.MustRegister(c)
	c.Inc()
	open := handlers.NewMetricsRouter(reg, "", nil)
	if st, _, body := metricsGet(open, "10.0.0.8:40000", nil); st != 200 || !strings.Contains(body, "deputylink_test_total 1") {
		t.Errorf("metrics listener: %d %s", st, body)
	}
	locked := handlers.NewMetricsRouter(reg, metricsToken, nil)
	if st, code, _ := metricsGet(locked, "127.0.0.1:50000", nil); st != 401 || code != "unauthorized" {
		t.Errorf("metrics listener without the token: %d %q", st, code)
	}
	if st, _, _ := metricsGet(locked, "10.0.0.8:40000", map[string]string{"Authorization": "Bearer " + metricsToken}); st != 200 {
		t.Errorf("metrics listener with the token: %d", st)
	}
	req := httptest.NewRequest("GET", "/healthz", nil)
	w := httptest.NewRecorder()
	open.ServeHTTP(w, req)
	if w.Code != 404 {
		t.Errorf("metrics listener serves /healthz: %d", w.Code)
	}
}

// The official account's domain-check file is served at the site root as
// plain text when configured, and is a normal 404 otherwise.
func TestOAVerifyFile(t *testing.T) {
	get := serveGet
	quiet := slog.New(slog.DiscardHandler)
	r := handlers.NewRouter(handlers.Deps{Log: quiet,
		OAVerify: handlers.OAVerifyFile{Name: "MP_verify_Ab12Cd34.txt", Content: "Ab12Cd34"}})
	wantVerifyFile(t, r, "/MP_verify_Ab12Cd34.txt", "Ab12Cd34")
	for _, path := range []string{"/MP_verify_Other.txt", "/MP_verify_Ab12Cd34.txt/x", "/mp_verify_ab12cd34.txt"} {
		if w := get(r, path); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "route_not_found") {
			t.Errorf("%s: %d %q", path, w.Code, w.Body.String())
		}
	}
	none := handlers.NewRouter(handlers.Deps{Log: quiet})
	if w := get(none, "/MP_verify_Ab12Cd34.txt"); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "route_not_found") {
		t.Fatalf("not configured: %d %q", w.Code, w.Body.String())
	}
	// A name that is not WeChat's shape claims no root path.
	odd := handlers.NewRouter(handlers.Deps{Log: quiet, OAVerify: handlers.OAVerifyFile{Name: "healthz", Content: "x"}})
	if w := get(odd, "/healthz"); w.Body.String() == "x" {
		t.Fatal("a bad name replaced another route")
	}
}

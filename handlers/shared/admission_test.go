package shared

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// TestAdmissionHoldsAtMostN: 40 requests race into a gate of 3; no more
// than 3 are ever inside the handler at once, every one is answered 200 in
// the end, and a probe is let through while the gate is full.
func TestAdmissionHoldsAtMostN(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(RequestIDMiddleware(slog.New(slog.DiscardHandler)), Admission(3, time.Minute, "/healthz"))
	var inside, most atomic.Int32
	release := make(chan struct{})
	entered := make(chan struct{}, 40)
	r.GET("/work", func(c *gin.Context) {
		n := inside.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		entered <- struct{}{}
		<-release
		inside.Add(-1)
		c.String(http.StatusOK, "ok")
	})
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })

	var wg sync.WaitGroup
	codes := make([]int, 40)
	for i := range codes {
		wg.Go(func() {
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest("GET", "/work", nil))
			codes[i] = w.Code
		})
	}
	for range 3 {
		<-entered
	}
	// The gate is full: a probe still passes.
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("probe while full: %d", w.Code)
	}
	close(release)
	wg.Wait()
	if m := most.Load(); m != 3 {
		t.Errorf("at most %d inside at once, want 3", m)
	}
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("request %d: %d", i, c)
		}
	}
}

// TestAdmissionBusyAfterWait: a request that waits its whole turn gets 503
// "server_busy" with Retry-After, and the gate's place is not lost.
func TestAdmissionBusyAfterWait(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(RequestIDMiddleware(slog.New(slog.DiscardHandler)), Admission(1, 20*time.Millisecond))
	release, entered := make(chan struct{}), make(chan struct{})
	r.GET("/hold", func(c *gin.Context) {
		close(entered)
		<-release
		c.String(http.StatusOK, "ok")
	})
	r.GET("/work", func(c *gin.Context) { c.String(http.StatusOK, "ok") })

	held := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("GET", "/hold", nil))
		held <- w.Code
	}()
	<-entered
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/work", nil))
	var b ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || w.Code != http.StatusServiceUnavailable ||
		b.Error.Code != "server_busy" || w.Header().Get("Retry-After") == "" {
		t.Fatalf("while held: %d %q Retry-After=%q", w.Code, w.Body.String(), w.Header().Get("Retry-After"))
	}
	close(release)
	if c := <-held; c != http.StatusOK {
		t.Fatalf("held request: %d", c)
	}
	w = httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/work", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("after release: %d", w.Code)
	}
}

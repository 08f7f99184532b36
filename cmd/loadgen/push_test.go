package main

import (
	"bytes"
	"context"
	"flag"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
)

// Ensure no push repeats within a run or across runs: a repeat would be a
// retry, which the endpoint answers differently.
func TestBuildPushesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 2 {
		reqs, err := buildPushes(3000, 100, []string{"AAAA2222", "BBBB3333"}, defaultToken, defaultAESKey, defaultAppID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reqs {
			if seen[r.body] {
				t.Fatal("a push repeats")
			}
			seen[r.body] = true
		}
	}
}

// Ensure --compare alternates rounds between two endpoints, each answering
// every push, and prints the median ratio.
func TestPushCompareRounds(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	var srv [2]*httptest.Server
	for i := range srv {
		r := gin.New()
		r.POST("/wechat/official", floorHandler(defaultToken, defaultAESKey, defaultAppID))
		srv[i] = httptest.NewServer(r)
		defer srv[i].Close()
	}
	var out bytes.Buffer
	err := pushCmd(context.Background(), flag.NewFlagSet("push", flag.ContinueOnError), []string{
		"--url", srv[0].URL + "/wechat/official", "--compare", srv[1].URL + "/wechat/official",
		"--codes", "AAAA2222", "--rate", "0", "--concurrency", "4", "--rounds", "2",
		"--duration", "200ms", "--warmup", "0s", "--max-rate", "60000", "--expect", "您好",
	}, &out)
	if err != nil {
		t.Fatalf("push: %v\n%s", err, out.String())
	}
	s := out.String()
	if n := strings.Count(s, "errors=0 "); n != 4 {
		t.Errorf("%d clean runs, want 4:\n%s", n, s)
	}
	if !regexp.MustCompile(`ratio url/compare: median \d+\.\d%, min \d+\.\d%, max \d+\.\d% over 2 rounds`).MatchString(s) {
		t.Errorf("no median ratio:\n%s", s)
	}
	if strings.Contains(s, "WARNING") {
		t.Errorf("a run ran out of pushes:\n%s", s)
	}
}

// BenchmarkFloorAES is the protocol floor (floorHandler) through a bare
// gin router, as BenchmarkOfficialScanAES (handlers/official) runs the
// endpoint: run both in one command and compare allocs/op and ns/op
// (docs/BENCHMARKS.md, issue 18 push).
func BenchmarkFloorAES(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/wechat/official", floorHandler(defaultToken, defaultAESKey, defaultAppID))
	reqs, err := buildPushes(b.N, 5000, []string{"AAAA2222"}, defaultToken, defaultAESKey, defaultAppID)
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := reqs[int(next.Add(1)-1)]
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest("POST", "/wechat/official?"+p.query, strings.NewReader(p.body)))
			if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "<xml><Encrypt>") {
				b.Fatalf("status %d %q", w.Code, w.Body.String())
			}
		}
	})
}

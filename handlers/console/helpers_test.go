package console_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"deputylink/handlers"
	"deputylink/models/modelstest"
	"deputylink/wechat/wechattest"

	"gorm.io/gorm"
)

// testEnv is the real router over a real database and Redis.
type testEnv struct {
	t   *testing.T
	db  *gorm.DB
	rd  *wechattest.TestRedis
	srv *httptest.Server
}

// newEnvWith builds the env, letting the test adjust the dependencies.
func newEnvWith(t *testing.T, rd *wechattest.TestRedis, adjust func(*handlers.Deps)) *testEnv {
	t.Helper()
	db := modelstest.NewDB(t)
	d := handlers.Deps{
		DB: db, Redis: rd.Client, RedisPrefix: rd.Prefix, BodyLimit: 64 << 10,
		Now: func() time.Time { return time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC) },
	}
	if adjust != nil {
		adjust(&d)
	}
	srv := httptest.NewServer(handlers.NewRouter(d))
	t.Cleanup(srv.Close)
	return &testEnv{t: t, db: db, rd: rd, srv: srv}
}

type errBody struct {
	Error struct {
		Code, Message, Field, RequestID string
	} `json:"error"`
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

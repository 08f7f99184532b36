package shared

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// IdempotencyTTL is how long a create request's answer is replayed.
const IdempotencyTTL = 24 * time.Hour

// idempotencyPendingTTL is how long a key stays claimed by a first request
// that has not answered yet. It outlives any request (the server writes
// for 60 s at most), and it is short so that a process killed mid-request
// does not leave the key claimed for IdempotencyTTL: the voter's retry with
// the same key runs after it (and the database constraints stop a double
// booking).
const idempotencyPendingTTL = 2 * time.Minute

// storedResponse is what a first request answered, replayed to its repeats.
type storedResponse struct {
	State    string `json:"s"` // "pending" or "done"
	BodyHash string `json:"h"`
	Status   int    `json:"c,omitempty"`
	Body     []byte `json:"b,omitempty"`
}

// captureWriter keeps a copy of what the handler writes.
type captureWriter struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

// Idempotent makes a create endpoint honour the Idempotency-Key header: the
// same voter (owner reads the voter's id from the request) sending the same
// key again gets the first answer again, and
// the handler runs once. A repeat that arrives while the first is still
// running waits for it briefly. Requests without the header pass through
// (the database constraints still stop double bookings).
func (h *Base) Idempotent(route string, owner func(*gin.Context) uint64) gin.HandlerFunc {
	return func(c *gin.Context) {
		key := c.GetHeader("Idempotency-Key")
		if key == "" || h.Redis == nil {
			c.Next()
			return
		}
		if len(key) > 100 || !ValidRequestID(key) {
			RespondErr(c, models.Invalid("idempotency_key", "请求标识格式不正确，请重新提交"))
			return
		}
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			RespondErr(c, BodyError(err))
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:8])
		ctx := c.Request.Context()
		rkey := h.RedisPrefix + "idem:" + route + ":" + strconv.FormatUint(owner(c), 10) + ":" + key

		pending, _ := json.Marshal(storedResponse{State: "pending", BodyHash: hash})
		claim, err := RDoCmd(ctx, h, func(ctx context.Context, p redis.Pipeliner) *redis.BoolCmd {
			return p.SetNX(ctx, rkey, pending, idempotencyPendingTTL)
		})
		if err != nil {
			RespondErr(c, err)
			return
		}
		if !claim.Val() {
			h.replay(c, rkey, hash)
			return
		}
		cw := &captureWriter{ResponseWriter: c.Writer}
		c.Writer = cw
		c.Next()
		status := cw.Status()
		if status >= 500 || status == http.StatusTooManyRequests {
			// A failure the client should retry: forget the key.
			h.Redis.Del(detached(c), rkey)
			return
		}
		done, _ := json.Marshal(storedResponse{State: "done", BodyHash: hash, Status: status, Body: cw.buf.Bytes()})
		if _, err := RDoCmd(detached(c), h, func(ctx context.Context, p redis.Pipeliner) *redis.StatusCmd {
			return p.Set(ctx, rkey, done, IdempotencyTTL)
		}); err != nil {
			Logger(c).WarnContext(ctx, "Storing idempotent response failed", "err", err)
		}
	}
}

// replay answers a repeated key with the stored response, waiting up to 5 s
// for a first request that is still running.
func (h *Base) replay(c *gin.Context, rkey, hash string) {
	ctx := c.Request.Context()
	deadline := time.Now().Add(5 * time.Second)
	for {
		raw, err := h.Redis.Get(ctx, rkey).Bytes()
		if errors.Is(err, redis.Nil) {
			RespondErr(c, models.Coded(models.ErrConflict, "idempotency_retry", "请求未完成，请重试"))
			return
		}
		if err != nil {
			RespondErr(c, err)
			return
		}
		var s storedResponse
		if err := json.Unmarshal(raw, &s); err != nil {
			RespondErr(c, err)
			return
		}
		if s.BodyHash != hash {
			RespondErr(c, models.Coded(models.ErrConflict, "idempotency_key_reused", "同一个请求标识不能用于不同的请求"))
			return
		}
		if s.State == "done" {
			c.Header("Idempotent-Replayed", "true")
			c.Data(s.Status, "application/json; charset=utf-8", s.Body)
			c.Abort()
			return
		}
		if time.Now().After(deadline) {
			RespondErr(c, models.Coded(models.ErrConflict, "idempotency_in_progress", "请求正在处理中，请稍后查看"))
			return
		}
		select {
		case <-ctx.Done():
			c.Abort()
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// detached is the request context without its cancellation, so the answer is
// stored even when the client hung up after the work was done.
func detached(c *gin.Context) context.Context { return context.WithoutCancel(c.Request.Context()) }

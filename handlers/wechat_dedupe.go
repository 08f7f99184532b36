package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"deputylink/models"

	"github.com/redis/go-redis/v9"
)

// Exactly-once handling of pushes. WeChat retries a push it got no answer
// to within 5 s, up to three deliveries in all, and the SDK does not
// dedupe (WECHAT.md §1). The first delivery takes the push's key with
// SET NX ("pending"), computes the reply, and stores it under the key
// together with the push's side effects (one Redis pipeline). A later
// delivery answers with the stored reply, re-encrypted for its own nonce;
// one that arrives while the first is still working polls for the reply for
// up to oaDedupeWait and otherwise answers "success" (WeChat keeps whichever
// answer comes in time).

const (
	// oaRedisTimeout bounds each Redis call of the push path, so an outage
	// costs one short wait, not go-redis's dial retries.
	oaRedisTimeout = 300 * time.Millisecond
	oaDedupeTTL    = 10 * time.Minute
	// oaPendingTTL bounds a claim whose process died before storing the
	// reply; WeChat's retries all come within about 15 s.
	oaPendingTTL = time.Minute
	oaDedupeWait = 3 * time.Second
	oaDedupePoll = 20 * time.Millisecond
	oaPending    = "p"
	// oaLastTTL is how long the last scanned code and location are kept
	// for the follow-up questions of the bot and the opinion chat.
	oaLastTTL = 24 * time.Hour
)

// oaReplyText is the only reply type the bot sends: the cards need text
// messages, the only kind whose <a data-miniprogram-*> links WeChat renders.
const oaReplyText = "text"

// oaReply is a reply in the compact form stored for retries. The zero value
// is "no reply" (answer "success").
type oaReply struct {
	Type    string `json:"t,omitempty"`
	Content string `json:"c,omitempty"`
	// At is the reply's CreateTime, kept so every delivery gets the same.
	At int64 `json:"at,omitempty"`
}

func textReply(s string) oaReply { return oaReply{Type: oaReplyText, Content: s} }

// oaEffects collects the side effects of a push that go to Redis with the
// stored reply: queued scans and the remembered code and location.
type oaEffects struct {
	scans []models.ScanEvent
	sets  []oaSet
}

type oaSet struct {
	key, value string
}

// oaClaim is the outcome of claim.
type oaClaim struct {
	// owner: this delivery handles the push.
	owner bool
	// stored is the reply of an earlier delivery, when there is one.
	stored *oaReply
	// noRedis: the key was not taken (Redis missing or down).
	noRedis bool
}

func (o *oaServer) rkey(parts ...string) string {
	return o.h.RedisPrefix + "wx:" + strings.Join(parts, ":")
}

// dedupeID is the push's identity without our Redis prefix: messages by
// openid and MsgId, events (and the rare message without a MsgId) by openid,
// CreateTime, Event and EventKey, as WeChat advises. It is also the scan
// row's DedupeKey, so it is kept short.
func dedupeID(m *oaMsg) string {
	var id string
	if m.MsgType != "event" && m.MsgID != "" {
		id = "m:" + m.FromUserName + ":" + m.MsgID
	} else {
		id = "e:" + m.FromUserName + ":" + m.CreateTime + ":" + m.Event + ":" + m.EventKey
	}
	if len(id) > 160 {
		sum := sha256.Sum256([]byte(id))
		id = "h:" + hex.EncodeToString(sum[:])
	}
	return id
}

func (o *oaServer) dedupeKey(m *oaMsg) string { return o.rkey("dd", dedupeID(m)) }

// claim takes the push's key, or finds the reply of an earlier delivery.
// An error with owner set means Redis failed before anything was known:
// the caller handles the push without dedupe.
func (o *oaServer) claim(ctx context.Context, key string) (oaClaim, error) {
	rdb := o.h.Redis
	if rdb == nil {
		return oaClaim{owner: true, noRedis: true}, nil
	}
	deadline := time.Now().Add(oaDedupeWait)
	first := true
	for {
		rctx, cancel := context.WithTimeout(ctx, oaRedisTimeout)
		ok, err := rdb.SetNX(rctx, key, oaPending, oaPendingTTL).Result()
		cancel()
		if err != nil {
			if first {
				return oaClaim{owner: true, noRedis: true}, err
			}
			return oaClaim{}, err
		}
		if ok {
			return oaClaim{owner: true}, nil
		}
		first = false
		rctx, cancel = context.WithTimeout(ctx, oaRedisTimeout)
		v, err := rdb.Get(rctx, key).Result()
		cancel()
		switch {
		case errors.Is(err, redis.Nil):
			continue // the first delivery gave up its claim: take it
		case err != nil:
			return oaClaim{}, err
		case v != oaPending:
			var r oaReply
			if json.Unmarshal([]byte(v), &r) != nil {
				return oaClaim{}, nil
			}
			return oaClaim{stored: &r}, nil
		}
		if time.Now().After(deadline) {
			return oaClaim{}, nil
		}
		t := time.NewTimer(oaDedupePoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return oaClaim{}, ctx.Err()
		case <-t.C:
		}
	}
}

// release gives the claim up after a failure, so a retry tries again.
func (o *oaServer) release(ctx context.Context, key string, cl oaClaim) {
	if o.h.Redis != nil && !cl.noRedis {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), oaRedisTimeout)
		defer cancel()
		o.h.Redis.Del(ctx, key)
	}
}

// commit stores the reply and the Redis side effects in one round trip.
// Scans that cannot be queued are recorded in the database at once, which
// is slower but loses nothing (and counts nothing twice).
func (o *oaServer) commit(ctx context.Context, log *slog.Logger, key string, cl oaClaim, fx *oaEffects, r oaReply) {
	rdb := o.h.Redis
	if rdb == nil || cl.noRedis {
		o.recordInline(ctx, log, fx.scans)
		return
	}
	stored, _ := json.Marshal(r)
	pipe := rdb.Pipeline()
	push := o.queueEffects(ctx, pipe, fx)
	pipe.Set(ctx, key, stored, oaDedupeTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		log.WarnContext(ctx, "WeChat push: storing the reply or side effects failed", "err", err)
	}
	if push != nil && push.Err() != nil {
		o.recordInline(ctx, log, fx.scans)
	}
}

// queueEffects adds the Redis side effects to pipe; the returned RPUSH (nil
// without scans) tells whether the scans were queued.
func (o *oaServer) queueEffects(ctx context.Context, pipe redis.Pipeliner, fx *oaEffects) *redis.IntCmd {
	var push *redis.IntCmd
	if len(fx.scans) > 0 {
		vals := make([]any, len(fx.scans))
		for i, s := range fx.scans {
			b, _ := json.Marshal(s)
			vals[i] = b
		}
		push = pipe.RPush(ctx, o.rkey("scans"), vals...)
	}
	for _, s := range fx.sets {
		pipe.Set(ctx, s.key, s.value, oaLastTTL)
	}
	return push
}

// fastScan answers a SCAN of a code whose card is cached in one Redis round
// trip, the hot path of a crowd in front of a board. The reply needs
// nothing but the card, and the scan's side effects may be repeated safely
// (the queue's consumer skips a push it already stored, and the last code
// is overwritten with the same value), so they go out in one pipeline with
// a SET NX of the reply instead of after a claim. A delivery that loses the
// SET NX answers with the reply stored before it. ok is false when the push
// is not such a scan; redisDown when Redis failed and nothing was stored.
func (o *oaServer) fastScan(ctx context.Context, log *slog.Logger, key string, m *oaMsg) (r oaReply, ok, redisDown bool) {
	if o.h.Redis == nil || m.MsgType != "event" || !strings.EqualFold(m.Event, "SCAN") {
		return oaReply{}, false, false
	}
	code, valid := models.NormalizeCode(m.EventKey)
	if !valid {
		return oaReply{}, false, false
	}
	card, cached := o.cards.peek(code)
	if !cached || card.kind != oaCardShown {
		return oaReply{}, false, false
	}
	if o.cfg.hook != nil {
		o.cfg.hook(ctx, m.FromUserName, m.Event)
	}
	fx := &oaEffects{}
	r = o.cardReply(m, code, card, "", fx)
	r.At = o.h.Now().Unix()
	stored, _ := json.Marshal(r)

	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), oaCommitBudget)
	defer cancel()
	pipe := o.h.Redis.Pipeline()
	won := pipe.SetNX(rctx, key, stored, oaDedupeTTL)
	prev := pipe.Get(rctx, key)
	push := o.queueEffects(rctx, pipe, fx)
	_, err := pipe.Exec(rctx)
	if won.Err() != nil {
		log.WarnContext(ctx, "WeChat push dedupe unavailable; handling without it", "err", err)
		return oaReply{}, false, true
	}
	if push != nil && push.Err() != nil {
		o.recordInline(rctx, log, fx.scans)
	}
	if won.Val() {
		return r, true, false
	}
	v := prev.Val()
	if v == oaPending {
		// An earlier delivery (that had to load the card) is still working.
		cl, err := o.claim(ctx, key)
		switch {
		case err == nil && cl.owner:
			// The earlier delivery gave up: ours is the reply.
			o.h.Redis.Set(rctx, key, stored, oaDedupeTTL)
			return r, true, false
		case err != nil:
			return r, true, false
		case cl.stored != nil:
			return *cl.stored, true, false
		}
		return oaReply{}, true, false
	}
	var s oaReply
	if json.Unmarshal([]byte(v), &s) != nil {
		return oaReply{}, true, false
	}
	return s, true, false
}

func (o *oaServer) recordInline(ctx context.Context, log *slog.Logger, scans []models.ScanEvent) {
	if len(scans) == 0 {
		return
	}
	if _, err := models.RecordScans(ctx, o.h.DB, scans); err != nil {
		log.ErrorContext(ctx, "WeChat push: recording a scan failed", "err", err)
	}
}

// oaNoRedis marks the context of a push handled while Redis is down.
type oaNoRedis struct{}

// lastValue reads a remembered value ("" when there is none).
func (o *oaServer) lastValue(ctx context.Context, key string) string {
	if o.h.Redis == nil || ctx.Value(oaNoRedis{}) != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, oaRedisTimeout)
	defer cancel()
	v, err := o.h.Redis.Get(ctx, key).Result()
	if err != nil {
		return ""
	}
	return v
}

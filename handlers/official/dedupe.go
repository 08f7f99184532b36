package official

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"deputylink/models"

	"github.com/redis/go-redis/v9"
)

// Exactly-once handling of pushes. WeChat retries a push it got no answer
// to within 5 s, up to three deliveries in all, and the SDK does not
// dedupe (docs/WECHAT.md#official-account-push). The first delivery takes the push's key with
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
// stored reply: counted scans and the remembered code and location.
type oaEffects struct {
	scans []oaScan
	sets  []oaSet
}

type oaSet struct {
	key, value string
}

// oaScan is a scan to count: a code and when (models.ScanDayOf gives its
// day).
type oaScan struct {
	code string
	at   time.Time
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
// CreateTime, Event and EventKey, as WeChat advises. It is kept short.
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

// oaKeys are a push's Redis keys: its dedupe key and the scan hash it
// counts in, both under the shard's hash tag (models.ScanShardOf of the
// push's identity), so the push's one script works on a Redis Cluster and
// a crowd's scans spread over the shards.
type oaKeys struct {
	dd, scans string
}

func (o *oaServer) pushKeys(m *oaMsg) oaKeys {
	id := dedupeID(m)
	shard := models.ScanShardOf(id)
	return oaKeys{
		dd:    o.h.RedisPrefix + "wx:dd:" + models.ScanShardTag(shard) + ":" + id,
		scans: models.ScanHashKey(o.h.RedisPrefix, shard),
	}
}

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
			r, ok := o.storedReply(ctx, v)
			if !ok {
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
// Scans that cannot be counted in Redis are added in the database at once
// under the push's identity, which is slower but loses nothing (and counts
// nothing twice).
func (o *oaServer) commit(ctx context.Context, log *slog.Logger, keys oaKeys, cl oaClaim, fx *oaEffects, r oaReply, m *oaMsg) {
	rdb := o.h.Redis
	if rdb == nil || cl.noRedis {
		o.recordInline(ctx, log, m, fx.scans)
		return
	}
	stored, _ := json.Marshal(r)
	pipe := rdb.Pipeline()
	counts := make([]*redis.Cmd, len(fx.scans))
	for i, s := range fx.scans {
		counts[i] = scanCountScript.EvalSha(ctx, pipe, []string{keys.scans}, scanArgs(s)...)
	}
	for _, s := range fx.sets {
		pipe.Set(ctx, s.key, s.value, oaLastTTL)
	}
	pipe.Set(ctx, keys.dd, stored, oaDedupeTTL)
	if _, err := pipe.Exec(ctx); err != nil && !redis.HasErrorPrefix(err, "NOSCRIPT") {
		log.WarnContext(ctx, "WeChat push: storing the reply or side effects failed", "err", err)
	}
	var failed []oaScan
	for i, c := range counts {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			// NOSCRIPT after a Redis restart: Run loads the script. The
			// script failed as a whole, so it counted nothing.
			err = scanCountScript.Run(ctx, rdb, []string{keys.scans}, scanArgs(fx.scans[i])...).Err()
			if err != nil && !errors.Is(err, redis.Nil) {
				failed = append(failed, fx.scans[i])
			}
		}
	}
	o.recordInline(ctx, log, m, failed)
}

// The scripts that count a scan in a hash of models.ScanHashKey: the
// count goes up by one and the last time moves forward (KEYS[h] is the
// hash, ARGV[f] the code and day, ARGV[t] the Unix time).
func scanCountLua(h, f, t string) string {
	return `redis.call("hincrby", KEYS[` + h + `], "n|" .. ARGV[` + f + `], 1)
local t = redis.call("hget", KEYS[` + h + `], "t|" .. ARGV[` + f + `])
if not t or tonumber(t) < tonumber(ARGV[` + t + `]) then redis.call("hset", KEYS[` + h + `], "t|" .. ARGV[` + f + `], ARGV[` + t + `]) end
`
}

var (
	// scanCountScript counts a scan (KEYS[1] hash; ARGV code|day, time).
	scanCountScript = redis.NewScript(scanCountLua("1", "1", "2") + "return 1")
	// fastScanScript stores a reply unless one is stored (SET NX), counts
	// the scan only if it stored it, and otherwise returns the stored
	// reply: a retried push is answered the same and counted once
	// (KEYS[1] the push's key, KEYS[2] the hash; ARGV reply, TTL in ms,
	// code|day, time). It works on every Redis, unlike SET NX GET (7.0).
	fastScanScript = redis.NewScript(`if redis.call("set", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
` + scanCountLua("2", "3", "4") + `return false
end
return redis.call("get", KEYS[1])`)
)

func scanArgs(s oaScan) []any {
	return []any{models.ScanField(s.code, models.ScanDayOf(s.at)), s.at.Unix()}
}

// fastScan answers a SCAN of a code whose card is cached in one Redis round
// trip, the hot path of a crowd in front of a board. The reply needs
// nothing but the card, so it is stored with a SET NX instead of after a
// claim, in one script that also counts the scan if (and only if) the SET
// stored it; the last code may be set again safely (the same value). They
// go out in one pipeline, and the batcher sends the pipelines of
// concurrent scans together. A delivery that loses the SET NX
// answers with the reply stored before it. ok is false when the push is not
// such a scan; redisDown when Redis failed and nothing was stored.
func (o *oaServer) fastScan(ctx context.Context, log *slog.Logger, keys oaKeys, m *oaMsg) (r oaReply, ok, redisDown bool) {
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
	stored := cardRef(code, card.sum, r.At)
	blob := o.cardBlobDue(card.sum)

	// The batcher bounds the wait (about twice oaCommitBudget at worst), and
	// the work outlives a client that hung up: its result is what a retry
	// gets.
	rctx := context.WithoutCancel(ctx)
	var set *redis.Cmd // redis.Nil when ours was stored (and counted)
	var blobSet *redis.StatusCmd
	scan := fx.scans[0]
	send := func() error {
		return o.batch.Do(rctx, func(bctx context.Context, pipe redis.Pipeliner) {
			if blob {
				blobSet = pipe.Set(bctx, o.rkey("card", card.sum), card.full, oaCardBlobTTL)
			}
			set = fastScanScript.EvalSha(bctx, pipe, []string{keys.dd, keys.scans},
				append([]any{stored, oaDedupeTTL.Milliseconds()}, scanArgs(scan)...)...)
			for _, s := range fx.sets {
				pipe.Set(bctx, s.key, s.value, oaLastTTL)
			}
		})
	}
	err := send()
	if err == nil && redis.HasErrorPrefix(set.Err(), "NOSCRIPT") {
		// The first scan since this Redis started: the script failed as a
		// whole and did nothing, and the other commands may run again.
		// Load it and send once more.
		if err = fastScanScript.Load(rctx, o.h.Redis).Err(); err == nil {
			err = send()
		}
	}
	var stolen bool // false: ours is the stored reply
	var v string    // the earlier delivery's, when stolen
	if err == nil {
		v, err = set.Text()
		stolen = err == nil
		if errors.Is(err, redis.Nil) {
			err = nil
		}
	}
	if blob && (err != nil || blobSet.Err() != nil) {
		o.cardBlobFailed(card.sum)
	}
	if err != nil {
		// Nothing was stored or counted: the slow path does both.
		log.WarnContext(ctx, "WeChat push dedupe unavailable; handling without it", "err", err)
		return oaReply{}, false, true
	}
	if !stolen {
		return r, true, false
	}
	if v == oaPending {
		// An earlier delivery (that had to load the card) is still working.
		cl, err := o.claim(ctx, keys.dd)
		switch {
		case err == nil && cl.owner:
			// The earlier delivery gave up: ours is the reply.
			cctx, cancel := context.WithTimeout(rctx, oaRedisTimeout)
			o.h.Redis.Set(cctx, keys.dd, stored, oaDedupeTTL)
			cancel()
			return r, true, false
		case err != nil:
			return r, true, false
		case cl.stored != nil:
			return *cl.stored, true, false
		}
		return oaReply{}, true, false
	}
	if s, ok := o.storedReply(ctx, v); ok {
		return s, true, false
	}
	return oaReply{}, true, false
}

// A card reply of the fast path is stored for retries as a reference,
// "@code:sum:at", not as its text: a crowd's scans would otherwise keep a
// kilobyte per push in Redis for oaDedupeTTL. A retry rebuilds the reply
// from the cached card when its digest still matches; when the card
// changed in between, from the old text, which is kept under its digest
// ("card:sum") for longer than any reference to it.
const (
	oaCardBlobTTL = oaDedupeTTL + 2*time.Minute
	// oaCardBlobRefresh is how often a process rewrites a card text it
	// keeps referring to; each write renews its TTL.
	oaCardBlobRefresh = time.Minute
	oaCardBlobMax     = 50000
)

func cardRef(code, sum string, at int64) string {
	return "@" + code + ":" + sum + ":" + strconv.FormatInt(at, 10)
}

// cardBlobDue reports whether this push should (re)write the card text
// under its digest, and notes that it will.
func (o *oaServer) cardBlobDue(sum string) bool {
	now := time.Now()
	o.blobMu.Lock()
	defer o.blobMu.Unlock()
	if next, ok := o.blobNext[sum]; ok && now.Before(next) {
		return false
	}
	if o.blobNext == nil || len(o.blobNext) >= oaCardBlobMax {
		o.blobNext = map[string]time.Time{}
	}
	o.blobNext[sum] = now.Add(oaCardBlobRefresh)
	return true
}

// cardBlobFailed makes the next push write the card text again.
func (o *oaServer) cardBlobFailed(sum string) {
	o.blobMu.Lock()
	defer o.blobMu.Unlock()
	delete(o.blobNext, sum)
}

// storedReply decodes a reply stored for retries: a card reference or the
// JSON of any other reply. ok is false when it cannot be rebuilt.
func (o *oaServer) storedReply(ctx context.Context, v string) (oaReply, bool) {
	if !strings.HasPrefix(v, "@") {
		var r oaReply
		if json.Unmarshal([]byte(v), &r) != nil {
			return oaReply{}, false
		}
		return r, true
	}
	parts := strings.Split(v[1:], ":")
	if len(parts) != 3 {
		return oaReply{}, false
	}
	code, sum := parts[0], parts[1]
	at, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return oaReply{}, false
	}
	card, cached := o.cards.peek(code)
	if cached && card.sum == sum {
		return oaReply{Type: oaReplyText, Content: card.full, At: at}, true
	}
	rctx, cancel := context.WithTimeout(ctx, oaRedisTimeout)
	defer cancel()
	text, err := o.h.Redis.Get(rctx, o.rkey("card", sum)).Result()
	if err == nil {
		return oaReply{Type: oaReplyText, Content: text, At: at}, true
	}
	if cached && card.full != "" {
		// The old text is gone (Redis lost it): the current card is the
		// closest answer.
		return oaReply{Type: oaReplyText, Content: card.full, At: at}, true
	}
	return oaReply{}, false
}

// recordInline adds scans that Redis did not count to the database, under
// a key made from the push's identity (hashed: it holds the openid), so a
// retried push adds nothing.
func (o *oaServer) recordInline(ctx context.Context, log *slog.Logger, m *oaMsg, scans []oaScan) {
	if len(scans) == 0 {
		return
	}
	counts := make([]models.ScanCount, len(scans))
	for i, s := range scans {
		counts[i] = models.ScanCount{Code: s.code, Day: models.ScanDayOf(s.at), Count: 1, LastAt: s.at}
	}
	sum := sha256.Sum256([]byte(dedupeID(m)))
	if _, err := models.AddScanCounts(ctx, o.h.DB, "p:"+hex.EncodeToString(sum[:]), counts, o.h.Now()); err != nil {
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

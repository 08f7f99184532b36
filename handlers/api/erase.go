package api

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"deputylink/handlers/shared"
	"deputylink/models"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// Personal data (docs/ARCHITECTURE.md#personal-data): DELETE /api/v1/me
// deletes what identifies the voter (models.EraseVoter) and ends their
// sessions. Sessions are found through a per-voter index, a Redis set of
// their session keys that createSession fills.

// maxIndexedSessions is how many session keys a voter's index holds before
// a sign-in drops those whose sessions have expired.
const maxIndexedSessions = 16

// errEraseUnavailable answers a deletion that could not end the sessions
// (Redis down); nothing was deleted and the voter may try again.
var errEraseUnavailable = models.Coded(shared.ErrUnavailable, "redis_unavailable", "暂时无法注销，请稍后再试")

// sessionIndexKey is the set of the voter's session keys.
func (h *Handlers) sessionIndexKey(voterID uint64) string {
	return h.RedisPrefix + "vsess:" + strconv.FormatUint(voterID, 10)
}

// indexSession adds the new session key to the voter's index and answers
// how many keys it holds; the index has no expiry (a session slides on
// every use), so pruneSessions keeps it short. One key, one round trip.
func (h *Handlers) indexSession(ctx context.Context, voterID uint64, key string) (int64, error) {
	idx := h.sessionIndexKey(voterID)
	pipe := h.Redis.Pipeline()
	pipe.SAdd(ctx, idx, key)
	n := pipe.SCard(ctx, idx)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	return n.Val(), nil
}

// pruneSessions drops from the voter's index the keys of expired sessions.
// Best effort: a stale key costs only a few bytes. A key it finds without
// a session may belong to a sign-in running now (startSession indexes
// before it writes the session), so the dropped keys are checked again
// and put back when their session has appeared meanwhile; the sign-in
// itself indexes its key again after writing the session. Between them,
// a session that exists stays in the index.
func (h *Handlers) pruneSessions(ctx context.Context, voterID uint64) {
	idx := h.sessionIndexKey(voterID)
	keys, err := h.Redis.SMembers(ctx, idx).Result()
	if err != nil {
		return
	}
	pipe := h.Redis.Pipeline()
	exists := make([]*redis.IntCmd, len(keys))
	for i, k := range keys {
		exists[i] = pipe.Exists(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return
	}
	var gone []any
	for i, e := range exists {
		if e.Val() == 0 {
			gone = append(gone, keys[i])
		}
	}
	if len(gone) == 0 || h.Redis.SRem(ctx, idx, gone...).Err() != nil {
		return
	}
	pipe = h.Redis.Pipeline()
	for i, k := range gone {
		exists[i] = pipe.Exists(ctx, k.(string))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return
	}
	var back []any
	for i, k := range gone {
		if exists[i].Val() != 0 {
			back = append(back, k)
		}
	}
	if len(back) > 0 {
		h.Redis.SAdd(ctx, idx, back...)
	}
}

// endSessions deletes every session of the voter and the index, and
// reports the failure of any of them.
func (h *Handlers) endSessions(ctx context.Context, voterID uint64) error {
	idx := h.sessionIndexKey(voterID)
	keys, err := h.Redis.SMembers(ctx, idx).Result()
	if err != nil {
		return err
	}
	return h.deleteKeys(ctx, append(keys, idx))
}

// deleteKeys deletes keys with one DEL each in a non-transactional
// pipeline: the keys hash to different slots, which one multi-key DEL
// refuses on a Redis Cluster (CROSSSLOT), and go-redis sends each node its
// part of the pipeline. It reports the first failure of any DEL.
func (h *Handlers) deleteKeys(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := h.Redis.Pipeline()
	for _, k := range keys {
		pipe.Del(ctx, k)
	}
	cmds, err := pipe.Exec(ctx)
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			return err
		}
	}
	return nil
}

// deleteMe deletes the voter's personal data: their sessions end first (so
// a Redis failure leaves everything as it was, 503), then models.EraseVoter
// runs in one transaction; after it, what lives outside the database goes
// too (sessions made meanwhile, per-openid Redis keys, photo files no
// opinion took). A voter already erased answers 204 as well.
func (h *Handlers) deleteMe(c *gin.Context) {
	ctx, now, vid := c.Request.Context(), h.Now(), voterID(c)
	log := shared.Logger(c)
	if err := h.endSessions(ctx, vid); err != nil {
		log.WarnContext(ctx, "Ending the sessions of a voter to erase failed", "err", err)
		shared.RespondErr(c, errEraseUnavailable)
		return
	}
	er, err := models.EraseVoter(ctx, h.DB, vid, now, h.newNotices(c))
	if err != nil && !errors.Is(err, models.ErrVoterNotFound) {
		shared.RespondErr(c, err)
		return
	}
	ctx = context.WithoutCancel(ctx)
	var keys []string
	for _, id := range er.VoterIDs {
		if id != vid {
			if err := h.endSessions(ctx, id); err != nil {
				log.WarnContext(ctx, "Ending a session after an erasure failed; it expires by itself", "err", err)
			}
		}
	}
	if err := h.endSessions(ctx, vid); err != nil {
		log.WarnContext(ctx, "Ending a session after an erasure failed; it expires by itself", "err", err)
	}
	for _, o := range er.MPOpenIDs {
		keys = append(keys, h.RedisPrefix+"sk:"+o)
	}
	// What the official account's bot and opinion chat remember per openid
	// (handlers/official: bot.go lastcode and loc, chat.go chat and chatwas).
	for _, o := range er.OAOpenIDs {
		keys = append(keys, h.RedisPrefix+"wx:lastcode:"+o, h.RedisPrefix+"wx:loc:"+o,
			shared.ChatKey(h.RedisPrefix, o), shared.ChatMarkerKey(h.RedisPrefix, o))
	}
	if err := h.deleteKeys(ctx, keys); err != nil {
		log.WarnContext(ctx, "Deleting an erased voter's Redis keys failed; they expire by themselves", "err", err)
	}
	h.removeUploadFiles(c, er.Files)
	for _, b := range er.Cancelled {
		h.freed(c, b.SlotID)
	}
	if err == nil {
		log.InfoContext(ctx, "Voter data erased", "voter_rows", len(er.VoterIDs), "bookings_cancelled", len(er.Cancelled),
			"opinions_kept", er.Opinions, "uploads_deleted", len(er.Files))
	}
	c.Status(http.StatusNoContent)
}

// removeUploadFiles removes the files of uploads whose rows are gone. A
// file that cannot be removed is logged (by count, not path) and left.
func (h *Handlers) removeUploadFiles(c *gin.Context, paths []string) {
	if h.DataDir == "" {
		return
	}
	failed := 0
	for _, p := range paths {
		if !strings.HasPrefix(p, "uploads/") || strings.Contains(p, "..") {
			failed++
			continue
		}
		if err := os.Remove(filepath.Join(h.DataDir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			failed++
		}
	}
	if failed > 0 {
		shared.Logger(c).WarnContext(c.Request.Context(), "Removing an erased voter's upload files failed", "files", failed)
	}
}

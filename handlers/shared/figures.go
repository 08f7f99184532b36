package shared

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"deputylink/models"
)

// A period longer than FiguresCacheDays (a year: a few hundred
// milliseconds of counting for a whole county) is kept in Redis for
// FiguresCacheTTL per scope; a month is counted afresh every time (a few
// milliseconds). The console's dashboard and the public results
// (api/results.go) both count through Figures, so they answer the same
// numbers for the same period and scope, and share the cache.
const (
	FiguresCacheDays = 62
	FiguresCacheTTL  = 2 * time.Minute
)

// FiguresCacheKey starts the keys of the cached figures (after the
// prefix). It names the shape of models.Figures: "figs2:" since the
// stations carry answered, closed and the reply median, so figures a
// binary from before cached are not read as zeros after an upgrade.
const FiguresCacheKey = "figs2:"

// Figures counts the figures of the period (local dates) for the stations
// ids (nil: all) with models.ComputeFigures, or takes them from the cache
// for a long period, and says when they were counted.
func (h *Base) Figures(ctx context.Context, from, to string, ids []uint64) (models.Figures, time.Time, error) {
	now := h.Now()
	var key string
	f, _ := time.Parse(models.DateLayout, from)
	t, _ := time.Parse(models.DateLayout, to)
	if h.Redis != nil && t.Sub(f) > FiguresCacheDays*24*time.Hour {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%v|%v", from, to, ids == nil, ids))
		key = h.RedisPrefix + FiguresCacheKey + hex.EncodeToString(sum[:16])
		if raw, err := h.Redis.Get(ctx, key).Bytes(); err == nil {
			var c figuresCached
			if json.Unmarshal(raw, &c) == nil {
				return c.F, c.At, nil
			}
		}
	}
	cal, err := models.LoadCalendar(ctx, h.DB)
	if err != nil {
		return models.Figures{}, now, err
	}
	figs, err := models.ComputeFigures(ctx, h.DB, models.FigureQuery{From: from, To: to, StationIDs: ids,
		Location: h.Location, Calendar: cal, Now: now})
	if err != nil {
		return models.Figures{}, now, err
	}
	if key != "" {
		if raw, err := json.Marshal(figuresCached{At: now, F: figs}); err == nil {
			// A cache that cannot be written only costs the next viewer the count.
			_ = h.Redis.Set(ctx, key, raw, FiguresCacheTTL).Err()
		}
	}
	return figs, now, nil
}

// figuresCached is a long period's figures in the cache.
type figuresCached struct {
	At time.Time      `json:"at"`
	F  models.Figures `json:"f"`
}

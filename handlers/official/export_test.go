package official

import (
	"context"
	"time"
)

// SetOAHook makes the push endpoint call f before the bot computes a reply,
// e.g. to make a first delivery slow while its retry arrives.
func SetOAHook(cfg *Config, f func(ctx context.Context, openid, event string)) { cfg.hook = f }

// SetOACardTTL changes how long the bot caches a code's card.
func SetOACardTTL(cfg *Config, ttl time.Duration) { cfg.cardTTL = ttl }

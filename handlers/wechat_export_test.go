package handlers

import (
	"context"
	"time"
)

// SetOAHook makes the push endpoint call f before the bot computes a reply,
// e.g. to make a first delivery slow while its retry arrives.
func SetOAHook(d *Deps, f func(ctx context.Context, openid, event string)) { d.OA.hook = f }

// SetOACardTTL changes how long the bot caches a code's card.
func SetOACardTTL(d *Deps, ttl time.Duration) { d.OA.cardTTL = ttl }

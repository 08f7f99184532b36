// Package api is the mini-program's face, /api/v1: public reads (codes,
// deputies, stations, reception days, categories), the voter's session,
// bookings, subscribe-message consents, opinions and photo uploads, the
// ballots of reviews, and the OpenAPI document that describes them.
package api

import (
	"strconv"
	"sync"

	"deputylink/handlers/shared"
	"deputylink/models"
	"deputylink/models/reviews"

	"github.com/gin-gonic/gin"
)

// Config is what only the mini-program face needs.
type Config struct {
	// MP is the mini-program side of WeChat (login, phone number).
	MP MiniProgram
	// Sealer encrypts personal data at rest.
	Sealer *models.Sealer
	// Limits are the abuse limits; the zero value turns them all off.
	Limits shared.RateLimits
	// Ballots keys the voters' ballots of reviews (reviews.NewKeyer from
	// the data key); nil turns the ballot routes off (503).
	Ballots *reviews.Keyer
}

// Handlers holds the dependencies of the mini-program's handlers.
type Handlers struct {
	*shared.Base
	Config
	// full maps a slot that refused a booking as full to when that
	// answer stops being repeated (see SoldOutTTL).
	full sync.Map
}

// UploadRoute is the route of photo uploads, relative to the face's base
// path: its bodies have their own, larger cap (MaxUploadBytes).
const UploadRoute = "/uploads"

// Mount registers the mini-program's routes on g (/api/v1).
func Mount(g *gin.RouterGroup, b *shared.Base, cfg Config) {
	h := &Handlers{Base: b, Config: cfg}
	g.GET("/codes/:code", h.getCode)
	g.GET("/deputies/:id", h.getDeputy)
	g.GET("/deputies/:id/photo", h.getDeputyPhoto)
	g.GET("/stations", h.listStations)
	g.GET("/stations/:id", h.getStation)
	h.sessionRoutes(g)
	h.bookingRoutes(g)
	h.opinionRoutes(g)
	h.ballotRoutes(g)
}

// limitVoter limits by the authenticated voter (after requireVoter).
func (h *Handlers) limitVoter(name string, l shared.RateLimit) gin.HandlerFunc {
	return func(c *gin.Context) { h.Limit(c, name, "v:"+strconv.FormatUint(voterID(c), 10), l) }
}
